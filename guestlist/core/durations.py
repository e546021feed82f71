"""The units people pick durations in ("3 weeks", "never"), for every form that asks for one:
the owner's invite and template forms and the member area's invite form."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guestlist.lib.dates import UNIT_DAYS as DAYS_IN

NEVER = "never"
# A month is 30 days everywhere, an invite's expiry included (lib/dates.py says why).
UNIT_DAYS = {unit: DAYS_IN[unit] for unit in ("days", "weeks", "months")}
UNIT_LABELS: dict[str, Promise] = {"days": _("days"), "weeks": _("weeks"), "months": _("months")}


def unit_choices(never: Promise | None = None, *, never_first: bool = False) -> list[tuple[str, Promise]]:
    """The units as form choices, with ``never`` (labelled as given) before or after them."""
    units = list(UNIT_LABELS.items())
    if never is None:
        return units
    return [(NEVER, never), *units] if never_first else [*units, (NEVER, never)]


EXPIRY_UNITS = unit_choices(_("never"))
MEMBERSHIP_UNITS = unit_choices(_("forever"))


def in_days(amount: int | None, unit: str) -> int | None:
    """``amount`` ``unit`` as a number of days; None for never (or no amount)."""
    if unit not in UNIT_DAYS or not amount:
        return None
    return amount * UNIT_DAYS[unit]


def as_amount_and_unit(days: int | None) -> tuple[int | None, str]:
    """Show a number of days the way a person would have typed it."""
    if days is None:
        return None, NEVER
    for unit in ("months", "weeks"):
        if days % UNIT_DAYS[unit] == 0:
            return days // UNIT_DAYS[unit], unit
    return days, "days"
