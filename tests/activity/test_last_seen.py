"""Last seen: the Plex Media Server's play history and Tautulli, whichever is newer, read by
the sync over real HTTP; only ever forward; failures recorded, never taken for "not seen"."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from guestlist.members import activity, sync
from guestlist.members.models import ServerActivity
from guestlist.plex import services as plex_services
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.testing.tautulli import FakeTautulli
from tests.activity.conftest import ACTOR, active_member
from tests.lifecycle.conftest import member_of

DAY = 86400.0


def test_the_gateway_reads_the_play_history_newest_first_through_plexapi(
    server: MediaServer, sim: PlexSimulator
) -> None:
    now = time.time()
    for number in range(130):  # more than one of plexapi's pages
        sim.add_play("alice", f"Film {number}", at=now - DAY - number)
    sim.add_play("bob", "Pilot", show="The Show", at=now - 60)
    sim.add_play("plexowner", "Owner's film", at=now - 30)
    plays = plex_services.gateway_for(server).play_history()
    assert len(plays) == 132
    assert [play.title for play in plays[:3]] == ["Owner's film", "The Show – Pilot", "Film 0"]
    assert plays[0].account_id == 1
    assert plays[1].account_id == sim.account("bob").id
    assert abs(plays[1].viewed_at.timestamp() - (now - 60)) < 1
    assert plays[1].viewed_at.utcoffset() == timedelta(0)
    recent = plex_services.gateway_for(server).play_history(since=timezone.now() - timedelta(hours=1))
    assert [play.title for play in recent] == ["Owner's film", "The Show – Pilot"]
    assert any(entry["path"] == "/status/sessions/history/all" for entry in sim.request_log())


def test_the_sync_fills_last_seen_and_the_last_title_from_the_play_history(
    server: MediaServer, sim: PlexSimulator
) -> None:
    now = time.time()
    sim.add_play("alice", "Old film", at=now - 10 * DAY)
    sim.add_play("alice", "Pilot", show="The Show", at=now - 2 * DAY)
    alice = active_member(sim, "alice")
    bob = active_member(sim, "bob")
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.last_seen is not None
    assert abs(alice.last_seen.timestamp() - (now - 2 * DAY)) < 1
    assert alice.last_title == "The Show – Pilot"
    assert bob.last_seen is None
    state = ServerActivity.objects.get(server=server)
    assert state.history_checked_at is not None
    assert state.history_error == ""
    assert state.history_latest_at is not None


def test_later_syncs_read_only_new_plays_and_last_seen_never_moves_back(
    server: MediaServer, sim: PlexSimulator
) -> None:
    alice = active_member(sim, "alice")
    now = time.time()
    sim.add_play("alice", "Recent", at=now - 60)
    sync.sync_now(actor=ACTOR)
    sim.clear_request_log()
    sim.add_play("alice", "Older, reported late", at=now - 5 * DAY)
    sync.sync_now(actor=ACTOR)
    asked = [entry for entry in sim.request_log() if entry["path"] == "/status/sessions/history/all"]
    assert len(asked) == 1
    assert "viewedAt>" in asked[0]["query"]
    alice.refresh_from_db()
    assert alice.last_title == "Recent"


def test_a_failed_history_read_changes_nobody_and_is_recorded(server: MediaServer, sim: PlexSimulator) -> None:
    alice = active_member(sim, "alice")
    sim.add_play("alice", "Film", at=time.time() - 60)
    sim.inject_fault("GET", "/status/sessions/history/all", status=500, times=None)
    outcome = sync.sync_now(actor=ACTOR)
    assert outcome.seen == 0
    assert outcome.seen_failed == ["Guestlist Test play history"]
    assert "last seen updated (not read: Guestlist Test play history)" in str(outcome)
    alice.refresh_from_db()
    assert alice.last_seen is None
    state = ServerActivity.objects.get(server=server)
    assert state.history_error
    assert state.history_failed_at is not None
    window = timedelta(days=30)
    assert activity.data_available(server, now=timezone.now(), window=window).kind == "history_failed"
    sim.clear_faults()
    sync.sync_now(actor=ACTOR)
    alice.refresh_from_db()
    assert alice.last_title == "Film"
    assert activity.data_available(server, now=timezone.now(), window=window).available


def test_an_empty_history_or_a_stale_read_makes_the_data_unavailable(server: MediaServer, sim: PlexSimulator) -> None:
    # The owner's play is older than the window: nobody played anything in it.
    sim.add_play("plexowner", "The owner watches", at=time.time() - 40 * DAY)
    active_member(sim, "alice")
    sync.sync_now(actor=ACTOR)
    now = timezone.now()
    window = timedelta(days=30)
    assert activity.data_available(server, now=now, window=window).kind == "history_empty"
    sim.add_play("plexowner", "The owner watches", at=time.time() - 60)
    sync.sync_now(actor=ACTOR)
    assert activity.data_available(server, now=now, window=window).available
    later = timezone.now() + activity.FRESH_FOR + timedelta(minutes=1)
    assert activity.data_available(server, now=later, window=window).kind == "history_stale"


def test_tautulli_counts_when_it_is_newer_and_its_key_is_never_shown(
    server: MediaServer, sim: PlexSimulator, tautulli: FakeTautulli
) -> None:
    now = time.time()
    sim.add_play("alice", "On the server", at=now - 3 * DAY)
    sim.add_play("bob", "On the server too", at=now - DAY)
    alice = active_member(sim, "alice")
    bob = active_member(sim, "bob")
    tautulli.add_user(sim.account("alice").id, "alice", last_seen=now - DAY, last_played="In Tautulli")
    tautulli.add_user(sim.account("bob").id, "bob", last_seen=now - 9 * DAY, last_played="Older")
    activity.set_tautulli(server, url=tautulli.url, api_key=tautulli.API_KEY, actor=ACTOR)
    stored = ServerActivity.objects.get(server=server)
    assert tautulli.API_KEY not in stored.tautulli_api_key_encrypted
    sync.sync_now(actor=ACTOR)
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.last_title == "In Tautulli"
    assert bob.last_title == "On the server too"
    assert activity.data_available(server, now=timezone.now(), window=timedelta(days=30)).available
    # Tautulli failing makes the data unavailable, and its error carries no key.
    tautulli.faults.status = 502
    outcome = sync.sync_now(actor=ACTOR)
    assert outcome.seen_failed == ["Guestlist Test Tautulli"]
    stored.refresh_from_db()
    assert "502" in stored.tautulli_error
    availability = activity.data_available(server, now=timezone.now(), window=timedelta(days=30))
    assert availability.kind == "tautulli_failed"


def test_connecting_tautulli_is_tried_first_and_a_wrong_key_is_refused(
    server: MediaServer, tautulli: FakeTautulli
) -> None:
    import pytest

    from guestlist.core.errors import Invalid

    with pytest.raises(Invalid) as refused:
        activity.set_tautulli(server, url=tautulli.url, api_key="wrong-key-123456", actor=ACTOR)
    assert "Invalid apikey" in str(refused.value)
    assert "wrong-key" not in str(refused.value)
    with pytest.raises(Invalid):
        activity.set_tautulli(server, url="ftp://tautulli", api_key="x", actor=ACTOR)
    activity.set_tautulli(server, url=tautulli.url, api_key=tautulli.API_KEY, actor=ACTOR)
    # Saving again without a key keeps the stored one; an empty address disconnects.
    activity.set_tautulli(server, url=tautulli.url + "/", api_key=None, actor=ACTOR)
    assert ServerActivity.objects.get(server=server).tautulli_api_key == tautulli.API_KEY
    activity.set_tautulli(server, url="", api_key=None, actor=ACTOR)
    assert not ServerActivity.objects.get(server=server).tautulli_configured


def test_members_are_matched_per_server_by_their_plex_account(server: MediaServer, sim: PlexSimulator) -> None:
    alice = active_member(sim, "alice")
    sim.add_play("carol", "Not a member", at=time.time() - 60)
    sync.sync_now(actor=ACTOR)
    alice.refresh_from_db()
    assert alice.last_seen is None
    assert member_of("alice@example.com").last_title == ""
