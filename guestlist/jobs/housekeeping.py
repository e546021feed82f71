"""Small clean-ups that keep tables and caches from growing without bound."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from guestlist.accounts import lockout, sessions
from guestlist.core import ratelimit
from guestlist.core.audit import Actor
from guestlist.invites import status
from guestlist.invites.models import Invite
from guestlist.invites.qr import prune_qr_cache
from guestlist.invites.services import delete_if_orphaned
from guestlist.lib import shutdown
from guestlist.members.models import Member
from guestlist.plex.models import PlexPin
from guestlist.plexwork.models import PlexOperation

JOB_ACTOR = Actor.job("housekeeping")
# A redeemer polling an expired sign-in is told "expired" for a day before it is forgotten.
PIN_KEEP = timedelta(days=1)
# Finished Plex work stays visible on the dashboard for a while, failed work until handled.
FINISHED_OPERATIONS_KEEP = timedelta(days=90)


@dataclass
class Housekeeping:
    orphaned_invites: int = 0
    qr_files: int = 0
    pins: int = 0
    rate_limit_counters: int = 0
    operations: int = 0
    sign_in_records: int = 0

    def __str__(self) -> str:
        return (
            f"deleted {self.orphaned_invites} orphaned invites, {self.qr_files} cached QR codes, "
            f"{self.pins} expired sign-ins, {self.operations} old Plex operations; "
            f"pruned {self.rate_limit_counters} rate-limit counters, "
            f"{self.sign_in_records} ended admin sessions and old failed sign-ins"
        )


def delete_orphaned_invites() -> int:
    """A used-up invite whose last member has left is deleted (contract.md, "Background jobs").

    Removal deletes it at once; this sweep catches the ones left behind (a member marked
    removed in Plex by the sync, or an expiry confirmed while the invite was not used up).
    """
    # A suspended member may be renewed: their invite is kept for them.
    keeping = ("pending", "active", "removing", "suspending", "suspended")
    held = Member.objects.filter(invite=OuterRef("pk"), status__in=keeping)
    candidates = (
        Invite.objects.filter(status.filter_q("used_up", timezone.now()))
        .filter(members__isnull=False)
        .exclude(Exists(held))
        .distinct()
        .values_list("id", flat=True)
    )
    deleted = 0
    for invite_id in list(candidates):
        if shutdown.requested():
            break
        if delete_if_orphaned(invite_id, actor=JOB_ACTOR):
            deleted += 1
    return deleted


def delete_expired_pins(now: datetime) -> int:
    deleted, _ = PlexPin.objects.filter(expires_at__lt=now - PIN_KEEP).delete()
    return deleted


def delete_old_operations(now: datetime) -> int:
    finished = (PlexOperation.State.DONE, PlexOperation.State.CANCELLED)
    deleted, _ = PlexOperation.objects.filter(
        state__in=finished, finished_at__lt=now - FINISHED_OPERATIONS_KEEP
    ).delete()
    return deleted


def run() -> str:
    now = timezone.now()
    done = Housekeeping()
    done.orphaned_invites = delete_orphaned_invites()
    done.qr_files = prune_qr_cache()
    done.pins = delete_expired_pins(now)
    done.operations = delete_old_operations(now)
    done.rate_limit_counters = ratelimit.prune()
    done.sign_in_records = sessions.prune() + lockout.prune(now)
    return str(done)
