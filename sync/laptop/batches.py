"""The batches step: the outbox (unsent revisions of synced types, neither in a kept batch nor
quarantined) turned into batches of bounded size — children with a mandatory report (强制报告)
or a red-level assessment first — each written age-encrypted to the district into
``<vault>/sync-outgoing/`` and listed before anything is sent, so a retry (network or stick)
sends the same bytes under the same batch id (docs/sync-protocol.md §14). Vault work."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterable
from typing import Any

from storage import outbox, sync_store
from storage.atomic_file import write_atomic
from storage.errors import RecordNotFoundError
from storage.records import ATTACHMENT_TYPE
from storage.vault import Vault
from sync.documents import build_batch_plaintext, encrypt_batch
from sync.errors import TooLargeError
from sync.laptop.enrollment import require
from sync.laptop.state import PendingBatch, SyncState, now_text
from sync.protocol_types import CHILD_LINKED, SYNCED_TYPES
from sync.wire import new_id, revision_id

DEFAULT_BATCH_REVISIONS = 500
DEFAULT_BATCH_BYTES = 4 * 1024 * 1024
SERVER_LIMIT = 16 * 1024 * 1024  # the district's largest request body
URGENT_LEVELS = ("red",)


def urgent_children(entries: Iterable[outbox.OutboxEntry]) -> set[str]:
    """Children whose unsent changes include a mandatory report, a red-level result or a
    screening that demands a report."""
    urgent: set[str] = set()
    for entry in entries:
        data = entry.revision.data
        kind = entry.revision.record_type
        child = str(data.get("child_id", ""))
        if kind == "mandatory_report" or (kind == "case" and data.get("mandatory_report")):
            urgent.add(child)
        elif kind == "assessment":
            result = data.get("result")
            if isinstance(result, dict) and result.get("level") in URGENT_LEVELS:
                urgent.add(child)
        elif kind == "screening":  # 心理状况筛查 whose finding demands a report (self-harm)
            result = data.get("result")
            if isinstance(result, dict) and result.get("mandatory_report"):
                urgent.add(child)
    urgent.discard("")
    return urgent


def ordered(entries: list[outbox.OutboxEntry]) -> list[outbox.OutboxEntry]:
    """Urgent children first (their child file before its linked records, so the district
    knows the child), then everything else; each record's revisions keep their order."""
    urgent = urgent_children(entries)

    def rank(entry: outbox.OutboxEntry) -> tuple[int, int]:
        r = entry.revision
        if r.record_type == "child" and r.record_id in urgent:
            return (0, entry.seq)
        if r.record_type == "mandatory_report" or (
            r.record_type == "workflow_step" and r.data.get("subject_type") == "mandatory_report"
        ):
            return (1, entry.seq)  # 强制报告 (issue 17): right after the children they name
        if r.record_type in CHILD_LINKED and str(r.data.get("child_id", "")) in urgent:
            return (2, entry.seq)
        return (3, entry.seq)

    return sorted(entries, key=rank)


def revision_item(entry: outbox.OutboxEntry) -> dict[str, Any]:
    r = entry.revision
    return {
        "kind": "revision",
        "id": revision_id(r.record_id, r.meta.hlc),
        "record_id": r.record_id,
        "record_type": r.record_type,
        "revision": r.revision,
        "hlc": r.meta.hlc,
        "device_id": r.meta.device_id,
        "author": r.author,
        "deleted": r.deleted,
        "base_hlc": entry.base_hlc,
        "data": r.data,
    }


def blob_item(vault: Vault, entry: outbox.OutboxEntry) -> dict[str, Any] | None:
    r = entry.revision
    if r.record_type != ATTACHMENT_TYPE or r.deleted:
        return None
    buffer = io.BytesIO()
    try:
        for chunk in vault.read_attachment(r.record_id):
            buffer.write(chunk)
    except RecordNotFoundError:
        return None  # deleted since: the tombstone follows in the outbox
    content = buffer.getvalue()
    return {
        "kind": "blob",
        "id": str(r.data.get("sha256")),
        "sha256": str(r.data.get("sha256")),
        "size": len(content),
        "data": base64.b64encode(content).decode("ascii"),
    }


def groups(
    vault: Vault, entries: list[outbox.OutboxEntry], max_revisions: int, max_bytes: int
) -> Iterable[list[dict[str, Any]]]:
    group: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        items = [revision_item(entry)]
        blob = blob_item(vault, entry)
        if blob is not None:
            items.append(blob)
        item_size = sum(len(json.dumps(i, ensure_ascii=False).encode()) for i in items) + 200
        if group and (len(group) + len(items) > max_revisions or size + item_size > max_bytes):
            yield group
            group, size = [], 0
        group.extend(items)
        size += item_size
    if group:
        yield group


def build_pending(
    state: SyncState,
    *,
    max_revisions: int = DEFAULT_BATCH_REVISIONS,
    max_bytes: int = DEFAULT_BATCH_BYTES,
) -> list[PendingBatch]:
    """Turn unsent revisions not yet in a kept batch (and not quarantined) into new kept
    batches; returns every kept batch, oldest sequence first. Revisions of types that never
    sync (keys, enrollment, conflicts, drafts …) are marked local-only on the way."""
    keys, pinned = require(state)
    vault = state.vault
    sync_store.mark_local_types(vault, SYNCED_TYPES)
    pending = state.pending_batches()
    taken = {revision_id(r, h) for b in pending for r, h in b.revisions}
    taken |= set(state.quarantine_map())
    entries = [
        e
        for e in outbox.unsent(vault)
        if e.revision.record_type in SYNCED_TYPES
        and revision_id(e.revision.record_id, e.revision.meta.hlc) not in taken
    ]
    if not entries:
        return pending
    sequence = state.sequence()
    cursor = state.cursor()
    state.outgoing_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for items in groups(vault, ordered(entries), max_revisions, max_bytes):
        sequence += 1
        batch_id = new_id()
        plaintext = build_batch_plaintext(
            batch_id=batch_id,
            device_id=vault.device_id,
            sequence=sequence,
            district_id=pinned.district_id,
            cursor=cursor,
            items=items,
            signer=keys.signing,
        )
        data = encrypt_batch(plaintext, pinned.district)
        if len(data) > SERVER_LIMIT:
            raise TooLargeError("an attachment is too large for one batch")
        name = f"{vault.device_id}-{sequence}.cdbatch"
        write_atomic(state.outgoing_dir / name, data)
        batch = PendingBatch(
            batch_id,
            sequence,
            name,
            tuple((i["record_id"], i["hlc"]) for i in items if i["kind"] == "revision"),
            sum(1 for i in items if i["kind"] == "blob"),
            now_text(),
        )
        pending.append(batch)
        with vault.transaction():
            state.set_sequence(sequence)
            state.save_pending(pending)
    return pending


def batch_bytes(state: SyncState, batch: PendingBatch) -> bytes:
    return (state.outgoing_dir / batch.file).read_bytes()


def drop_after_sequence_clash(state: SyncState, batch: PendingBatch) -> None:
    """The district already holds another batch under this sequence number (a vault restored
    from a backup): drop the kept batch and move the sequence past the clash; its revisions
    return to the outbox and go in a new batch next time."""
    kept = [b for b in state.pending_batches() if b.batch_id != batch.batch_id]
    with state.vault.transaction():
        state.save_pending(kept)
        state.set_sequence(max(state.sequence(), batch.sequence) + 100)
    (state.outgoing_dir / batch.file).unlink(missing_ok=True)
