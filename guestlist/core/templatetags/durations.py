"""Lengths in days as people say them, the same on every page (``{{ days|duration }}``).

A year is 365 days, a month 30 and a week 7 (``lib/dates.py``), as the "+1 month" buttons and
the "months" of the forms count them."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
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


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago, as one phrase per unit so each language words it whole ("vor 6 Minuten")."""
    if moment is None:
        return ""
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        n = seconds // 60
        return ngettext("%(n)s minute ago", "%(n)s minutes ago", n) % {"n": n}
    if seconds < 86400:
        n = seconds // 3600
        return ngettext("%(n)s hour ago", "%(n)s hours ago", n) % {"n": n}
    n = seconds // 86400
    return ngettext("%(n)s day ago", "%(n)s days ago", n) % {"n": n}
