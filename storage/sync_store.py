"""Vault operations the laptop's sync engine needs beyond :mod:`storage.outbox`: storing a
revision pulled from the district under its own clock and device (never resent), optionally
followed by a merged head written on this device, and counting what is still to send.

Like ``outbox`` this module works on the vault's internals under its lock; it never deletes
or rewrites a revision.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.database import immediate_transaction
from storage.hlc import HlcTimestamp
from storage.outbox import LOCAL_ONLY
from storage.paths import VaultPaths
from storage.records import Revision, RevisionMeta, validate_record_type
from storage.vault import Vault, _guard, _read_header

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
    with vault._lock:
        conn, _cipher, _keys = vault._live()
        row = _guard(
            lambda: conn.execute(
                "SELECT 1 FROM revisions WHERE record_id = ? AND hlc = ?", (record_id, hlc)
            ).fetchone()
        )
        return row is not None


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
    with vault._lock:
        conn, cipher, _keys = vault._live()

        def write() -> Revision | None:
            with immediate_transaction(conn):
                if conn.execute(
                    "SELECT 1 FROM revisions WHERE record_id = ? AND hlc = ?",
                    (pulled.record_id, pulled.hlc),
                ).fetchone():
                    return None
                head = conn.execute(
                    "SELECT revision, record_type FROM revisions "
                    "WHERE record_id = ? AND is_head = 1",
                    (pulled.record_id,),
                ).fetchone()
                if head is not None and head[1] != pulled.record_type:
                    raise ValueError(f"record {pulled.record_id} has another type")
                number = (head[0] + 1) if head else 1
                last = vault._clock.observe(HlcTimestamp.decode(pulled.hlc)).encode()
                meta = RevisionMeta(
                    pulled.record_id,
                    pulled.record_type,
                    number,
                    pulled.hlc,
                    pulled.device_id,
                    pulled.deleted,
                )
                nonce, sealed = cipher.seal(meta, pulled.author, pulled.data)
                conn.execute(
                    "UPDATE revisions SET is_head = 0 WHERE record_id = ? AND is_head = 1",
                    (pulled.record_id,),
                )
                conn.execute(
                    "INSERT INTO revisions (record_id, record_type, revision, hlc, device_id, "
                    "deleted, is_head, nonce, ciphertext, receipt_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        pulled.record_id,
                        pulled.record_type,
                        number,
                        pulled.hlc,
                        pulled.device_id,
                        int(pulled.deleted),
                        0 if merged is not None else 1,
                        nonce,
                        sealed,
                        PULLED,
                    ),
                )
                result: Revision | None = None
                if merged is not None:
                    data, deleted = merged
                    # The merge re-states values that are already the record's: it is dated
                    # just after the newest revision it merged, not "now", so a real edit made
                    # elsewhere in between still wins over it by the clock.
                    newest = conn.execute(
                        "SELECT max(hlc) FROM revisions WHERE record_id = ?",
                        (pulled.record_id,),
                    ).fetchone()[0]
                    top = HlcTimestamp.decode(str(newest))
                    stamp = HlcTimestamp(top.wall_ms, top.counter + 1, vault.device_id).encode()
                    mmeta = RevisionMeta(
                        pulled.record_id,
                        pulled.record_type,
                        number + 1,
                        stamp,
                        vault.device_id,
                        deleted,
                    )
                    mnonce, msealed = cipher.seal(mmeta, author, data)
                    conn.execute(
                        "INSERT INTO revisions (record_id, record_type, revision, hlc, device_id, "
                        "deleted, is_head, nonce, ciphertext) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                        (
                            pulled.record_id,
                            pulled.record_type,
                            number + 1,
                            stamp,
                            vault.device_id,
                            int(deleted),
                            mnonce,
                            msealed,
                        ),
                    )
                    result = Revision(mmeta, author, data)
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('hlc', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (last,),
                )
                return result

        return _guard(write)


def pending_count(vault: Vault, types: Sequence[str], excluded: Sequence[str] = ()) -> int:
    """Unsent revisions of the synced ``types``, minus ``excluded`` revision ids
    (``record_id@hlc``, e.g. quarantined ones)."""
    if not types:
        return 0
    marks = ",".join("?" for _ in types)
    with vault._lock:
        conn, _cipher, _keys = vault._live()
        rows = _guard(
            lambda: conn.execute(
                "SELECT record_id, hlc FROM revisions WHERE receipt_id IS NULL "  # noqa: S608 (placeholders only)
                f"AND record_type IN ({marks})",
                tuple(types),
            ).fetchall()
        )
        skip = set(excluded)
        return sum(1 for r in rows if f"{r[0]}@{r[1]}" not in skip)


def mark_local_types(vault: Vault, synced: Sequence[str]) -> int:
    """Mark every unsent revision of a type that never syncs (device keys, enrollment, the
    recovery code, drafts, conflicts …) as local-only, so it is never counted or sent."""
    marks = ",".join("?" for _ in synced)
    with vault._lock:
        conn, _cipher, _keys = vault._live()

        def write() -> int:
            with immediate_transaction(conn):
                return int(
                    conn.execute(
                        f"UPDATE revisions SET receipt_id = ? WHERE receipt_id IS NULL "  # noqa: S608
                        f"AND record_type NOT IN ({marks})",
                        (LOCAL_ONLY, *synced),
                    ).rowcount
                )

        return _guard(write)


def new_record_id() -> str:
    return secrets.token_hex(16)


def vault_key(vault: Vault) -> bytes:
    """The raw vault key, for district-escrow at enrollment (sync/recovery.py): it leaves this
    module only age-encrypted to the district."""
    with vault._lock:
        vault._live()
        return bytes(vault._vault_key)


def open_with_vault_key(data_dir: Path, key: bytes, new_password: str) -> Vault:
    """Open a vault with its raw key (granted by the district) and set a new password; a wrong
    key fails the header's authentication and changes nothing."""
    paths = VaultPaths(Path(data_dir))
    header = _read_header(paths)
    vault = Vault._open_with_key(paths, header, key)
    try:
        vault._set_password(new_password)
    except BaseException:
        vault.lock()
        raise
    return vault
