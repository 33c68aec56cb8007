"""Storing batches (docs/sync-protocol.md §6–§9): checks, merge and writes, with group commit.

A batch is verified and checked on its own first (decryption, signature, per-revision form,
content hash) without any lock. Then it joins a queue: whichever request holds the write lock
stores every batch waiting in one transaction — one commit (one fsync) and one bulk statement
per table for all of them, instead of one each. Every batch still gets its own receipt and its
own outcome: a refused batch (a reused id) is refused alone, and if the group's transaction
fails for any other reason, each batch of the group is retried in a transaction of its own, so
one bad batch never takes the others down and a batch is stored whole or not at all.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, bindparam, select

from sync.content_checks import blob_problem, json_problem, now_ms, safe_id
from sync.documents import Batch, BatchHeader, Rejection, build_receipt
from sync.errors import ReusedIdError, RevokedError, SyncError, UnknownDeviceError
from sync.server import db
from sync.server.console import query_tables
from sync.server.prepare import PreparedRevision, prepare_revision
from sync.server.store import StoreSession
from sync.wire import new_id, utc_now

log = logging.getLogger("childdesk.district")

MAX_GROUP_BATCHES = 64
MAX_GROUP_ITEMS = 20_000


@dataclass(frozen=True)
class IngestResult:
    receipt: bytes
    replay: bool
    accepted: int
    rejected: int


# ----- checks that need no database (done before queueing) --------------------------------


@dataclass
class PreparedBatch:
    batch: Batch
    via: str
    revisions: dict[int, PreparedRevision]  # by item index
    item_count: int
    refused: dict[int, Rejection] = field(default_factory=dict)  # other items, by index
    outcome: IngestResult | Exception | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def header(self) -> BatchHeader:
        return self.batch.header


def prepare_batch(batch: Batch, via: str, *, now: int | None = None) -> PreparedBatch:
    """Check every item of a verified batch against the protocol's schema (its envelope was
    checked by ``read_batch``): a bad item is refused alone, with its reason in the receipt.
    ``now``: the server's time in milliseconds, for the clock-skew bound."""
    device_id = batch.header.device_id
    now = now_ms() if now is None else now
    revisions: dict[int, PreparedRevision] = {}
    refused: dict[int, Rejection] = {}
    for index, item in enumerate(batch.document.items):
        if item.problem:  # a line that is not a readable JSON object
            rid = safe_id(item.id)
            if item.kind == "revision":
                revisions[index] = PreparedRevision({}, rid, ("malformed", item.problem))
            else:
                refused[index] = Rejection(rid, "malformed", item.problem)
        elif item.kind == "revision":
            revisions[index] = prepare_revision(item.body, device_id, now=now)
        elif item.kind == "blob":
            problem = blob_problem(item.body) or json_problem(item.body)
            if problem:
                refused[index] = Rejection(safe_id(item.body.get("sha256")), "malformed", problem)
        else:
            refused[index] = Rejection(
                safe_id(item.id), "malformed", f"unknown item kind {safe_id(item.kind, 40)!r}"
            )
    return PreparedBatch(batch, via, revisions, len(batch.document.items), refused)


# ----- the group queue -------------------------------------------------------------------


class GroupCommit:
    """Queue of prepared batches; the holder of ``lock`` stores every waiting batch at once."""

    def __init__(
        self,
        lock: threading.Lock,
        store: Callable[[Sequence[PreparedBatch]], None],
    ) -> None:
        self._lock = lock
        self._store = store
        self._queue: list[PreparedBatch] = []
        self._queue_lock = threading.Lock()

    def submit(self, work: PreparedBatch) -> IngestResult:
        with self._queue_lock:
            self._queue.append(work)
        while not work.done.is_set():
            with self._lock:
                if work.done.is_set():
                    break
                group = self._take()
                self._run(group)
        if isinstance(work.outcome, Exception):
            raise work.outcome
        assert work.outcome is not None
        return work.outcome

    def _take(self) -> list[PreparedBatch]:
        with self._queue_lock:
            group: list[PreparedBatch] = []
            items = 0
            while self._queue and len(group) < MAX_GROUP_BATCHES:
                if group and items + self._queue[0].item_count > MAX_GROUP_ITEMS:
                    break
                items += self._queue[0].item_count
                group.append(self._queue.pop(0))
            return group

    def _run(self, group: list[PreparedBatch]) -> None:
        try:
            self._store(group)
        except Exception as err:  # noqa: BLE001 - every waiting request must get an answer
            if len(group) == 1:
                group[0].outcome = err  # re-raised to the request that sent the batch
            else:
                # The group's transaction failed as a whole (rolled back): store each batch on
                # its own, so only the batch at fault fails.
                log.warning(
                    "a group of %d batches failed (%s); storing one by one",
                    len(group),
                    type(err).__name__,
                )
                for work in group:
                    work.outcome = None
                    self._run([work])
                return
        for work in group:
            work.done.set()


_INSERT_BATCH = db.batches.insert()
_INSERT_REJECTION = db.rejections.insert()
_UPDATE_DEVICE = (
    db.devices.update()
    .where(db.devices.c.device_id == bindparam("key"))
    .values(
        last_contact=bindparam("last_contact"),
        last_sequence=bindparam("last_sequence"),
        reported_cursor=bindparam("reported_cursor"),
    )
)


# ----- a group of batches in one transaction ---------------------------------------------


def store_group(
    engine: Engine,
    group: Sequence[PreparedBatch],
    *,
    district_id: str,
    signing: Ed25519PrivateKey,
    with_query_tables: bool = True,
) -> None:
    """Store a group of prepared batches in one transaction; sets each batch's outcome (its
    result, or the SyncError that refuses it alone). Raises when the transaction fails.
    ``with_query_tables=False`` does not even mark the touched children pending for the
    console's tables (bench baseline only)."""
    with db.write_transaction(engine) as conn:
        _GroupWriter(conn, district_id, signing, with_query_tables).run(group)
    for work in group:
        if isinstance(work.outcome, IngestResult) and not work.outcome.replay:
            log.info(
                "batch %s from %s via %s: %d accepted, %d rejected",
                work.header.batch_id,
                work.header.device_id,
                work.via,
                work.outcome.accepted,
                work.outcome.rejected,
            )


class _GroupWriter:
    def __init__(
        self,
        conn: Connection,
        district_id: str,
        signing: Ed25519PrivateKey,
        with_query_tables: bool = True,
    ) -> None:
        self.with_query_tables = with_query_tables
        self.conn = conn
        self.district_id = district_id
        self.signing = signing
        self.session = StoreSession(conn)

    def run(self, group: Sequence[PreparedBatch]) -> None:
        headers = [w.header for w in group]
        batch_ids = sorted({h.batch_id for h in headers})
        device_ids = sorted({h.device_id for h in headers})
        stored = {
            row.batch_id: row
            for row in self.conn.execute(
                select(
                    db.batches.c.batch_id,
                    db.batches.c.manifest_sha256,
                    db.batches.c.receipt,
                    db.batches.c.accepted,
                    db.batches.c.rejected,
                ).where(db.batches.c.batch_id.in_(batch_ids))
            )
        }
        sequences = {
            (row.device_id, row.sequence): row.batch_id
            for row in self.conn.execute(
                select(db.batches.c.device_id, db.batches.c.sequence, db.batches.c.batch_id).where(
                    db.batches.c.device_id.in_(device_ids),
                    db.batches.c.sequence.in_(sorted({h.sequence for h in headers})),
                )
            )
        }
        devices = {
            row.device_id: row
            for row in self.conn.execute(
                select(db.devices).where(db.devices.c.device_id.in_(device_ids))
            )
        }
        here: dict[str, PreparedBatch] = {}  # batch id → the batch stored by this group
        fresh: list[PreparedBatch] = []
        for work in group:
            header = work.header
            previous = stored.get(header.batch_id)
            first = here.get(header.batch_id)
            enrolled = devices.get(header.device_id)
            if enrolled is not None and enrolled.revoked_at is not None:
                work.outcome = _revoked(header.device_id)
            elif previous is not None:
                if previous.manifest_sha256 == work.batch.manifest_sha256:
                    work.outcome = IngestResult(
                        bytes(previous.receipt), True, previous.accepted, previous.rejected
                    )
                else:
                    work.outcome = _reused_id(header.batch_id)
            elif first is not None:
                pass  # settled below, once the first one's receipt exists
            elif sequences.get((header.device_id, header.sequence), header.batch_id) != (
                header.batch_id
            ):
                work.outcome = _reused_sequence(header.sequence)
            elif header.device_id not in devices:
                work.outcome = UnknownDeviceError(f"device {header.device_id} is not enrolled here")
            else:
                here[header.batch_id] = work
                sequences[(header.device_id, header.sequence)] = header.batch_id
                fresh.append(work)
        self.session.preload(
            [p.rev for w in fresh for p in w.revisions.values() if p.problem is None]
        )
        now = utc_now()
        batch_rows: list[dict[str, Any]] = []
        rejection_rows: list[dict[str, Any]] = []
        device_rows: dict[str, dict[str, Any]] = {
            d: {
                "key": d,
                "last_contact": now,
                "last_sequence": int(row.last_sequence),
                "reported_cursor": row.reported_cursor,
            }
            for d, row in devices.items()
        }
        for work in fresh:
            accepted, rejected = self._batch(work, devices[work.header.device_id])
            header = work.header
            receipt = build_receipt(
                receipt_id=new_id(),
                batch=header,
                manifest_sha256=work.batch.manifest_sha256,
                district_id=self.district_id,
                accepted=accepted,
                rejected=rejected,
                signer=self.signing,
            )
            work.outcome = IngestResult(receipt, False, len(accepted), len(rejected))
            batch_rows.append(
                {
                    "batch_id": header.batch_id,
                    "device_id": header.device_id,
                    "sequence": header.sequence,
                    "manifest_sha256": work.batch.manifest_sha256,
                    "received_at": now,
                    "via": work.via,
                    "accepted": len(accepted),
                    "rejected": len(rejected),
                    "receipt": receipt,
                }
            )
            for r in rejected:
                log.warning("rejected %s from %s: %s", r.id, header.device_id, r.reason)
                rejection_rows.append(
                    {
                        "batch_id": header.batch_id,
                        "device_id": header.device_id,
                        "item_id": r.id,
                        "reason": r.reason,
                        "at": now,
                    }
                )
            device = device_rows[header.device_id]
            if header.sequence > device["last_sequence"]:
                device["last_sequence"] = header.sequence
                if header.cursor:
                    device["reported_cursor"] = header.cursor
        for work in group:
            first = here.get(work.header.batch_id)
            if work.outcome is None and first is not None:
                result = first.outcome
                assert isinstance(result, IngestResult)
                if first.batch.manifest_sha256 == work.batch.manifest_sha256:
                    work.outcome = IngestResult(
                        result.receipt, True, result.accepted, result.rejected
                    )
                else:
                    work.outcome = _reused_id(work.header.batch_id)
        if self.with_query_tables:
            # the console's rows (issue 16): only marked here; derived off the ingest's
            # critical path by query_tables.catch_up (docs/district-server.md)
            touched = query_tables.touched_ids(self.conn, self.session)
            self.session.flush()
            query_tables.mark_pending(self.conn, touched)
        else:
            self.session.flush()
        if batch_rows:
            db.executemany(self.conn, _INSERT_BATCH, batch_rows)
        if rejection_rows:
            db.executemany(self.conn, _INSERT_REJECTION, rejection_rows)
        contacted = {w.header.device_id for w in fresh}  # a replay is not news: left as it is
        if contacted:
            db.executemany(self.conn, _UPDATE_DEVICE, [device_rows[d] for d in sorted(contacted)])

    def _batch(self, work: PreparedBatch, device: Any) -> tuple[list[str], list[Rejection]]:
        session = self.session
        session.scope = set(json.loads(device.villages))
        session.batch_id = work.header.batch_id
        accepted: list[str] = []
        rejected: list[Rejection] = []
        for index, item in enumerate(work.batch.document.items):
            refusal = work.refused.get(index)
            if refusal is not None:
                rejected.append(refusal)
            elif index in work.revisions:
                prepared = work.revisions[index]
                rejection = session.revision(prepared)
                if rejection is None:
                    accepted.append(prepared.rid)
                else:
                    rejected.append(rejection)
            elif item.kind == "blob":
                rid, rejection = session.blob(item.body, work.header.device_id)
                if rejection is None:
                    accepted.append(rid)
                else:
                    rejected.append(rejection)
            else:  # unreachable: prepare_batch refuses every other item
                rejected.append(Rejection(safe_id(item.id), "malformed", "unknown item"))
        return accepted, rejected


def _revoked(device_id: str) -> SyncError:
    err = RevokedError(f"device {device_id} has been revoked")
    err.device_id = device_id  # type: ignore[attr-defined]  # for the signed notice
    return err


def _reused_id(batch_id: str) -> SyncError:
    return ReusedIdError(f"batch id {batch_id} was used by another batch")


def _reused_sequence(sequence: int) -> SyncError:
    return ReusedIdError(f"sequence {sequence} was used by another batch", code="sequence_reused")
