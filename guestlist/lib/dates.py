"""What a week, a month and a year are in Guestlist: fixed numbers of days, everywhere.

Lengths are stored in days (an invite's membership, a template's expiry, the API's
``*_in_days``), so a month cannot be a calendar month in some places and 30 days in others:
the dashboard's "+1 month", an invite that "expires after 1 month" and a membership shown as
"1 month" all mean 30 days; a year is 365 days.
"""

from __future__ import annotations

DAYS_PER_WEEK = 7
DAYS_PER_MONTH = 30
DAYS_PER_YEAR = 365
UNIT_DAYS = {"days": 1, "weeks": DAYS_PER_WEEK, "months": DAYS_PER_MONTH, "years": DAYS_PER_YEAR}
