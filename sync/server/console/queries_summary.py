"""年度汇总's figures for a user's scope (a town or the district) and a period: activities and
children reached summed across villages, youths turning 18 in the next 12 months per town with
their transition plan's status, and the year-end summary's figures
(:func:`app.services.year_summary.year_summary`, the laptop's own function) over the scope's
merged records.

Plain Python, no web imports. Scope is enforced in every statement: children by their village
code (``scoped``), the records linked to a child through the children in scope, activities by
their own village code. A partner (roster) user sees nothing here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from app.domain.activity import Activity, ActivityKind, activity_figures
from app.domain.child_file import ChildFile
from app.domain.transition_plan import PlanStatus, TransitionPlan
from app.services.monthly_report import ReportMonth
from app.services.year_summary import (
    ACTIVITY_TYPE,
    SUMMARY_TYPES,
    TRANSITION_PLAN_TYPE,
    Period,
    RawRecord,
    SummaryRecords,
    YearSummary,
    year_summary,
)
from sync.server import db
from sync.server.console.queries import C, add_months, scoped
from sync.server.console.query_tables_derive import current_schedule
from sync.server.console.scope import Scope

R = db.records.c
CHILD_LINKED_SUMMARY = tuple(t for t in SUMMARY_TYPES if t not in ("child", ACTIVITY_TYPE))


def _load(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def period_of(start: date, end: date) -> Period:
    """The whole months from ``start``'s to ``end``'s."""
    if end < start:
        start, end = end, start
    return Period(ReportMonth.of(start), ReportMonth.of(end))


def _children_in_scope(scope: Scope) -> Any:
    return select(C.child_id).where(scoped(scope, C.village_code))


def scope_records(conn: Connection, scope: Scope) -> SummaryRecords:
    """Every record the summary reads, of the children and villages in ``scope``."""
    rows: list[RawRecord] = []
    damaged: list[str] = []
    if scope.role == "partner":
        return SummaryRecords.from_rows(rows)
    in_scope = or_(
        and_(R.record_type == "child", scoped(scope, R.village_code)),
        and_(R.record_type == ACTIVITY_TYPE, scoped(scope, R.village_code)),
        and_(
            R.record_type.in_(CHILD_LINKED_SUMMARY),
            R.child_id.in_(_children_in_scope(scope)),
        ),
    )
    for row in conn.execute(
        select(R.record_id, R.record_type, R.head_hlc, R.data).where(R.deleted.is_(False), in_scope)
    ):
        data = _load(row.data)
        if data is None:
            damaged.append(row.record_id)
            continue
        rows.append(RawRecord(row.record_type, row.record_id, row.head_hlc, data))
    return SummaryRecords.from_rows(rows, damaged)


@dataclass(frozen=True)
class VillageActivities:
    village_code: str
    activities: int
    child_attendances: int
    children_reached: int
    all_attendances: int


@dataclass(frozen=True)
class Youth:
    child_id: str
    name: str
    village_code: str
    eighteenth: str
    status: PlanStatus


@dataclass
class TownYouths:
    town_code: str
    youths: list[Youth] = field(default_factory=list)

    def count(self, status: PlanStatus) -> int:
        return sum(1 for y in self.youths if y.status == status)


@dataclass
class ConsoleSummary:
    period: Period
    summary: YearSummary
    by_village: list[VillageActivities]
    by_kind: dict[ActivityKind, int]
    turning_18: list[TownYouths]
    window_end: date
    children: dict[str, ChildFile]  # of the scope: the typical cases are anonymised with them


def activities_by_village(
    records: SummaryRecords, first: date, last: date
) -> list[VillageActivities]:
    """Each village's activities of the period, summed (人次 and distinct children)."""
    villages = sorted({a.village_code for a in records.activities})
    out = []
    for code in villages:
        of_village: list[Activity] = [a for a in records.activities if a.village_code == code]
        f = activity_figures(of_village, first, last)
        if f.activities:
            out.append(
                VillageActivities(
                    code, f.activities, f.child_attendances, f.children_reached, f.all_attendances
                )
            )
    return out


def turning_18(conn: Connection, scope: Scope, today: date, months: int = 12) -> list[TownYouths]:
    """Youths in use whose 18th birthday falls in the next ``months`` months, per town, with
    their transition plan's status (未建立 when none)."""
    end = add_months(today, months)
    youths = conn.execute(
        select(C.child_id, C.name, C.village_code, C.town_code, C.eighteenth)
        .where(
            scoped(scope, C.village_code),
            C.active.is_(True),
            C.eighteenth >= today.isoformat(),
            C.eighteenth <= end.isoformat(),
        )
        .order_by(C.town_code, C.eighteenth, C.child_id)
    ).all()
    statuses: dict[str, tuple[str, PlanStatus]] = {}
    ids = [y.child_id for y in youths]
    for start in range(0, len(ids), 500):
        for row in conn.execute(
            select(R.child_id, R.head_hlc, R.data).where(
                R.record_type == TRANSITION_PLAN_TYPE,
                R.deleted.is_(False),
                R.child_id.in_(ids[start : start + 500]),
            )
        ):
            data = _load(row.data)
            if data is None:
                continue
            try:
                status = TransitionPlan.from_json(data).status
            except (KeyError, TypeError, ValueError):
                continue
            known = statuses.get(row.child_id)
            if known is None or row.head_hlc > known[0]:
                statuses[row.child_id] = (row.head_hlc, status)
    towns: dict[str, TownYouths] = {}
    for y in youths:
        town = towns.setdefault(y.town_code, TownYouths(y.town_code))
        status = statuses.get(y.child_id, ("", PlanStatus.NONE))[1]
        town.youths.append(Youth(y.child_id, y.name, y.village_code, y.eighteenth, status))
    return list(towns.values())


def console_summary(
    conn: Connection, scope: Scope, start: date, end: date, today: date
) -> ConsoleSummary:
    """年度汇总 for ``scope``: raises ``MonthError`` for a period that has not begun."""
    period = period_of(start, min(end, today))
    records = scope_records(conn, scope)
    summary = year_summary(records, period, today=today, schedule=current_schedule(conn))
    first, last = period.first_day, summary.as_of
    return ConsoleSummary(
        period=period,
        summary=summary,
        by_village=activities_by_village(records, first, last),
        by_kind={k.kind: k.activities for k in summary.activities.by_kind},
        turning_18=turning_18(conn, scope, today),
        window_end=add_months(today, 12),
        children=records.caseload.children,
    )
