"""Last seen and inactivity: a fake Tautulli beside the Plex simulator, and active members."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from guestlist.core.audit import Actor
from guestlist.members import sync
from guestlist.members.models import Member
from guestlist.plexsim import PlexSimulator
from guestlist.testing.tautulli import FakeTautulli
from tests.lifecycle.conftest import accept_in_plex, member_of, new_invite, redeem_email
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture, shared

ACTOR = Actor.system()


@pytest.fixture(scope="session")
def tautulli_server() -> Iterator[FakeTautulli]:
    fake = FakeTautulli().start()
    yield fake
    fake.stop()


@pytest.fixture
def tautulli(tautulli_server: FakeTautulli) -> FakeTautulli:
    tautulli_server.reset()
    return tautulli_server


def active_member(sim: PlexSimulator, username: str) -> Member:
    """Redeemed by e-mail, accepted in Plex, seen by a sync: an active member."""
    redeem_email(new_invite(), f"{username}@example.com")
    accept_in_plex(sim, username)
    sync.sync_now(actor=ACTOR)
    member = member_of(f"{username}@example.com")
    assert member.status == "active"
    return member
