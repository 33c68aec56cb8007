"""Merging and writing revisions inside one transaction of the district database
(docs/sync-protocol.md §8): a cache of the records' merged states with their derived scope
columns, sequence numbers assigned under the write lock, and bulk writes at ``flush``."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from sync.documents import Rejection
from sync.merge import ABSENT, DELETED_FIELD, FieldStamp, Incoming, RecordState, apply
from sync.protocol_types import CHILD_LINKED, VILLAGE_HELD
from sync.server import db
from sync.server.prepare import PreparedRevision, content_hash
from sync.wire import canonical_json, revision_id

FRESH_FIELDS = ""


def _stamps(
    record_id: str, head_hlc: str, data: dict[str, Any], fields: str
) -> dict[str, FieldStamp]:
    """The field stamps stored in a records row; FRESH_FIELDS stands for a record with a
    single revision written from nothing (no base), which stamped every field."""
    if fields == FRESH_FIELDS:
        stamp = FieldStamp(head_hlc, revision_id(record_id, head_hlc), None)
        stamps = dict.fromkeys(data, stamp)
        stamps[DELETED_FIELD] = stamp
        return stamps
    return {k: FieldStamp.from_json(v) for k, v in json.loads(fields).items()}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class StoreSession:
    """Merge and write revisions inside one transaction (under the write lock): a record cache
    with derived columns, sequence numbers, and bulk writes at :meth:`flush`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.scope: set[str] = set()
        self.batch_id: str | None = None
        self.states: dict[str, tuple[RecordState, dict[str, Any]]] = {}
        self.new_records: set[str] = set()
        self.dirty: set[str] = set()
        self.conflict_rows: list[dict[str, Any]] = []
        self.stored_here: dict[str, tuple[dict[str, Any], bool]] = {}
        self.looked_up: set[str] = set()  # record ids already fetched (found or not)
        self.revision_rows: list[tuple[Any, ...]] = []  # in _REVISION_COLUMNS order
        self.next_seq: int | None = None
        self.existing: dict[str, str] = {}  # revision id → content hash, stored or stored here
        self.bases: dict[str, tuple[dict[str, Any], bool]] = {}

    # the record cache: merged state plus derived columns
    def load(self, record_ids: Iterable[str]) -> None:
        missing = sorted({r for r in record_ids if r and r not in self.looked_up})
        self.looked_up.update(missing)
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            for row in self.conn.execute(_RECORDS_BY_ID, {"ids": chunk}):
                data = json.loads(row.data)
                state = RecordState(
                    row.record_type,
                    data,
                    bool(row.deleted),
                    _stamps(row.record_id, row.head_hlc, data, row.fields),
                    row.head_hlc,
                )
                cols = {
                    "child_id": row.child_id,
                    "village_code": row.village_code,
                    "transfer_to": row.transfer_to,
                    "scope_seq": row.scope_seq,
                    "updated_seq": row.updated_seq,
                }
                self.states[row.record_id] = (state, cols)

    def preload(self, revisions: Sequence[dict[str, Any]]) -> None:
        """Fetch, in a few queries, everything the revisions' checks and merges will read."""
        refs: set[str] = set()
        for rev in revisions:
            refs.add(str(rev.get("record_id")))
            data = rev.get("data")
            if isinstance(data, dict):
                for key in ("child_id", "owner_id"):
                    if isinstance(data.get(key), str):
                        refs.add(data[key])
        self.load(refs)
        self.load(str(s[1]["child_id"]) for s in self.states.values() if s[1]["child_id"])
        ids = sorted({str(r.get("record_id")) for r in revisions})
        wanted = {
            (str(r.get("record_id")), str(r.get("base_hlc")))
            for r in revisions
            if isinstance(r.get("base_hlc"), str)
        }
        for start in range(0, len(ids), 500):
            for row in self.conn.execute(_HASHES_BY_RECORD, {"ids": ids[start : start + 500]}):
                self.existing[revision_id(row.record_id, row.hlc)] = row.content_sha256
        self.bases.update(self.fetch_bases(wanted))

    def fetch_bases(self, wanted: set[tuple[str, str]]) -> dict[str, tuple[dict[str, Any], bool]]:
        found: dict[str, tuple[dict[str, Any], bool]] = {}
        ids = sorted({w[0] for w in wanted})
        for start in range(0, len(ids), 500):
            for row in self.conn.execute(_DATA_BY_RECORD, {"ids": ids[start : start + 500]}):
                if (row.record_id, row.hlc) in wanted:
                    found[revision_id(row.record_id, row.hlc)] = (
                        json.loads(row.data),
                        bool(row.deleted),
                    )
        return found

    def revision(self, prepared: PreparedRevision) -> Rejection | None:
        """Check one prepared revision against the stored state and store it; returns the
        rejection, or None when accepted (also when it is stored already, identically)."""
        rid, rev = prepared.rid, prepared.rev
        if prepared.problem:
            return Rejection(rid[:120], *prepared.problem)
        if rid in self.existing:
            if self.existing[rid] == prepared.content:
                return None  # already stored: accepted again, not stored twice
            return Rejection(
                rid[:120], "conflicting_duplicate", "a different revision with this id is stored"
            )
        reason = self._scope_problem(rev)
        if reason:
            return Rejection(rid[:120], *reason)
        base = self.bases.get(revision_id(rev["record_id"], rev["base_hlc"] or ""))
        if base is None and rev["base_hlc"] is not None:
            base = self.stored_here.get(revision_id(rev["record_id"], rev["base_hlc"]))
        self.store_revision(rev, base, content=prepared.content, data_json=prepared.data_json)
        self.existing[rid] = prepared.content
        return None

    def _villages(self, record_id: str | None) -> set[str] | None:
        """The villages a stored child (or profile) belongs to; None when unknown."""
        if not record_id or record_id not in self.states:
            return None
        state, cols = self.states[record_id]
        if state.record_type == "child" or cols["child_id"] is None:
            return {v for v in (cols["village_code"], cols["transfer_to"]) if v}
        return self._villages(cols["child_id"])

    def _scope_problem(self, rev: dict[str, Any]) -> tuple[str, str] | None:
        record_id, record_type, data = rev["record_id"], rev["record_type"], rev["data"]
        current = self.states.get(record_id)
        if current is not None and current[0].record_type != record_type:
            return "type_mismatch", "the record exists with another type"
        if current is not None:
            had = self._villages(record_id)
            if had is not None and not had & self.scope:
                return "out_of_scope", "the record belongs to a village outside this device"
        if rev["deleted"]:
            if current is None:
                return "unknown_record", "a deletion of a record the district does not know"
            return None
        if record_type in ("child", *VILLAGE_HELD):
            # Checked by sync/content_checks.py already; only text is ever looked at here.
            villages = [data.get("village_code")]
            transfer = data.get("transfer")
            if record_type == "child" and isinstance(transfer, dict):
                villages.append(transfer.get("to_village_code"))
            if not {v for v in villages if isinstance(v, str)} & self.scope:
                return "out_of_scope", "the village is outside this device's scope"
            return None
        owner_key = "owner_id" if record_type == "attachment" else "child_id"
        owner = data.get(owner_key)
        villages_of_owner = self._villages(owner if isinstance(owner, str) else None)
        if villages_of_owner is None:
            return "unknown_child", "the child this record belongs to is not known here"
        if not villages_of_owner & self.scope:
            return "out_of_scope", "the child belongs to a village outside this device's scope"
        return None

    def store_revision(
        self,
        rev: dict[str, Any],
        base: tuple[dict[str, Any], bool] | None = None,
        *,
        content: str = "",
        data_json: str = "",
    ) -> None:
        record_id = rev["record_id"]
        if record_id not in self.looked_up:
            self.load([record_id])
        if rev.get("base_hlc") and base is None:
            found = self.fetch_bases({(record_id, rev["base_hlc"])})
            base = found.get(revision_id(record_id, rev["base_hlc"]))
        seq = self._take_seq()
        self.revision_rows.append(
            (
                seq,
                record_id,
                rev["hlc"],
                rev["record_type"],
                rev["revision"],
                rev["device_id"],
                rev["author"],
                rev["deleted"],
                rev["base_hlc"],
                data_json or canonical_json(rev["data"]).decode(),
                content or content_hash(rev),
                self.batch_id,
            )
        )
        rid = revision_id(record_id, rev["hlc"])
        self.stored_here[rid] = (rev["data"], rev["deleted"])
        previous = self.states.get(record_id)
        incoming = Incoming(rid, rev["hlc"], rev["base_hlc"], rev["deleted"], rev["data"])
        if previous is None:
            self.new_records.add(record_id)
            cols: dict[str, Any] = {
                "child_id": None,
                "village_code": None,
                "transfer_to": None,
                "scope_seq": seq,
                "updated_seq": seq,
            }
            state, conflicts = apply(None, rev["record_type"], incoming, base)
            if rev["base_hlc"] is None and not rev["deleted"]:
                # A record with one revision written from nothing: its data is that revision's
                # and every field's stamp is that revision, so neither needs encoding again.
                cols["fresh"] = True
                cols["data_json"] = data_json
        else:
            state, cols = previous
            state, conflicts = apply(state, rev["record_type"], incoming, base)
            cols.pop("fresh", None)
            cols.pop("data_json", None)
        before = (cols["village_code"], cols["transfer_to"])
        self._derive(state, cols)
        if previous is not None and before != (cols["village_code"], cols["transfer_to"]):
            cols["scope_seq"] = seq  # a transfer: the new village gets the whole history
        cols["updated_seq"] = seq
        self.states[record_id] = (state, cols)
        self.dirty.add(record_id)
        for c in conflicts:
            self.conflict_rows.append(
                {
                    "record_id": record_id,
                    "field": c.field,
                    "losing_revision": c.losing_revision,
                    "losing_value": json.dumps(
                        {"present": c.losing_value is not ABSENT, "value": None}
                        if c.losing_value is ABSENT
                        else {"present": True, "value": c.losing_value},
                        ensure_ascii=False,
                    ),
                    "winning_revision": c.winning_revision,
                    "seq": seq,
                }
            )

    def _derive(self, state: RecordState, cols: dict[str, Any]) -> None:
        data = state.data
        if state.record_type == "child":
            cols["child_id"] = None
            cols["village_code"] = _str_or_none(data.get("village_code"))
            transfer = data.get("transfer")
            cols["transfer_to"] = (
                _str_or_none(transfer.get("to_village_code"))
                if isinstance(transfer, dict)
                else None
            )
        elif state.record_type in VILLAGE_HELD:
            cols["village_code"] = _str_or_none(data.get("village_code"))
        elif state.record_type in CHILD_LINKED:
            cols["child_id"] = _str_or_none(data.get("child_id"))
        elif state.record_type == "attachment":
            owner = _str_or_none(data.get("owner_id"))
            owner_state = self.states.get(owner or "")
            if owner_state is not None and owner_state[0].record_type in VILLAGE_HELD:
                # an activity's photo (issue 19): held by the activity's village, like it
                owner = None
                cols["village_code"] = owner_state[1]["village_code"]
            elif owner_state is not None and owner_state[0].record_type != "child":
                owner = owner_state[1]["child_id"]
            cols["child_id"] = owner

    def blob(self, blob: dict[str, Any], device_id: str) -> tuple[str, Rejection | None]:
        sha = blob.get("sha256")
        rid = str(sha)[:64]
        data = blob.get("data")
        size = blob.get("size")
        if not isinstance(sha, str) or not isinstance(data, str) or not isinstance(size, int):
            return rid, Rejection(rid, "malformed", "the blob item is malformed")
        try:
            content = base64.b64decode(data.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            return rid, Rejection(rid, "malformed", "the blob data is not base64")
        if hashlib.sha256(content).hexdigest() != sha or len(content) != size:
            return rid, Rejection(rid, "blob_mismatch", "the blob does not match its hash or size")
        present = self.conn.execute(
            select(db.blobs.c.sha256).where(db.blobs.c.sha256 == sha)
        ).first()
        if present is None:
            self.conn.execute(
                db.blobs.insert().values(sha256=sha, size=size, data=content, device_id=device_id)
            )
        return sha, None

    def _take_seq(self) -> int:
        """Sequence numbers are assigned here, under the write lock (one writer at a time), so
        rows can be inserted in bulk and the changes cursor sees them in commit order."""
        if self.next_seq is None:
            last = self.conn.execute(select(func.max(db.revisions.c.seq))).scalar_one()
            self.next_seq = int(last or 0) + 1
        seq = self.next_seq
        self.next_seq += 1
        return seq

    def flush(self) -> None:
        """Write the revisions, merged states and conflicts of every record touched."""
        if self.revision_rows:
            db.executemany_rows(self.conn, _INSERT_REVISION, _REVISION_COLUMNS, self.revision_rows)
            self.revision_rows = []
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for record_id in sorted(self.dirty):
            state, cols = self.states[record_id]
            values = (
                state.record_type,
                cols["child_id"] if state.record_type != "child" else record_id,
                cols["village_code"],
                cols["transfer_to"],
                cols["scope_seq"],
                state.head_hlc,
                state.deleted,
                cols.get("data_json") or canonical_json(state.data).decode(),
                # Stamps are tuples (JSON arrays); "" = all by the one revision (_stamps).
                FRESH_FIELDS if cols.get("fresh") else json.dumps(state.stamps),
                cols["updated_seq"],
            )
            if record_id in self.new_records:
                inserts.append((record_id, *values))
            else:
                updates.append((*values, record_id))
        db.executemany_rows(self.conn, _INSERT_RECORD, ("record_id", *_RECORD_COLUMNS), inserts)
        db.executemany_rows(self.conn, _UPDATE_RECORD, (*_RECORD_COLUMNS, "key"), updates)
        if self.conflict_rows:
            db.executemany(self.conn, _INSERT_CONFLICT, self.conflict_rows)
        self.new_records.clear()
        self.dirty.clear()
        self.conflict_rows = []


_RECORD_COLUMNS = (
    "record_type",
    "child_id",
    "village_code",
    "transfer_to",
    "scope_seq",
    "head_hlc",
    "deleted",
    "data",
    "fields",
    "updated_seq",
)
_REVISION_COLUMNS = (
    "seq",
    "record_id",
    "hlc",
    "record_type",
    "revision",
    "device_id",
    "author",
    "deleted",
    "base_hlc",
    "data",
    "content_sha256",
    "batch_id",
)
_INSERT_REVISION = db.revisions.insert()
# Built once: expanding IN parameters instead of one bound value per id and query.
_IDS: Any = bindparam("ids", expanding=True)
_RECORDS_BY_ID = select(db.records).where(db.records.c.record_id.in_(_IDS))
_HASHES_BY_RECORD = select(
    db.revisions.c.record_id, db.revisions.c.hlc, db.revisions.c.content_sha256
).where(db.revisions.c.record_id.in_(_IDS))
_DATA_BY_RECORD = select(
    db.revisions.c.record_id, db.revisions.c.hlc, db.revisions.c.data, db.revisions.c.deleted
).where(db.revisions.c.record_id.in_(_IDS))
_INSERT_RECORD = db.records.insert()
_INSERT_CONFLICT = db.conflicts.insert()
_UPDATE_RECORD = (
    db.records.update()
    .where(db.records.c.record_id == bindparam("key"))
    .values({name: bindparam(name) for name in _RECORD_COLUMNS})
)
