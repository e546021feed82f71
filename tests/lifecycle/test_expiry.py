"""Membership expiry: on time, through Plex, recorded only once Plex confirms, once each."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.jobs.models import JobStatus
from guestlist.jobs.schedule import JOBS
from guestlist.jobs.worker import run_job
from guestlist.members import expiry
from guestlist.members.models import Member
from guestlist.members.services import set_expiry
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation
from tests.lifecycle.conftest import (
    accept_in_plex,
    assert_invariants,
    home_of,
    later,
    member_of,
    new_invite,
    redeem_email,
    run_owed_work,
    shares_of,
)

DAYS = timedelta(days=1)


def expired_events(member: Member) -> int:
    return AuditEvent.objects.filter(action="member.expired", object_id=str(member.pk)).count()


def test_a_member_expires_when_their_time_is_up_and_loses_their_share(server: MediaServer, sim: PlexSimulator) -> None:
    invite = new_invite(user_expires_in_days=30, usage_limit=2)
    redeem_email(invite)
    accept_in_plex(sim, "guest")
    member = member_of()
    assert member.expires_at is not None
    assert abs(member.expires_at - (member.created_at + 30 * DAYS)) < timedelta(seconds=5)

    with later(timezone.now() + 29 * DAYS):
        assert expiry.run().startswith("0 expired")
    assert member_of().status == "pending"
    assert shares_of(sim, "guest")

    with later(timezone.now() + 30 * DAYS + timedelta(minutes=1)):
        summary = expiry.run()
    assert summary.startswith("1 expired")
    member = member_of()
    assert member.status == "expired"
    assert member.removed_at is not None
    assert not shares_of(sim, "guest")
    assert expired_events(member) == 1
    assert_invariants(sim)


def test_an_expiry_plex_cannot_confirm_waits_as_removing_and_is_retried_until_done(
    server: MediaServer, sim: PlexSimulator
) -> None:
    invite = new_invite(user_expires_in_days=1)
    redeem_email(invite)
    accept_in_plex(sim, "guest")
    sim.inject_fault("DELETE", "/api/servers/*/shared_servers/*", status=500, times=3)

    with later(timezone.now() + 2 * DAYS):
        summary = expiry.run()
        assert summary.startswith("0 expired, 1 waiting for Plex")
        # The next minute's run does not queue it again.
        with later(timezone.now() + timedelta(minutes=1)):
            expiry.run()
    member = member_of()
    assert member.status == "removing"
    assert shares_of(sim, "guest"), "nothing was removed, so nothing may be recorded as done"
    removal = PlexOperation.objects.get(kind="remove")
    assert removal.state == "queued"
    assert "HTTP 500" in removal.last_error
    assert expired_events(member) == 0

    run_owed_work()
    member = member_of()
    assert member.status == "expired"
    assert not shares_of(sim, "guest")
    assert PlexOperation.objects.filter(kind="remove").count() == 1
    assert expired_events(member) == 1
    assert_invariants(sim)


def test_a_removal_plex_refuses_for_good_is_given_up_visibly_and_never_recorded_as_done(
    server: MediaServer, sim: PlexSimulator
) -> None:
    invite = new_invite(user_expires_in_days=1)
    redeem_email(invite)
    accept_in_plex(sim, "guest")
    sim.inject_fault("DELETE", "/api/servers/*/shared_servers/*", status=500, times=None)
    with later(timezone.now() + 2 * DAYS):
        expiry.run()
    with pytest.raises(AssertionError, match="still queued"):
        run_owed_work(rounds=10)
    run_owed_work(rounds=40)
    removal = PlexOperation.objects.get(kind="remove")
    assert removal.state == "failed"
    assert removal.last_error.startswith("Gave up after")
    member = member_of()
    assert member.status == "removing"
    assert member.reason.startswith("Removal failed")
    assert shares_of(sim, "guest")
    assert expired_events(member) == 0
    assert AuditEvent.objects.filter(action="plex.remove_failed").count() == 1


def test_an_invitation_never_accepted_expires_too(server: MediaServer, sim: PlexSimulator) -> None:
    invite = new_invite(user_expires_in_days=3)
    redeem_email(invite, "nobody-yet@example.org")
    assert shares_of(sim, "nobody-yet@example.org")
    with later(timezone.now() + 4 * DAYS):
        expiry.run()
    assert member_of("nobody-yet@example.org").status == "expired"
    assert not shares_of(sim, "nobody-yet@example.org")
    assert_invariants(sim)


def test_a_plex_home_member_expires_out_of_the_home(server: MediaServer, sim: PlexSimulator) -> None:
    invite = new_invite(user_expires_in_days=7, plex_home=True)
    redeem_email(invite)
    assert home_of(sim) == {"guest@example.com"}
    with later(timezone.now() + 8 * DAYS):
        expiry.run()
    assert member_of().status == "expired"
    assert home_of(sim) == set()
    assert_invariants(sim)


def test_members_without_an_expiry_stay(server: MediaServer, sim: PlexSimulator) -> None:
    redeem_email(new_invite())
    with later(timezone.now() + 3650 * DAYS):
        assert expiry.run() == "0 expired, 0 waiting for Plex, 0 expiring soon"
    assert member_of().status == "pending"


def test_an_owner_given_expiry_is_enforced(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    redeem_email(new_invite())
    accept_in_plex(sim, "guest")
    member = member_of()
    when = (timezone.now() + 10 * DAYS).isoformat()
    response = api.put(f"/api/users/{member.pk}/expiration", {"expires_at": when}, content_type="application/json")
    assert response.status_code == 200, response.content
    with later(timezone.now() + 11 * DAYS):
        expiry.run()
    assert member_of().status == "expired"
    assert not shares_of(sim, "guest")


def test_extending_before_the_date_keeps_them(server: MediaServer, sim: PlexSimulator) -> None:
    redeem_email(new_invite(user_expires_in_days=5))
    member = member_of()
    set_expiry(member, timezone.now() + 60 * DAYS, actor=Actor.system())
    with later(timezone.now() + 6 * DAYS):
        expiry.run()
    assert member_of().status == "pending"
    assert shares_of(sim, "guest")


def test_a_new_date_calls_off_an_expiry_still_waiting_for_plex(server: MediaServer, sim: PlexSimulator) -> None:
    redeem_email(new_invite(user_expires_in_days=1))
    accept_in_plex(sim, "guest")
    sim.inject_fault("DELETE", "/api/servers/*/shared_servers/*", status=503, times=1)
    with later(timezone.now() + 2 * DAYS):
        expiry.run()
        assert member_of().status == "removing"
        set_expiry(member_of(), timezone.now() + 30 * DAYS, actor=Actor.system())
    member = member_of()
    assert member.status == "pending", "back to the status they had before"
    assert PlexOperation.objects.get(kind="remove").state == "cancelled"
    run_owed_work()
    assert shares_of(sim, "guest")
    assert AuditEvent.objects.filter(action="member.expiry_called_off").count() == 1
    assert_invariants(sim)


def test_members_nearing_expiry_are_flagged_once_each(server: MediaServer, sim: PlexSimulator) -> None:
    SiteSettings.objects.filter(pk=1).update(expiry_warning_days=7)
    redeem_email(new_invite(user_expires_in_days=30))
    with later(timezone.now() + 20 * DAYS):
        assert expiry.flag_expiring() == 0
    with later(timezone.now() + 24 * DAYS):
        assert expiry.flag_expiring() == 1
        assert expiry.flag_expiring() == 0
        assert member_of().expiry_warned_at is not None
        # A new date is announced again when it comes near.
        set_expiry(member_of(), timezone.now() + 3 * DAYS, actor=Actor.system())
        assert member_of().expiry_warned_at is None
        assert expiry.flag_expiring() == 1
    assert AuditEvent.objects.filter(action="member.expiring_soon").count() == 2
    assert member_of().status == "pending"


@pytest.mark.django_db(transaction=True)
def test_two_expiry_runs_at_once_expire_a_member_once(server: MediaServer, sim: PlexSimulator) -> None:
    for number in range(4):
        redeem_email(new_invite(user_expires_in_days=1), f"person{number}@example.org")
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def expire() -> None:
        try:
            start.wait()
            expiry.expire_due(now=timezone.now() + 2 * DAYS)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=expire) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert PlexOperation.objects.filter(kind="remove").count() == 4
    assert set(Member.objects.values_list("status", flat=True)) == {"expired"}
    assert AuditEvent.objects.filter(action="member.expired").count() == 4
    assert AuditEvent.objects.filter(action="member.remove_requested").count() == 4
    assert not [s for s in sim.shares_of("guestlist-test-machine")]


def test_the_expiry_job_records_its_outcome_for_the_dashboard(server: MediaServer, sim: PlexSimulator) -> None:
    redeem_email(new_invite(user_expires_in_days=1))
    job = next(job for job in JOBS if job.name == "expiry")
    with later(timezone.now() + 2 * DAYS):
        assert run_job(job)
    status = JobStatus.objects.get(name="expiry")
    assert status.last_ok is True
    assert status.last_summary.startswith("1 expired")
    assert status.last_finished_at is not None


def test_once_plex_fails_the_other_expiries_of_that_run_are_only_queued(
    server: MediaServer, sim: PlexSimulator
) -> None:
    for number in range(3):
        redeem_email(new_invite(user_expires_in_days=1), f"person{number}@example.org")
    sim.inject_fault("DELETE", "/api/servers/*/shared_servers/*", status=503, times=None)
    sim.clear_request_log()
    with later(timezone.now() + 2 * DAYS):
        assert expiry.run().startswith("0 expired, 3 waiting for Plex")
    asked = [entry for entry in sim.request_log() if "/shared_servers" in entry["path"]]
    assert len(asked) == 1, "one failed answer is enough to know Plex is down"
    assert set(Member.objects.values_list("status", flat=True)) == {"removing"}
    sim.clear_faults()
    run_owed_work()
    assert set(Member.objects.values_list("status", flat=True)) == {"expired"}
    assert not sim.shares_of("guestlist-test-machine")
    assert_invariants(sim)
