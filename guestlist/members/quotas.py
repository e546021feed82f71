"""Invite quotas: how many invites a member may create per N days (0 days: in their lifetime).

An invite counts against its creator while it is inside the window, unless it expired
without anyone using it (Streamarr gives that slot back); a deleted invite no longer
counts either. The count and the new invite share one transaction that holds the
member's row lock (PostgreSQL) or SQLite's write lock (every transaction here starts
IMMEDIATE), so two simultaneous creates cannot both take the last slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from guestlist.core.errors import Forbidden, Invalid
from guestlist.core.models import SiteSettings
from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.members.permissions import Caller

MAX_QUOTA_LIMIT = 1000
MAX_QUOTA_DAYS = 3650


@dataclass(frozen=True)
class Quota:
    limit: int | None  # None: no limit
    days: int  # 0: lifetime
    used: int
    exempt: bool
    next_slot_at: datetime | None = None
    overridden: bool = False

    @property
    def restricted(self) -> bool:
        return not self.exempt and self.limit is not None

    @property
    def remaining(self) -> int | None:
        if not self.restricted or self.limit is None:
            return None
        return max(0, self.limit - self.used)

    def as_api(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "days": self.days,
            "used": self.used,
            "remaining": self.remaining,
            "restricted": self.restricted,
            "exempt": self.exempt,
            "overridden": self.overridden,
            "next_slot_at": self.next_slot_at,
        }


def limits_for(member: Member | None, site: SiteSettings | None = None) -> tuple[int | None, int, bool]:
    """(limit, days, overridden): the member's own override, else the owner's default."""
    site = site or SiteSettings.current()
    limit, days = site.default_quota_limit, site.default_quota_days
    overridden = False
    if member is not None and member.invite_quota_limit is not None:
        limit, overridden = member.invite_quota_limit, True
    if member is not None and member.invite_quota_days is not None:
        days, overridden = member.invite_quota_days, True
    return limit, days, overridden


def counting(days: int, now: datetime) -> QuerySet[Invite]:
    """The invites that count against their creators now, in a window of ``days`` (0: ever)."""
    invites = Invite.objects.exclude(Q(expires_at__lte=now) & Q(used_count=0))
    if days:
        invites = invites.filter(created_at__gt=now - timedelta(days=days))
    return invites


def counted(user: User, days: int, now: datetime) -> QuerySet[Invite]:
    return counting(days, now).filter(created_by=user)


def used_by(windows: Mapping[int, int], now: datetime) -> dict[int, int]:
    """How many counted invites each user has, for ``{user id: window in days}``: one query
    per distinct window (the owner's default and any overrides), whatever the number of users."""
    by_days: dict[int, list[int]] = {}
    for user_id, days in windows.items():
        by_days.setdefault(days, []).append(user_id)
    used = dict.fromkeys(windows, 0)
    for days, user_ids in by_days.items():
        rows = counting(days, now).filter(created_by_id__in=user_ids).order_by().values("created_by_id")
        for row in rows.annotate(n=Count("id")):
            used[row["created_by_id"]] = row["n"]
    return used


def _next_slot(user: User, days: int, now: datetime) -> datetime | None:
    """When the first counted invite stops counting: it leaves the window, or expires unused."""
    moments: list[datetime] = []
    invites = counted(user, days, now)
    if days:
        oldest = invites.order_by("created_at").values_list("created_at", flat=True).first()
        if oldest is not None:
            moments.append(oldest + timedelta(days=days))
    lapsing = (
        invites.filter(used_count=0, expires_at__isnull=False)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )
    if lapsing is not None:
        moments.append(lapsing)
    return min(moments) if moments else None


def quota_of(caller: Caller, *, now: datetime | None = None) -> Quota:
    now = now or timezone.now()
    limit, days, overridden = limits_for(caller.member)
    if caller.user is None:
        return Quota(limit, days, 0, True, overridden=overridden)
    used = counted(caller.user, days, now).count()
    exempt = caller.quota_exempt
    next_slot = None
    if not exempt and limit is not None and used >= limit:
        next_slot = _next_slot(caller.user, days, now)
    return Quota(limit, days, used, exempt, next_slot, overridden)


def create_within_quota(caller: Caller, data: Mapping[str, Any], create: Any) -> Invite:
    """Run ``create(data)`` only if the caller has a slot left, atomically with the count."""
    if caller.quota_exempt or caller.member is None or caller.user is None:
        invite: Invite = create(data)
        return invite
    with transaction.atomic():
        # The row lock serialises one member's creates on PostgreSQL; on SQLite the
        # transaction already holds the database's write lock from its first statement.
        member = Member.objects.select_for_update().get(pk=caller.member.pk)
        now = timezone.now()
        limit, days, _overridden = limits_for(member)
        if limit is not None:
            used = counted(caller.user, days, now).count()
            if used >= limit:
                next_slot = _next_slot(caller.user, days, now)
                raise Forbidden(
                    f"You have used all {limit} of your invites"
                    + (f" for {days} days." if days else ".")
                    + (f" The next one frees on {next_slot:%Y-%m-%d}." if next_slot else ""),
                    code="quota_exceeded",
                    details={
                        "limit": limit,
                        "days": days,
                        "used": used,
                        "next_slot_at": next_slot.isoformat() if next_slot else None,
                    },
                )
        invite = create(data)
    return invite


def clean_override(limit: object, days: object) -> tuple[int | None, int | None]:
    """A per-member override; null in either field falls back to the owner's default."""

    def number(name: str, value: object, high: int) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise Invalid(
                f"{name} must be a whole number from 0 to {high}, or null.",
                details=[{"field": name, "message": "out of range"}],
            )
        return value

    return number("limit", limit, MAX_QUOTA_LIMIT), number("days", days, MAX_QUOTA_DAYS)
