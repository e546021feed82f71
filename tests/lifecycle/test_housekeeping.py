"""Housekeeping: orphaned invites, the QR cache, expired sign-ins, rate-limit counters and
old finished Plex work."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from guestlist.core import ratelimit
from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent, RateLimitHit
from guestlist.invites.models import Invite
from guestlist.invites.qr import render_qr
from guestlist.jobs import housekeeping
from guestlist.jobs.models import JobStatus
from guestlist.jobs.schedule import JOBS
from guestlist.jobs.worker import run_job
from guestlist.members import sync
from guestlist.plex.models import MediaServer, PlexPin
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation
from tests.lifecycle.conftest import accept_in_plex, member_of, new_invite, redeem_email, remove_in_plex


def test_a_used_up_invite_whose_last_member_left_is_deleted(server: MediaServer, sim: PlexSimulator) -> None:
    kept_unused = new_invite(usage_limit=1)
    kept_with_member = new_invite(usage_limit=1)
    orphan = new_invite(usage_limit=1)
    redeem_email(kept_with_member, "alice@example.com")
    redeem_email(orphan)
    for username in ("alice", "guest"):
        accept_in_plex(sim, username)
    sync.sync_now(actor=Actor.system())
    # Taken away by hand in Plex: the sync marks them removed, the sweep finds the orphan.
    remove_in_plex(sim, "guest")
    assert sync.sync_now(actor=Actor.system()).removed == 1
    assert housekeeping.delete_orphaned_invites() == 1
    assert set(Invite.objects.values_list("pk", flat=True)) == {kept_unused.pk, kept_with_member.pk}
    assert member_of().invite_id is None, "the member's history stays"
    event = AuditEvent.objects.get(action="invite.delete")
    assert event.details["reason"] == "orphaned"
    assert housekeeping.delete_orphaned_invites() == 0


def test_cached_qr_codes_of_unusable_invites_are_removed(server: MediaServer, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    usable, disabled = new_invite(), new_invite()
    for invite in (usable, disabled):
        render_qr(invite, "png")
        render_qr(invite, "svg")
    Invite.objects.filter(pk=disabled.pk).update(is_active=False)
    assert " 2 cached QR codes" in housekeeping.run()
    cached = sorted(path.name for path in (tmp_path / "qr").iterdir())
    assert [name.split(".")[0] for name in cached] == [usable.code, usable.code]
    assert [name.rsplit(".", 1)[1] for name in cached] == ["png", "svg"]


def test_sign_ins_expired_more_than_a_day_ago_are_forgotten(server: MediaServer) -> None:
    now = timezone.now()
    for number, expires_at in enumerate(
        (now - timedelta(days=2), now - timedelta(hours=2), now + timedelta(minutes=5))
    ):
        PlexPin.objects.create(
            public_id=f"pin-{number}", plex_pin_id=number, code="code", purpose="redeem", expires_at=expires_at
        )
    assert housekeeping.delete_expired_pins(now) == 1
    assert set(PlexPin.objects.values_list("public_id", flat=True)) == {"pin-1", "pin-2"}


def test_old_rate_limit_windows_are_pruned(db: None) -> None:
    RateLimitHit.objects.create(key="redeem:1.2.3.4", window_start=int(time.time()) - 3 * 3600, count=4)
    RateLimitHit.objects.create(key="redeem:1.2.3.4", window_start=int(time.time()) // 60 * 60, count=1)
    assert ratelimit.prune() == 1
    assert RateLimitHit.objects.count() == 1


def test_finished_plex_work_is_kept_for_90_days_and_failed_work_until_handled(
    server: MediaServer, sim: PlexSimulator
) -> None:
    redeem_email(new_invite())
    redeem_email(new_invite(), "alice@example.com")
    other = PlexOperation.objects.filter(kind="share").last()
    assert other is not None
    PlexOperation.objects.filter(pk=other.pk).update(state="failed")
    PlexOperation.objects.update(finished_at=timezone.now() - timedelta(days=91))
    assert housekeeping.delete_old_operations(timezone.now()) == 1
    assert list(PlexOperation.objects.values_list("pk", flat=True)) == [other.pk]


def test_the_housekeeping_job_records_a_summary(db: None) -> None:
    job = next(job for job in JOBS if job.name == "housekeeping")
    assert run_job(job)
    status = JobStatus.objects.get(name="housekeeping")
    assert status.last_ok is True
    assert status.last_summary.startswith("deleted 0 orphaned invites")
