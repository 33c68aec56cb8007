"""Visit schedule: the longest allowed interval between visits, as data
(``resources/schedule/visit_schedule.json``), and the due / overdue lists built from it.

A child matching several rules gets the shortest interval. A rule marked
``per_calendar_month`` also requires a visit in every calendar month (the seed's
"每月不少于1次"), so the due date is never later than the end of the month after the last
visit's month. A next-visit date the director set earlier than the rule is honoured.

A rule for 事实无人抚养儿童 (its categories name ``de_facto_unsupported``) counts from the
district's confirmation of the recognition when that is later than the last visit: the monthly
cycle starts on the day the child was recognized, so a child visited rarely before is not
overdue the moment the recognition arrives, and is due within a month of it.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from resources import resource_path

LEVELS = ("green", "yellow", "orange", "red")
RECOGNIZED_CATEGORY = "de_facto_unsupported"  # 事实无人抚养儿童 (ChildCategory value)


@dataclass(frozen=True)
class ScheduleRule:
    rule_id: str
    categories: frozenset[str]
    levels: frozenset[str]
    max_interval_days: int
    per_calendar_month: bool
    reason_zh: str

    def applies(self, categories: frozenset[str], level: str | None) -> bool:
        if self.categories and not (self.categories & categories):
            return False
        return not self.levels or level in self.levels


@dataclass(frozen=True)
class VisitSchedule:
    schedule_id: str
    version: str
    rules: tuple[ScheduleRule, ...]
    default_max_interval_days: int
    first_visit_within_days: int
    due_soon_days: int

    def matching(self, categories: frozenset[str], level: str | None) -> tuple[ScheduleRule, ...]:
        return _matching(self, categories, level)


@lru_cache(maxsize=4096)
def _matching(
    schedule: VisitSchedule, categories: frozenset[str], level: str | None
) -> tuple[ScheduleRule, ...]:
    # A village has a handful of category/level combinations: match each once, not per child.
    return tuple(r for r in schedule.rules if r.applies(categories, level))


@dataclass(frozen=True)
class ScheduleFacts:
    """What the schedule needs to know about one child."""

    child_id: str
    categories: frozenset[str]
    level: str | None  # from the latest finished assessment; None if never assessed
    last_visit: date | None
    requested_next: date | None  # next visit date written on the last visit record
    opened_on: date  # when the file was created
    # When the district confirmed the 事实无人抚养 recognition (the child file's
    # ``recognition_confirmed_on``): the monthly rule for those children counts from it.
    recognized_on: date | None = None


@dataclass(frozen=True)
class DueInfo:
    child_id: str
    due: date
    reasons_zh: tuple[str, ...]

    def days_overdue(self, today: date) -> int:
        return (today - self.due).days


@dataclass(frozen=True)
class DueLists:
    overdue: list[DueInfo]
    due_soon: list[DueInfo]


class ScheduleDefinitionError(ValueError):
    pass


def _end_of_next_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


@lru_cache(maxsize=4096)
def _rule_summary(
    schedule: VisitSchedule, categories: frozenset[str], level: str | None
) -> tuple[int, bool, tuple[str, ...]]:
    """(longest interval, per-calendar-month, reasons) for one category/level combination."""
    rules = schedule.matching(categories, level)
    interval = min([r.max_interval_days for r in rules], default=schedule.default_max_interval_days)
    reasons = tuple(r.reason_zh for r in rules) or (
        f"默认：每 {schedule.default_max_interval_days} 天至少走访1次",
    )
    return interval, any(r.per_calendar_month for r in rules), reasons


def next_due(facts: ScheduleFacts, schedule: VisitSchedule) -> DueInfo:
    if facts.last_visit is None:
        return DueInfo(
            facts.child_id,
            facts.opened_on + timedelta(days=schedule.first_visit_within_days),
            ("新建档案：请尽快首次走访",),
        )
    interval, monthly, reasons = _rule_summary(schedule, facts.categories, facts.level)
    due = facts.last_visit + timedelta(days=interval)
    if monthly:
        due = min(due, _end_of_next_month(facts.last_visit))
    recognized = facts.recognized_on
    if recognized is not None and recognized > facts.last_visit:
        keyed = _due_from_recognition(facts, schedule, recognized)
        if keyed is not None:
            due, reasons = keyed
    if facts.requested_next is not None and facts.requested_next < due:
        due = facts.requested_next
        reasons = ("上次走访时约定的下次走访日期", *reasons)
    return DueInfo(facts.child_id, due, reasons)


def _due_from_recognition(
    facts: ScheduleFacts, schedule: VisitSchedule, recognized: date
) -> tuple[date, tuple[str, ...]] | None:
    """Rule by rule: the rules for recognized children count from the confirmation date, the
    others from the last visit; the earliest due date wins. None when no such rule applies."""
    rules = schedule.matching(facts.categories, facts.level)
    if facts.last_visit is None or not any(RECOGNIZED_CATEGORY in r.categories for r in rules):
        return None
    due = date.max
    reasons: list[str] = []
    for r in rules:
        keyed = RECOGNIZED_CATEGORY in r.categories
        base = recognized if keyed else facts.last_visit
        rule_due = base + timedelta(days=r.max_interval_days)
        if r.per_calendar_month:
            rule_due = min(rule_due, _end_of_next_month(base))
        due = min(due, rule_due)
        reasons.append(
            f"{r.reason_zh}（从 {recognized.isoformat()} 认定之日起算）" if keyed else r.reason_zh
        )
    return due, tuple(reasons)


def due_lists(children: Iterable[ScheduleFacts], schedule: VisitSchedule, today: date) -> DueLists:
    """Overdue (most overdue first) and due within ``due_soon_days`` (soonest first)."""
    horizon = today + timedelta(days=schedule.due_soon_days)
    overdue: list[DueInfo] = []
    soon: list[DueInfo] = []
    for facts in children:
        info = next_due(facts, schedule)
        if info.due < today:
            overdue.append(info)
        elif info.due <= horizon:
            soon.append(info)
    overdue.sort(key=lambda i: i.due)
    soon.sort(key=lambda i: i.due)
    return DueLists(overdue, soon)


def schedule_from_json(data: dict[str, Any]) -> VisitSchedule:
    try:
        rules = []
        for raw in data["rules"]:
            levels = frozenset(raw.get("levels", []))
            if not levels <= set(LEVELS):
                raise ScheduleDefinitionError(
                    f"rule {raw['id']}: unknown level in {sorted(levels)}"
                )
            interval = int(raw["max_interval_days"])
            if interval < 1:
                raise ScheduleDefinitionError(f"rule {raw['id']}: max_interval_days must be >= 1")
            rules.append(
                ScheduleRule(
                    rule_id=str(raw["id"]),
                    categories=frozenset(raw.get("categories", [])),
                    levels=levels,
                    max_interval_days=interval,
                    per_calendar_month=bool(raw.get("per_calendar_month", False)),
                    reason_zh=str(raw.get("reason_zh", "")),
                )
            )
        return VisitSchedule(
            schedule_id=str(data["id"]),
            version=str(data["version"]),
            rules=tuple(rules),
            default_max_interval_days=int(data["default_max_interval_days"]),
            first_visit_within_days=int(data["first_visit_within_days"]),
            due_soon_days=int(data["due_soon_days"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, ScheduleDefinitionError):
            raise
        raise ScheduleDefinitionError(f"bad visit schedule definition: {err!r}") from err


def load_schedule(path: Path | None = None) -> VisitSchedule:
    path = path or resource_path("schedule", "visit_schedule.json")
    return schedule_from_json(json.loads(path.read_text(encoding="utf-8")))
