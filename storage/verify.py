"""Check every byte that can be checked: both header copies, SQLite's own structure, every
revision's authentication tag, and every attachment's chunks and content hash."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage import header as header_io
from storage.database import read_header_copy
from storage.errors import AttachmentDamagedError, VaultCorruptError, VaultError, VaultTooNewError
from storage.vault import ATTACHMENT_TYPE, Vault


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


def _check_header_copy(vault: Vault, name: str, raw: bytes | None) -> DamageItem | None:
    if raw is None:
        return DamageItem("header", name, "missing or unreadable")
    try:
        copy = header_io.decode_header(raw)
    except (VaultCorruptError, VaultTooNewError) as err:
        return DamageItem("header", name, str(err))
    if copy.generation != vault.header.generation or copy.mac != vault.header.mac:
        return DamageItem("header", name, "stale copy")
    return None


def verify_vault(vault: Vault) -> VerifyReport:
    report = VerifyReport(repaired=list(vault.repairs))
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

    try:
        for problem in vault.database_integrity():
            report.damaged.append(DamageItem("database", "vault.db", problem))
    except VaultError as err:
        report.damaged.append(DamageItem("database", "vault.db", str(err)))

    seen: set[str] = set()
    attachment_heads = []
    try:
        for meta, revision in vault.iter_all_revisions():
            report.revisions_checked += 1
            seen.add(meta.record_id)
            if revision is None:
                report.damaged.append(
                    DamageItem("record", meta.record_id, f"revision {meta.revision} is damaged")
                )
    except VaultError as err:
        report.damaged.append(DamageItem("database", "vault.db", str(err)))
    report.records_checked = len(seen)

    try:
        attachment_heads = vault.load(ATTACHMENT_TYPE).revisions
    except VaultError as err:
        report.damaged.append(DamageItem("database", "vault.db", str(err)))
    for record in attachment_heads:
        report.attachments_checked += 1
        try:
            vault.verify_attachment(record)
        except AttachmentDamagedError as err:
            report.damaged.append(DamageItem("attachment", record.record_id, str(err)))

    known = {str(r.data["blob_id"]) for r in attachment_heads}
    if vault.paths.attachments.exists():
        for blob in sorted(vault.paths.attachments.glob("*/*.cda")):
            if blob.stem not in known:
                # Left by a crash between writing a blob and recording it, or a deleted
                # attachment whose blob is kept for history: not damage.
                report.orphan_blobs.append(blob.stem)
    return report
