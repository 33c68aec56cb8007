"""年度汇总 counted in SQL, the visits' section: visit records, children visited and visits by
form in the period, and the visits due and done month by month.

The due date a visit answered and the next due date are in ``q_visits`` and ``q_children``
(the laptop's rules, derived on ingest). For a child in use whose level did not change from
the period's eve on, month M's due date is the ``due_before`` of its first visit on or after
the 1st of M, else its ``next_due`` — so the visits of the period grouped by (previous visit's
month, month, due month, opened month, flags) and the children by (last visit's month, next
due month, opened month) give every month's due / on time / late / overdue / pending, by the
months and bounds of :mod:`app.domain.visit_months`. The other children (a level changed or
first set in the period, two assessments or two visits on one day, a file not in use: closed,
transferred, archived) are handed back, with the months wanted, to be counted in Python
(:mod:`summary_sql_months`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)

from app.domain.visit import VisitForm
from app.domain.visit_months import CountedMonth
from sync.server import db
from sync.server.console.queries import scoped
from sync.server.console.query_tables import q_visits
from sync.server.console.scope import Scope
from sync.server.console.summary_sql_fields import (
    Json,
    R,
    V,
    child_fields,
    count_if,
    finished_assessments,
    grouped_counts,
    month_index,
    month_key,
)

BEFORE = "0000-00"  # a month before any period
AFTER = "9999-99"  # a month after any period


def visit_figures(
    conn: Connection, scope: Scope, first: date, as_of: date
) -> tuple[int, int, dict[VisitForm, int]]:
    """(visits recorded in the period, children visited, by form)."""
    j = Json(conn)
    in_period = and_(
        scoped(scope, V.village_code),
        V.month >= month_key(first),
        V.month <= month_key(as_of),
        V.on_date >= first.isoformat(),
        V.on_date <= as_of.isoformat(),
    )
    records, children = conn.execute(
        select(func.count(), func.count(func.distinct(V.child_id))).where(in_period)
    ).one()
    forms: Counter[str] = Counter()
    for row in conn.execute(
        grouped_counts(
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
    lv = finished_assessments(conn, scope)
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
            count_if(event).label("e_count"),
            func.max(case((tie, 1), else_=0)).label("tied"),
        )
        .group_by(o.child)
        .subquery()
    )


def _until_month(kids: Any) -> Any:
    """The last month a file is followed in (``followed_condition``: archived from that month on, or
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
        return month_index(month)

    def clamp(self, month: Any) -> Any:
        return case(
            (month.is_(None), BEFORE),
            (month < self.first_month, BEFORE),
            (month > self.last_month, AFTER),
            else_=month,
        )


def due_counts(
    conn: Connection, scope: Scope, months: list[CountedMonth], today: date
) -> tuple[Counter[str], dict[str, set[int]]]:
    """Due / on time / late / overdue / pending summed over ``months`` (the period's months
    begun by ``today``; see the module docstring), where the query tables hold the due date
    the laptop would compute; and the months, by child, where they may not (for
    :func:`summary_sql_months.python_months`)."""
    counts: Counter[str] = Counter()
    wanted: dict[str, set[int]] = {}
    if not months:
        return counts, wanted
    first = months[0].first
    b = _Bounds(months[0].index, months[-1].index, month_key(first), month_key(months[-1].last))
    kids_all = child_fields(conn, scope)
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
    return counts, wanted
