"""年度汇总's figures for a user's scope (a town or the district) and a period: activities and
children reached summed across villages, youths turning 18 in the next 12 months per town with
their transition plan's status, and the year-end summary's figures.

The figures are counted in SQL (:mod:`queries_summary_sql`, issue 19: interactive at a city's
scale); :func:`console_summary_python` keeps the former count — the laptop's own
:func:`app.services.year_summary.year_summary` over the scope's records decoded in Python — as
the reference a test holds the SQL count equal to (and bench/summary.py --reference times).

No web imports. Scope is enforced in every statement: children by their village code
(``scoped``), the records linked to a child through the children in scope, activities by their
own village code. A partner (roster) user sees nothing here.

Why one long file: the scope rules, the per-town ageing-out lists, the cache of big scopes and
the Python reference count are the one entry point of 年度汇总 for the routes and the print.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import JSON, Connection, Engine, and_, cast, func, or_, select
from sqlalchemy.exc import DBAPIError

from app.domain.activity import ACTIVITY_TYPE, Activity, ActivityKind, activity_figures
from app.domain.child_file import ChildFile
from app.domain.transition_plan import PlanStatus
from app.domain.visit import Observations, Visit, VisitForm
from app.services.monthly_report import MonthError, ReportMonth
from app.services.stored import Stored
from app.services.visits import VISIT_TYPE
from app.services.year_summary import (
    SUMMARY_TYPES,
    CaseKindFigures,
    Period,
    RawRecord,
    SummaryRecords,
    YearSummary,
    year_summary,
)
from sync.server import db
from sync.server.console.queries import C, add_months, scoped
from sync.server.console.query_tables import pending_count, q_children
from sync.server.console.query_tables_derive import current_schedule
from sync.server.console.scope import Scope
from sync.server.console.summary_sql_fields import load_json

R = db.records.c
CHILD_LINKED_SUMMARY = tuple(t for t in SUMMARY_TYPES if t not in ("child", ACTIVITY_TYPE))
CHILD_LINKED_NOT_VISITS = tuple(t for t in CHILD_LINKED_SUMMARY if t != VISIT_TYPE)


def period_of(start: date, end: date) -> Period:
    """The whole months from ``start``'s to ``end``'s."""
    if end < start:
        start, end = end, start
    return Period(ReportMonth.of(start), ReportMonth.of(end))


def _children_in_scope(scope: Scope) -> Any:
    return select(C.child_id).where(scoped(scope, C.village_code))


def scope_records(conn: Connection, scope: Scope) -> SummaryRecords:
    """Every record the summary reads, of the children and villages in ``scope``. Visits (most
    of the rows) are read as the five fields the summary counts, extracted by the database
    (:func:`_scope_visits`), not as whole JSON bodies parsed here."""
    rows: list[RawRecord] = []
    damaged: list[str] = []
    if scope.role == "partner":
        return SummaryRecords.from_rows(rows)
    visits, visit_damaged = _scope_visits(conn, scope)
    linked = CHILD_LINKED_SUMMARY if visits is None else CHILD_LINKED_NOT_VISITS
    in_scope = or_(
        and_(R.record_type == "child", scoped(scope, R.village_code)),
        and_(R.record_type == ACTIVITY_TYPE, scoped(scope, R.village_code)),
        and_(R.record_type.in_(linked), R.child_id.in_(_children_in_scope(scope))),
    )
    for row in conn.execute(
        select(R.record_id, R.record_type, R.head_hlc, R.data).where(R.deleted.is_(False), in_scope)
    ):
        data = load_json(row.data)
        if data is None:
            damaged.append(row.record_id)
            continue
        rows.append(RawRecord(row.record_type, row.record_id, row.head_hlc, data))
    return SummaryRecords.from_rows(rows, damaged + visit_damaged, visits or ())


def _json_field(conn: Connection, name: str) -> Any:
    if conn.dialect.name == "postgresql":
        return func.json_extract_path_text(cast(R.data, JSON), name)
    return func.json_extract(R.data, f"$.{name}")


def _scope_visits(conn: Connection, scope: Scope) -> tuple[list[Stored[Visit]] | None, list[str]]:
    """The scope's visits as (child, date, form, next visit date) — what the summary reads of
    a visit — extracted in SQL; a visit whose fields do not read is listed as damaged. None
    when the database cannot extract them (a body that is not JSON): the caller then reads
    visits whole, as any other record."""
    statement = select(
        R.record_id,
        R.head_hlc,
        _json_field(conn, "child_id").label("child"),
        _json_field(conn, "on").label("on"),
        _json_field(conn, "form").label("form"),
        _json_field(conn, "next_visit_on").label("next_on"),
    ).where(
        R.deleted.is_(False),
        R.record_type == VISIT_TYPE,
        R.child_id.in_(_children_in_scope(scope)),
    )
    visits: list[Stored[Visit]] = []
    damaged: list[str] = []
    forms = {f.value: f for f in VisitForm}
    parse = date.fromisoformat
    # shared by every visit read here: the summary reads neither (nor changes them), and a
    # city's visits are millions of objects
    met: list[str] = []
    observations = Observations()
    try:
        rows = conn.execute(statement.execution_options(stream_results=True, yield_per=10_000))
        for row in rows:
            if row.child is None:
                damaged.append(row.record_id)
                continue
            try:
                visit = Visit(
                    child_id=str(row.child),
                    on=parse(row.on),
                    form=forms[row.form],
                    met=met,
                    observations=observations,
                    next_visit_on=parse(row.next_on) if row.next_on else None,
                )
            except (KeyError, TypeError, ValueError):
                damaged.append(row.record_id)
                continue
            visits.append(Stored(row.record_id, 0, "", row.head_hlc, visit))
    except DBAPIError:  # nothing was written: on PostgreSQL the failed transaction is ended
        conn.rollback()
        return None, []
    return visits, damaged


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
    activities: list[Activity], first: date, last: date
) -> list[VillageActivities]:
    """Each village's activities of the period, summed (人次 and distinct children)."""
    villages = sorted({a.village_code for a in activities})
    out = []
    for code in villages:
        of_village: list[Activity] = [a for a in activities if a.village_code == code]
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
    from sync.server.console.queries_summary_sql import newest_plans

    plans = newest_plans(conn, (y.child_id for y in youths))
    towns: dict[str, TownYouths] = {}
    for y in youths:
        town = towns.setdefault(y.town_code, TownYouths(y.town_code))
        plan = plans.get(y.child_id)
        status = plan.status if plan is not None else PlanStatus.NONE
        town.youths.append(Youth(y.child_id, y.name, y.village_code, y.eighteenth, status))
    return list(towns.values())


CHUNK_CHILDREN = 20_000  # the Python reference counts a bigger scope town by town


def console_summary(
    conn: Connection,
    scope: Scope,
    start: date,
    end: date,
    today: date,
) -> ConsoleSummary:
    """年度汇总 for ``scope``, counted in SQL (:mod:`queries_summary_sql`; a test holds it
    equal to :func:`console_summary_python`, the laptop's own function over every record):
    raises ``MonthError`` for a period that has not begun."""
    from sync.server.console.queries_summary_sql import sql_year_summary

    period = period_of(start, min(end, today))
    schedule = current_schedule(conn)
    activities = [] if scope.role == "partner" else scope_activities(conn, scope)
    summary = sql_year_summary(
        conn, scope, period, today=today, schedule=schedule, activities=activities
    )
    children = _children_of(conn, {s.value.child_id for s in summary.typical_cases})
    return _console_summary(conn, scope, period, summary, activities, today, children)


def _children_of(conn: Connection, child_ids: set[str]) -> dict[str, ChildFile]:
    """The files of these children (the typical cases', to anonymise them)."""
    out: dict[str, ChildFile] = {}
    ids = sorted(child_ids)
    for start in range(0, len(ids), 500):
        for row in conn.execute(
            select(R.record_id, R.data).where(
                R.record_id.in_(ids[start : start + 500]),
                R.record_type == "child",
                R.deleted.is_(False),
            )
        ):
            data = load_json(row.data)
            if data is None:
                continue
            try:
                out[row.record_id] = ChildFile.from_json(data)
            except (KeyError, TypeError, ValueError):
                continue
    return out


def console_summary_python(
    conn: Connection,
    scope: Scope,
    start: date,
    end: date,
    today: date,
    *,
    chunk_children: int = CHUNK_CHILDREN,
) -> ConsoleSummary:
    """年度汇总 for ``scope`` from every record decoded in Python (the laptop's own
    :func:`year_summary`): the reference the SQL count is held equal to (tests, bench).

    A scope of more than ``chunk_children`` children is counted one town at a time and the
    towns' figures added up (:func:`merge_summaries`: every figure is a count of children,
    records or steps that belong to one town's children; activities, whose children may come
    from two towns, are counted over the whole scope's activities), so a city's district
    never holds every record in memory at once."""
    period = period_of(start, min(end, today))
    schedule = current_schedule(conn)
    towns: list[str] = []
    if scope.role != "partner" and children_in_scope(conn, scope) > chunk_children:
        towns = [
            row[0]
            for row in conn.execute(
                select(C.town_code)
                .where(scoped(scope, C.village_code))
                .distinct()
                .order_by(C.town_code)
            )
        ]
    children: dict[str, ChildFile] = {}
    if len(towns) < 2:
        records = scope_records(conn, scope)
        summary = year_summary(records, period, today=today, schedule=schedule)
        activities = records.activities
        children = _typical_children(summary, records)
    else:
        parts = []
        for town in towns:
            records = scope_records(conn, Scope("town", (town,), scope.user_id))
            part = year_summary(records, period, today=today, schedule=schedule)
            children |= _typical_children(part, records)
            parts.append(part)
            del records
        activities = scope_activities(conn, scope)
        summary = merge_summaries(parts, activities)
    return _console_summary(conn, scope, period, summary, activities, today, children)


def _console_summary(
    conn: Connection,
    scope: Scope,
    period: Period,
    summary: YearSummary,
    activities: list[Activity],
    today: date,
    children: dict[str, ChildFile],
) -> ConsoleSummary:
    """The page's figures around a year summary (counted in SQL or in Python). ``children``:
    only the typical cases' children (to anonymise them): a cached summary of the district
    must not hold every child file of the city."""
    return ConsoleSummary(
        period=period,
        summary=summary,
        by_village=activities_by_village(activities, period.first_day, summary.as_of),
        by_kind={k.kind: k.activities for k in summary.activities.by_kind},
        turning_18=turning_18(conn, scope, today),
        window_end=add_months(today, 12),
        children=children,
    )


def _typical_children(summary: YearSummary, records: SummaryRecords) -> dict[str, ChildFile]:
    known = records.caseload.children
    return {
        s.value.child_id: known[s.value.child_id]
        for s in summary.typical_cases
        if s.value.child_id in known
    }


def scope_activities(conn: Connection, scope: Scope) -> list[Activity]:
    """The activities of the scope's villages (those that do not read are counted as damaged
    by the towns' own reads)."""
    rows = []
    for row in conn.execute(
        select(R.record_id, R.record_type, R.head_hlc, R.data).where(
            R.deleted.is_(False), R.record_type == ACTIVITY_TYPE, scoped(scope, R.village_code)
        )
    ):
        data = load_json(row.data)
        if data is not None:
            rows.append(RawRecord(row.record_type, row.record_id, row.head_hlc, data))
    return SummaryRecords.from_rows(rows).activities


_ADDED = (
    "children_start",
    "children_end",
    "red_downgraded",
    "visits_due",
    "visits_done",
    "visits_on_time",
    "visits_overdue",
    "visits_pending",
    "visit_records",
    "children_visited",
    "assessments",
    "children_assessed",
    "cases_open_at_end",
    "reports_filed",
    "case_reports",
    "escalations",
    "recognitions_submitted",
    "recognitions_confirmed",
    "recognitions_refused",
    "de_facto_at_end",
    "caring_mother_paired",
    "turned_18",
    "archived_18",
    "archived_18_handed_over",
    "damaged",
)
_ADDED_BY_KEY = (
    "categories_start",
    "categories_end",
    "levels_start",
    "levels_end",
    "changes",
    "visits_by_form",
    "turned_18_by_status",
    "screening",
)


def merge_summaries(parts: list[YearSummary], activities: list[Activity]) -> YearSummary:
    """The summary of several towns (same period and day) from each town's: counts added,
    typical cases together in date order, activities counted over ``activities``."""
    base = parts[0]
    changes: dict[str, Any] = {name: sum(getattr(p, name) for p in parts) for name in _ADDED}
    for name in _ADDED_BY_KEY:
        changes[name] = {
            key: sum(getattr(p, name).get(key, 0) for p in parts) for key in getattr(base, name)
        }
    changes["cases_by_kind"] = tuple(
        CaseKindFigures(
            k.kind,
            sum(p.cases_by_kind[i].opened for p in parts),
            sum(p.cases_by_kind[i].closed for p in parts),
        )
        for i, k in enumerate(base.cases_by_kind)
    )
    changes["caring_mother_red_orange"] = (
        sum(p.caring_mother_red_orange[0] for p in parts),
        sum(p.caring_mother_red_orange[1] for p in parts),
    )
    changes["typical_cases"] = tuple(
        sorted(
            (s for p in parts for s in p.typical_cases),
            key=lambda s: (s.value.written_on, s.value.title),
        )
    )
    changes["activities"] = activity_figures(activities, base.period.first_day, base.as_of)
    return replace(base, **changes)


# ----- off the request: a scope too big to count while the page waits ------------------------

INLINE_CHILDREN = 2_000  # a scope of at most this many children is counted in the request
INLINE_ENV = "CHILDDESK_SUMMARY_INLINE_CHILDREN"  # the server's own setting of it (-1: never)


def inline_children_setting() -> int:
    try:
        return int(os.environ.get(INLINE_ENV, INLINE_CHILDREN))
    except ValueError:
        return INLINE_CHILDREN


def data_version(conn: Connection) -> tuple[int, int, int]:
    """Changes whenever records are ingested (a new revision), a schedule is published or the
    query tables catch up: the newest revision's and publication's sequence numbers (primary
    keys: an index look-up) and the children still pending (query_tables.catch_up)."""
    revision = conn.execute(select(func.max(db.revisions.c.seq))).scalar()
    published = conn.execute(select(func.max(db.published.c.pub_seq))).scalar()
    return int(revision or 0), int(published or 0), pending_count(conn)


def children_in_scope(conn: Connection, scope: Scope) -> int:
    if scope.role == "partner":
        return 0
    return int(
        conn.execute(
            select(func.count()).select_from(q_children).where(scoped(scope, C.village_code))
        ).scalar()
        or 0
    )


Key = tuple[str, str, tuple[str, ...], date, date, date]


class SummaryJobs:
    """年度汇总 computed once per scope, period and day, kept until the data changes.

    :meth:`lookup` answers at once: the figures when they are ready (or, for a small scope,
    after counting them in the caller's thread), else ``None`` — the count has been started on
    this object's one worker thread (so at most one summary is counted at a time, never on a
    request worker) and the page asks again. A result is kept with the :func:`data_version` it
    was counted at; after an ingest the next look-up counts afresh. ``MonthError`` (a period
    not begun) is raised by lookup as console_summary raises it."""

    def __init__(self, max_entries: int = 16) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Key, tuple[tuple[int, int, int], Future[ConsoleSummary]]] = (
            OrderedDict()
        )
        self._max = max_entries
        self._pool: ThreadPoolExecutor | None = None

    def _key(self, engine: Engine, scope: Scope, start: date, end: date, today: date) -> Key:
        return (str(engine.url), scope.role, tuple(scope.towns), start, min(end, today), today)

    def lookup(
        self,
        engine: Engine,
        scope: Scope,
        start: date,
        end: date,
        today: date,
        *,
        inline_children: int | None = None,
    ) -> ConsoleSummary | None:
        if inline_children is None:
            inline_children = inline_children_setting()
        key = self._key(engine, scope, start, end, today)
        with engine.connect() as conn:
            version = data_version(conn)
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry[0] == version:
                    self._entries.move_to_end(key)
                    future = entry[1]
                    if not future.done():
                        return None
                    failed = future.exception()
                    if failed is not None and not isinstance(failed, MonthError):
                        del self._entries[key]  # counted again next time
                    return future.result()  # raises the count's error
            if children_in_scope(conn, scope) <= inline_children:
                done: Future[ConsoleSummary] = Future()
                try:
                    done.set_result(console_summary(conn, scope, start, end, today))
                except MonthError as err:
                    done.set_exception(err)
                self._keep(key, version, done)
                return done.result()

        def count() -> ConsoleSummary:
            with engine.connect() as conn:
                return console_summary(conn, scope, start, end, today)

        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(1, thread_name_prefix="console-summary")
                self._keep_locked(key, version, self._pool.submit(count))
        return None

    def _keep(
        self, key: Key, version: tuple[int, int, int], future: Future[ConsoleSummary]
    ) -> None:
        with self._lock:
            self._keep_locked(key, version, future)

    def _keep_locked(
        self, key: Key, version: tuple[int, int, int], future: Future[ConsoleSummary]
    ) -> None:
        self._entries[key] = (version, future)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def wait(self, timeout: float | None = None) -> None:
        """Until every count started has finished (tests, shutdown)."""
        with self._lock:
            futures = [f for _v, f in self._entries.values()]
        wait(futures, timeout)


JOBS = SummaryJobs()
