"""Vault operations the laptop's sync engine needs beyond :mod:`storage.outbox`: storing a
revision pulled from the district under its own clock and device (never resent), optionally
followed by a merged head written on this device, and counting what is still to send.

Like ``outbox`` this module works through the vault's revision log
(:mod:`storage.revision_log`); it never deletes or rewrites a revision.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.hlc import HlcTimestamp
from storage.outbox import LOCAL_ONLY
from storage.records import Revision, RevisionMeta, validate_record_type
from storage.vault import Vault

PULLED = "pulled"  # receipt id of revisions that came from the district: never sent back


@dataclass(frozen=True)
class Pulled:
    record_id: str
    record_type: str
    hlc: str
    device_id: str
    author: str
    deleted: bool
    data: dict[str, Any]


def has_revision(vault: Vault, record_id: str, hlc: str) -> bool:
    with vault.session() as log:
        return log.has_revision(record_id, hlc)


def store_pulled(
    vault: Vault,
    pulled: Pulled,
    merged: tuple[dict[str, Any], bool] | None,
    *,
    author: str,
) -> Revision | None:
    """Append ``pulled`` to its record's history (marked never to send). When ``merged``
    (data, deleted) is given, the pulled revision is not the record's state: a merged head is
    written on top of it by this device (unsent, so the district learns the merge). Returns the
    merged revision, if any. One transaction; a revision already present is left alone."""
    validate_record_type(pulled.record_type)
    with vault.session() as log, log.transaction():
        if log.has_revision(pulled.record_id, pulled.hlc):
            return None
        head = log.head(pulled.record_id)
        if head is not None and head[1] != pulled.record_type:
            raise ValueError(f"record {pulled.record_id} has another type")
        number = (head[0] + 1) if head else 1
        log.observe(pulled.hlc)
        meta = RevisionMeta(
            pulled.record_id,
            pulled.record_type,
            number,
            pulled.hlc,
            pulled.device_id,
            pulled.deleted,
        )
        log.append(meta, pulled.author, pulled.data, head=merged is None, receipt_id=PULLED)
        if merged is None:
            return None
        data, deleted = merged
        # The merge re-states values that are already the record's: it is dated just after the
        # newest revision it merged, not "now", so a real edit made elsewhere in between still
        # wins over it by the clock.
        newest = log.row("SELECT max(hlc) FROM revisions WHERE record_id = ?", (pulled.record_id,))
        top = HlcTimestamp.decode(str(newest[0] if newest else pulled.hlc))
        stamp = HlcTimestamp(top.wall_ms, top.counter + 1, log.device_id).encode()
        mmeta = RevisionMeta(
            pulled.record_id, pulled.record_type, number + 1, stamp, log.device_id, deleted
        )
        return log.append(mmeta, author, data)


def pending_count(vault: Vault, types: Sequence[str], excluded: Sequence[str] = ()) -> int:
    """Unsent revisions of the synced ``types``, minus ``excluded`` revision ids
    (``record_id@hlc``, e.g. quarantined ones)."""
    if not types:
        return 0
    marks = ",".join("?" for _ in types)
    with vault.session() as log:
        rows = log.rows(
            "SELECT record_id, hlc FROM revisions WHERE receipt_id IS NULL "  # noqa: S608 (placeholders only)
            f"AND record_type IN ({marks})",
            tuple(types),
        )
    skip = set(excluded)
    return sum(1 for r in rows if f"{r[0]}@{r[1]}" not in skip)


def mark_local_types(vault: Vault, synced: Sequence[str]) -> int:
    """Mark every unsent revision of a type that never syncs (device keys, enrollment, the
    recovery code, drafts, conflicts …) as local-only, so it is never counted or sent."""
    marks = ",".join("?" for _ in synced)
    with vault.session() as log, log.transaction():
        return log.execute(
            f"UPDATE revisions SET receipt_id = ? WHERE receipt_id IS NULL "  # noqa: S608
            f"AND record_type NOT IN ({marks})",
            (LOCAL_ONLY, *synced),
        )


def new_record_id() -> str:
    return secrets.token_hex(16)
