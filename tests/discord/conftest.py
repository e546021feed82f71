"""The fake Discord (``guestlist.testing.discord_api``) and an owner who connected it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from guestlist.core.audit import Actor
from guestlist.discord import services
from guestlist.testing.discord_api import FakeDiscord


@pytest.fixture(scope="session")
def fake_discord_server() -> Iterator[FakeDiscord]:
    fake = FakeDiscord().start()
    yield fake
    fake.stop()


@pytest.fixture
def discord(fake_discord_server: FakeDiscord, settings: Any, db: None) -> FakeDiscord:
    """Discord as the owner connected it: the application, the bot and their server."""
    fake_discord_server.reset()
    settings.DISCORD_URL = fake_discord_server.url
    services.update_settings(
        {
            "client_id": FakeDiscord.CLIENT_ID,
            "client_secret": FakeDiscord.CLIENT_SECRET,
            "bot_token": FakeDiscord.BOT_TOKEN,
            "guild_id": fake_discord_server.guild.id,
        },
        actor=Actor.system(),
    )
    return fake_discord_server
