"""年度汇总 counted in SQL, the children's section: children followed at the start and the end
of the period by category and level, caring mothers, 事实无人抚养 at the end (one statement
grouped by every combination of those facts: a few thousand rows), and the level changes and
assessments of the period (the finished assessments in date order, ``LAG``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    func,
    select,
)

from app.domain.categories import ChildCategory
from app.domain.schedule import LEVELS
from sync.server.console.scope import Scope
from sync.server.console.summary_sql_fields import (
    child_fields,
    count_if,
    finished_assessments,
    followed_condition,
    grouped_counts,
)


def _level_keys(conn: Connection, scope: Scope, eve: date, end: date) -> Any:
    """Per child: ``on||level`` of the newest assessment by the period's eve and by its end (the
    level sorts after the date, as the laptop's ``max((on, level))``), and the lowest and
    highest level from the period's first day on (a child whose level changed there)."""
    lv = finished_assessments(conn, scope)
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


@dataclass
class ChildrenFigures:
    """Children followed at the period's start and end, by category and level; at the end:
    事实无人抚养, paired with a caring mother, red/orange (and of them paired)."""

    start: int = 0
    end: int = 0
    categories_start: Counter[str] = field(default_factory=Counter)
    categories_end: Counter[str] = field(default_factory=Counter)
    levels_start: Counter[str] = field(default_factory=Counter)
    levels_end: Counter[str] = field(default_factory=Counter)
    de_facto_end: int = 0
    paired: int = 0
    heavy: int = 0
    paired_heavy: int = 0


def children_figures(conn: Connection, scope: Scope, first: date, as_of: date) -> ChildrenFigures:
    kids = child_fields(conn, scope)
    keys = _level_keys(conn, scope, first - timedelta(days=1), as_of)
    at_start = followed_condition(kids, first, first)
    at_end = followed_condition(kids, as_of, as_of)
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
    grouped = grouped_counts(columns, kids.outerjoin(keys, keys.c.child == kids.c.child_id))
    out = ChildrenFigures()
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


def level_changes(
    conn: Connection, scope: Scope, first: date, as_of: date
) -> tuple[dict[str, int], int, int, int]:
    """(changes by kind, red children downgraded, assessments, children assessed) in the
    period: each finished assessment against the child's previous one, in (date, level) order
    as the laptop sorts them."""
    lv = finished_assessments(conn, scope)
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
            count_if(o.previous.is_(None)).label("first"),
            count_if(and_(o.previous.is_not(None), severity < before)).label("down"),
            count_if(and_(o.previous.is_not(None), severity > before)).label("up"),
            count_if(and_(o.previous.is_not(None), severity == before)).label("same"),
            func.count(func.distinct(case((and_(o.previous == "red", o.level != "red"), o.child)))),
            func.count(),
            func.count(func.distinct(o.child)),
        ).where(in_period)
    ).one()
    changes = {k: int(row[i] or 0) for i, k in enumerate(("first", "down", "up", "same"))}
    return changes, int(row[4] or 0), int(row[5] or 0), int(row[6] or 0)
