"""The changes feed (docs/sync-protocol.md): what a device pulls after its cursor — revisions in
its villages' scope written by others, their attachment blobs, published definitions, notices
and, on a stick, its latest receipts — as one file age-encrypted to it and signed by the
district. The cursor names the last revision and publication sequence numbers sent."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from sync import agefile
from sync.content_checks import CURSOR_RE  # one grammar for the cursor, fullmatch, ASCII
from sync.documents import build_changes
from sync.errors import SyncError
from sync.server import db
from sync.server.core import Core, enrolled_device
from sync.wire import new_id

CHANGES_PAGE = 2000
USB_RECEIPTS = 50


def make_cursor(revision_seq: int, published_seq: int) -> str:
    return f"c1.{revision_seq}.{published_seq}"


def parse_cursor(cursor: str) -> tuple[int, int]:
    if cursor in ("", "0"):
        return 0, 0
    match = CURSOR_RE.fullmatch(cursor)
    if not match:
        raise SyncError("the changes cursor is not valid", code="bad_cursor")
    return int(match.group(1)), int(match.group(2))


def _notice(n: Any) -> dict[str, Any]:
    return {"kind": "notice", "notice": n.notice, "text": n.text, "created": n.created_at}


class Feed:
    """Builds the changes files of one district."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def changes(self, device_id: str, after: str, *, with_receipts: bool = False) -> bytes:
        """The response file for a device: age-encrypted to it, signed by the district."""
        rev_after, pub_after = parse_cursor(after)
        with self.core.engine.connect() as conn:
            device = enrolled_device(conn, device_id)
            items: list[dict[str, Any]] = []
            if device.revoked_at is not None:
                next_cursor, more = after, False
                items.extend(
                    _notice(n)
                    for n in conn.execute(
                        select(db.notices).where(db.notices.c.device_id == device_id)
                    )
                )
            else:
                villages = json.loads(device.villages)
                revs, last_seq, more = self._revisions(conn, device_id, villages, rev_after)
                items.extend(revs)
                items.extend(self._blobs_for(conn, revs))
                definitions, pub_last = self._definitions(conn, pub_after)
                items.extend(definitions)
                next_cursor = make_cursor(max(last_seq, rev_after), pub_last)
                items.extend(
                    _notice(n)
                    for n in conn.execute(
                        select(db.notices).where(
                            db.notices.c.device_id == device_id, db.notices.c.notice == "message"
                        )
                    )
                )
            if with_receipts:
                items.extend(self._receipts(conn, device_id))
        plaintext = build_changes(
            response_id=new_id(),
            device_id=device_id,
            district_id=self.core.district_id,
            after=after,
            next_cursor=next_cursor,
            more=more,
            items=items,
            signer=self.core.keys.signing,
        )
        return agefile.encrypt(plaintext, device.age_recipient)

    def _revisions(
        self, conn: Connection, device_id: str, villages: list[str], after: int
    ) -> tuple[list[dict[str, Any]], int, bool]:
        r, rec, child = db.revisions, db.records, db.records.alias("child")
        in_scope = or_(
            child.c.village_code.in_(villages),
            child.c.transfer_to.in_(villages),
            and_(rec.c.child_id.is_(None), rec.c.village_code.in_(villages)),
        )
        query = (
            select(r)
            .select_from(
                r.join(rec, rec.c.record_id == r.c.record_id).outerjoin(
                    child, child.c.record_id == rec.c.child_id
                )
            )
            .where(
                r.c.device_id != device_id,
                in_scope,
                or_(r.c.seq > after, child.c.scope_seq > after),
            )
            .order_by(r.c.seq)
            .limit(CHANGES_PAGE + 1)
        )
        rows = conn.execute(query).all()
        more = len(rows) > CHANGES_PAGE
        rows = rows[:CHANGES_PAGE]
        items = [
            {
                "kind": "revision",
                "seq": row.seq,
                "record_id": row.record_id,
                "record_type": row.record_type,
                "revision": row.revision,
                "hlc": row.hlc,
                "device_id": row.device_id,
                "author": row.author,
                "deleted": row.deleted,
                "base_hlc": row.base_hlc,
                "data": json.loads(row.data),
            }
            for row in rows
        ]
        last = rows[-1].seq if rows else after
        return items, int(last), more

    def _blobs_for(self, conn: Connection, revs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        wanted = {
            str(r["data"].get("sha256"))
            for r in revs
            if r["record_type"] == "attachment" and not r["deleted"]
        }
        if not wanted:
            return []
        rows = conn.execute(select(db.blobs).where(db.blobs.c.sha256.in_(sorted(wanted)))).all()
        return [
            {
                "kind": "blob",
                "sha256": b.sha256,
                "size": b.size,
                "data": base64.b64encode(bytes(b.data)).decode("ascii"),
            }
            for b in rows
        ]

    def _definitions(self, conn: Connection, after: int) -> tuple[list[dict[str, Any]], int]:
        """Definitions published after ``after`` and the last publication's sequence."""
        pubs = conn.execute(
            select(db.published)
            .where(db.published.c.pub_seq > after)
            .order_by(db.published.c.pub_seq)
        ).all()
        items = [
            {
                "kind": "definition",
                "definition_kind": p.kind,
                "name": p.name,
                "version": p.version,
                "sha256": p.sha256,
                "seq": p.pub_seq,  # publication order: the laptop's "newest"
                "published_at": p.published_at,
                "body": json.loads(p.body),
            }
            for p in pubs
        ]
        return items, (pubs[-1].pub_seq if pubs else after)

    def _receipts(self, conn: Connection, device_id: str) -> list[dict[str, Any]]:
        """The device's latest receipts (a stick carries them back with the changes)."""
        return [
            {
                "kind": "receipt",
                "id": b.batch_id,
                "batch_id": b.batch_id,
                "document": bytes(b.receipt).decode("utf-8"),
            }
            for b in conn.execute(
                select(db.batches.c.batch_id, db.batches.c.receipt)
                .where(db.batches.c.device_id == device_id)
                .order_by(db.batches.c.sequence.desc())
                .limit(USB_RECEIPTS)
            )
        ]
