"""The ``discord`` job re-checks, with the owner's bot, that members of Discord-gated invites are
still in the owner's Discord server (and hold the role), and warns or ends access per setting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent
from guestlist.discord import services
from guestlist.jobs.dbwindow import Database
from guestlist.jobs.runner import has_work
from guestlist.jobs.schedule import JOBS
from guestlist.members import discord_check
from guestlist.members.models import Member
from guestlist.notifications.models import Event
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.testing.discord_api import FakeDiscord
from tests.discord.test_discord_gated_invites import ADA, MODERATORS, PLEX_FRIENDS, gated_invite, sign_in_with_discord
from tests.public.helpers import browser, redeem_by_email


def joined_through_discord(api: Client, discord: FakeDiscord, **fields: Any) -> Member:
    invite = gated_invite(api, **fields)
    discord.join(ADA, PLEX_FRIENDS)
    client = browser()
    sign_in_with_discord(client, invite["code"])
    assert redeem_by_email(client, invite["code"]).status_code == 303
    member = Member.objects.get(discord_id=ADA)
    Member.objects.filter(pk=member.pk).update(status="active")
    return member


def left_events() -> list[Event]:
    return list(Event.objects.filter(type="member.discord_left"))


def test_a_member_still_in_the_server_is_left_alone(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    member = joined_through_discord(api, discord)
    assert discord_check.run() == "checked 1, left 0, removed 0, back 0"
    member.refresh_from_db()
    assert member.discord_left_at is None
    assert not left_events()
    assert f"GET /api/v10/guilds/{discord.guild.id}/members/{ADA}" in discord.requests


def test_someone_who_left_the_server_is_reported_once_and_kept_by_default(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    member = joined_through_discord(api, discord)
    discord.leave(ADA)
    discord_check.run()
    discord_check.run()
    member.refresh_from_db()
    assert member.status == "active"
    assert member.discord_left_at is not None
    events = left_events()
    assert len(events) == 1
    assert events[0].payload["data"]["why"] == "left_server"
    assert events[0].payload["data"]["action"] == "warn"
    assert AuditEvent.objects.filter(action="member.discord_left", object_id=str(member.pk)).count() == 1

    discord.join(ADA, PLEX_FRIENDS)
    discord_check.run()
    member.refresh_from_db()
    assert member.discord_left_at is None
    assert AuditEvent.objects.filter(action="member.discord_back").count() == 1


def test_losing_the_role_counts_as_leaving(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    member = joined_through_discord(api, discord, discord_role_ids=[PLEX_FRIENDS])
    discord.join(ADA, MODERATORS)
    discord_check.run()
    member.refresh_from_db()
    assert member.discord_left_at is not None
    assert left_events()[0].payload["data"]["why"] == "lost_role"


def test_with_the_remove_setting_their_access_ends_through_plex(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    member = joined_through_discord(api, discord)
    services.update_settings({"on_leave": "remove"}, actor=Actor.system())
    discord.leave(ADA)
    outcome = discord_check.run()
    assert "removed 1" in outcome
    member.refresh_from_db()
    assert member.status == "removed"
    assert member.reason == "discord: left server"


def test_discord_being_down_changes_nobody(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    member = joined_through_discord(api, discord)
    services.update_settings({"on_leave": "remove"}, actor=Actor.system())
    discord.leave(ADA)
    discord.down = True
    assert discord_check.run().endswith("stopped: discord_unavailable")
    member.refresh_from_db()
    assert (member.status, member.discord_left_at) == ("active", None)
    assert not left_events()


def test_a_bot_that_lost_access_to_the_server_changes_nobody(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    member = joined_through_discord(api, discord)
    discord.leave(ADA)
    discord.guild.id = "900000000000000099"  # the bot is no longer in the configured server
    assert discord_check.run().endswith("stopped: discord_refused")
    member.refresh_from_db()
    assert member.discord_left_at is None


@pytest.fixture
def window() -> Iterator[Database]:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        db = Database(database_url=f"sqlite://{settings['NAME']}")
    else:
        db = Database(
            database_url=f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        )
    yield db
    db.close()


@pytest.mark.django_db(transaction=True)
def test_the_runner_wakes_the_job_only_for_watched_members(
    window: Database, api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    job = next(job for job in JOBS if job.name == "discord")
    assert not has_work(window, job, timezone.now())
    joined_through_discord(api, discord)
    assert has_work(window, job, timezone.now())
    services.update_settings({"clear_secrets": True}, actor=Actor.system())
    assert not has_work(window, job, timezone.now())


def test_with_the_suspend_setting_their_share_is_narrowed_instead(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    from guestlist.core.models import SiteSettings
    from guestlist.plex.models import Library

    member = joined_through_discord(api, discord)
    key = Library.objects.filter(server=server).order_by("key").values_list("key", flat=True).first()
    SiteSettings.objects.filter(pk=1).update(suspend_library_key=key)
    services.update_settings({"on_leave": "suspend"}, actor=Actor.system())
    discord.leave(ADA)
    discord_check.run()
    member.refresh_from_db()
    assert member.status == "suspended"
