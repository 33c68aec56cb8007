"""The parts the statements of 年度汇总's SQL count (:mod:`queries_summary_sql`) share: the
tables' columns, a record's JSON field extracted by the database per dialect, the scope's
records, counting helpers, and the two statements several sections start from — the scope's
finished assessments and its children with the dated fields of their file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
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

from app.domain.schedule import LEVELS
from app.services.assessments import FINISHED
from sync.server import db
from sync.server.console.queries import scoped
from sync.server.console.query_tables import q_children, q_visits
from sync.server.console.scope import Scope

R = db.records.c
C = q_children.c
V = q_visits.c

# ----- months as text ----------------------------------------------------------------------


def month_key(day: date) -> str:
    """``YYYY-MM`` (the query tables' month columns)."""
    return day.isoformat()[:7]


def month_index(month: str) -> int:
    """``YYYY-MM`` as :attr:`app.domain.visit_months.CountedMonth.index`."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


# ----- JSON fields, per dialect --------------------------------------------------------------


class Json:
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


def grouped_counts(columns: Iterable[Any], source: Any, *where: Any) -> Any:
    """``columns`` of ``source`` counted by every combination of their values: grouped in an
    outer statement, so PostgreSQL sees the same columns (not expressions with parameters of
    their own) in the list and in GROUP BY."""
    inner = select(*columns).select_from(source).where(*where).subquery()
    return select(*inner.c, func.count().label("n")).group_by(*inner.c)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def scope_children(scope: Scope) -> Any:
    return select(C.child_id).where(scoped(scope, C.village_code))


def linked_records(record_type: str | tuple[str, ...], scope: Scope) -> ColumnElement[bool]:
    types = (record_type,) if isinstance(record_type, str) else record_type
    return and_(
        R.deleted.is_(False),
        R.record_type.in_(types),
        R.child_id.in_(scope_children(scope)),
    )


def load_json(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def streamed(conn: Connection, statement: Any) -> Iterator[Any]:
    yield from conn.execute(statement.execution_options(stream_results=True, yield_per=5_000))


# ----- the statements -------------------------------------------------------------------------
def finished_assessments(conn: Connection, scope: Scope) -> Any:
    """Finished assessments with a level, of the scope's children: (child, on, level). The
    fields are extracted below an optimisation fence (``OFFSET 0``): PostgreSQL cannot
    estimate a condition on a JSON field and, with it in the scan, planned a nested loop of
    every child against every assessment."""
    j = Json(conn)
    raw = (
        select(
            R.child_id.label("child"),
            func.substr(j("finished_on"), 1, 10).label("on"),
            j("result", "level").label("level"),
            j("status").label("status"),
            R.record_id.label("record_id"),
        )
        .where(linked_records("assessment", scope))
        .offset(0)
        .subquery()
    )
    return (
        select(raw.c.child, raw.c.on, raw.c.level, raw.c.record_id)
        .where(raw.c.status == FINISHED, raw.c.level.in_(LEVELS), raw.c.on.is_not(None))
        .subquery()
    )


def child_fields(conn: Connection, scope: Scope) -> Any:
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
    j = Json(conn)
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


def followed_condition(kids: Any, first: date, last: date) -> ColumnElement[bool]:
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
