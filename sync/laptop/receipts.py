"""The receipts step: a receipt verified against the pinned district key marks what it
accepted as sent, puts what it rejected in the quarantine (with the server's reason code;
never deleted, left out of new batches until the director asks to try again) and forgets the
kept batch it names. Vault work."""

from __future__ import annotations

from typing import Any

from storage import outbox
from storage.errors import RecordNotFoundError
from sync.documents import Receipt, read_receipt
from sync.errors import NotForUsError
from sync.laptop.enrollment import require_keys
from sync.laptop.state import SyncReport, SyncState, now_text


def apply_receipt(state: SyncState, raw: bytes, report: SyncReport | None = None) -> Receipt | None:
    """Apply one receipt; None for a receipt that is not this device's (ignored). Applying
    the same receipt again changes nothing."""
    _keys, pinned = require_keys(state)
    vault = state.vault
    own = vault.device_id
    try:
        receipt = read_receipt(raw, pinned.district, device_id=own)
    except NotForUsError:
        return None
    pairs = []
    for accepted in receipt.accepted:
        record_id, sep, hlc = accepted.partition("@")
        if sep and hlc.endswith(own):
            pairs.append((record_id, hlc))
    changed = outbox.mark_sent(vault, pairs, receipt.receipt_id)
    quarantine: dict[str, Any] = state.quarantine_map()
    fresh_rejections = 0
    for rejection in receipt.rejected:
        record_id, _sep, _hlc = rejection.id.partition("@")
        if rejection.id in quarantine:
            continue
        try:
            record_type = vault.get(record_id, include_deleted=True).record_type
        except (RecordNotFoundError, ValueError):
            record_type = ""
        quarantine[rejection.id] = {
            "record_id": record_id,
            "record_type": record_type,
            "reason": rejection.reason[:60],
            "message": rejection.message[:300],
            "batch_id": receipt.batch_id,
            "at": now_text(),
        }
        fresh_rejections += 1
    pending = state.pending_batches()
    kept = [b for b in pending if b.batch_id != receipt.batch_id]
    with vault.transaction():
        state.set_quarantine_map(quarantine)
        if len(kept) != len(pending):
            state.save_pending(kept)
    for batch in pending:
        if batch.batch_id == receipt.batch_id:
            (state.outgoing_dir / batch.file).unlink(missing_ok=True)
    if changed or fresh_rejections:
        state.log_event(
            {
                "kind": "receipt",
                "batch_id": receipt.batch_id,
                "sequence": receipt.sequence,
                "accepted": len(receipt.accepted),
                "rejected": len(receipt.rejected),
            }
        )
    if report is not None and (changed or fresh_rejections or len(kept) != len(pending)):
        report.receipts += 1
        report.accepted += changed
        report.rejected += fresh_rejections
    return receipt
