"""Lengths in days as people say them, the same on every page (``{{ days|duration }}``).

A year is 365 days, a month 30 and a week 7 (``lib/dates.py``), as the "+1 month" buttons and
the "months" of the forms count them."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guestlist.lib.dates import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR

register = template.Library()


@register.filter
def duration(value: int | None) -> str:
    """Says "forever", "1 year", "3 months", "2 weeks" or "10 days"."""
    if value is None:
        return _("forever")
    if value and value % DAYS_PER_YEAR == 0:
        return ngettext("%(n)s year", "%(n)s years", value // DAYS_PER_YEAR) % {"n": value // DAYS_PER_YEAR}
    if value and value % DAYS_PER_MONTH == 0:
        return ngettext("%(n)s month", "%(n)s months", value // DAYS_PER_MONTH) % {"n": value // DAYS_PER_MONTH}
    if value and value % DAYS_PER_WEEK == 0:
        return ngettext("%(n)s week", "%(n)s weeks", value // DAYS_PER_WEEK) % {"n": value // DAYS_PER_WEEK}
    return ngettext("%(n)s day", "%(n)s days", value) % {"n": value}
