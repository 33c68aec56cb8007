"""The month-counting rule of the visit due list summed over a period (年度汇总's 应走访人次):
which months of the period count, and in which of them a child is due, visited on time or
late, overdue or still pending — the monthly report's definitions applied month by month.

One definition for the laptop's year summary
(:func:`app.services.year_summary.period_visit_counts`, every child) and the console's SQL
count (:mod:`sync.server.console.summary_sql_months`, the children whose months the query
tables cannot answer): both hand this module the months a child's file is followed in and the
child's facts; the SQL statements count the other children by the same :class:`CountedMonth`
bounds (a month is "current" when today falls in it: overdue there means due before today).

For a month: the level is the newest finished assessment by the month's eve (the laptop's
``(date, level, record id)`` order); the due date is :func:`app.domain.schedule.next_due` of
the last visit before the 1st (or of the file's opening); a child whose due date falls after
the month is not due in it. The first visit from the 1st on, up to the month's end or today,
answers it (on time by the due date, else late); without one, the month is overdue when the
due date has passed (the month's end, or today in the current month), else pending.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from app.domain.schedule import ScheduleFacts, VisitSchedule, next_due

COUNTS = ("due", "on_time", "late", "overdue", "pending")


class _Month(Protocol):
    @property
    def first_day(self) -> date: ...

    @property
    def last_day(self) -> date: ...


@dataclass(frozen=True)
class CountedMonth:
    """A month of the period that has begun by today, with the bounds the rule reads
    (computed once: the rule reads them for every child)."""

    first: date
    last: date
    index: int  # months since year 0 (``YYYY-MM`` text sorts as this does)
    current: bool  # today falls in it (not over yet: overdue is "due before today")
    as_of: date  # the last day a visit answers the month by: its end, or today
    overdue_before: date  # a due date before this and no visit: overdue (else pending)
    eve_key: tuple[date, str, str]  # sorts after every assessment finished by the eve

    @classmethod
    def of(cls, first: date, last: date, today: date) -> CountedMonth:
        current = today <= last
        return cls(
            first=first,
            last=last,
            index=first.year * 12 + first.month - 1,
            current=current,
            as_of=min(last, today),
            overdue_before=today if current else last + timedelta(days=1),
            eve_key=(first - timedelta(days=1), "\uffff", "\uffff"),
        )


def counted_months(months: Iterable[_Month], today: date) -> list[CountedMonth]:
    """The months (in order) that have begun by ``today``."""
    return [CountedMonth.of(m.first_day, m.last_day, today) for m in months if m.first_day <= today]


@dataclass(frozen=True)
class ChildMonthFacts:
    """One child's facts the rule reads. ``visits``: (date, requested next date) in the
    laptop's order (date, then hlc); ``levels``: finished assessments (date, level, record id),
    sorted."""

    child_id: str
    categories: frozenset[str]
    opened_on: date
    recognized_on: date | None
    visits: Sequence[tuple[date, date | None]]
    levels: Sequence[tuple[date, str, str]]


def count_child_months(
    counts: MutableMapping[str, int],
    child: ChildMonthFacts,
    months: Iterable[CountedMonth],
    schedule: VisitSchedule,
) -> None:
    """Adds ``child``'s due / on_time / late / overdue / pending over ``months`` (the months
    its file is followed in: the caller's rule) to ``counts``. The schedule is asked again
    only when the last visit or the level before the month changed."""
    days = [on for on, _next in child.visits]
    levels = child.levels
    known: dict[tuple[str | None, int], date] = {}
    for m in months:
        if levels:
            index = bisect.bisect_right(levels, m.eve_key)
            level = levels[index - 1][1] if index else None
        else:
            level = None
        before = bisect.bisect_left(days, m.first)
        due_on = known.get((level, before))
        if due_on is None:
            previous = child.visits[before - 1] if before else None
            due_on = next_due(
                ScheduleFacts(
                    child_id=child.child_id,
                    categories=child.categories,
                    level=level,
                    last_visit=previous[0] if previous else None,
                    requested_next=previous[1] if previous else None,
                    opened_on=child.opened_on,
                    recognized_on=child.recognized_on,
                ),
                schedule,
            ).due
            known[(level, before)] = due_on
        if due_on > m.last:
            continue
        counts["due"] += 1
        if before < len(days) and days[before] <= m.as_of:
            counts["on_time" if days[before] <= due_on else "late"] += 1
        else:
            counts["overdue" if due_on < m.overdue_before else "pending"] += 1
