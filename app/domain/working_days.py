"""Chinese working days (issue 17): weekends, statutory holidays and 调休 make-up working days.

The statutory calendar comes from the maintained ``chinesecalendar`` package (import name
``chinese_calendar``, pinned in pyproject.toml; 1.11.0 knows 2004–2026). Each November the State
Council announces the next year; until a new release of the package has it, the district enters
that year's holidays and make-up working days in the console (:class:`YearCalendar`, a plain data
structure the district server stores and sends to laptops). A year supplied by the district
replaces the package's for that year. For a year neither knows, Monday–Friday count as working
days and every answer says it is approximate (``approximate=True``), which the pages show.

A deadline of *n* working days after a date does not count that date: submitted on a Monday with
no holiday, 10 working days end on the Friday of the next week but one… counted from the next day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import chinese_calendar
from chinese_calendar import constants as _cc

CHINA_OFFSET = timedelta(hours=8)


def china_date(at: str) -> date:
    """The date in China (UTC+8) of an ISO 8601 UTC time such as ``2026-12-31T17:00:00Z``."""
    text = at.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment.astimezone(UTC) + CHINA_OFFSET).date()


def _package_years() -> frozenset[int]:
    years = {d.year for d in _cc.holidays} | {d.year for d in _cc.workdays}
    return frozenset(years)


PACKAGE_YEARS = _package_years()


@dataclass(frozen=True)
class YearCalendar:
    """One year's official calendar as the district enters it: the statutory holidays (days off
    that would otherwise be working days, or all days of the holiday — weekends in it change
    nothing) and the make-up working days (调休, weekend days that are working days)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def __post_init__(self) -> None:
        for day in self.holidays | self.workdays:
            if day.year != self.year:
                raise ValueError(f"{day.isoformat()} is not in {self.year}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} is both a holiday and a working day")

    def to_data(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> YearCalendar:
        """Raises ValueError on anything but ``{"year": int, "holidays": [ISO dates],
        "workdays": [ISO dates]}``."""
        year = data.get("year")
        if type(year) is not int or not 2000 <= year <= 2200:
            raise ValueError("year")
        days: dict[str, frozenset[date]] = {}
        for key in ("holidays", "workdays"):
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(key)
            days[key] = frozenset(date.fromisoformat(v) for v in value)
        return cls(year, days["holidays"], days["workdays"])


@dataclass(frozen=True)
class Deadline:
    due: date
    approximate: bool  # some day counted fell in a year whose official calendar is unknown
    unknown_years: tuple[int, ...] = ()


class Calendar:
    """Working days from the package, overridden per year by the district's entries."""

    def __init__(self, extra: Iterable[YearCalendar] = (), *, use_package: bool = True) -> None:
        self.extra = {y.year: y for y in extra}
        self.package_years = PACKAGE_YEARS if use_package else frozenset()

    def knows(self, year: int) -> bool:
        return year in self.extra or year in self.package_years

    def is_working_day(self, day: date) -> tuple[bool, bool]:
        """``(working, exact)``: exact is False when the year is unknown (Monday–Friday)."""
        supplied = self.extra.get(day.year)
        if supplied is not None:
            if day in supplied.workdays:
                return True, True
            if day in supplied.holidays:
                return False, True
            return day.weekday() < 5, True
        if day.year in self.package_years:
            return bool(chinese_calendar.is_workday(day)), True
        return day.weekday() < 5, False

    def add_working_days(self, start: date, count: int) -> Deadline:
        """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day, found = start, 0
        unknown: set[int] = set()
        while found < count:
            day += timedelta(days=1)
            working, exact = self.is_working_day(day)
            if not exact:
                unknown.add(day.year)
            if working:
                found += 1
        return Deadline(day, bool(unknown), tuple(sorted(unknown)))

    def days_until(self, today: date, due: date) -> int:
        """Working days left until ``due`` (0 on the day itself), negative when overdue: the
        working days after ``due`` up to and including ``today``."""
        if today <= due:
            return self._count(today, due)
        return -self._count(due, today)

    def span_is_exact(self, first: date, last: date) -> bool:
        return all(self.knows(y) for y in range(first.year, last.year + 1))

    def _count(self, after: date, through: date) -> int:
        n, day = 0, after
        while day < through:
            day += timedelta(days=1)
            if self.is_working_day(day)[0]:
                n += 1
        return n


def deadline_after(start: date, count: int, calendar: Calendar) -> Deadline:
    return calendar.add_working_days(start, count)


def calendar_from_data(entries: Iterable[Mapping[str, Any]]) -> Calendar:
    """A calendar with the district's entries (as stored and synced); a malformed entry is
    skipped (its year then counts as unknown unless the package knows it)."""
    years: list[YearCalendar] = []
    for entry in entries:
        try:
            years.append(YearCalendar.from_data(entry))
        except (ValueError, TypeError):
            continue
    return Calendar(years)
