"""Billing periods on the calendar: every period is counted from the subscription's anchor, so a
subscription started on 31 January renews on 28 (29) February, then on 31 March, never drifting."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

UNITS = ("day", "week", "month", "year")


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole months; a day the target month lacks becomes its last day."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def boundary(anchor: datetime, unit: str, count: int, k: int) -> datetime:
    """The start of period `k` (0 is the first) of a cycle of `count` `unit`s from `anchor`."""
    if unit == "day":
        return anchor + timedelta(days=count * k)
    if unit == "week":
        return anchor + timedelta(weeks=count * k)
    if unit == "month":
        return add_months(anchor, count * k)
    if unit == "year":
        return add_months(anchor, 12 * count * k)
    raise ValueError(f"unknown interval unit {unit!r}; one of {', '.join(UNITS)}")


def period_index(anchor: datetime, unit: str, count: int, start: datetime) -> int:
    """The k whose period starts at `start` (periods are few: a walk is fine and exact)."""
    k = 0
    while boundary(anchor, unit, count, k) < start:
        k += 1
    return k
