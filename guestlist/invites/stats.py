"""Statistics for the dashboard and ``GET /api/invites/stats``, all from SQL aggregates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from django.db import connection
from django.db.models import Case, CharField, Count, Func, When
from django.db.models.functions import Cast, Substr, TruncDate
from django.utils import timezone

from guestlist.invites import kept_counts
from guestlist.invites.models import Invite, Redemption
from guestlist.invites.services import status_counts
from guestlist.members.models import LIVE_STATUSES, Member

LIVE_REDEMPTION_STATES = (Redemption.State.PENDING, Redemption.State.DONE)
CHART_DAYS = 90


def redemptions_per_day(days: int = CHART_DAYS, *, today: date | None = None) -> list[dict[str, Any]]:
    """One entry per UTC day, oldest first, ending today; days without redemptions count 0."""
    return _redemptions(days, today)[1]


def _redemptions(days: int = CHART_DAYS, today: date | None = None) -> tuple[int, list[dict[str, Any]]]:
    """All live redemptions, and those of each of the last ``days`` UTC days, in one pass."""
    today = today or timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    rows = (
        # Older redemptions share one group (no day); a comparison on created_at rather than
        # ``__date`` keeps SQLite's date cast, a Python function, off every older row.
        Redemption.objects.filter(state__in=LIVE_REDEMPTION_STATES)
        .annotate(
            day=Case(
                When(created_at__gte=datetime.combine(first, time.min, tzinfo=UTC), then=_utc_day("created_at")),
                default=None,
            )
        )
        .order_by()
        .values("day")
        .annotate(count=Count("id"))
    )
    by_day = {_as_date(row["day"]) if row["day"] is not None else None: row["count"] for row in rows}
    per_day = [
        {"date": (first + timedelta(days=offset)).isoformat(), "count": by_day.get(first + timedelta(days=offset), 0)}
        for offset in range(days)
    ]
    return sum(by_day.values()), per_day


def _utc_day(field: str) -> Func:
    # SQLite keeps datetimes as UTC text and runs TruncDate as a Python function per row (about
    # 60 ms for 20,000 redemptions); the text's first ten characters are the same UTC day.
    if connection.vendor == "sqlite":
        return Substr(Cast(field, CharField()), 1, 10)
    return TruncDate(field, tzinfo=UTC)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def invite_stats() -> dict[str, Any]:
    """The dashboard's and the API's statistics, kept until something they count changes
    (``kept_counts``: the stamp, the next invite expiry, the end of the UTC day)."""
    now = timezone.now()
    # Inside a transaction its own writes count, which PostgreSQL's stamp records only at commit.
    stamp = None if connection.in_atomic_block else kept_counts.read_stamp()
    kept = kept_counts.cached(now, stamp, kept_counts.STATISTICS)
    if kept is not None:
        return cast(dict[str, Any], kept)
    invites = status_counts(Invite.objects.all(), now, narrowed=False, narrowing="")
    # One GROUP BY over the status index (PostgreSQL reads it alone) rather than four counts of every row.
    members = dict(Member.objects.order_by().values_list("status").annotate(count=Count("*")))
    redemptions, per_day = _redemptions(today=now.astimezone(UTC).date())
    found = {
        "total_invites": invites["all"],
        "active_invites": invites["active"],
        "redeemed_invites": invites["redeemed"],
        "expired_invites": invites["expired"],
        "used_up_invites": invites["used_up"],
        "disabled_invites": invites["disabled"],
        "total_redemptions": redemptions,
        "total_users": sum(members.values()),
        "active_users": sum(members.get(live, 0) for live in LIVE_STATUSES),
        "expired_users": members.get("expired", 0),
        "removed_users": members.get("removed", 0),
        "redemptions_per_day": per_day,
    }
    tomorrow = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time.min, tzinfo=UTC)
    kept_counts.keep(now, stamp, found, kept_counts.STATISTICS, until=tomorrow)
    return found
