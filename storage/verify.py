"""Check every byte that can be checked: both header copies, that the database is the one the
header describes, SQLite's own structure, every revision's authentication tag, and every
attachment's chunks and content hash.

Damage never stops the check: whatever a damaged file hands back (a missing row, a value of the
wrong type, an error from SQLite) becomes an item of the report, so ``childdesk verify`` always
ends with the list of what is affected."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from storage import header as header_io
from storage.database import read_header_copy
from storage.errors import AttachmentDamagedError, VaultCorruptError, VaultError, VaultTooNewError
from storage.records import ATTACHMENT_TYPE, Revision
from storage.vault import Vault
from storage.vault_files import check_database_matches

log = logging.getLogger("childdesk.storage")
# What damaged data can raise from code that expects well-formed data.
_DAMAGE = (VaultError, sqlite3.Error, OSError, TypeError, ValueError, KeyError, AttributeError)


@dataclass(frozen=True)
class DamageItem:
    kind: str  # "header", "database", "record", "attachment"
    item_id: str
    detail: str


@dataclass
class VerifyReport:
    damaged: list[DamageItem] = field(default_factory=list)
    records_checked: int = 0
    revisions_checked: int = 0
    attachments_checked: int = 0
    orphan_blobs: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.damaged


def _check_header_copy(vault: Vault, name: str, raw: object | None) -> DamageItem | None:
    if raw is None:
        return DamageItem("header", name, "missing or unreadable")
    try:
        copy = header_io.decode_header(raw)
    except (VaultCorruptError, VaultTooNewError) as err:
        return DamageItem("header", name, str(err))
    if copy.generation != vault.header.generation or copy.mac != vault.header.mac:
        return DamageItem("header", name, "stale copy")
    return None


def _guarded(report: VerifyReport, what: str, check: Callable[[], None]) -> None:
    """Run one part of the check; a failure from damaged data is listed, never raised."""
    try:
        check()
    except _DAMAGE as err:
        detail = str(err) if isinstance(err, VaultError) else f"unreadable ({type(err).__name__})"
        log.warning("verify: %s failed (%s)", what, type(err).__name__)
        report.damaged.append(DamageItem("database", "vault.db", f"{what}: {detail}"))


def verify_vault(vault: Vault) -> VerifyReport:
    report = VerifyReport(repaired=list(vault.repairs))
    vault.flush_header_mark()  # the file copy may lag the newest save by up to a second
    for name, detail in vault.damaged_at_open:
        report.damaged.append(
            DamageItem("header", name, f"{detail}; rewritten from the intact copy when opened")
        )
    try:
        file_copy: bytes | None = vault.paths.header.read_bytes()
    except OSError:
        file_copy = None
    for name, raw in (
        ("vault.header", file_copy),
        ("vault.db header copy", read_header_copy(vault.paths.database)),
    ):
        item = _check_header_copy(vault, name, raw)
        if item:
            report.damaged.append(item)

    def identity() -> None:
        check_database_matches(vault.header, vault.database_facts())

    def integrity() -> None:
        for problem in vault.database_integrity():
            report.damaged.append(DamageItem("database", "vault.db", problem))

    seen: set[str] = set()

    def revisions() -> None:
        for seq, meta, revision in vault.iter_all_revisions():
            report.revisions_checked += 1
            if meta is None:
                report.damaged.append(
                    DamageItem("record", f"row {seq}", "the stored revision cannot be read")
                )
                continue
            seen.add(meta.record_id)
            if revision is None:
                report.damaged.append(
                    DamageItem("record", meta.record_id, f"revision {meta.revision} is damaged")
                )

    attachment_heads: list[Revision] = []

    def attachment_records() -> None:
        attachment_heads.extend(vault.load(ATTACHMENT_TYPE).revisions)

    _guarded(report, "identity", identity)
    _guarded(report, "structure", integrity)
    _guarded(report, "revisions", revisions)
    report.records_checked = len(seen)
    _guarded(report, "attachment records", attachment_records)

    known: set[str] = set()
    for record in attachment_heads:
        report.attachments_checked += 1
        try:
            known.add(str(record.data["blob_id"]))
            vault.verify_attachment(record)
        except AttachmentDamagedError as err:
            report.damaged.append(DamageItem("attachment", record.record_id, str(err)))
        except _DAMAGE as err:
            report.damaged.append(
                DamageItem("attachment", record.record_id, f"unreadable ({type(err).__name__})")
            )

    if vault.paths.attachments.exists():
        for blob in sorted(vault.paths.attachments.glob("*/*.cda")):
            if blob.stem not in known:
                # Left by a crash between writing a blob and recording it, or a deleted
                # attachment whose blob is kept for history: not damage.
                report.orphan_blobs.append(blob.stem)
    return report
