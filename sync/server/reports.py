"""Reading the district's data: a record and its history, the conflicts the merge kept, row
counts, and statistics per village (children, visits, assessments, children by their latest
assessed level) computed by the database with GROUP BY, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    and_,
    case,
    cast,
    collate,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

from sync.server import db
from sync.server.core import Core
from sync.wire import revision_id

COUNTED_AS = {"child": "children", "visit": "visits", "assessment": "assessments"}
UNASSESSED = "unassessed"


class _Json:
    """JSON fields of the records' ``data`` text column in the database's own functions.

    Only what ``stats`` reads: a field's JSON type and its text. Types are SQLite's
    ``json_type`` names ('text', 'null', 'true', 'false', 'object', ...) on SQLite and
    ``jsonb_typeof`` names ('string', 'null', 'boolean', 'object', ...) on PostgreSQL; a field
    that is not there has the type NULL on both."""

    def __init__(self, dialect: str, column: ColumnElement[Any]) -> None:
        self.sqlite = dialect == "sqlite"
        self.column = column

    def kind(self, *path: str) -> ColumnElement[Any]:
        if self.sqlite:
            return func.json_type(self.column, "$." + ".".join(path))
        return func.jsonb_typeof(cast(self.column, JSONB)[path])

    def text(self, *path: str) -> ColumnElement[Any]:
        """The field as text: a string's value, a number's digits."""
        if self.sqlite:
            return cast(func.json_extract(self.column, "$." + ".".join(path)), Text)
        astext: ColumnElement[Any] = cast(self.column, JSONB)[path].astext
        return astext

    def is_string(self, *path: str) -> ColumnElement[bool]:
        return self.kind(*path) == ("text" if self.sqlite else "string")

    def truth(self, *path: str) -> ColumnElement[Any]:
        """'True' or 'False' for a JSON boolean, else NULL."""
        if self.sqlite:
            return case(
                (self.kind(*path) == "true", "True"), (self.kind(*path) == "false", "False")
            )
        return case(
            (
                self.kind(*path) == "boolean",
                case((self.text(*path) == "true", "True"), else_="False"),
            )
        )

    def python_str(self, *path: str, missing: str) -> ColumnElement[Any]:
        """The field as Python's ``str`` names it (``missing`` when absent or null): a string
        itself, True/False, a number's digits (as JSON writes them)."""
        kind = self.kind(*path)
        return case(
            (self.is_string(*path), self.text(*path)),
            (kind.is_(None) | (kind == "null"), literal(missing)),
            else_=func.coalesce(self.truth(*path), self.text(*path)),
        )

    def ordered(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        """Text compared character by character (Python's order), whatever the collation."""
        return expr if self.sqlite else collate(expr, "C")


class Reports:
    """What the district's data says; reads only."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def history(self, record_id: str) -> list[dict[str, Any]]:
        with self.core.engine.connect() as conn:
            rows = conn.execute(
                select(db.revisions)
                .where(db.revisions.c.record_id == record_id)
                .order_by(db.revisions.c.hlc)
            ).all()
        return [
            {
                "revision_id": revision_id(r.record_id, r.hlc),
                "record_type": r.record_type,
                "hlc": r.hlc,
                "device_id": r.device_id,
                "author": r.author,
                "deleted": r.deleted,
                "base_hlc": r.base_hlc,
                "data": json.loads(r.data),
            }
            for r in rows
        ]

    def record(self, record_id: str) -> dict[str, Any] | None:
        with self.core.engine.connect() as conn:
            row = conn.execute(
                select(db.records).where(db.records.c.record_id == record_id)
            ).first()
        if row is None:
            return None
        return {
            "record_id": row.record_id,
            "record_type": row.record_type,
            "deleted": row.deleted,
            "data": json.loads(row.data),
            "head_hlc": row.head_hlc,
        }

    def conflicts(self, record_id: str | None = None) -> list[dict[str, Any]]:
        query = select(db.conflicts).order_by(db.conflicts.c.id)
        if record_id is not None:
            query = query.where(db.conflicts.c.record_id == record_id)
        with self.core.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "record_id": c.record_id,
                "field": c.field,
                "losing_revision": c.losing_revision,
                "losing_value": json.loads(c.losing_value),
                "winning_revision": c.winning_revision,
            }
            for c in rows
        ]

    def counts(self) -> dict[str, int]:
        with self.core.engine.connect() as conn:

            def count(table: Any) -> int:
                return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

            distinct = conn.execute(
                select(func.count()).select_from(
                    select(db.revisions.c.record_id, db.revisions.c.hlc).distinct().subquery()
                )
            ).scalar_one()
            return {
                "revisions": count(db.revisions),
                "distinct_revisions": int(distinct),
                "records": count(db.records),
                "batches": count(db.batches),
                "devices": count(db.devices),
                "conflicts": count(db.conflicts),
                "blobs": count(db.blobs),
            }

    def villages(self) -> dict[str, dict[str, Any]]:
        """Per village (a child's ``village_code``, "" when it has none): its children, and the
        visits and assessments of its children (of no live child: under ""); its children by
        the level of their latest finished assessment (latest ``finished_on``; on the same day
        the one written last), ``unassessed`` without one. Deleted records count nowhere.
        Two GROUP BY queries; no record is loaded."""
        with self.core.engine.connect() as conn:
            per_village: dict[str, dict[str, Any]] = {}

            def bucket(village: str) -> dict[str, Any]:
                return per_village.setdefault(
                    village,
                    {"children": 0, "visits": 0, "assessments": 0, "children_by_level": {}},
                )

            for village, record_type, n in conn.execute(self._counts_query()):
                bucket(str(village))[COUNTED_AS[record_type]] = int(n)
            levels = conn.execute(self._levels_query(conn)).all()
        for village, level, n in sorted(levels, key=lambda row: (row[0], row[1])):
            bucket(str(village))["children_by_level"][str(level)] = int(n)
        return dict(sorted(per_village.items()))

    def _counts_query(self) -> Any:
        rec, child = db.records, db.records.alias("child")
        village = func.coalesce(child.c.village_code, "").label("village_key")
        return (
            select(village, rec.c.record_type, func.count())
            .select_from(
                rec.outerjoin(
                    child,
                    and_(
                        child.c.record_id == rec.c.child_id,
                        child.c.record_type == "child",
                        child.c.deleted.is_(False),
                    ),
                )
            )
            .where(rec.c.deleted.is_(False), rec.c.record_type.in_(sorted(COUNTED_AS)))
            .group_by(village, rec.c.record_type)
        )

    def _levels_query(self, conn: Connection) -> Any:
        a, child = db.records.alias("assessment"), db.records.alias("child")
        data = _Json(conn.dialect.name, a.c.data)
        finished_on = data.python_str("finished_on", missing="")
        finished_on = case((data.truth("finished_on") == "False", ""), else_=finished_on)
        rank = (
            func.row_number()
            .over(
                partition_by=a.c.child_id,
                order_by=(
                    data.ordered(finished_on).desc(),
                    a.c.head_hlc.desc(),
                    a.c.record_id.desc(),
                ),
            )
            .label("rank")
        )
        finished = (
            select(
                a.c.child_id.label("child_id"),
                data.python_str("result", "level", missing="None").label("level"),
                rank,
            )
            .where(
                a.c.deleted.is_(False),
                a.c.record_type == "assessment",
                a.c.child_id.is_not(None),
                data.is_string("status"),
                data.text("status") == "finished",
                data.kind("result") == "object",
            )
            .subquery("finished")
        )
        village = func.coalesce(child.c.village_code, "").label("village_key")
        level = func.coalesce(finished.c.level, UNASSESSED).label("level_key")
        return (
            select(village, level, func.count())
            .select_from(
                child.outerjoin(
                    finished,
                    and_(finished.c.child_id == child.c.record_id, finished.c.rank == 1),
                )
            )
            .where(child.c.deleted.is_(False), child.c.record_type == "child")
            .group_by(village, level)
        )

    def stats(self, devices: list[dict[str, Any]]) -> dict[str, Any]:
        """Children, visits and assessments per village and level; last contact per device
        (``devices``: the device list)."""
        return {
            "villages": self.villages(),
            "devices": [
                {
                    "device_id": d["device_id"],
                    "label": d["label"],
                    "last_contact": d["last_contact"],
                    "revoked": d["revoked_at"] is not None,
                }
                for d in devices
            ],
        }
