"""A child's page and the villages/directors page, within a user's :class:`Scope` (plain
Python, no web imports). A child or village outside the scope raises
:class:`~sync.server.console.queries.OutOfScopeError` before anything of it is read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from sync.server import db
from sync.server.console.queries import (
    NotFoundError,
    OutOfScopeError,
    add_months,
    months_between,
    scoped,
)
from sync.server.console.query_tables import (
    q_children,
    q_due_days,
    q_due_months,
    q_level_changes,
    q_visit_months,
    q_visits,
)
from sync.server.console.scope import Scope

C = q_children.c
R = db.records.c
CHILD_ID_LENGTH = 32


@dataclass
class ChildPage:
    child_id: str
    summary: dict[str, Any]  # the q_children row
    data: dict[str, Any]  # the merged child file as the district holds it
    visits: list[dict[str, Any]] = field(default_factory=list)  # newest first, with on_time
    assessments: list[dict[str, Any]] = field(default_factory=list)  # newest first
    level_history: list[tuple[str, str, str]] = field(default_factory=list)  # on, from, to
    cases: list[dict[str, Any]] = field(default_factory=list)
    duplicates_in_scope: list[tuple[str, str]] = field(default_factory=list)  # id, village
    duplicates_elsewhere: int = 0  # files with this ID number outside the user's scope


def _load(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def child_page(conn: Connection, scope: Scope, child_id: str) -> ChildPage:
    """Everything the child's page shows. NotFoundError for an unknown id; OutOfScopeError for
    a child of a village outside the scope (checked before reading the file)."""
    if not child_id or len(child_id) > CHILD_ID_LENGTH or not child_id.isalnum():
        raise NotFoundError(child_id[:40])
    summary = conn.execute(select(q_children).where(C.child_id == child_id)).mappings().first()
    if summary is None:
        raise NotFoundError(child_id)
    if not scope.allows_village(summary["village_code"]):
        raise OutOfScopeError(child_id)
    record = conn.execute(
        select(R.data).where(R.record_id == child_id, R.record_type == "child")
    ).scalar_one()
    page = ChildPage(child_id, dict(summary), _load(record))
    on_time = {
        r.visit_id: bool(r.on_time)
        for r in conn.execute(
            select(q_visits.c.visit_id, q_visits.c.on_time).where(q_visits.c.child_id == child_id)
        )
    }
    for row in conn.execute(
        select(R.record_id, R.record_type, R.data).where(
            R.child_id == child_id,
            R.record_type.in_(("visit", "assessment", "case")),
            R.deleted.is_(False),
        )
    ):
        data = {**_load(row.data), "record_id": row.record_id}
        if row.record_type == "visit":
            data["on_time"] = on_time.get(row.record_id)
            page.visits.append(data)
        elif row.record_type == "assessment":
            page.assessments.append(data)
        else:
            page.cases.append(data)
    page.visits.sort(key=lambda v: (str(v.get("on", "")), v["record_id"]), reverse=True)
    page.assessments.sort(
        key=lambda a: (str(a.get("finished_on") or a.get("started_on") or ""), a["record_id"]),
        reverse=True,
    )
    page.cases.sort(key=lambda c: (str(c.get("opened_on", "")), c["record_id"]), reverse=True)
    L = q_level_changes.c
    page.level_history = [
        (r.on_date, r.from_level, r.to_level)
        for r in conn.execute(
            select(L.on_date, L.from_level, L.to_level)
            .where(L.child_id == child_id)
            .order_by(L.on_date, L.assessment_id)
        )
    ]
    if summary["id_key"]:
        for other, village in conn.execute(
            select(C.child_id, C.village_code).where(
                C.id_key == summary["id_key"], C.child_id != child_id
            )
        ):
            if scope.allows_village(village):
                page.duplicates_in_scope.append((other, village))
            else:
                page.duplicates_elsewhere += 1
    return page


# ----- villages and directors -------------------------------------------------------------


@dataclass
class VillageRow:
    village_code: str
    directors: list[str] = field(default_factory=list)
    devices: list[tuple[str, str, str]] = field(default_factory=list)  # id, label, last contact
    children: int = 0
    overdue: int = 0
    month_done: int = 0
    month_on_time: int = 0
    month_due: int = 0
    year_done: int = 0
    year_on_time: int = 0
    year_due: int = 0

    @property
    def last_sync(self) -> str:
        return max((d[2] for d in self.devices), default="")


def _devices(conn: Connection, scope: Scope) -> dict[str, list[tuple[str, str, str]]]:
    d = db.devices.c
    by_village: dict[str, list[tuple[str, str, str]]] = {}
    for row in conn.execute(
        select(d.device_id, d.label, d.villages, d.last_contact)
        .where(d.revoked_at.is_(None))
        .order_by(d.device_id)
    ):
        try:
            villages = json.loads(row.villages)
        except ValueError:
            continue
        for v in villages if isinstance(villages, list) else []:
            if isinstance(v, str) and scope.allows_village(v):
                by_village.setdefault(v, []).append(
                    (row.device_id, row.label, row.last_contact or "")
                )
    return by_village


def villages(
    conn: Connection, scope: Scope, today: date, only: str | None = None
) -> list[VillageRow]:
    """Per village of the scope (or only the village ``only``): directors, devices and last
    sync, children, overdue visits, visits this month and over the last 12 months (done, on
    time, due).

    Reads the per-village tables kept on ingest, not every child's row: children in use and
    overdue from the children counted by next due month (``q_due_months``: every child in use
    has a next due date, so a village's months add up to its children in use; overdue are the
    months before today's month) and by day (``q_due_days``: the days of today's month before
    today); visits from ``q_visit_months``; "due" adds the children whose next visit falls due
    in the month and is not made yet (``q_due_months`` again)."""
    rows: dict[str, VillageRow] = {}

    def get(code: str) -> VillageRow:
        if code not in rows:
            rows[code] = VillageRow(code)
        return rows[code]

    def where(column: Any) -> Any:
        return and_(scoped(scope, column), column == only) if only else scoped(scope, column)

    for code, devices in _devices(conn, scope).items():
        if only is None or code == only:
            get(code).devices = devices
    this_month = today.isoformat()[:7]
    months = months_between(add_months(today, -11), today)
    D, DD, M = q_due_months.c, q_due_days.c, q_visit_months.c
    pending_year = case((D.month.between(months[0], this_month), D.children), else_=0)
    for code, n, late, year, month in conn.execute(
        select(
            D.village_code,
            func.sum(D.children),
            func.sum(case((D.month < this_month, D.children), else_=0)),
            func.sum(pending_year),
            func.sum(case((D.month == this_month, D.children), else_=0)),
        )
        .where(where(D.village_code))
        .group_by(D.village_code)
    ):
        row = get(str(code))
        row.children, row.overdue = int(n or 0), int(late or 0)
        row.year_due, row.month_due = int(year or 0), int(month or 0)
    for code, n in conn.execute(
        select(DD.village_code, func.sum(DD.children))
        .where(
            where(DD.village_code),
            DD.due >= f"{this_month}-01",
            DD.due < today.isoformat(),
        )
        .group_by(DD.village_code)
    ):
        get(str(code)).overdue += int(n or 0)
    for code, month, done, on_time, due_met in conn.execute(
        select(M.village_code, M.month, M.done, M.on_time, M.due_met).where(
            where(M.village_code), M.month.in_(months)
        )
    ):
        row = get(code)
        row.year_done += int(done)
        row.year_on_time += int(on_time)
        row.year_due += int(due_met)
        if month == this_month:
            row.month_done, row.month_on_time = int(done), int(on_time)
            row.month_due += int(due_met)
    # A director's profile is held by its village, never by a child (store.py: VILLAGE_HELD):
    # ``child_id IS NULL`` lets the records_child index find the few such records instead of
    # reading every record of the scope's villages (a district user: every record, ~6 million
    # at city scale) to look at its type.
    for record in conn.execute(
        select(R.village_code, R.data).where(
            R.child_id.is_(None),
            R.record_type == "director_profile",
            R.deleted.is_(False),
            where(R.village_code),
        )
    ):
        name = _load(record.data).get("name")
        if record.village_code and isinstance(name, str) and name:
            get(record.village_code).directors.append(name[:60])
    for row in rows.values():
        row.directors.sort()
    return [rows[k] for k in sorted(rows) if scope.allows_village(k)]


@dataclass(frozen=True)
class OverdueChild:
    child_id: str
    name: str
    next_due: str
    days_overdue: int
    level: str | None
    last_visit: str | None


def village_overdue(
    conn: Connection, scope: Scope, village_code: str, today: date, limit: int = 500
) -> list[OverdueChild]:
    """The overdue children of one village, most overdue first."""
    if not scope.allows_village(village_code):
        raise OutOfScopeError(village_code[:12])
    return [
        OverdueChild(
            r.child_id,
            r.name,
            r.next_due,
            (today - date.fromisoformat(r.next_due)).days,
            r.level,
            r.last_visit,
        )
        for r in conn.execute(
            select(C.child_id, C.name, C.next_due, C.level, C.last_visit)
            .where(
                and_(
                    scoped(scope, C.village_code),
                    C.village_code == village_code,
                    C.active.is_(True),
                    C.next_due < today.isoformat(),
                )
            )
            .order_by(C.next_due, C.child_id)
            .limit(limit)
        )
    ]


def recent_window(today: date) -> tuple[date, date]:
    """The default overview period: the last 12 months up to today."""
    return add_months(today, -12) + timedelta(days=1), today
