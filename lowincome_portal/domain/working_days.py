"""Statutory clocks: counting working days on the PRC public-holiday calendar.

The calendar is the maintained `chinesecalendar` package (holidays and the weekend days
that become working days, 调休). The State Council publishes a year's holidays late in the
year before, so the package may not know next year yet: for such a day we fall back to
"Monday to Friday" and say so (`is_estimated`), and the page marks the deadline 估算.
Upgrading the package (`pip install -U chinesecalendar`) replaces the estimate.
"""

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


# The package scans its holiday tables on every question; deadlines ask about the same few
# hundred days over and over (a report's or an import's thousands of clocks), so remember them.
@lru_cache(maxsize=8192)
def _known(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """Whether `day` is a working day in the PRC (weekdays outside the calendar's years)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def is_estimated(start: date, end: date) -> bool:
    """Whether any day from `start` to `end` lies outside the calendar's published years."""
    low, high = min(start, end), max(start, end)
    return not (_known(low) and _known(high))


def add_working_days(start: date, days: int) -> date:
    """The day `days` working days after `start` (`start` itself is day 0, as the statutes
    count: "within 15 working days of acceptance"). days=0 gives `start`."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when end is earlier):
    how far along a clock that started on `start` is on `end`."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    low, high = (start, end) if sign > 0 else (end, start)
    count = 0
    day = low
    while day < high:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return sign * count


def add_calendar_days(start: date, days: int) -> date:
    return start + timedelta(days=days)
