"""The console's "today" is the district's (China, UTC+8), not the server clock's UTC date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sync.server.console.routes_overview import today


def test_early_morning_in_china_is_already_the_next_day() -> None:
    # 2026-12-02 23:30 UTC is 2026-12-03 07:30 in China: overdue and 本月 count from the 3rd.
    assert today(datetime(2026, 12, 2, 23, 30, tzinfo=UTC)) == date(2026, 12, 3)
    assert today(datetime(2026, 12, 2, 15, 59, tzinfo=UTC)) == date(2026, 12, 2)
    assert today(datetime(2026, 12, 2, 16, 0, tzinfo=UTC)) == date(2026, 12, 3)


def test_month_and_year_ends() -> None:
    assert today(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert today(datetime(2028, 2, 28, 20, 0, tzinfo=UTC)) == date(2028, 2, 29)


def test_a_clock_with_another_offset_gives_the_same_day() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert today(datetime(2026, 12, 2, 18, 30, tzinfo=new_york)) == date(2026, 12, 3)
