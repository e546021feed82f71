"""The overview: statistics cards, the redemptions chart, expiring members, what needs attention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from guestlist.jobs.models import JobStatus
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation
from tests.dashboard.conftest import join, make_invite

pytestmark = pytest.mark.django_db


def stat(page: str, label: str) -> str:
    """The number on the card with this label."""
    before = page.split(f'<span class="label">{label}</span>')[0]
    return before.rsplit('<span class="value">', 1)[1].split("<")[0]


def test_the_cards_count_invites_redemptions_and_members(
    admin_client: Client, sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    used_up = make_invite(owner, usage_limit=1)
    join(sim, used_up, "alice")
    open_invite = make_invite(owner, usage_limit=5)
    join(sim, open_invite, "bob")
    gone = join(sim, open_invite, "carol")
    Member.objects.filter(pk=gone.pk).update(status=Member.Status.REMOVED)

    page = admin_client.get("/").content.decode()

    assert stat(page, "Invites") == "2"
    assert stat(page, "Active invites") == "1"
    assert "2 redeemed" in page
    assert stat(page, "Used-up invites") == "1"
    assert stat(page, "Redemptions") == "3"
    assert stat(page, "Members") == "3"
    assert stat(page, "Active members") == "2"
    assert "3 redemptions in the last 30 days" in page
    assert page.count('<rect class="bar"') == 30


def test_the_chart_can_show_ninety_days(admin_client: Client, owner: User) -> None:
    page = admin_client.get("/?days=90").content.decode()

    assert page.count('<rect class="bar"') == 90
    assert "0 redemptions in the last 90 days" in page


def test_members_expiring_within_a_week_are_listed_soonest_first(
    admin_client: Client, sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    invite = make_invite(owner, usage_limit=5)
    for name, days in (("alice", 5), ("bob", 2), ("carol", 30)):
        member = join(sim, invite, name)
        Member.objects.filter(pk=member.pk).update(expires_at=timezone.now() + timedelta(days=days))

    page = admin_client.get("/").content.decode()
    section = page.split('id="expiring-title"')[1].split("</section>")[0]

    assert section.index(">bob</a>") < section.index(">alice</a>")
    assert ">carol</a>" not in section


def test_needs_attention_lists_plex_problems_and_failed_jobs(
    admin_client: Client, sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    MediaServer.objects.filter(pk=server.pk).update(token_ok=False)
    member = join(sim, make_invite(owner), "alice")
    PlexOperation.objects.create(
        kind="remove",
        state="failed",
        server=server,
        member=member,
        next_attempt_at=timezone.now(),
        finished_at=timezone.now(),
        last_error="Plex refused removing the share.",
    )
    JobStatus.objects.create(name="sync", last_ok=False, last_error="plex.tv timed out")

    page = admin_client.get("/").content.decode()

    assert "Needs attention" in page
    assert "Plex rejected the owner&#x27;s token for Guestlist Test" in page
    assert "alice: Remove access — Plex refused removing the share." in page
    assert "The job “Sync with Plex” failed" in page and "plex.tv timed out" in page


def test_nothing_needs_attention_on_a_healthy_install(admin_client: Client, server: MediaServer) -> None:
    assert "Needs attention" not in admin_client.get("/").content.decode()


def test_without_a_server_the_overview_offers_to_connect_plex(admin_client: Client, owner: User) -> None:
    page = admin_client.get("/").content.decode()

    assert "No Plex server is connected" in page
    assert 'href="/setup/plex"' in page
