from __future__ import annotations

import calendar
from datetime import datetime, timedelta

UNITS = ("days", "weeks", "months")


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_period(moment: datetime, amount: int, unit: str) -> datetime:
    if unit == "months":
        return add_months(moment, amount)
    if unit == "weeks":
        return moment + timedelta(weeks=amount)
    return moment + timedelta(days=amount)
