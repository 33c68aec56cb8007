"""What the district itself writes: corrections (revisions under the district's own device id
and clock, merged like any device's) and published definitions — questionnaires, schedule
rules, calendar years — which every device pulls. A correction marks the children it touches
pending for the console's query tables, as ingest does (``query_tables.catch_up`` applies them);
publishing schedule rules rebuilds the tables in the same transaction: their due dates follow
the schedule in force."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, func, select

from sync.errors import MalformedError
from sync.server import db
from sync.server.core import Core
from sync.server.store import StoreSession
from sync.wire import canonical_json, new_id, revision_id, sha256_hex, utc_now


class Corrections:
    """The district's own writes."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def write_revision(
        self,
        *,
        record_type: str,
        data: dict[str, Any],
        author: str,
        record_id: str | None = None,
        deleted: bool = False,
    ) -> str:
        """A revision written at the district (a correction); returns its revision id."""
        district_id = self.core.district_id
        with self.core.write_lock, db.write_transaction(self.core.engine) as conn:
            record_id = record_id or new_id()
            row = conn.execute(
                select(db.records.c.head_hlc).where(db.records.c.record_id == record_id)
            ).first()
            last = conn.execute(
                select(func.max(db.revisions.c.hlc)).where(db.revisions.c.device_id == district_id)
            ).scalar_one()
            wall = int(time.time() * 1000)
            wall = max(wall, int(row.head_hlc[:13]) if row else 0)
            counter = 0
            if last and int(last[:13]) >= wall:
                wall, counter = int(last[:13]), int(last[14:20]) + 1
            hlc = f"{wall:013d}-{counter:06d}-{district_id}"
            revision_count = conn.execute(
                select(func.count())
                .select_from(db.revisions)
                .where(db.revisions.c.record_id == record_id)
            ).scalar_one()
            item = {
                "kind": "revision",
                "record_id": record_id,
                "record_type": record_type,
                "revision": int(revision_count) + 1,
                "hlc": hlc,
                "device_id": district_id,
                "author": author,
                "deleted": deleted,
                "base_hlc": row.head_hlc if row else None,
                "data": data,
            }
            session = StoreSession(conn)
            session.store_revision(item)
            from sync.server.console import query_tables  # the console's rows, as on ingest

            touched = query_tables.touched_ids(conn, session)
            session.flush()
            query_tables.mark_pending(conn, touched)  # applied by query_tables.catch_up
            return revision_id(record_id, hlc)

    def publish(self, kind: str, name: str, version: str, body: dict[str, Any]) -> None:
        """Publish a questionnaire definition, schedule rules or a calendar year to every
        device (new schedule rules also rebuild the console's due dates: :func:`publish_in`)."""
        with self.core.write_lock, db.write_transaction(self.core.engine) as conn:
            publish_in(conn, kind, name, version, body)


PUBLISHED_KINDS = ("questionnaire", "schedule", "calendar")


def publish_in(conn: Connection, kind: str, name: str, version: str, body: dict[str, Any]) -> int:
    """Insert a published definition in the caller's write transaction; returns its pub_seq.
    Schedule rules change every child's next due date, so the console's query tables are
    rebuilt here, in the same transaction (what ``childdesk-district reindex`` does)."""
    if kind not in PUBLISHED_KINDS:
        raise MalformedError("kind must be questionnaire, schedule or calendar")
    text = canonical_json(body).decode()
    result = conn.execute(
        db.published.insert().values(
            kind=kind,
            name=name,
            version=version,
            sha256=sha256_hex(text.encode()),
            body=text,
            published_at=utc_now(),
        )
    )
    seq = result.inserted_primary_key[0] if result.inserted_primary_key else 0
    if kind == "schedule":
        from sync.server.console import query_tables

        query_tables.rebuild(conn)
    return int(seq)
