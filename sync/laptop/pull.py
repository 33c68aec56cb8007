"""The pull step: one changes file (a network page or a stick's response) decrypted and
verified, its receipts applied, notices taken (a signed revocation stops syncing), published
definitions installed, revisions merged, and the cursor moved on — or held back at the first
page that had an attachment whose file did not arrive intact, so the next pull asks for it
again (at most ``REFETCH_LIMIT`` times in a row from the same cursor). Vault work."""

from __future__ import annotations

import logging

from sync.documents import read_changes
from sync.laptop.definitions import install_definition
from sync.laptop.enrollment import require_keys
from sync.laptop.merging import merge_pulled
from sync.laptop.messages import MessageCode, SyncMessage
from sync.laptop.receipts import apply_receipt
from sync.laptop.state import SyncReport, SyncState

log = logging.getLogger("childdesk.sync")

# Attachments whose file did not arrive intact: pull again from the cursor of the first page
# that had one (REFETCH_PASS_META, within one pass) on the next sync, at most REFETCH_LIMIT
# times in a row from the same cursor (REFETCH_META: {"from", "tries"}).
REFETCH_META = "sync.refetch"
REFETCH_PASS_META = "sync.refetch_first"  # noqa: S105 (a meta key, not a secret)
REFETCH_LIMIT = 20


def apply_changes(state: SyncState, data: bytes, report: SyncReport) -> str | None:
    """Apply one changes file; returns the cursor of the next page when the server has more,
    else None. Applying the same file twice changes nothing (revisions are applied by id,
    attachment files are found already stored, definitions already installed)."""
    keys, pinned = require_keys(state)
    changes = read_changes(data, keys, pinned.district, device_id=state.vault.device_id)
    for receipt in changes.receipts:
        apply_receipt(state, receipt.raw, report)
    for notice in changes.notices:
        if notice.get("notice") == "revoked":
            state.set_revoked(str(notice.get("text", "")))
            report.revoked = True
        elif notice.get("notice") == "message" and notice.get("text"):
            report.messages.append(
                SyncMessage(MessageCode.DISTRICT_NOTICE, text=str(notice["text"])[:500])
            )
    for definition in changes.definitions:
        install_definition(state, definition, report)
    blobs = {str(b.get("sha256", "")): b for b in changes.blobs}
    refused, waiting = report.attachments_refused, report.attachments_waiting
    unapplied = 0
    for item in changes.revisions:
        if merge_pulled(state, item, report, blobs) == "again":
            unapplied += 1
    refused = report.attachments_refused - refused
    waiting = report.attachments_waiting - waiting
    if refused:
        report.messages.append(SyncMessage(MessageCode.ATTACHMENTS_REFUSED, count=refused))
    if waiting:
        report.messages.append(SyncMessage(MessageCode.ATTACHMENTS_WAITING, count=waiting))
    _advance_cursor(state, changes.after, changes.next_cursor, changes.more, unapplied)
    return changes.next_cursor if changes.more else None


def _advance_cursor(
    state: SyncState, after: str, next_cursor: str, more: bool, unapplied: int
) -> None:
    """Store the next cursor — or, at the end of a pass in which an attachment could not be
    applied for want of its intact file, the cursor of the first page that had one, so the
    next pull asks for it again (everything else repeated is skipped by id)."""
    first = state.meta_json(REFETCH_PASS_META, None)
    if unapplied and not isinstance(first, str):
        first = after
        state.set_meta_json(REFETCH_PASS_META, first)
    if more:
        state.set_cursor(next_cursor)
        return
    cursor = next_cursor
    refetch = state.meta_json(REFETCH_META, None)
    with state.vault.transaction():
        if isinstance(first, str):
            tries = 1
            if isinstance(refetch, dict) and refetch.get("from") == first:
                tries = int(refetch.get("tries", 0)) + 1
            if tries <= REFETCH_LIMIT:
                cursor = first
                state.set_meta_json(REFETCH_META, {"from": first, "tries": tries})
            else:
                log.warning(
                    "attachment files still missing after %d pulls; not asking again",
                    REFETCH_LIMIT,
                )
                state.set_meta_json(REFETCH_META, None)
        elif refetch is not None:
            state.set_meta_json(REFETCH_META, None)
        state.set_meta_json(REFETCH_PASS_META, None)
        state.set_cursor(cursor)
