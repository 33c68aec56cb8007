"""The merge step: a pulled revision is stored under its own clock and device (never resent)
and the record's state is recomputed from its local history plus the pulled revision with the
shared field merge (:mod:`sync.merge`, the district's rule). When the state differs from the
pulled revision a merge revision (author ``同步合并``) goes on top; each conflict goes to the
conflicts list (:mod:`sync.laptop.conflicts`). Vault work."""

from __future__ import annotations

import logging
from typing import Any, Literal

from storage import outbox, sync_store
from storage.errors import RecordNotFoundError
from storage.records import ATTACHMENT_TYPE, Revision
from sync.laptop.attachments import take_blob
from sync.laptop.conflicts import record_conflict
from sync.laptop.state import SyncReport, SyncState
from sync.merge import Conflict, Incoming, RecordState, apply
from sync.protocol_types import SYNCED_TYPES
from sync.wire import revision_id

log = logging.getLogger("childdesk.sync")

BASE_META = "sync.base."  # + revision id: the base clock of a pulled revision
MERGE_AUTHOR = "同步合并"  # author of the revisions the merge writes (shown in a record's history)


def _base_of(state: SyncState, revision: Revision, previous: Revision | None) -> str | None:
    if revision.meta.device_id != state.vault.device_id:
        stored = outbox.get_meta(
            state.vault, BASE_META + revision_id(revision.record_id, revision.meta.hlc)
        )
        if stored is not None:
            return stored or None
    return previous.meta.hlc if previous is not None else None


def _local_state(
    state: SyncState, record_type: str, local: list[Revision]
) -> tuple[RecordState | None, dict[str, Revision]]:
    """The record's state from its local history (merge revisions skipped: they only restate
    values of the revisions they merged, so they never win or lose a field)."""
    by_hlc = {r.meta.hlc: r for r in local}
    merged: RecordState | None = None
    previous: Revision | None = None
    for revision in local:
        rbase = _base_of(state, revision, previous)
        known = by_hlc.get(rbase) if rbase else None
        previous = revision
        if revision.author == MERGE_AUTHOR:
            continue
        merged, _ = apply(
            merged,
            record_type,
            Incoming(
                revision_id(revision.record_id, revision.meta.hlc),
                revision.meta.hlc,
                rbase,
                revision.deleted,
                revision.data,
            ),
            (known.data, known.deleted) if known else None,
        )
    return merged, by_hlc


def merge_pulled(
    state: SyncState,
    item: dict[str, Any],
    report: SyncReport,
    blobs: dict[str, dict[str, Any]] | None = None,
) -> Literal["applied", "skipped", "again"]:
    """Apply one pulled revision: "again" when it must be asked for again (an attachment whose
    file has not arrived intact), "skipped" when it is malformed, not a synced type or known
    already, else "applied"."""
    vault = state.vault
    try:
        record_id = str(item["record_id"])
        record_type = str(item["record_type"])
        hlc = str(item["hlc"])
        data = item.get("data") or {}
        deleted = bool(item.get("deleted", False))
        base_hlc = item.get("base_hlc")
        if not isinstance(data, dict):
            raise ValueError("data")
    except (KeyError, ValueError):
        log.warning("a pulled revision is malformed; skipped")
        return "skipped"
    if record_type not in SYNCED_TYPES:
        return "skipped"
    if sync_store.has_revision(vault, record_id, hlc):
        return "skipped"
    if record_type == ATTACHMENT_TYPE and not deleted:
        taken = take_blob(state, record_id, data, blobs or {}, report)
        if taken != "ok":
            return "skipped" if taken == "skip" else "again"
    base_text = str(base_hlc) if isinstance(base_hlc, str) else None
    try:
        local = vault.history(record_id)
    except RecordNotFoundError:
        local = []
    merged: tuple[dict[str, Any], bool] | None = None
    conflicts: list[Conflict] = []
    if local:
        current_state, by_hlc = _local_state(state, record_type, local)
        base_rev = by_hlc.get(base_text) if base_text else None
        incoming = Incoming(revision_id(record_id, hlc), hlc, base_text, deleted, data)
        if str(item.get("author", "")) != MERGE_AUTHOR:
            current_state, conflicts = apply(
                current_state,
                record_type,
                incoming,
                (base_rev.data, base_rev.deleted) if base_rev else None,
            )
        if current_state is not None and (
            current_state.data != data or current_state.deleted != deleted
        ):
            merged = (dict(current_state.data), current_state.deleted)
        current = current_state.data if current_state is not None else data
        child_id = record_id if record_type == "child" else str(current.get("child_id", ""))
    else:
        child_id = record_id if record_type == "child" else str(data.get("child_id", ""))
    pulled = sync_store.Pulled(
        record_id,
        record_type,
        hlc,
        str(item.get("device_id") or hlc.rsplit("-", 1)[-1]),
        str(item.get("author", "")),
        deleted,
        data,
    )
    with vault.transaction():
        outbox.set_meta(vault, BASE_META + revision_id(record_id, hlc), base_text or "")
        sync_store.store_pulled(vault, pulled, merged, author=MERGE_AUTHOR)
        for conflict in conflicts:
            record_conflict(state, record_id, record_type, child_id, conflict, local, data)
    report.pulled += 1
    report.merged += 1 if merged is not None else 0
    report.conflicts += len(conflicts)
    return "applied"
