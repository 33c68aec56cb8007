"""Chinese working days (issue 17): weekends, statutory holidays, 调休 make-up Saturdays and the
year end with and without the next year's calendar."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.working_days import (
    PACKAGE_YEARS,
    Calendar,
    YearCalendar,
    calendar_from_data,
    china_date,
)

CAL = Calendar()

# 2027 as the district might enter it (an illustrative announcement, not the official one).
Y2027 = YearCalendar(
    2027,
    holidays=frozenset(
        [date(2027, 1, 1)]
        + [date(2027, 2, d) for d in range(6, 13)]  # Spring Festival 2027-02-06 … 02-12
    ),
    workdays=frozenset([date(2027, 2, 13), date(2027, 2, 14)]),
)


def test_package_is_pinned_and_covers_2026() -> None:
    assert 2026 in PACKAGE_YEARS and 2004 in PACKAGE_YEARS
    assert CAL.knows(2026)


def test_plain_weeks_skip_the_weekend() -> None:
    # Monday 2026-03-02 → ten working days later is Monday 2026-03-16.
    d = CAL.add_working_days(date(2026, 3, 2), 10)
    assert d.due == date(2026, 3, 16) and not d.approximate
    # Submitted on a Friday: the weekend is not counted.
    assert CAL.add_working_days(date(2026, 3, 6), 1).due == date(2026, 3, 9)
    # Submitted on a Saturday: the next working day is Monday.
    assert CAL.add_working_days(date(2026, 3, 7), 1).due == date(2026, 3, 9)


def test_national_day_and_its_make_up_saturday() -> None:
    # 2026: 10-01 … 10-07 off, Saturday 10-10 is a working day (调休); Sunday 09-20 too.
    assert CAL.is_working_day(date(2026, 10, 1)) == (False, True)
    assert CAL.is_working_day(date(2026, 10, 10)) == (True, True)
    assert CAL.is_working_day(date(2026, 9, 20)) == (True, True)
    # Submitted Tuesday 2026-09-29: 9-30 (1), 10-08 (2), 10-09 (3), Saturday 10-10 (4),
    # 10-12 … 10-16 (5–9), 10-19 (10).
    d = CAL.add_working_days(date(2026, 9, 29), 10)
    assert d.due == date(2026, 10, 19) and not d.approximate


def test_spring_festival_2026() -> None:
    # 2026-02-15 … 02-23 off; Saturday 02-14 and Saturday 02-28 are working days.
    assert CAL.is_working_day(date(2026, 2, 14))[0]
    assert not CAL.is_working_day(date(2026, 2, 16))[0]
    # Thursday 02-12: 02-13 (1), Sat 02-14 (2), 02-24 (3), 02-25 (4), 02-26 (5), 02-27 (6),
    # Sat 02-28 (7), 03-02 (8), 03-03 (9), 03-04 (10).
    assert CAL.add_working_days(date(2026, 2, 12), 10).due == date(2026, 3, 4)


def test_year_end_without_next_years_calendar_is_approximate() -> None:
    assert not CAL.knows(2027)
    # Thursday 2026-12-24: 12-25 (1), 12-28…12-31 (2–5), then 2027 counted Monday–Friday:
    # Fri 01-01 (6), 01-04…01-07 (7–10).
    d = CAL.add_working_days(date(2026, 12, 24), 10)
    assert d.due == date(2027, 1, 7)
    assert d.approximate and d.unknown_years == (2027,)


def test_year_end_with_the_districts_calendar_for_next_year() -> None:
    cal = Calendar([Y2027])
    d = cal.add_working_days(date(2026, 12, 24), 10)
    # 2027-01-01 is a holiday: 01-04…01-08 are working days 6–10.
    assert d.due == date(2027, 1, 8) and not d.approximate
    # The make-up Sunday counts, the festival does not.
    assert cal.is_working_day(date(2027, 2, 14)) == (True, True)
    assert cal.is_working_day(date(2027, 2, 8)) == (False, True)


def test_district_years_round_trip_and_bad_entries_are_skipped() -> None:
    data = Y2027.to_data()
    assert YearCalendar.from_data(data) == Y2027
    cal = calendar_from_data([data, {"year": "2028"}, {"year": 2029, "holidays": ["x"]}])
    assert cal.knows(2027) and not cal.knows(2028) and not cal.knows(2029)
    with pytest.raises(ValueError):
        YearCalendar(2027, frozenset([date(2028, 1, 1)]), frozenset())
    with pytest.raises(ValueError):
        YearCalendar(2027, frozenset([date(2027, 1, 1)]), frozenset([date(2027, 1, 1)]))


def test_days_left_and_overdue() -> None:
    due = date(2026, 3, 16)  # a Monday
    assert CAL.days_until(date(2026, 3, 16), due) == 0
    assert CAL.days_until(date(2026, 3, 13), due) == 1  # Friday → Monday
    assert CAL.days_until(date(2026, 3, 17), due) == -1
    assert CAL.days_until(date(2026, 3, 23), due) == -5


def test_china_date_of_a_utc_time() -> None:
    assert china_date("2026-12-31T17:00:00Z") == date(2027, 1, 1)
    assert china_date("2026-12-31T15:59:59Z") == date(2026, 12, 31)
    assert china_date("2026-12-31") == date(2026, 12, 31)
