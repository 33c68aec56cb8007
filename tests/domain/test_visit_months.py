"""The month-counting rule of 年度汇总's visits due (app/domain/visit_months.py), the one rule the
laptop's year summary and the console's SQL count share: a child's months worked by hand —
on time, late, overdue, pending in the current month, not due — and the month bounds."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from app.domain.schedule import load_schedule
from app.domain.visit_months import (
    COUNTS,
    ChildMonthFacts,
    CountedMonth,
    count_child_months,
    counted_months,
)
from app.services.year_summary import Period
from sync.server.console.summary_sql_fields import month_index, month_key

TODAY = date(2026, 4, 10)
PERIOD = Period.parse("2026-01", "2026-06")


def test_the_months_begun_by_today_with_their_bounds() -> None:
    months = counted_months(PERIOD.months(), TODAY)
    assert [m.first for m in months] == [date(2026, m, 1) for m in (1, 2, 3, 4)]
    march, april = months[2], months[3]
    assert not march.current and march.as_of == date(2026, 3, 31)
    assert march.overdue_before == date(2026, 4, 1)
    assert april.current and april.as_of == TODAY and april.overdue_before == TODAY
    assert april.eve_key[0] == date(2026, 3, 31)
    # the SQL statements compare months as YYYY-MM text: the same index
    assert [m.index for m in months] == [month_index(month_key(m.first)) for m in months]


def test_a_childs_months_counted_by_hand() -> None:
    schedule = load_schedule()
    months = counted_months(PERIOD.months(), TODAY)
    # requested next dates well inside the default interval: they are the due dates
    visits = [
        (date(2025, 12, 20), date(2026, 1, 15)),  # January due 01-15, visited 01-10: on time
        (date(2026, 1, 10), date(2026, 2, 5)),  # February due 02-05, visited 02-20: late
        (date(2026, 2, 20), date(2026, 3, 10)),  # March due 03-10, visited 03-25: late
        (date(2026, 3, 25), date(2026, 4, 20)),  # April (today 04-10) due 04-20: pending
    ]
    child = ChildMonthFacts(
        child_id="c1",
        categories=frozenset(),
        opened_on=date(2025, 6, 1),
        recognized_on=None,
        visits=visits,
        levels=(),
    )
    counts: Counter[str] = Counter()
    count_child_months(counts, child, months, schedule)
    assert counts == Counter(due=4, on_time=1, late=2, pending=1)

    # opened with no visit: first due `first_visit_within_days` after opening (in March), not
    # due before; overdue in March and still in April (due before today)
    opened = date(2026, 3, 5) - timedelta(days=schedule.first_visit_within_days)
    new = ChildMonthFacts("c2", frozenset(), opened, None, (), ())
    fresh = dict.fromkeys(COUNTS, 0)
    count_child_months(fresh, new, months, schedule)
    assert fresh == {"due": 2, "on_time": 0, "late": 0, "overdue": 2, "pending": 0}

    # only the months the caller says the file is followed in count
    followed_from_april = dict.fromkeys(COUNTS, 0)
    count_child_months(followed_from_april, new, months[3:], schedule)
    assert followed_from_april["due"] == 1 and followed_from_april["overdue"] == 1


def test_a_level_by_the_months_eve_sets_the_interval() -> None:
    """The newest finished assessment by the eve of the month picks the rule; one finished
    in the month counts from the next month on."""
    schedule = load_schedule()
    months = [CountedMonth.of(date(2026, 3, 1), date(2026, 3, 31), TODAY)]
    last_visit = (date(2026, 1, 10), None)
    plain = ChildMonthFacts("c3", frozenset(), date(2025, 1, 1), None, [last_visit], ())
    red_on_eve = ChildMonthFacts(
        "c3",
        frozenset(),
        date(2025, 1, 1),
        None,
        [last_visit],
        [(date(2026, 2, 28), "red", "a1")],
    )
    red_in_month = ChildMonthFacts(
        "c3",
        frozenset(),
        date(2025, 1, 1),
        None,
        [last_visit],
        [(date(2026, 3, 1), "red", "a1")],
    )
    counted = []
    for facts in (plain, red_on_eve, red_in_month):
        counts = dict.fromkeys(COUNTS, 0)
        count_child_months(counts, facts, months, schedule)
        counted.append(counts["due"])
    # the default interval (90 days from 01-10) is not due in March; red is
    assert counted == [0, 1, 0]
