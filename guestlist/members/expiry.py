"""Enforcing membership expiry, and flagging members whose access ends soon.

A member whose ``expires_at`` has passed loses their share (or Plex Home place) through
the outbox, and becomes ``expired`` only once Plex confirms the removal
(``plexwork.effects``). While Plex is down they stay ``removing`` and the outbox retries with
backoff; the dashboard shows why. Each member is expired once: the removal is queued
under a row lock, and only for members still ``pending`` or ``active``. When the owner
chose to suspend instead (``members.suspension``), the share is narrowed instead of
removed and the member becomes ``suspended``, again only once Plex confirms.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.models import SiteSettings
from guestlist.lib import shutdown
from guestlist.members.models import LIVE_STATUSES, Member
from guestlist.members.removal import end_unlinked
from guestlist.members.suspension import end_access
from guestlist.notifications import notify
from guestlist.plexwork import outbox

logger = logging.getLogger(__name__)

Status = Member.Status
JOB_ACTOR = Actor.job("expiry")
EXPIRED_REASON = "expired"
BATCH = 100


@dataclass
class ExpiryOutcome:
    expired: int = 0
    waiting_for_plex: int = 0
    flagged: int = 0

    def __str__(self) -> str:
        return f"{self.expired} expired, {self.waiting_for_plex} waiting for Plex, {self.flagged} expiring soon"


# Local accounts that never linked Plex expire too (without asking Plex anything).
DUE_STATUSES = (*LIVE_STATUSES, Status.UNLINKED)


def due(now: datetime) -> list[int]:
    return list(
        Member.objects.filter(status__in=DUE_STATUSES, expires_at__isnull=False, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("id", flat=True)[:BATCH]
    )


def expire_member(
    member_id: int, *, now: datetime | None = None, actor: Actor = JOB_ACTOR, run_now: bool = True
) -> bool | None:
    """Expire one member if they are still due: True once Plex confirmed, False while it
    is retried, None if there was nothing to do (extended, removed, already underway).

    Without ``run_now`` the removal is only queued, for the outbox job to carry out.
    """
    now = now or timezone.now()
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(pk=member_id).first()
        # Looked at again under the lock: the owner may have extended them a moment ago.
        if member is None or member.status not in DUE_STATUSES or member.expires_at is None or member.expires_at > now:
            return None
        if member.status == Status.UNLINKED:
            end_unlinked(member, actor=actor, reason=EXPIRED_REASON)
            return True
        op = end_access(member, actor=actor, reason=EXPIRED_REASON, final_status=Status.EXPIRED, inline=run_now)
    if op is None:
        return None
    if not run_now:
        return False
    return outbox.run(op).done


def expire_due(*, now: datetime | None = None) -> ExpiryOutcome:
    now = now or timezone.now()
    outcome = ExpiryOutcome()
    plex_answers = True
    for member_id in due(now):
        if shutdown.requested():
            break
        # Once Plex fails, the rest are only queued: waiting out a timeout per member would
        # hold the job for minutes, and the outbox retries them with backoff anyway.
        result = expire_member(member_id, now=now, run_now=plex_answers)
        if result is True:
            outcome.expired += 1
        elif result is False:
            outcome.waiting_for_plex += 1
            plex_answers = False
    return outcome


def flag_expiring(*, now: datetime | None = None) -> int:
    """Mark live members whose access ends within the owner's warning window, once each.

    ``expiry_warned_at`` is the flag the notifications read; changing a member's expiry
    clears it, so a new date is announced again. A person on several servers (issue 20) whose
    shares end the same day gets one notice about all of them, not one per server.
    """
    now = now or timezone.now()
    window = timedelta(days=SiteSettings.load().expiry_warning_days)
    flagged = 0
    candidates = Member.objects.filter(
        status__in=LIVE_STATUSES, expires_at__gt=now, expires_at__lte=now + window, expiry_warned_at__isnull=True
    ).select_related("server")
    groups: dict[tuple[int, str], list[Member]] = {}
    for member in candidates.order_by("expires_at", "id")[:1000]:
        day = member.expires_at.date().isoformat() if member.expires_at else ""
        groups.setdefault((member.primary_id or member.pk, day), []).append(member)
    for rows in groups.values():
        rows.sort(key=lambda row: (row.primary_id is not None, row.server_id, row.pk))
        with transaction.atomic():
            claimed = [
                row
                for row in rows
                if Member.objects.filter(pk=row.pk, expiry_warned_at__isnull=True).update(expiry_warned_at=now)
            ]
            for row in claimed:
                expires_at = row.expires_at.isoformat() if row.expires_at else None
                audit.record(JOB_ACTOR, "member.expiring_soon", row, expires_at=expires_at)
            if claimed:
                notify.member_expiring_soon(claimed[0], rows=claimed)
                flagged += len(claimed)
    return flagged


def run() -> str:
    """The job: flag who expires soon, then expire everyone who is due."""
    now = timezone.now()
    flagged = flag_expiring(now=now)
    outcome = expire_due(now=now)
    outcome.flagged = flagged
    return str(outcome)
