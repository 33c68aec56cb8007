"""总览's figures for a user's scope and a period, from the query tables (plain Python, no web
imports; scope enforced in every statement, as in queries.py)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection, and_, case, func, select

from sync.server import db
from sync.server.console.queries import (
    STALE_DEVICE_DAYS,
    C,
    add_months,
    months_between,
    scoped,
)
from sync.server.console.query_tables import (
    SEVERITY,
    q_children,
    q_due_days,
    q_due_months,
    q_level_changes,
    q_village_counts,
    q_visit_months,
)
from sync.server.console.scope import Scope

# ----- the overview -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRef:
    child_id: str
    name: str
    village_code: str
    detail: str  # e.g. the new level, the 18th birthday


@dataclass
class Overview:
    start: date
    end: date
    active: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_level: dict[str, int] = field(default_factory=dict)  # "" = not assessed
    upgrades: int = 0  # 升级: to a more severe colour
    downgrades: int = 0  # 降码
    downgraded_from_red: list[ChildRef] = field(default_factory=list)
    months: list[tuple[str, int, int, int]] = field(default_factory=list)  # due, done, on time
    overdue_by_village: list[tuple[str, int, int]] = field(default_factory=list)
    cases_by_stage: dict[str, int] = field(default_factory=dict)
    urgent_cases: int = 0
    turning_18: list[ChildRef] = field(default_factory=list)
    caring_mother: int = 0
    caring_mother_red_orange: tuple[int, int] = (0, 0)  # paired, of the red/orange children
    stale_devices: list[tuple[str, str, str]] = field(default_factory=list)  # id, label, last


def overview(conn: Connection, scope: Scope, start: date, end: date, today: date) -> Overview:
    """The figures of the overview page for ``start``–``end`` (inclusive)."""
    if end < start:
        start, end = end, start
    out = Overview(start, end)
    in_scope = scoped(scope, C.village_code)
    active = and_(in_scope, C.active.is_(True))
    categories: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    V = q_village_counts.c
    counts = scoped(scope, V.village_code)
    red_orange = ("red", "orange")
    # one pass over the per-village counts for categories, levels, cases and caring mothers
    for cats, level, mother, stage, urgent, n in conn.execute(
        select(V.categories, V.level, V.caring_mother, V.case_stage, V.urgent, func.sum(V.children))
        .where(counts)
        .group_by(V.categories, V.level, V.caring_mother, V.case_stage, V.urgent)
    ):
        n = int(n or 0)
        out.active += n
        levels[level or ""] += n
        for cat in (cats or "").strip("|").split("|"):
            if cat:
                categories[cat] += n
        if stage is not None:
            out.cases_by_stage[stage] = out.cases_by_stage.get(stage, 0) + n
            out.urgent_cases += n if urgent else 0
        if mother:
            out.caring_mother += n
        if level in red_orange:
            paired, of = out.caring_mother_red_orange
            out.caring_mother_red_orange = (paired + (n if mother else 0), of + n)
    out.by_category = dict(categories)
    out.by_level = dict(levels)
    L = q_level_changes.c
    in_period = and_(
        scoped(scope, L.village_code),
        L.on_date >= start.isoformat(),
        L.on_date <= end.isoformat(),
    )
    for before, after, n in conn.execute(
        select(L.from_level, L.to_level, func.count())
        .where(in_period)
        .group_by(L.from_level, L.to_level)
    ):
        if SEVERITY.get(after, 0) > SEVERITY.get(before, 0):
            out.upgrades += int(n)
        else:
            out.downgrades += int(n)
    out.downgraded_from_red = [
        ChildRef(row.child_id, row.name, row.village_code, row.to_level)
        for row in conn.execute(
            select(L.child_id, L.to_level, L.village_code, C.name)
            .join(q_children, C.child_id == L.child_id)
            .where(in_period, L.from_level == "red")
            .order_by(L.on_date, L.child_id)
            .limit(1000)
        )
    ]
    out.months = visit_months(conn, scope, months_between(start, end))
    out.overdue_by_village = overdue_by_village(conn, scope, today)
    horizon = add_months(today, 3)
    out.turning_18 = [
        ChildRef(r.child_id, r.name, r.village_code, r.eighteenth)
        for r in conn.execute(
            select(C.child_id, C.name, C.village_code, C.eighteenth)
            .where(
                active,
                C.eighteenth >= today.isoformat(),
                C.eighteenth <= horizon.isoformat(),
            )
            .order_by(C.eighteenth, C.child_id)
            .limit(500)
        )
    ]
    out.stale_devices = stale_devices(conn, scope, today)
    return out


def overdue_by_village(conn: Connection, scope: Scope, today: date) -> list[tuple[str, int, int]]:
    """(village, children overdue, children in use) for every village of the scope with
    children in use, from the counts per due date: every child in use has a next due date
    (query_tables_derive), so a village's months add up to its children in use; overdue are
    the months before today's month and the days of today's month before today."""
    DM, DD = q_due_months.c, q_due_days.c
    this_month = today.isoformat()[:7]
    totals: dict[str, list[int]] = {}
    for v, n, late in conn.execute(
        select(
            DM.village_code,
            func.sum(DM.children),
            func.sum(case((DM.month < this_month, DM.children), else_=0)),
        )
        .where(scoped(scope, DM.village_code))
        .group_by(DM.village_code)
    ):
        totals[str(v)] = [int(late or 0), int(n or 0)]
    for v, n in conn.execute(
        select(DD.village_code, func.sum(DD.children))
        .where(
            scoped(scope, DD.village_code),
            DD.due >= f"{this_month}-01",
            DD.due < today.isoformat(),
        )
        .group_by(DD.village_code)
    ):
        totals[str(v)][0] += int(n or 0)
    return [(v, f[0], f[1]) for v, f in sorted(totals.items()) if f[1] > 0]


def visit_months(
    conn: Connection, scope: Scope, months: list[str]
) -> list[tuple[str, int, int, int]]:
    """(month, due, done, on time) per month: due = visits that answered a due date in the
    month plus children whose next visit is due in it and not made yet."""
    if not months:
        return []
    M = q_visit_months.c
    figures = {m: [0, 0, 0] for m in months}
    for month, due_met, done, on_time in conn.execute(
        select(M.month, func.sum(M.due_met), func.sum(M.done), func.sum(M.on_time))
        .where(scoped(scope, M.village_code), M.month.in_(months))
        .group_by(M.month)
    ):
        figures[month] = [int(due_met or 0), int(done or 0), int(on_time or 0)]
    D = q_due_months.c  # children whose next visit is due in the month
    for month, n in conn.execute(
        select(D.month, func.sum(D.children))
        .where(scoped(scope, D.village_code), D.month.in_(months))
        .group_by(D.month)
    ):
        figures[month][0] += int(n or 0)
    return [(m, *figures[m]) for m in months]  # type: ignore[misc]


def stale_devices(conn: Connection, scope: Scope, today: date) -> list[tuple[str, str, str]]:
    """Devices (not revoked) of the scope's villages with no contact for 30 days."""
    d = db.devices.c
    limit = (today - timedelta(days=STALE_DEVICE_DAYS)).isoformat()
    found = []
    for row in conn.execute(
        select(d.device_id, d.label, d.villages, d.last_contact)
        .where(d.revoked_at.is_(None))
        .order_by(d.device_id)
    ):
        villages = _villages(row.villages)
        if not any(scope.allows_village(v) for v in villages):
            continue
        if not row.last_contact or row.last_contact[:10] < limit:
            found.append((row.device_id, row.label, row.last_contact or ""))
    return found


def _villages(raw: str) -> list[str]:
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
