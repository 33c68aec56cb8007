"""年度汇总's figures counted in SQL (issue 19 at city scale, issue 16): the figures of
:func:`app.services.year_summary.year_summary` for a scope and a period, counted by the
database over the query tables and the records (GROUP BY, for SQLite and PostgreSQL) instead
of decoding every record of the scope in Python. A test holds the two equal on synced data.

What is counted where:

- **Children followed, categories, levels, caring mothers, 事实无人抚养 at the end**: one
  statement over ``q_children`` joined to the child records' few dated fields (opened, status,
  archive, transfer, caring mother, extracted by the database) and each child's level at the
  period's eve and at its end (the newest finished assessment by that day, from the assessment
  records' date and level), grouped by every combination of those facts: a few thousand rows.
- **Level changes, assessments**: the finished assessments in date order (``LAG``), counted.
- **Visits due and done, month by month**: the due date a visit answered and the next due date
  are in ``q_visits`` and ``q_children`` (the laptop's rules, derived on ingest). For a child in
  use whose level did not change from the period's eve on, month M's due date is the
  ``due_before`` of its first visit on or after the 1st of M, else its ``next_due`` — so the
  visits of the period grouped by (previous visit's month, month, due month, opened month,
  flags) and the children by (last visit's month, next due month, opened month) give every
  month's due / on time / late / overdue / pending. The other children (a level changed or
  first set in the period, two assessments or two visits on one day, a file not in use:
  closed, transferred, archived) are counted in Python as the laptop counts them
  (:func:`period_visit_counts`), a chunk of children at a time — bounded, and few.
- **Visit records, children visited, by form**: ``q_visits`` of the period; the form from the
  visit record, extracted by the database.
- **Cases** by kind, open at the end, flagged 强制报告, escalated: one GROUP BY over the case
  records' dated fields.
- **Not in SQL** (few records, read whole in Python, streamed): 强制报告 filed (a UTC time to a
  China date), recognition workflow steps, screenings and referrals, typical cases, transition
  plans of the youths who turned 18, activities.

``damaged`` counts the records read in Python that do not read; records counted in SQL are
counted by the fields the figures need (a record whose other fields are broken counts).

Why one long file (over 1,000 lines): every statement here answers one figure of the same
summary with the same scope and period bounds, and the Python fall-back for the months the
query tables cannot answer must follow exactly those statements' definitions; splitting it is
next once the figures settle (issue 16's query-table columns would remove most of the
fall-back).
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Text,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.types import String

from app.domain.activity import Activity, activity_figures
from app.domain.case import CaseKind
from app.domain.categories import ChildCategory
from app.domain.referral import REFERRAL_TYPE, SCREENING_TYPE, finished_screening
from app.domain.schedule import LEVELS, ScheduleFacts, VisitSchedule, next_due
from app.domain.transition_plan import PlanStatus, TransitionPlan
from app.domain.typical_case import TypicalCase
from app.domain.visit import VisitForm
from app.domain.working_days import china_date
from app.services.assessments import FINISHED
from app.services.monthly_report import CaseloadRecords, MonthError
from app.services.stored import Stored
from app.services.year_summary import (
    MANDATORY_REPORT_TYPE,
    RECOGNITION_TYPE,
    TRANSITION_PLAN_TYPE,
    TYPICAL_CASE_TYPE,
    WORKFLOW_STEP_TYPE,
    CaseKindFigures,
    Period,
    YearSummary,
)
from sync.server import db
from sync.server.console.queries import scoped
from sync.server.console.query_tables import q_children, q_visits
from sync.server.console.scope import Scope

R = db.records.c
C = q_children.c
V = q_visits.c
BEFORE = "0000-00"  # a month before any period
AFTER = "9999-99"  # a month after any period
COMPLEX_CHUNK = 2_000  # children counted in Python at a time


# ----- months -------------------------------------------------------------------------------


def _month_key(day: date) -> str:
    return day.isoformat()[:7]


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


@dataclass(frozen=True)
class _Month:
    index: int
    last: date
    current: bool  # today falls in it (not over yet: overdue is "due before today")


def _months(period: Period, today: date) -> list[_Month]:
    out = []
    for m in period.months():
        if m.first_day > today:
            break
        out.append(_Month(_index(_month_key(m.first_day)), m.last_day, today <= m.last_day))
    return out


# ----- JSON fields, per dialect --------------------------------------------------------------


class _Json:
    """A record's JSON field as text (NULL when absent or JSON null), extracted by the
    database: ``json_extract`` (SQLite), ``json_extract_path_text`` (PostgreSQL)."""

    def __init__(self, conn: Connection) -> None:
        self.pg = conn.dialect.name == "postgresql"

    def __call__(self, *path: str) -> ColumnElement[Any]:
        if self.pg:
            return type_coerce(func.json_extract_path_text(cast(R.data, JSON), *path), String)
        return type_coerce(func.json_extract(R.data, "$." + ".".join(path)), String)

    def true(self, *path: str) -> ColumnElement[bool]:
        """The field is JSON ``true`` (or a truthy number/text: ``bool()`` of it in Python)."""
        value = self(*path)
        if self.pg:
            return and_(value.is_not(None), value.not_in(("false", "0", "", "null")))
        return and_(value.is_not(None), value.not_in((0, "")))


def _grouped(columns: Iterable[Any], source: Any, *where: Any) -> Any:
    """``columns`` of ``source`` counted by every combination of their values: grouped in an
    outer statement, so PostgreSQL sees the same columns (not expressions with parameters of
    their own) in the list and in GROUP BY."""
    inner = select(*columns).select_from(source).where(*where).subquery()
    return select(*inner.c, func.count().label("n")).group_by(*inner.c)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _scope_children(scope: Scope) -> Any:
    return select(C.child_id).where(scoped(scope, C.village_code))


def _linked(record_type: str | tuple[str, ...], scope: Scope) -> ColumnElement[bool]:
    types = (record_type,) if isinstance(record_type, str) else record_type
    return and_(
        R.deleted.is_(False),
        R.record_type.in_(types),
        R.child_id.in_(_scope_children(scope)),
    )


def _load(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _streamed(conn: Connection, statement: Any) -> Iterator[Any]:
    yield from conn.execute(statement.execution_options(stream_results=True, yield_per=5_000))


# ----- the statements -------------------------------------------------------------------------


def _assessments(conn: Connection, scope: Scope) -> Any:
    """Finished assessments with a level, of the scope's children: (child, on, level). The
    fields are extracted below an optimisation fence (``OFFSET 0``): PostgreSQL cannot
    estimate a condition on a JSON field and, with it in the scan, planned a nested loop of
    every child against every assessment."""
    j = _Json(conn)
    raw = (
        select(
            R.child_id.label("child"),
            func.substr(j("finished_on"), 1, 10).label("on"),
            j("result", "level").label("level"),
            j("status").label("status"),
            R.record_id.label("record_id"),
        )
        .where(_linked("assessment", scope))
        .offset(0)
        .subquery()
    )
    return (
        select(raw.c.child, raw.c.on, raw.c.level, raw.c.record_id)
        .where(raw.c.status == FINISHED, raw.c.level.in_(LEVELS), raw.c.on.is_not(None))
        .subquery()
    )


def _level_keys(conn: Connection, scope: Scope, eve: date, end: date) -> Any:
    """Per child: ``on||level`` of the newest assessment by the period's eve and by its end (the
    level sorts after the date, as the laptop's ``max((on, level))``), and the lowest and
    highest level from the period's first day on (a child whose level changed there)."""
    lv = _assessments(conn, scope)
    key = lv.c.on + lv.c.level
    first = (eve + timedelta(days=1)).isoformat()
    return (
        select(
            lv.c.child,
            func.max(case((lv.c.on <= eve.isoformat(), key))).label("eve_key"),
            func.max(case((lv.c.on <= end.isoformat(), key))).label("end_key"),
            func.min(case((lv.c.on >= first, lv.c.level))).label("low_after"),
            func.max(case((lv.c.on >= first, lv.c.level))).label("high_after"),
        )
        .group_by(lv.c.child)
        .subquery()
    )


def _child_fields(conn: Connection, scope: Scope) -> Any:
    """The scope's children: their query-table row and the dated fields of their file the
    figures need. PostgreSQL reads a file's JSON once (``json_to_record``), not once a field."""
    base = (
        C.child_id,
        C.categories,
        C.eighteenth,
        C.active,
        C.next_due,
    )
    joined = q_children.join(db.records, R.record_id == C.child_id)
    where = (scoped(scope, C.village_code), R.deleted.is_(False), R.record_type == "child")
    if conn.dialect.name == "postgresql":
        fields = (
            func.json_to_record(cast(R.data, JSON))
            .table_valued(
                column("opened_on", Text),
                column("status", Text),
                column("archive", JSON),
                column("transfer", JSON),
                column("caring_mother", JSON),
                column("recognition_confirmed_on", Text),
            )
            .render_derived(with_types=True)
        )
        f = fields.c
        return (
            select(
                *base,
                func.substr(f.opened_on, 1, 10).label("opened"),
                func.coalesce(f.status, "active").label("status"),
                type_coerce(f.archive.op("->>")("on"), String).label("archive_on"),
                type_coerce(f.archive.op("->>")("reason"), String).label("archive_reason"),
                type_coerce(f.transfer.op("->>")("on"), String).label("transfer_on"),
                f.caring_mother.is_not(None).label("caring"),
                func.substr(f.recognition_confirmed_on, 1, 10).label("recognized"),
            )
            .select_from(joined.join(fields, literal(True)))
            .where(*where)
            .subquery()
        )
    j = _Json(conn)
    return (
        select(
            *base,
            func.substr(j("opened_on"), 1, 10).label("opened"),
            func.coalesce(j("status"), "active").label("status"),
            j("archive", "on").label("archive_on"),
            j("archive", "reason").label("archive_reason"),
            j("transfer", "on").label("transfer_on"),
            j("caring_mother").is_not(None).label("caring"),
            func.substr(j("recognition_confirmed_on"), 1, 10).label("recognized"),
        )
        .select_from(joined)
        .where(*where)
        .subquery()
    )


def _followed(kids: Any, first: date, last: date) -> ColumnElement[bool]:
    """:func:`app.services.monthly_report._followed` over the extracted fields."""
    k = kids.c
    return and_(
        or_(k.opened.is_(None), k.opened <= last.isoformat()),
        or_(
            k.archive_on.is_(None),
            and_(k.archive_on >= first.isoformat(), k.archive_reason != "duplicate"),
        ),
        or_(
            k.status == "active",
            and_(
                k.status == "transferred",
                k.transfer_on.is_not(None),
                k.transfer_on >= first.isoformat(),
            ),
        ),
    )


# ----- the figures ------------------------------------------------------------------------------


@dataclass
class _Children:
    start: int = 0
    end: int = 0
    categories_start: Counter[str] | None = None
    categories_end: Counter[str] | None = None
    levels_start: Counter[str] | None = None
    levels_end: Counter[str] | None = None
    de_facto_end: int = 0
    paired: int = 0
    heavy: int = 0
    paired_heavy: int = 0


def _children_figures(conn: Connection, scope: Scope, first: date, as_of: date) -> _Children:
    kids = _child_fields(conn, scope)
    keys = _level_keys(conn, scope, first - timedelta(days=1), as_of)
    at_start = _followed(kids, first, first)
    at_end = _followed(kids, as_of, as_of)
    level_start = func.coalesce(func.substr(keys.c.eve_key, 11), "none")
    level_end = func.coalesce(func.substr(keys.c.end_key, 11), "none")
    columns = (
        at_start.label("at_start"),
        at_end.label("at_end"),
        kids.c.categories,
        level_start.label("level_start"),
        level_end.label("level_end"),
        kids.c.caring,
    )
    grouped = _grouped(columns, kids.outerjoin(keys, keys.c.child == kids.c.child_id))
    out = _Children(0, 0, Counter(), Counter(), Counter(), Counter())
    assert out.categories_start is not None and out.categories_end is not None
    assert out.levels_start is not None and out.levels_end is not None
    de_facto = ChildCategory.DE_FACTO_UNSUPPORTED.value
    for row in conn.execute(grouped):
        n = int(row.n)
        categories = {c for c in str(row.categories or "").split("|") if c}
        if row.at_start:
            out.start += n
            out.levels_start[row.level_start] += n
            for c in categories:
                out.categories_start[c] += n
        if row.at_end:
            out.end += n
            out.levels_end[row.level_end] += n
            for c in categories:
                out.categories_end[c] += n
            if de_facto in categories:
                out.de_facto_end += n
            heavy = row.level_end in ("red", "orange")
            if row.caring:
                out.paired += n
                if heavy:
                    out.paired_heavy += n
            if heavy:
                out.heavy += n
    return out


def _level_changes(
    conn: Connection, scope: Scope, first: date, as_of: date
) -> tuple[dict[str, int], int, int, int]:
    """(changes by kind, red children downgraded, assessments, children assessed) in the
    period: each finished assessment against the child's previous one, in (date, level) order
    as the laptop sorts them."""
    lv = _assessments(conn, scope)
    previous = (
        func.lag(lv.c.level).over(partition_by=lv.c.child, order_by=(lv.c.on, lv.c.level))
    ).label("previous")
    ordered = select(lv.c.child, lv.c.on, lv.c.level, previous).subquery()
    o = ordered.c
    severity = case({lv: i for i, lv in enumerate(LEVELS)}, value=o.level)
    before = case({lv: i for i, lv in enumerate(LEVELS)}, value=o.previous)
    in_period = and_(o.on >= first.isoformat(), o.on <= as_of.isoformat())
    row = conn.execute(
        select(
            _count_if(o.previous.is_(None)).label("first"),
            _count_if(and_(o.previous.is_not(None), severity < before)).label("down"),
            _count_if(and_(o.previous.is_not(None), severity > before)).label("up"),
            _count_if(and_(o.previous.is_not(None), severity == before)).label("same"),
            func.count(func.distinct(case((and_(o.previous == "red", o.level != "red"), o.child)))),
            func.count(),
            func.count(func.distinct(o.child)),
        ).where(in_period)
    ).one()
    changes = {k: int(row[i] or 0) for i, k in enumerate(("first", "down", "up", "same"))}
    return changes, int(row[4] or 0), int(row[5] or 0), int(row[6] or 0)


def _visit_figures(
    conn: Connection, scope: Scope, first: date, as_of: date
) -> tuple[int, int, dict[VisitForm, int]]:
    """(visits recorded in the period, children visited, by form)."""
    j = _Json(conn)
    in_period = and_(
        scoped(scope, V.village_code),
        V.month >= _month_key(first),
        V.month <= _month_key(as_of),
        V.on_date >= first.isoformat(),
        V.on_date <= as_of.isoformat(),
    )
    records, children = conn.execute(
        select(func.count(), func.count(func.distinct(V.child_id))).where(in_period)
    ).one()
    forms: Counter[str] = Counter()
    for row in conn.execute(
        _grouped(
            (j("form").label("form"),),
            q_visits.join(db.records, R.record_id == V.visit_id),
            in_period,
        )
    ):
        forms[str(row[0])] += int(row[1])
    return (
        int(records or 0),
        int(children or 0),
        {f: forms.get(f.value, 0) for f in VisitForm},
    )


def _level_events(conn: Connection, scope: Scope, first: date) -> Any:
    """Per child with a finished assessment: the first and last day on or after ``first`` an
    assessment set or changed its level (against the previous one in the laptop's (date,
    level) order) and how many did, and whether two of its assessments on one day have
    different levels (``tied``: the laptop and the query tables order those differently)."""
    lv = _assessments(conn, scope)
    order = {"partition_by": lv.c.child, "order_by": (lv.c.on, lv.c.level)}
    ordered = select(
        lv.c.child,
        lv.c.on,
        lv.c.level,
        func.lag(lv.c.level).over(**order).label("before"),
        func.lag(lv.c.on).over(**order).label("before_on"),
    ).subquery()
    o = ordered.c
    event = and_(o.on >= first.isoformat(), or_(o.before.is_(None), o.before != o.level))
    tie = and_(o.before_on.is_not(None), o.before_on == o.on, o.before != o.level)
    return (
        select(
            o.child,
            func.min(case((event, o.on))).label("e_min"),
            func.max(case((event, o.on))).label("e_max"),
            _count_if(event).label("e_count"),
            func.max(case((tie, 1), else_=0)).label("tied"),
        )
        .group_by(o.child)
        .subquery()
    )


def _until_month(kids: Any) -> Any:
    """The last month a file is followed in (``_followed``: archived from that month on, or
    transferred out in it); BEFORE for a duplicate or closed file, AFTER for one in use."""
    k = kids.c
    archive_month = func.substr(k.archive_on, 1, 7)
    transfer_month = func.substr(k.transfer_on, 1, 7)
    return case(
        (k.archive_reason == "duplicate", BEFORE),
        (k.status == "active", func.coalesce(archive_month, AFTER)),
        (
            and_(k.status == "transferred", k.transfer_on.is_not(None)),
            case(
                (
                    and_(k.archive_on.is_not(None), archive_month < transfer_month),
                    archive_month,
                ),
                else_=transfer_month,
            ),
        ),
        else_=BEFORE,
    )


@dataclass(frozen=True)
class _Bounds:
    low: int  # the first month counted
    high: int  # the last
    first_month: str
    last_month: str

    def index(self, month: str | None) -> int:
        if month is None or month == BEFORE or month < self.first_month:
            return self.low - 1
        if month == AFTER or month > self.last_month:
            return self.high + 1
        return _index(month)

    def clamp(self, month: Any) -> Any:
        return case(
            (month.is_(None), BEFORE),
            (month < self.first_month, BEFORE),
            (month > self.last_month, AFTER),
            else_=month,
        )


def _due_counts(
    conn: Connection,
    scope: Scope,
    period: Period,
    today: date,
    schedule: VisitSchedule,
) -> tuple[Counter[str], list[str]]:
    """Due / on time / late / overdue / pending summed over the period's months (see the
    module docstring): in SQL where the query tables hold the due date the laptop would
    compute, in Python (:func:`_python_months`) for the months where they may not."""
    counts: Counter[str] = Counter()
    months = _months(period, today)
    if not months:
        return counts, []
    first = period.first_day
    b = _Bounds(months[0].index, months[-1].index, _month_key(first), _month_key(months[-1].last))
    kids_all = _child_fields(conn, scope)
    events = _level_events(conn, scope, first)
    kids = (
        select(
            kids_all.c.child_id,
            kids_all.c.next_due,
            func.substr(kids_all.c.opened, 1, 7).label("opened_month"),
            _until_month(kids_all).label("until_month"),
            events.c.e_min,
            events.c.e_max,
            events.c.e_count,
            func.coalesce(events.c.tied, 0).label("tied"),
        )
        .select_from(kids_all.outerjoin(events, events.c.child == kids_all.c.child_id))
        .cte("kids")
        .prefix_with("MATERIALIZED")
    )
    k = kids.c
    window: dict[str, Any] = {"partition_by": V.child_id, "order_by": (V.on_date, V.visit_id)}
    rows = (
        select(
            V.child_id,
            func.lag(V.month).over(**window).label("previous"),
            func.lag(V.on_date).over(**window).label("previous_on"),
            func.lag(V.on_date, 2).over(**window).label("previous2_on"),
            func.lead(V.month).over(**window).label("following"),
            V.month,
            V.due_month,
            V.due_before,
            V.on_date,
            V.on_time,
            k.opened_month,
            k.until_month,
            k.e_min,
            k.e_max,
            k.e_count,
            k.tied,
        )
        .select_from(q_visits.join(kids, k.child_id == V.child_id))
        .where(scoped(scope, V.village_code), V.month >= b.first_month)
        .cte("rows")
        .prefix_with("MATERIALIZED")
    )
    r = rows.c

    def between(day: Any) -> Any:
        """``day`` (a level event) falls from the 1st of the row's first month to its visit."""
        return and_(
            day.is_not(None),
            day <= r.on_date,
            or_(r.previous.is_(None), func.substr(day, 1, 7) > r.previous),
        )

    # a level event between the row's first month and its visit: the two a child has at most
    # (usually) are each checked; with more, any row their span touches
    unsafe = or_(
        r.tied == 1,  # every month of such a child is counted in Python
        between(r.e_min),
        between(r.e_max),
        and_(
            r.e_count > 2,
            r.e_min <= r.on_date,
            or_(r.previous.is_(None), func.substr(r.e_max, 1, 7) > r.previous),
        ),
        and_(
            r.previous_on.is_not(None),
            r.previous2_on.is_not(None),
            r.previous_on == r.previous2_on,
        ),
    )

    def flag(condition: Any) -> Any:
        return case((condition, "1"), else_="0")

    visit_rows = select(
        literal("v").label("kind"),
        case((unsafe, r.child_id), else_="").label("child"),
        b.clamp(r.previous).label("previous"),
        b.clamp(r.month).label("month"),
        b.clamp(r.due_month).label("due_month"),
        b.clamp(r.opened_month).label("opened"),
        b.clamp(r.until_month).label("until"),
        flag(r.on_date <= today.isoformat()).label("happened"),
        flag(r.on_time.is_(True)).label("on_time"),
        flag(r.due_before < today.isoformat()).label("late_now"),
    ).subquery()
    # after each child's last visit of the period (every month for a child without one)
    tied_last = and_(r.previous_on.is_not(None), r.previous_on == r.on_date)
    last_rows = (
        select(r.child_id, r.month, flag(tied_last).label("tied"))
        .where(r.following.is_(None))
        .subquery()
    )
    lv = last_rows.c
    tail_unsafe = or_(
        k.tied == 1,
        lv.tied == "1",
        and_(
            k.e_max.is_not(None),
            or_(lv.month.is_(None), func.substr(k.e_max, 1, 7) > lv.month),
        ),
    )
    # counted in Python: a level set or changed after the last visit, a tie, or a file no
    # longer in use (no next due date kept) still followed after its last visit
    tail_python = or_(
        and_(k.next_due.is_not(None), tail_unsafe),
        and_(
            k.next_due.is_(None),
            b.clamp(k.until_month) != BEFORE,
            or_(lv.month.is_(None), k.until_month > lv.month),
        ),
    )
    tail_rows = (
        select(
            literal("t").label("kind"),
            case((tail_python, k.child_id), else_="").label("child"),
            b.clamp(lv.month).label("previous"),
            literal("").label("month"),
            b.clamp(func.substr(k.next_due, 1, 7)).label("due_month"),
            b.clamp(k.opened_month).label("opened"),
            literal("").label("until"),
            literal("").label("happened"),
            literal("").label("on_time"),
            flag(k.next_due < today.isoformat()).label("late_now"),
        )
        .select_from(kids.outerjoin(last_rows, lv.child_id == k.child_id))
        .where(or_(k.next_due.is_not(None), tail_python))
        .subquery()
    )
    grouped = [
        select(*part.c, func.count().label("n")).group_by(*part.c)
        for part in (visit_rows, tail_rows)
    ]
    wanted: dict[str, set[int]] = {}

    def want(child_id: str, after: int, through: int) -> None:
        wanted.setdefault(child_id, set()).update(range(max(after + 1, b.low), through + 1))

    for row in conn.execute(grouped[0].union_all(grouped[1])):
        n = int(row.n)
        prev = b.index(row.previous)
        if row.kind == "v":
            month = b.index(row.month)
            if row.child:
                want(row.child, prev, min(month, b.high))
                continue
            until = b.index(row.until)
        else:
            if row.child:
                want(row.child, prev, b.high)
                continue
            month = until = b.high + 1
        due_month, opened = b.index(row.due_month), b.index(row.opened)
        for m in months:
            if not (max(prev + 1, opened, due_month) <= m.index <= min(month, until)):
                continue
            counts["due"] += n
            if m.index == month and row.happened == "1":
                counts["on_time" if row.on_time == "1" else "late"] += n
            elif m.current and row.late_now == "0":
                counts["pending"] += n
            else:
                counts["overdue"] += n
    more, damaged = _python_months(conn, scope, wanted, months, period, today, schedule)
    counts.update(more)
    return counts, damaged


def _python_months(
    conn: Connection,
    scope: Scope,
    wanted: dict[str, set[int]],
    months: list[_Month],
    period: Period,
    today: date,
    schedule: VisitSchedule,
) -> tuple[Counter[str], list[str]]:
    """These children's months, counted as :func:`period_visit_counts` counts them (the
    laptop's rules, month by month), a chunk of children at a time from the fields they need
    (extracted by the database): their file's dates and categories, their visits' dates and
    requested next dates, their finished assessments' dates and levels."""
    counts: Counter[str] = Counter()
    damaged: list[str] = []
    j = _Json(conn)
    forms = {f.value for f in VisitForm}
    ids = sorted(c for c, wanted_months in wanted.items() if wanted_months)
    for start in range(0, len(ids), COMPLEX_CHUNK):
        chunk = ids[start : start + COMPLEX_CHUNK]
        files: dict[str, Any] = {}
        for file_row in conn.execute(
            select(
                C.child_id,
                C.categories,
                func.substr(j("opened_on"), 1, 10).label("opened"),
                func.substr(j("recognition_confirmed_on"), 1, 10).label("recognized"),
                func.coalesce(j("status"), "active").label("status"),
                j("archive", "on").label("archive_on"),
                j("archive", "reason").label("archive_reason"),
                j("transfer", "on").label("transfer_on"),
            )
            .select_from(q_children.join(db.records, R.record_id == C.child_id))
            .where(C.child_id.in_(chunk), R.record_type == "child", R.deleted.is_(False))
        ):
            files[file_row.child_id] = file_row
        # visits: their dates from q_visits; the hlc (order within a day) and the requested
        # next date read only of the visits a wanted month's due date starts from (every
        # visit on the day of the last visit before the month)
        dated: dict[str, list[tuple[str, str]]] = {}
        for visit_row in conn.execute(
            select(V.child_id, V.on_date, V.visit_id).where(V.child_id.in_(chunk))
        ):
            dated.setdefault(visit_row.child_id, []).append((visit_row.on_date, visit_row.visit_id))
        needed: set[str] = set()
        for child_id in chunk:
            own_dated = sorted(dated.get(child_id, []))
            on_days = [d for d, _ in own_dated]
            for m in months:
                if m.index in wanted[child_id]:
                    before = bisect.bisect_left(on_days, _first_of(m).isoformat())
                    if before:
                        low = bisect.bisect_left(on_days, on_days[before - 1])
                        needed.update(visit_id for _d, visit_id in own_dated[low:before])
        details: dict[str, tuple[str, date | None]] = {}
        needed_ids = sorted(needed)
        for at in range(0, len(needed_ids), 500):
            for detail_row in conn.execute(
                select(
                    R.record_id,
                    R.head_hlc,
                    j("next_visit_on").label("next_on"),
                    j("form").label("form"),
                ).where(R.record_id.in_(needed_ids[at : at + 500]), R.deleted.is_(False))
            ):
                if detail_row.form not in forms:
                    continue
                try:
                    next_on = date.fromisoformat(detail_row.next_on) if detail_row.next_on else None
                except (TypeError, ValueError):
                    continue
                details[detail_row.record_id] = (detail_row.head_hlc, next_on)
        visits: dict[str, list[tuple[date, str, date | None]]] = {}
        for child_id, rows in dated.items():
            for on_text, visit_id in rows:
                try:
                    on = date.fromisoformat(on_text)
                except ValueError:
                    continue
                hlc, next_on = details.get(visit_id, ("", None))
                visits.setdefault(child_id, []).append((on, hlc, next_on))
        levels: dict[str, list[tuple[date, str, str]]] = {}
        for level_row in conn.execute(
            select(
                R.record_id,
                j("child_id").label("child"),
                j("finished_on").label("on"),
                j("result", "level").label("level"),
            ).where(
                R.deleted.is_(False),
                R.record_type == "assessment",
                R.child_id.in_(chunk),
                j("status") == FINISHED,
            )
        ):
            if not level_row.level or not level_row.on or level_row.child is None:
                continue
            try:
                on = date.fromisoformat(level_row.on)
            except ValueError:
                continue
            levels.setdefault(str(level_row.child), []).append(
                (on, str(level_row.level), level_row.record_id)
            )
        for child_id in chunk:
            file = files.get(child_id)
            if file is None:
                continue
            try:
                opened = date.fromisoformat(file.opened) if file.opened else date.min
                recognized = date.fromisoformat(file.recognized) if file.recognized else None
            except ValueError:
                damaged.append(child_id)
                continue
            categories = frozenset(c for c in str(file.categories or "").split("|") if c)
            own = sorted(visits.get(child_id, []), key=lambda v: (v[0], v[1]))
            days = [v[0] for v in own]
            history = sorted(levels.get(child_id, []))
            known: dict[tuple[str | None, int], date] = {}
            for m in months:
                if m.index not in wanted[child_id]:
                    continue
                first = _first_of(m)
                last = m.last
                if not _followed_fields(file, first, last, opened):
                    continue
                as_of = min(last, today)
                overdue_before = last + timedelta(days=1) if today > last else today
                eve = (first - timedelta(days=1), "\uffff", "\uffff")
                index = bisect.bisect_right(history, eve)
                level = history[index - 1][1] if index else None
                before = bisect.bisect_left(days, first)
                due_on = known.get((level, before))
                if due_on is None:
                    previous = own[before - 1] if before else None
                    due_on = next_due(
                        ScheduleFacts(
                            child_id=child_id,
                            categories=categories,
                            level=level,
                            last_visit=previous[0] if previous else None,
                            requested_next=previous[2] if previous else None,
                            opened_on=opened,
                            recognized_on=recognized,
                        ),
                        schedule,
                    ).due
                    known[(level, before)] = due_on
                if due_on > last:
                    continue
                counts["due"] += 1
                if before < len(days) and days[before] <= as_of:
                    counts["on_time" if days[before] <= due_on else "late"] += 1
                else:
                    counts["overdue" if due_on < overdue_before else "pending"] += 1
    return counts, damaged


def _first_of(month: _Month) -> date:
    return date(month.index // 12, month.index % 12 + 1, 1)


def _followed_fields(file: Any, first: date, last: date, opened: date) -> bool:
    """:func:`app.services.monthly_report._followed` over a file's extracted fields."""
    if opened > last:
        return False
    if file.archive_on is not None and (
        file.archive_on[:10] < first.isoformat() or file.archive_reason == "duplicate"
    ):
        return False
    if file.status == "active":
        return True
    return (
        file.status == "transferred"
        and file.transfer_on is not None
        and file.transfer_on[:10] >= first.isoformat()
    )


def _case_figures(
    conn: Connection, scope: Scope, first: date, as_of: date
) -> tuple[tuple[CaseKindFigures, ...], int, int, int]:
    j = _Json(conn)
    kind = j("kind")
    opened = func.substr(j("opened_on"), 1, 10)
    closed = func.substr(j("closed_on"), 1, 10)
    reported_on = func.substr(j("mandatory_report_on"), 1, 10)
    escalated = func.substr(j("escalated_on"), 1, 10)
    f, a = first.isoformat(), as_of.isoformat()
    rows = conn.execute(
        select(
            kind,
            _count_if(and_(opened >= f, opened <= a)),
            _count_if(and_(closed.is_not(None), closed >= f, closed <= a)),
            _count_if(and_(opened <= a, or_(closed.is_(None), closed > a))),
            _count_if(and_(j.true("mandatory_report"), reported_on >= f, reported_on <= a)),
            _count_if(and_(escalated >= f, escalated <= a)),
        )
        .where(_linked("case", scope))
        .group_by(kind)
    ).all()
    by_kind = {str(r[0]): r for r in rows}
    kinds = tuple(
        CaseKindFigures(
            k,
            int(by_kind[k.value][1] or 0) if k.value in by_kind else 0,
            int(by_kind[k.value][2] or 0) if k.value in by_kind else 0,
        )
        for k in CaseKind
    )
    open_at_end = sum(int(r[3] or 0) for r in rows)
    reports = sum(int(r[4] or 0) for r in rows)
    escalations = sum(int(r[5] or 0) for r in rows)
    return kinds, open_at_end, reports, escalations


@dataclass
class _Few:
    """The figures of the few records read whole in Python."""

    reports_filed: int
    steps: dict[str, int]
    screening: dict[str, int]
    typical: tuple[Stored[TypicalCase], ...]
    damaged: list[str]


def _few_records(conn: Connection, scope: Scope, first: date, last: date, as_of: date) -> _Few:
    from app.services.screening import summary_figures

    filed = 0
    subjects: dict[str, set[str]] = {}
    screenings: list[dict[str, Any]] = []
    referrals: list[dict[str, Any]] = []
    typical: list[Stored[TypicalCase]] = []
    damaged: list[str] = []
    types = (
        MANDATORY_REPORT_TYPE,
        WORKFLOW_STEP_TYPE,
        SCREENING_TYPE,
        REFERRAL_TYPE,
        TYPICAL_CASE_TYPE,
    )
    for row in _streamed(
        conn,
        select(R.record_id, R.record_type, R.child_id, R.head_hlc, R.data).where(
            _linked(types, scope)
        ),
    ):
        data = _load(row.data)
        if data is None:
            damaged.append(row.record_id)
            continue
        ours = str(data.get("child_id", "")) == row.child_id
        try:
            if row.record_type == MANDATORY_REPORT_TYPE:
                if data.get("filed_at"):
                    on = china_date(str(data["filed_at"]))
                    if ours and first <= on <= as_of:
                        filed += 1
            elif row.record_type == WORKFLOW_STEP_TYPE:
                if data.get("at"):
                    on = china_date(str(data["at"]))
                    if str(data.get("subject_type", "")) == RECOGNITION_TYPE and (
                        first <= on <= as_of
                    ):
                        subjects.setdefault(str(data.get("action", "")), set()).add(
                            str(data.get("subject_id", ""))
                        )
            elif row.record_type == SCREENING_TYPE:
                if finished_screening(data) and ours:
                    screenings.append(data)
            elif row.record_type == REFERRAL_TYPE:
                if ours:
                    referrals.append(data)
            else:
                story = TypicalCase.from_json(data)
                if story.in_summary and ours and first <= story.written_on <= last:
                    typical.append(Stored(row.record_id, 0, "", row.head_hlc, story))
        except (KeyError, TypeError, ValueError):
            damaged.append(row.record_id)
    caseload = CaseloadRecords({}, [], [], [], [], screenings, referrals)
    return _Few(
        reports_filed=filed,
        steps={k: len(v) for k, v in subjects.items()},
        screening=summary_figures(caseload, first, as_of),
        typical=tuple(sorted(typical, key=lambda s: (s.value.written_on, s.value.title))),
        damaged=damaged,
    )


def newest_plans(conn: Connection, child_ids: Iterable[str]) -> dict[str, TransitionPlan]:
    """The newest transition plan of each of these children (a damaged one is skipped)."""
    found: dict[str, tuple[str, TransitionPlan]] = {}
    ids = sorted(set(child_ids))
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
                plan = TransitionPlan.from_json(data)
            except (KeyError, TypeError, ValueError):
                continue
            known = found.get(plan.child_id)
            if known is None or row.head_hlc > known[0]:
                found[plan.child_id] = (row.head_hlc, plan)
    return {cid: plan for cid, (_hlc, plan) in found.items()}


def _ageing_out(
    conn: Connection, scope: Scope, first: date, as_of: date
) -> tuple[int, dict[PlanStatus, int], int, int]:
    """(turned 18 in the period, by their plan's status, archived 年满18, of them handed over)."""
    kids = _child_fields(conn, scope)
    k = kids.c
    f, a = first.isoformat(), as_of.isoformat()
    archive_on = func.substr(k.archive_on, 1, 10)
    turned_in = and_(k.eighteenth >= f, k.eighteenth <= a)
    archived_in = and_(k.archive_reason == "turned_18", archive_on >= f, archive_on <= a)
    rows = conn.execute(
        select(k.child_id, turned_in.label("turned"), archived_in.label("archived")).where(
            or_(turned_in, archived_in)
        )
    ).all()
    plans = newest_plans(conn, (r.child_id for r in rows))
    statuses: Counter[PlanStatus] = Counter()
    turned = archived = handed_over = 0
    for row in rows:
        plan = plans.get(row.child_id)
        if row.turned:
            turned += 1
            statuses[plan.status if plan else PlanStatus.NONE] += 1
        if row.archived:
            archived += 1
            if plan is not None and plan.handed_over_on is not None:
                handed_over += 1
    return turned, {s: statuses.get(s, 0) for s in PlanStatus}, archived, handed_over


def sql_year_summary(
    conn: Connection,
    scope: Scope,
    period: Period,
    *,
    today: date,
    schedule: VisitSchedule,
    activities: list[Activity],
) -> YearSummary:
    """:func:`app.services.year_summary.year_summary` of the scope's records, counted in SQL
    (see the module docstring). ``activities``: the scope's activities (read by the caller).
    Raises :class:`MonthError` for a period that has not begun."""
    first, last = period.first_day, period.last_day
    if first > today:
        raise MonthError(
            f"the period {period.start} has not begun yet",
            f"{period.start.label_zh}还没有开始，无法生成总结。",
        )
    as_of = min(last, today)
    if scope.role == "partner":
        return _empty(period, today, as_of, activities)
    kids = _children_figures(conn, scope, first, as_of)
    changes, red_down, assessments, children_assessed = _level_changes(conn, scope, first, as_of)
    due, damaged_children = _due_counts(conn, scope, period, today, schedule)
    visit_records, children_visited, by_form = _visit_figures(conn, scope, first, as_of)
    kinds, open_at_end, case_reports, escalations = _case_figures(conn, scope, first, as_of)
    few = _few_records(conn, scope, first, last, as_of)
    turned, turned_by_status, archived, handed_over = _ageing_out(conn, scope, first, as_of)
    assert kids.categories_start is not None and kids.categories_end is not None
    assert kids.levels_start is not None and kids.levels_end is not None
    return YearSummary(
        period=period,
        today=today,
        as_of=as_of,
        children_start=kids.start,
        children_end=kids.end,
        categories_start={c.value: kids.categories_start.get(c.value, 0) for c in ChildCategory},
        categories_end={c.value: kids.categories_end.get(c.value, 0) for c in ChildCategory},
        levels_start={k: kids.levels_start.get(k, 0) for k in (*LEVELS, "none")},
        levels_end={k: kids.levels_end.get(k, 0) for k in (*LEVELS, "none")},
        changes=changes,
        red_downgraded=red_down,
        visits_due=due["due"],
        visits_done=due["on_time"] + due["late"],
        visits_on_time=due["on_time"],
        visits_overdue=due["overdue"],
        visits_pending=due["pending"],
        visit_records=visit_records,
        children_visited=children_visited,
        visits_by_form=by_form,
        assessments=assessments,
        children_assessed=children_assessed,
        cases_by_kind=kinds,
        cases_open_at_end=open_at_end,
        reports_filed=few.reports_filed,
        case_reports=case_reports,
        escalations=escalations,
        recognitions_submitted=few.steps.get("submit", 0),
        recognitions_confirmed=few.steps.get("confirm", 0),
        recognitions_refused=few.steps.get("refuse", 0) + few.steps.get("refuse_town", 0),
        de_facto_at_end=kids.de_facto_end,
        activities=activity_figures(activities, first, as_of),
        caring_mother_paired=kids.paired,
        caring_mother_red_orange=(kids.paired_heavy, kids.heavy),
        turned_18=turned,
        turned_18_by_status=turned_by_status,
        archived_18=archived,
        archived_18_handed_over=handed_over,
        screening=few.screening,
        typical_cases=few.typical,
        damaged=len(few.damaged) + len(damaged_children),
    )


def _empty(period: Period, today: date, as_of: date, activities: list[Activity]) -> YearSummary:
    zero_categories = {c.value: 0 for c in ChildCategory}
    zero_levels = {k: 0 for k in (*LEVELS, "none")}
    return YearSummary(
        period=period,
        today=today,
        as_of=as_of,
        children_start=0,
        children_end=0,
        categories_start=dict(zero_categories),
        categories_end=dict(zero_categories),
        levels_start=dict(zero_levels),
        levels_end=dict(zero_levels),
        changes=dict.fromkeys(("first", "down", "up", "same"), 0),
        red_downgraded=0,
        visits_due=0,
        visits_done=0,
        visits_on_time=0,
        visits_overdue=0,
        visits_pending=0,
        visit_records=0,
        children_visited=0,
        visits_by_form={f: 0 for f in VisitForm},
        assessments=0,
        children_assessed=0,
        cases_by_kind=tuple(CaseKindFigures(k, 0, 0) for k in CaseKind),
        cases_open_at_end=0,
        reports_filed=0,
        case_reports=0,
        escalations=0,
        recognitions_submitted=0,
        recognitions_confirmed=0,
        recognitions_refused=0,
        de_facto_at_end=0,
        activities=activity_figures(activities, period.first_day, as_of),
        caring_mother_paired=0,
        caring_mother_red_orange=(0, 0),
        turned_18=0,
        turned_18_by_status={s: 0 for s in PlanStatus},
        archived_18=0,
        archived_18_handed_over=0,
        screening=dict.fromkeys(("screened", "flagged", "referred", "evaluated"), 0),
        typical_cases=(),
        damaged=0,
    )
