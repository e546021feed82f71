"""Daily moments: "every day at HH:MM, local time" for the scheduled backup.

Plain datetime arithmetic, so the Django-free job runner and the settings share it.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_clock(value: str) -> time | None:
    """``HH:MM`` as a time of day, None when it is not one."""
    match = _CLOCK.match(value.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def last_due(now: datetime, clock: str, zone: ZoneInfo) -> datetime | None:
    """The latest moment, at or before ``now``, when a daily job at ``clock`` (local time
    in ``zone``) fell due; None for a clock that is not HH:MM."""
    at = parse_clock(clock)
    if at is None:
        return None
    local = now.astimezone(zone)
    today = datetime.combine(local.date(), at, tzinfo=zone)
    return today if today <= local else datetime.combine(local.date() - timedelta(days=1), at, tzinfo=zone)
