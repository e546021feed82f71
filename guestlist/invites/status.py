"""Invite status, always derived from the row and the clock (never stored, never stale).

Badges follow contract.md ("Invites (admin)", Badges): Disabled alone; otherwise Redeemed
first when used, with Expired and/or Used Up beside it; without redemptions Expired and/or Used Up; else Active.
The list filters are predicates and overlap (a redeemed invite may also be active).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.db.models import Q

ACTIVE, REDEEMED, EXPIRED, USED_UP, DISABLED = "active", "redeemed", "expired", "used_up", "disabled"
FILTERS = ("all", ACTIVE, REDEEMED, EXPIRED, USED_UP, DISABLED)

# Streamarr's single status, derivable from the badges.
STREAMARR_ACTIVE, STREAMARR_REDEEMED, STREAMARR_EXPIRED, STREAMARR_INACTIVE = (
    "Active",
    "Redeemed",
    "Expired",
    "Inactive",
)


class InviteLike(Protocol):
    @property
    def is_active(self) -> bool: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def usage_limit(self) -> int | None: ...
    @property
    def used_count(self) -> int: ...


def is_expired(invite: InviteLike, now: datetime) -> bool:
    return invite.expires_at is not None and invite.expires_at <= now


def is_used_up(invite: InviteLike) -> bool:
    return invite.usage_limit is not None and invite.used_count >= invite.usage_limit


def is_redeemable(invite: InviteLike, now: datetime) -> bool:
    return invite.is_active and not is_expired(invite, now) and not is_used_up(invite)


def unusable_reason(invite: InviteLike, now: datetime) -> str | None:
    """Why an invite cannot be redeemed now, in the order a redeemer should hear it."""
    if not invite.is_active:
        return DISABLED
    if is_expired(invite, now):
        return EXPIRED
    if is_used_up(invite):
        return USED_UP
    return None


def badges(invite: InviteLike, now: datetime) -> list[str]:
    if not invite.is_active:
        return [DISABLED]
    trailing = [name for name, holds in ((EXPIRED, is_expired(invite, now)), (USED_UP, is_used_up(invite))) if holds]
    if invite.used_count > 0:
        return [REDEEMED, *trailing]
    return trailing or [ACTIVE]


def streamarr_status(invite: InviteLike, now: datetime) -> str:
    if not invite.is_active:
        return STREAMARR_INACTIVE
    if is_expired(invite, now):
        return STREAMARR_EXPIRED
    if is_used_up(invite):
        return STREAMARR_REDEEMED
    return STREAMARR_ACTIVE


def expired_q(now: datetime) -> Q:
    return Q(expires_at__isnull=False, expires_at__lte=now)


def used_up_q() -> Q:
    return Q(is_used_up=True)


def filter_q(name: str, now: datetime) -> Q:
    """The SQL predicate of a list filter (``all`` matches everything)."""
    if name == ACTIVE:
        return Q(is_active=True, is_used_up=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    if name == REDEEMED:
        return Q(used_count__gt=0)
    if name == EXPIRED:
        return expired_q(now)
    if name == USED_UP:
        return used_up_q()
    if name == DISABLED:
        return Q(is_active=False)
    return Q()


def redeemable_q(now: datetime) -> Q:
    return filter_q(ACTIVE, now)
