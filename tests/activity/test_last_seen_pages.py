"""Who watched when, where the owner looks: the members table (sortable, "not seen for N
days"), the member page, the API, the CSV, and Tautulli on the connection page."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from guestlist.members.models import Member, ServerActivity
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.testing.tautulli import FakeTautulli
from tests.activity.conftest import active_member

DAY = 86400.0


def seen(member: Member, days_ago: float | None, title: str = "") -> Member:
    when = timezone.now() - timedelta(days=days_ago) if days_ago is not None else None
    Member.objects.filter(pk=member.pk).update(
        last_seen=when, last_title=title, created_at=timezone.now() - timedelta(days=100)
    )
    member.refresh_from_db()
    return member


def test_the_members_table_sorts_by_last_seen_and_filters_who_was_not_seen(
    server: MediaServer, sim: PlexSimulator, owner_client: Client
) -> None:
    seen(active_member(sim, "alice"), 2, "Recent film")
    seen(active_member(sim, "bob"), 40)
    seen(active_member(sim, "carol"), None)
    page = owner_client.get("/users", {"sort": "-last_seen"})
    assert page.status_code == 200
    names = [member.username for member, _badges, _rights in page.context["rows"]]
    assert names == ["alice", "bob", "carol"]
    assert 'aria-sort="descending"' in page.content.decode()
    assert 'title="Recent film"' in page.content.decode()
    oldest = owner_client.get("/users", {"sort": "last_seen"})
    assert [member.username for member, _b, _r in oldest.context["rows"]] == ["carol", "bob", "alice"]
    stale = owner_client.get("/users", {"not_seen": "30"})
    assert sorted(member.username for member, _b, _r in stale.context["rows"]) == ["bob", "carol"]
    assert owner_client.get("/users", {"not_seen": "-1"}).status_code == 200  # a bad number is ignored


def test_a_member_who_just_joined_is_not_counted_as_unseen(
    server: MediaServer, sim: PlexSimulator, api: Client
) -> None:
    active_member(sim, "alice")
    answer = api.get("/api/users/", {"not_seen_days": 30})
    assert answer.json()["total"] == 0


def test_the_member_page_shows_the_last_title(server: MediaServer, sim: PlexSimulator, owner_client: Client) -> None:
    alice = seen(active_member(sim, "alice"), 1, "The Show – Pilot")
    page = owner_client.get(f"/users/{alice.pk}").content.decode()
    assert "The Show – Pilot" in page
    assert "Last played" in page


def test_the_api_and_csv_carry_last_seen_and_title(server: MediaServer, sim: PlexSimulator, api: Client) -> None:
    seen(active_member(sim, "alice"), 1, "Film")
    seen(active_member(sim, "bob"), 50)
    items = api.get("/api/users/", {"sort": "last_seen"}).json()["items"]
    assert [item["username"] for item in items] == ["bob", "alice"]
    assert items[1]["last_title"] == "Film" and items[1]["last_seen"]
    assert api.get("/api/users/", {"not_seen_days": 30}).json()["total"] == 1
    assert api.get("/api/users/", {"sort": "name"}).status_code == 422
    assert api.get("/api/users/", {"not_seen_days": -1}).status_code == 422
    rows = list(csv.DictReader(io.StringIO(api.get("/api/users/export.csv").content.decode())))
    assert {row["username"]: row["last_title"] for row in rows} == {"alice": "Film", "bob": ""}


def test_the_owner_connects_tautulli_and_never_sees_the_key_again(
    server: MediaServer, sim: PlexSimulator, owner_client: Client, tautulli: FakeTautulli
) -> None:
    tautulli.add_user(sim.account("alice").id, "alice", last_seen=time.time() - DAY, last_played="Film")
    answer = owner_client.post(
        f"/settings/servers/{server.pk}/tautulli", {"tautulli_url": tautulli.url, "tautulli_api_key": tautulli.API_KEY}
    )
    assert answer.status_code == 302
    assert ServerActivity.objects.get(server=server).tautulli_configured
    page = owner_client.get("/settings").content.decode()
    assert tautulli.url in page
    assert tautulli.API_KEY not in page
    assert "stored; leave empty to keep" in page
    wrong = owner_client.post(
        f"/settings/servers/{server.pk}/tautulli", {"tautulli_url": tautulli.url, "tautulli_api_key": "wrong-key-1234"}
    )
    assert wrong.status_code == 302
    assert ServerActivity.objects.get(server=server).tautulli_api_key == tautulli.API_KEY
    owner_client.post(f"/settings/servers/{server.pk}/tautulli", {"action": "disconnect"})
    assert not ServerActivity.objects.get(server=server).tautulli_configured
