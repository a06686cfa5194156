"""The statutory clock: working days on the PRC public-holiday calendar (chinesecalendar).

Expected days are worked out by hand from the State Council's 2026 arrangement as the
library records it (checked against chinese_calendar 1.11):
- Spring Festival: 2026-02-15 (Sun) .. 2026-02-23 (Mon) off; Sat 02-14 and Sat 02-28 are
  working days (调休).
- Mid-autumn: Fri 2026-09-25 .. Sun 09-27 off.
- National Day: 2026-10-01 (Thu) .. 10-07 (Wed) off; Sun 09-20 and Sat 10-10 are working
  days (调休).
The first test pins those facts, so a changed library arrangement fails there, clearly,
rather than in a sum below.
"""

import inspect
import re
from datetime import date, timedelta

import chinese_calendar
import pytest

from lowincome_portal.domain import working_days
from lowincome_portal.domain.working_days import (
    add_calendar_days,
    add_working_days,
    is_estimated,
    is_working_day,
    working_days_between,
)


def _covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _first_uncovered_year() -> int:
    """The first year the installed library has no arrangement for (2027 with 1.11): the
    tests of the fallback follow the library when it is upgraded."""
    year = 2026
    while _covered(year):
        year += 1
    return year


def test_the_2026_arrangement_the_sums_below_rely_on():
    off = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]  # 02-15 .. 02-23
    off += [date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)]
    off += [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]  # 10-01 .. 10-07
    assert not any(is_working_day(d) for d in off)
    for weekend_workday in (date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)):
        assert weekend_workday.weekday() >= 5
        assert is_working_day(weekend_workday), weekend_workday
    assert is_working_day(date(2026, 10, 8))  # Thursday after the holiday
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_is_working_day_on_adjusted_weekend_working_days():
    assert date(2026, 10, 10).weekday() == 5  # Saturday, worked for National Day
    assert is_working_day(date(2026, 10, 10))
    assert date(2026, 9, 20).weekday() == 6  # Sunday, worked for National Day
    assert is_working_day(date(2026, 9, 20))
    assert not is_working_day(date(2026, 9, 19))  # the Saturday before it stays off


def test_add_working_days_across_national_day_2026():
    # Wed 09-30 is the last working day before the holiday; 10-01..10-07 are off, so the
    # first working day after it is Thu 10-08.
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    # 10-08 (1), 10-09 (2), Sat 10-10 worked (3): the 调休 Saturday counts.
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    # ... Sun 10-11 is off, Mon 10-12 is the 4th.
    assert add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)
    # An investigation clock of 15 working days from Mon 09-28: 09-29 (1), 09-30 (2),
    # 10-08 (3), 10-09 (4), 10-10 (5), 10-12..10-16 (6-10), 10-19..10-23 (11-15).
    assert add_working_days(date(2026, 9, 28), 15) == date(2026, 10, 23)
    # Fri 09-18 + 1: Sat 09-19 is off, Sun 09-20 is a 调休 working day.
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_add_working_days_across_spring_festival_2026():
    # Fri 02-13 + 1 is Sat 02-14, worked before the festival.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    # + 2: 02-15..02-23 are off, so Tue 02-24.
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    # Thu 02-12 + 5: 02-13 (1), 02-14 (2), 02-24 (3), 02-25 (4), 02-26 (5).
    assert add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    # Thu 02-26 + 2: Fri 02-27 (1), Sat 02-28 worked (2).
    assert add_working_days(date(2026, 2, 26), 2) == date(2026, 2, 28)


def test_starting_on_a_holiday():
    # Accepted on the National Day holiday (a station open on 10-03): the clock's first
    # working day is Thu 10-08.
    assert add_working_days(date(2026, 10, 3), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 2, 17), 1) == date(2026, 2, 24)


def test_zero_days_is_the_start_day_even_on_a_holiday():
    assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert add_working_days(date(2026, 10, 8), 0) == date(2026, 10, 8)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 10, 8), -1)


def test_working_days_between_both_directions_and_equal_days():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert working_days_between(date(2026, 10, 8), date(2026, 9, 30)) == -1
    # only holidays after the start: no working day has passed yet
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert working_days_between(date(2026, 9, 28), date(2026, 10, 23)) == 15
    assert working_days_between(date(2026, 10, 23), date(2026, 9, 28)) == -15
    assert working_days_between(date(2026, 10, 8), date(2026, 10, 8)) == 0
    assert working_days_between(date(2026, 10, 3), date(2026, 10, 3)) == 0


@pytest.mark.parametrize("start", [date(2026, 2, 10), date(2026, 9, 18), date(2026, 10, 3), date(2026, 12, 24)])
@pytest.mark.parametrize("days", [0, 1, 2, 5, 15, 30])
def test_between_undoes_add(start, days):
    """The clock shown on a page (between) agrees with the deadline set (add)."""
    due = add_working_days(start, days)
    assert working_days_between(start, due) == days
    assert working_days_between(due, start) == -days


def test_fallback_for_a_year_the_library_does_not_cover():
    year = _first_uncovered_year()
    assert year >= 2027
    oct1 = date(year, 10, 1)
    # Without the year's arrangement National Day cannot be known: Monday to Friday count,
    # so 10-01 is a working day if it is a weekday, and weekends are not.
    assert is_working_day(oct1) == (oct1.weekday() < 5)
    monday = oct1 + timedelta(days=(7 - oct1.weekday()) % 7)
    assert monday.weekday() == 0
    assert add_working_days(monday, 4) == monday + timedelta(days=4)  # the Friday
    assert add_working_days(monday, 5) == monday + timedelta(days=7)  # the next Monday
    assert working_days_between(monday, monday + timedelta(days=7)) == 5
    assert is_estimated(monday, add_working_days(monday, 5))


def test_is_estimated_says_when_the_library_does_not_cover_the_dates():
    year = _first_uncovered_year()
    last_known = date(year - 1, 12, 31)
    assert not is_estimated(date(year - 1, 12, 1), last_known)
    assert is_estimated(last_known, date(year, 1, 4))
    assert is_estimated(date(year, 1, 4), last_known)  # order does not matter
    assert is_estimated(date(year, 3, 1), date(year, 3, 1))
    # a deadline running into the uncovered year counts that year's days Monday-Friday
    due = add_working_days(last_known, 10)
    assert due.year == year
    assert is_estimated(last_known, due)


def test_add_calendar_days():
    assert add_calendar_days(date(2026, 9, 30), 7) == date(2026, 10, 7)
    assert add_calendar_days(date(2026, 9, 30), 0) == date(2026, 9, 30)


def test_the_module_asks_the_library(monkeypatch):
    """Working days come from chinesecalendar: a changed library answer changes ours."""
    monkeypatch.setattr(working_days.chinese_calendar, "is_workday", lambda day: day == date(2026, 10, 4))
    working_days.is_working_day.cache_clear()  # answers are remembered per process
    monkeypatch.setattr(working_days, "is_working_day", working_days.is_working_day.__wrapped__)
    assert working_days.is_working_day(date(2026, 10, 4))  # a Sunday the fake library calls a working day
    assert not working_days.is_working_day(date(2026, 10, 8))
    assert add_working_days(date(2026, 10, 1), 1) == date(2026, 10, 4)


def test_the_module_has_no_hand_written_holiday_list():
    source = inspect.getsource(working_days)
    assert "import chinese_calendar" in source
    # no dates, month-day pairs or holiday names typed into the module
    assert not re.search(r"date\(\s*\d", source)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}-\d{1,2}\b", source)
    for name in ("春节", "国庆", "元旦", "清明", "劳动节", "端午", "中秋", "Spring Festival", "National Day"):
        assert name not in source
