"""Sync with Plex: read once, update, mark definite removals; never act on an empty or
failed answer, never remove a pending member; import people shared by hand."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db.models import Value
from django.db.models.functions import Concat
from django.test import Client
from django.utils import timezone

from guestlist import cli
from guestlist.core.audit import Actor
from guestlist.core.errors import PlexUnavailableError
from guestlist.core.models import AuditEvent
from guestlist.members import expiry, sync
from guestlist.members.models import Member
from guestlist.plex import services as plex_services
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.conftest import MACHINE_ID, OWNER_PLEX_TOKEN
from tests.lifecycle.conftest import (
    accept_in_plex,
    assert_invariants,
    later,
    member_of,
    new_invite,
    redeem_email,
    remove_in_plex,
    shares_of,
)

ACTOR = Actor.system()


def active_member(sim: PlexSimulator, username: str) -> Member:
    """Redeemed by e-mail, accepted in Plex, seen by a sync: an active member."""
    redeem_email(new_invite(), f"{username}@example.com")
    accept_in_plex(sim, username)
    sync.sync_now(actor=ACTOR)
    member = member_of(f"{username}@example.com")
    assert member.status == "active"
    return member


def test_it_updates_usernames_avatars_and_last_seen_and_activates_accepted_invitations(
    server: MediaServer, sim: PlexSimulator
) -> None:
    redeem_email(new_invite())
    assert member_of().status == "pending"
    accept_in_plex(sim, "guest")
    seen = time.time() - 3600
    with sim.sim.lock:
        account = sim.sim.state.account_by_name("guest")
        assert account is not None
        account.username = "guest-renamed"
        account.thumb = "/__sim/avatars/new.svg"
        account.last_seen_at = seen
    outcome = sync.sync_now(actor=ACTOR)
    assert outcome.updated == 1
    assert outcome.removed == 0
    member = member_of()
    assert member.status == "active"
    assert member.username == "guest-renamed"
    assert member.thumb.endswith("/__sim/avatars/new.svg")
    assert member.last_seen is not None
    assert abs(member.last_seen.timestamp() - seen) < 2
    assert member.plex_id == sim.account("guest-renamed").id
    assert sync.sync_now(actor=ACTOR).updated == 0


def test_a_share_removed_in_plex_marks_the_member_removed(server: MediaServer, sim: PlexSimulator) -> None:
    active_member(sim, "alice")
    bob = active_member(sim, "bob")
    remove_in_plex(sim, "bob")
    outcome = sync.sync_now(actor=ACTOR)
    assert outcome.removed == 1
    bob.refresh_from_db()
    assert bob.status == "removed"
    assert bob.reason == "removed in Plex"
    assert member_of("alice@example.com").status == "active"
    assert AuditEvent.objects.filter(action="member.removed_in_plex", object_id=str(bob.pk)).count() == 1
    assert sync.sync_now(actor=ACTOR).removed == 0
    assert_invariants(sim)


EMPTY_LIST = '<?xml version="1.0" encoding="UTF-8"?><MediaContainer friendlyName="myPlex" size="0"></MediaContainer>'


def test_an_empty_answer_removes_nobody(server: MediaServer, sim: PlexSimulator) -> None:
    alice = active_member(sim, "alice")
    sim.inject_fault("GET", "/api/users*", status=200, body=EMPTY_LIST, times=1)
    outcome = sync.sync_now(actor=ACTOR)
    assert (outcome.removed, outcome.updated) == (0, 0)
    alice.refresh_from_db()
    assert alice.status == "active"


def test_an_answer_in_which_nobody_has_access_removes_nobody(server: MediaServer, sim: PlexSimulator) -> None:
    """What the wrong account's list looks like (wizarr#339): people, but no shares."""
    alice = active_member(sim, "alice")
    active_member(sim, "bob")
    remove_in_plex(sim, "alice")
    remove_in_plex(sim, "bob")
    outcome = sync.sync_now(actor=ACTOR)
    assert outcome.removed == 0
    assert outcome.skipped_servers == ["Guestlist Test"]
    alice.refresh_from_db()
    assert alice.status == "active"


@pytest.mark.parametrize("status", [500, 401, 429])
def test_a_failed_answer_changes_nobody_and_the_api_says_plex_is_unavailable(
    api: Client, server: MediaServer, sim: PlexSimulator, status: int
) -> None:
    active_member(sim, "alice")
    bob = active_member(sim, "bob")
    remove_in_plex(sim, "bob")
    sim.inject_fault("GET", "/api/users*", status=status, times=1)
    response = api.post("/api/users/sync")
    assert response.status_code == 503
    assert response.json()["error"] == "plex_unavailable"
    assert "nothing was changed" in response.json()["message"]
    bob.refresh_from_db()
    assert bob.status == "active"
    # Once Plex answers again, the definite answer is acted on.
    response = api.post("/api/users/sync")
    assert response.status_code == 200
    assert response.json() == {"updated": 0, "removed": 1, "imported": 0}


def test_with_two_servers_one_failing_answer_changes_nobody_on_either(server: MediaServer, sim: PlexSimulator) -> None:
    active_member(sim, "alice")
    bob = active_member(sim, "bob")
    remove_in_plex(sim, "bob")
    second = sim.add_server("plexowner", "Second Server", machine_identifier="second-machine")
    sim.configure(pms_machine_identifier=second.machine_identifier)
    plex_services.connect_server(sim.pms_url, OWNER_PLEX_TOKEN, actor=ACTOR)
    sim.configure(pms_machine_identifier=MACHINE_ID)
    assert MediaServer.objects.count() == 2
    # The sync reads one user list per server; the second server's read fails.
    sim.inject_fault("GET", "/api/users*", status=500, skip=1, times=None)
    with pytest.raises(PlexUnavailableError, match="Second Server"):
        sync.sync_now(actor=ACTOR)
    bob.refresh_from_db()
    assert bob.status == "active"


def test_pending_members_are_never_marked_removed(server: MediaServer, sim: PlexSimulator) -> None:
    active_member(sim, "alice")
    redeem_email(new_invite(), "carol@example.com")  # invitation sent, not accepted
    for _ in range(3):
        assert sync.sync_now(actor=ACTOR).removed == 0
    assert member_of("carol@example.com").status == "pending"
    assert_invariants(sim)


def test_a_member_who_became_active_while_the_list_was_read_is_not_removed(
    server: MediaServer, sim: PlexSimulator
) -> None:
    active_member(sim, "alice")
    redeem_email(new_invite(), "carol@example.com")
    snapshot = list(Member.objects.filter(status__in=("pending", "active")))
    users = plex_services.gateway_for(server).users()  # carol not in it yet: not accepted
    # Meanwhile her accept finishes and she becomes active.
    accept_in_plex(sim, "carol")
    Member.objects.filter(email="carol@example.com").update(status="active", updated_at=timezone.now())
    outcome = sync.apply_users(server, users, snapshot, actor=ACTOR, now=timezone.now())
    assert outcome.removed == 0
    assert member_of("carol@example.com").status == "active"


def test_a_plex_home_member_stays_through_syncs(server: MediaServer, sim: PlexSimulator) -> None:
    active_member(sim, "alice")
    redeem_email(new_invite(plex_home=True), "bob@example.com")
    sync.sync_now(actor=ACTOR)
    assert member_of("bob@example.com").status in ("pending", "active")
    assert member_of("bob@example.com").is_home
    assert_invariants(sim)


def test_the_sync_job_records_what_it_did(server: MediaServer, sim: PlexSimulator) -> None:
    active_member(sim, "alice")
    bob = active_member(sim, "bob")
    remove_in_plex(sim, "bob")
    assert sync.sync_job() == "0 updated, 1 removed in Plex, 0 imported"
    bob.refresh_from_db()
    assert bob.status == "removed"


def test_the_sync_job_also_checks_the_connection_so_the_settings_page_stays_current(
    server: MediaServer, sim: PlexSimulator
) -> None:
    sim.inject_fault("GET", "/", status=500, host="pms", times=None)
    sync.sync_job()
    server.refresh_from_db()
    assert (server.token_ok, server.server_ok) == (True, False)
    assert server.last_health_check_at is not None
    assert "HTTP 500" in server.last_health_error


# Importing people given access before Guestlist


def test_people_shared_by_hand_can_be_listed_and_imported_with_an_expiry(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    active_member(sim, "alice")
    sim.share(MACHINE_ID, sim.account("carol"), library_keys=(1,), accepted=True)
    listing = api.get("/api/users/importable")
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] == 1
    carol = body["items"][0]
    assert carol["username"] == "carol"
    assert carol["email"] == "carol@example.com"
    assert carol["plex_id"] == str(sim.account("carol").id)
    assert "token" not in listing.content.decode().lower()

    expires = (timezone.now() + timedelta(days=30)).isoformat()
    response = api.post(
        "/api/users/import", {"plex_ids": [carol["plex_id"]], "expires_at": expires}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["imported"] == 1
    member = member_of("carol@example.com")
    assert member.status == "active"
    assert member.invite is None
    assert member.reason == "imported from Plex"
    assert member.library_keys == [1]
    assert member.expires_at is not None
    assert api.get("/api/users/importable").json()["total"] == 0
    again = api.post("/api/users/import", {"plex_ids": [carol["plex_id"]]}, content_type="application/json")
    assert again.json()["imported"] == 0
    assert Member.objects.filter(email="carol@example.com").count() == 1
    assert_invariants(sim)

    # Now Guestlist looks after her expiry like anyone else's.
    with later(timezone.now() + timedelta(days=31)):
        expiry.run()
    assert member_of("carol@example.com").status == "expired"
    assert not shares_of(sim, "carol")


def test_sync_can_import_every_friend_at_once(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    sim.share(MACHINE_ID, sim.account("carol"), accepted=True)
    sim.share(MACHINE_ID, sim.account("bob"), accepted=True)
    sim.share(MACHINE_ID, "someone-new@example.org")  # pending: not a Plex user yet
    response = api.post("/api/users/sync", {"import_friends": True}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"updated": 0, "removed": 0, "imported": 2}
    assert set(Member.objects.values_list("username", flat=True)) == {"carol", "bob"}
    assert api.post("/api/users/sync", {}, content_type="application/json").json()["imported"] == 0


def test_someone_removed_and_given_access_again_by_hand_is_imported_into_their_old_row(
    server: MediaServer, sim: PlexSimulator
) -> None:
    active_member(sim, "alice")
    bob = active_member(sim, "bob")
    remove_in_plex(sim, "bob")
    sync.sync_now(actor=ACTOR)
    sim.share(MACHINE_ID, sim.account("bob"), accepted=True)
    assert [user.username for user in sync.importable_friends(server)] == ["bob"]
    imported = sync.import_chosen([sim.account("bob").id], actor=ACTOR)
    assert [member.pk for member in imported] == [bob.pk]
    bob.refresh_from_db()
    assert bob.status == "active"
    assert bob.removed_at is None


def test_import_needs_plex_account_ids(api: Client, server: MediaServer) -> None:
    response = api.post("/api/users/import", {"plex_ids": ["abc"]}, content_type="application/json")
    assert response.status_code == 422
    assert api.post("/api/users/import", {"plex_ids": []}, content_type="application/json").status_code == 422


def test_sync_endpoints_need_an_admin(client: Client, server: MediaServer) -> None:
    assert client.post("/api/users/sync").status_code == 401
    assert client.get("/api/users/importable").status_code == 401
    assert client.post("/api/users/import", {"plex_ids": [1]}, content_type="application/json").status_code == 401


# The CLI


def test_guestlist_sync_reports_and_imports(
    server: MediaServer, sim: PlexSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.share(MACHINE_ID, sim.account("carol"), accepted=True)
    assert cli.main(["sync"]) == 0
    assert "0 updated, 0 removed in Plex, 0 imported" in capsys.readouterr().out
    assert cli.main(["sync", "--import-friends"]) == 0
    assert "1 imported" in capsys.readouterr().out


def test_guestlist_sync_fails_in_one_line_when_plex_is_down(
    server: MediaServer, sim: PlexSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.inject_fault("GET", "/api/users*", status=503, times=1)
    assert cli.main(["sync"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "nothing was changed" in err


def people_with_access(sim: PlexSimulator, server: MediaServer, first: int, count: int) -> None:
    """Plex accounts shared by hand and accepted, each with a member known only by e-mail."""
    for number in range(first, first + count):
        email = f"person{number}@example.org"
        sim.add_account(f"person{number}", email)
        sim.share(MACHINE_ID, sim.account(f"person{number}"), library_keys=(1,), accepted=True)
        Member.objects.create(server=server, person_key=f"email:{email}", email=email, status="active")


def sync_queries() -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        outcome = sync.sync_now(actor=Actor.job("sync"))
    assert outcome.updated > 0
    return len(queries.captured_queries)


def test_the_sync_makes_as_many_queries_for_forty_members_as_for_five(server: MediaServer, sim: PlexSimulator) -> None:
    people_with_access(sim, server, 0, 5)
    five = sync_queries()
    people_with_access(sim, server, 5, 35)
    forty = sync_queries()
    assert forty == five
    assert set(Member.objects.values_list("status", flat=True)) == {"active"}
    assert Member.objects.filter(plex_id__isnull=True).count() == 0
    assert Member.objects.filter(person_key__startswith="plex:").count() == 40


def test_the_sync_adds_the_same_few_queries_for_every_further_batch(
    server: MediaServer, sim: PlexSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "SYNC_BATCH", 10)
    counts = []
    for batches in (1, 2, 3):
        people_with_access(sim, server, (batches - 1) * 10, 10)
        # Every member known only by e-mail again, so each batch has the same work.
        Member.objects.update(plex_id=None, person_key=Concat(Value("email:"), "email"))
        counts.append(sync_queries())
    assert counts[2] - counts[1] == counts[1] - counts[0] > 0
    assert counts[1] - counts[0] <= 5, counts
