"""Issue 20: the members list's "last seen" of a person is the newest across their servers
(and its sort and "not seen for N days" filter use it); the member page keeps each server's own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.invites.services import create_invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.servers.conftest import both_servers_invite, redeem_with_plex

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen(sim: PlexSimulator, server: MediaServer, hd_server: MediaServer) -> dict[str, Member]:
    """The guest watched in HD two days ago and in 4K forty days ago; alice (4K only) ten days ago."""
    redeem_with_plex(sim, both_servers_invite(server, hd_server))
    redeem_with_plex(sim, create_invite({"server_id": server.pk}, actor=Actor.system()), "alice")
    alice = Member.objects.get(username="alice")
    now = timezone.now()
    joined = now - timedelta(days=100)
    Member.objects.update(created_at=joined)
    Member.objects.filter(email="guest@example.com", server=server).update(
        last_seen=now - timedelta(days=40), last_title="Old 4K film"
    )
    Member.objects.filter(email="guest@example.com", server=hd_server).update(
        last_seen=now - timedelta(days=2), last_title="New HD film"
    )
    Member.objects.filter(pk=alice.pk).update(last_seen=now - timedelta(days=10))
    return {row.server.name if row.pk != alice.pk else "alice": row for row in Member.objects.select_related("server")}


def test_the_members_table_shows_a_persons_newest_last_seen(seen: dict[str, Member], owner_client: Client) -> None:
    person = seen["Guestlist Test"]
    page = owner_client.get("/users").content.decode()
    assert 'title="New HD film"' in page and "Old 4K film" not in page

    # Not seen for 30 days: nobody (the guest watched in HD two days ago, alice ten days ago).
    listed = owner_client.get("/users", {"not_seen": 30}).context["rows"]
    assert listed == []
    listed = owner_client.get("/users", {"not_seen": 5}).context["rows"]
    assert [member.pk for member, *_ in listed] == [seen["alice"].pk]
    ordered = owner_client.get("/users", {"sort": "-last_seen"}).context["rows"]
    assert [member.pk for member, *_ in ordered] == [person.pk, seen["alice"].pk]
    ordered = owner_client.get("/users", {"sort": "last_seen"}).context["rows"]
    assert [member.pk for member, *_ in ordered] == [seen["alice"].pk, person.pk]


def test_the_api_sorts_and_filters_persons_by_their_newest_last_seen(seen: dict[str, Member], api: Client) -> None:
    person = seen["Guestlist Test"]
    listed = api.get("/api/users/", {"persons": "true", "sort": "last_seen"}).json()["items"]
    assert [item["id"] for item in listed] == [seen["alice"].pk, person.pk]
    mine = listed[1]
    hd_seen = seen["Guestlist HD"].last_seen
    assert mine["person_last_title"] == "New HD film" and hd_seen is not None
    assert mine["person_last_seen"].startswith(hd_seen.date().isoformat())
    assert mine["last_seen"] != mine["person_last_seen"]  # the member object stays this server's
    assert api.get("/api/users/", {"persons": "true", "not_seen_days": "30"}).json()["items"] == []
    # Per server (without persons), the 4K member alone was not seen for 30 days.
    per_row = api.get("/api/users/", {"not_seen_days": 30}).json()["items"]
    assert [item["id"] for item in per_row] == [person.pk]


def test_the_member_page_shows_each_servers_own_last_seen(seen: dict[str, Member], owner_client: Client) -> None:
    page = owner_client.get(f"/users/{seen['Guestlist Test'].pk}").content.decode()
    cells = page.split("data-server-last-seen")[1:]
    assert len(cells) == 2
    assert 'title="Old 4K film"' in cells[0] and 'title="New HD film"' in cells[1]
