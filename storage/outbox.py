"""The sync outbox: revisions no signed receipt has named yet (column ``receipt_id``, added by
migration 0002), and small plaintext sync counters in ``meta``.

A revision counts as sent only when :func:`mark_sent` records the receipt that named it;
nothing here ever deletes a revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.errors import RecordDamagedError
from storage.records import Revision
from storage.vault import Vault

LOCAL_ONLY = "local-only"  # receipt id of revisions that never leave the laptop


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    revision: Revision
    base_hlc: str | None  # the clock of the record's previous revision, None for a new record


def unsent(vault: Vault, *, after_seq: int = 0, limit: int | None = None) -> list[OutboxEntry]:
    """Unsent revisions in the order they were written (decrypted); damaged ones raise."""
    sql = (
        "SELECT r.seq, r.record_id, r.record_type, r.revision, r.hlc, r.device_id, r.deleted, "
        "r.nonce, r.ciphertext, p.hlc FROM revisions r LEFT JOIN revisions p "
        "ON p.record_id = r.record_id AND p.revision = r.revision - 1 "
        "WHERE r.receipt_id IS NULL AND r.seq > ? ORDER BY r.seq"
    )
    params: tuple[int, ...] = (after_seq,)
    if limit is not None:
        sql += " LIMIT ?"
        params = (after_seq, limit)
    with vault.session() as log:
        entries = []
        for row in log.rows(sql, params):
            revision = log.decode(row[1:9])
            if revision is None:
                raise RecordDamagedError(f"record {row[1]} revision {row[3]} is damaged")
            entries.append(OutboxEntry(int(row[0]), revision, row[9]))
        return entries


def pending_count(vault: Vault) -> int:
    with vault.session() as log:
        row = log.row("SELECT count(*) FROM revisions WHERE receipt_id IS NULL")
        return int(row[0]) if row else 0


def mark_sent(vault: Vault, revisions: Iterable[tuple[str, str]], receipt_id: str) -> int:
    """Record the receipt for (record_id, hlc) pairs still unsent; returns how many changed."""
    pairs = list(revisions)
    with vault.session() as log, log.transaction():
        return sum(
            log.execute(
                "UPDATE revisions SET receipt_id = ? "
                "WHERE record_id = ? AND hlc = ? AND receipt_id IS NULL",
                (receipt_id, record_id, hlc),
            )
            for record_id, hlc in pairs
        )


def mark_local(vault: Vault, record_id: str) -> None:
    """Revisions of a local-only record (device keys) never enter a batch."""
    with vault.session() as log, log.transaction():
        log.execute(
            "UPDATE revisions SET receipt_id = ? WHERE record_id = ? AND receipt_id IS NULL",
            (LOCAL_ONLY, record_id),
        )


def get_meta(vault: Vault, key: str) -> str | None:
    """A plaintext sync counter (never personal data): e.g. the batch sequence, the cursor."""
    with vault.session() as log:
        return log.get_meta(key)


def set_meta(vault: Vault, key: str, value: str) -> None:
    with vault.session() as log, log.transaction():
        log.set_meta(key, value)
