"""The outbox of Plex work: retried with backoff until done or given up visibly, taken
over at once from a killed process, never doubled, and never leaving a share behind a
member who left."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent
from guestlist.invites.models import Invite, Redemption
from guestlist.lib import liveness
from guestlist.members.models import Member
from guestlist.members.services import remove_member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation
from tests.invites.test_redeem_plex import poll, sign_in, start
from tests.lifecycle.conftest import (
    assert_invariants,
    later,
    make_invite_api,
    member_of,
    new_invite,
    redeem_email,
    run_owed_work,
    shares_of,
)

SHARES = "/api/servers/*/shared_servers"


def dead_process() -> str:
    """The identity of a process that has run and is gone."""
    done = subprocess.run(
        [sys.executable, "-c", "from guestlist.lib import liveness; print(liveness.identity())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def owed_share(sim: PlexSimulator, email: str = "guest@example.com", *, uses: int = 1) -> PlexOperation:
    sim.inject_fault("POST", SHARES, status=503, times=1)
    assert redeem_email(new_invite(usage_limit=uses), email).outcome == "pending"
    return PlexOperation.objects.get(kind="share", state="queued")


def test_work_held_by_a_killed_process_is_taken_over_without_waiting_for_its_lock(
    server: MediaServer, sim: PlexSimulator
) -> None:
    op = owed_share(sim)
    held = {"locked_until": timezone.now() + timedelta(seconds=90), "next_attempt_at": timezone.now()}
    PlexOperation.objects.filter(pk=op.pk).update(locked_by=liveness.identity(), **held)
    assert outbox.due_ids() == [], "a live process is still working on it"
    PlexOperation.objects.filter(pk=op.pk).update(locked_by=dead_process())
    assert outbox.due_ids() == [op.pk]
    assert outbox.process_due() == "1 done, 0 to retry, 0 failed"
    assert len(shares_of(sim, "guest")) == 1
    assert Redemption.objects.get().state == "done"


def test_work_held_by_a_process_on_another_machine_waits_for_its_lock_to_lapse(
    server: MediaServer, sim: PlexSimulator
) -> None:
    op = owed_share(sim)
    until = timezone.now() + timedelta(seconds=90)
    PlexOperation.objects.filter(pk=op.pk).update(
        locked_by="elsewhere:4026531836:1:1", locked_until=until, next_attempt_at=timezone.now()
    )
    assert outbox.due_ids() == []
    with later(until + timedelta(seconds=1)):
        assert outbox.due_ids() == [op.pk]


def test_retries_back_off_and_plex_work_is_given_up_with_a_visible_error(
    server: MediaServer, sim: PlexSimulator
) -> None:
    op = owed_share(sim)
    sim.inject_fault("POST", SHARES, status=500, times=None)
    delays = []
    for _ in range(4):
        op.refresh_from_db()
        before = op.next_attempt_at
        with later(before + timedelta(seconds=1)):
            outbox.process_due()
            op.refresh_from_db()
            delays.append(round((op.next_attempt_at - timezone.now()).total_seconds() / 10) * 10)
    assert delays == [60, 120, 300, 600]
    for _ in range(40):
        op.refresh_from_db()
        if op.state != "queued":
            break
        with later(op.next_attempt_at + timedelta(seconds=1)):
            outbox.process_due()
    op.refresh_from_db()
    assert op.state == "failed"
    assert op.last_error.startswith("Gave up after 36 attempts")
    # A share that never happened gives the use back and leaves no member behind.
    assert Invite.objects.get().used_count == 0
    assert Redemption.objects.get().state == "failed"
    assert not Member.objects.exists()
    assert AuditEvent.objects.filter(action="plex.share_failed").count() == 1
    assert_invariants(sim)


def test_a_share_plex_makes_after_the_member_was_removed_is_taken_back(server: MediaServer, sim: PlexSimulator) -> None:
    op = owed_share(sim)
    PlexOperation.objects.filter(pk=op.pk).update(next_attempt_at=timezone.now())
    in_flight = outbox.claim(op.pk)
    assert in_flight is not None
    # The owner removes them while the share request is still on its way to Plex.
    outcome = remove_member(member_of(), actor=Actor.system(), reason="removed by admin")
    assert outcome.done
    assert member_of().status == "removed"
    assert outbox.run(in_flight).done  # Plex made the share after all
    assert len(shares_of(sim, "guest")) == 1
    run_owed_work()
    assert not shares_of(sim, "guest")
    assert member_of().status == "removed"
    assert AuditEvent.objects.filter(action="member.late_share_removed").count() == 1
    assert AuditEvent.objects.filter(action="member.removed").count() == 1
    assert_invariants(sim)


def test_taking_back_a_late_share_leaves_someone_who_was_invited_again_alone(
    server: MediaServer, sim: PlexSimulator
) -> None:
    op = owed_share(sim)
    PlexOperation.objects.filter(pk=op.pk).update(next_attempt_at=timezone.now())
    in_flight = outbox.claim(op.pk)
    assert in_flight is not None
    remove_member(member_of(), actor=Actor.system())
    outbox.run(in_flight)
    assert redeem_email(new_invite()).outcome == "created"  # already shared: counts as done
    run_owed_work()
    assert member_of().status == "pending"
    assert len(shares_of(sim, "guest")) == 1
    assert_invariants(sim)


def test_removing_someone_whose_share_never_happened_settles_their_redemption(
    server: MediaServer, sim: PlexSimulator
) -> None:
    owed_share(sim, uses=2)  # not used up, so it is no orphan to clean up afterwards
    outcome = remove_member(member_of(), actor=Actor.system())
    assert outcome.done
    assert PlexOperation.objects.get(kind="share").state == "cancelled"
    redemption = Redemption.objects.get()
    assert redemption.state == "done"
    assert "Removed before" in redemption.error
    assert Invite.objects.get().used_count == 1
    run_owed_work()
    assert not shares_of(sim, "guest")
    assert_invariants(sim)


def test_removing_a_member_whose_accept_is_still_owed_forgets_their_plex_token(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.configure(pending_visible_after_polls=50)
    invite = make_invite_api(api)
    started = start(client, invite["code"])
    sign_in(sim, started["pin_id"], "guest")
    assert poll(client, invite["code"], started["pin_id"]).status_code == 201
    assert Redemption.objects.get().user_token_encrypted != ""
    assert PlexOperation.objects.filter(kind="accept", state="queued").exists()
    assert api.delete(f"/api/users/{member_of().pk}").status_code == 204
    assert Redemption.objects.get().user_token_encrypted == ""
    assert PlexOperation.objects.get(kind="accept").state == "cancelled"
    assert_invariants(sim)


def test_an_unexpected_error_is_retried_and_does_not_block_the_work_behind_it(
    server: MediaServer, sim: PlexSimulator
) -> None:
    broken = owed_share(sim)
    PlexOperation.objects.filter(pk=broken.pk).update(payload={}, next_attempt_at=timezone.now())
    sim.inject_fault("POST", SHARES, status=503, times=1)
    assert redeem_email(new_invite(), "alice@example.com").outcome == "pending"
    PlexOperation.objects.update(next_attempt_at=timezone.now())
    assert outbox.process_due() == "1 done, 1 to retry, 0 failed"
    broken.refresh_from_db()
    assert broken.state == "queued"
    assert broken.last_error.startswith("Unexpected error: KeyError")
    assert shares_of(sim, "alice")


@pytest.mark.parametrize("kind", ["share", "remove"])
def test_queued_work_survives_in_the_database(server: MediaServer, sim: PlexSimulator, kind: str) -> None:
    """What a restart sees: rows, not memory. Nothing is kept anywhere else."""
    if kind == "share":
        owed_share(sim)
    else:
        redeem_email(new_invite())
        sim.inject_fault("DELETE", f"{SHARES}/*", status=500, times=1)
        assert not remove_member(member_of(), actor=Actor.system()).done
    assert PlexOperation.objects.filter(kind=kind, state="queued").count() == 1
    run_owed_work()
    assert_invariants(sim)
