"""The contract's badge table ("Invites (admin)"), row by row, and Streamarr's single status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from guestlist.invites import status

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PAST, FUTURE = NOW - timedelta(days=1), NOW + timedelta(days=1)


@dataclass
class FakeInvite:
    is_active: bool = True
    expires_at: datetime | None = None
    usage_limit: int | None = 1
    used_count: int = 0


@pytest.mark.parametrize(
    ("invite", "badges", "streamarr"),
    [
        (FakeInvite(), ["active"], "Active"),
        (FakeInvite(usage_limit=None, used_count=7), ["redeemed"], "Active"),
        (FakeInvite(usage_limit=3, used_count=1, expires_at=FUTURE), ["redeemed"], "Active"),
        (FakeInvite(usage_limit=1, used_count=1), ["redeemed", "used_up"], "Redeemed"),
        (FakeInvite(usage_limit=3, used_count=1, expires_at=PAST), ["redeemed", "expired"], "Expired"),
        (FakeInvite(usage_limit=1, used_count=1, expires_at=PAST), ["redeemed", "expired", "used_up"], "Expired"),
        (FakeInvite(expires_at=PAST), ["expired"], "Expired"),
        (FakeInvite(is_active=False), ["disabled"], "Inactive"),
        (FakeInvite(is_active=False, used_count=1, expires_at=PAST), ["disabled"], "Inactive"),
    ],
)
def test_badges_follow_the_seeds_priority(invite: FakeInvite, badges: list[str], streamarr: str) -> None:
    assert status.badges(invite, NOW) == badges
    assert status.streamarr_status(invite, NOW) == streamarr


def test_used_up_without_redemptions_shows_used_up_alone() -> None:
    # Only possible after an owner lowered nothing and the count came from elsewhere; kept for the table.
    invite = FakeInvite(usage_limit=1, used_count=1)
    invite.used_count = 1
    assert status.is_used_up(invite)


def test_an_expired_invite_is_never_redeemable_even_when_active() -> None:
    invite = FakeInvite(is_active=True, expires_at=PAST, usage_limit=None)
    assert not status.is_redeemable(invite, NOW)
    assert status.unusable_reason(invite, NOW) == "expired"


def test_disabled_is_reported_before_expired_and_used_up() -> None:
    invite = FakeInvite(is_active=False, expires_at=PAST, usage_limit=1, used_count=1)
    assert status.unusable_reason(invite, NOW) == "disabled"
