"""The laptop's sync bookkeeping, step one of every sync: kept batches, quarantine, history,
last sync, revocation, the server address and the cursor (docs/sync-protocol.md §14).

Plaintext in the vault's ``meta`` table holds ids, counters and reason codes only; everything
carrying personal data is an encrypted local-only vault record. Every function here is vault
work (the GUI calls it on its vault worker). :meth:`SyncState.status` only reads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage import outbox, sync_store
from storage.vault import Vault
from sync.laptop.messages import SyncMessage
from sync.protocol_types import SYNCED_TYPES

log = logging.getLogger("childdesk.sync")

# encrypted local-only vault records
DEVICE_KEYS_TYPE = "sync_device_keys"
ENROLLMENT_TYPE = "sync_enrollment"
ENROLL_REQUEST_TYPE = "sync_enroll_request"
CONFLICT_TYPE = "sync_conflict"
# plaintext meta keys
SEQUENCE_META = "sync.sequence"
CURSOR_META = "sync.cursor"
PENDING_META = "sync.pending_batches"
QUARANTINE_META = "sync.quarantine"
LAST_META = "sync.last"
REVOKED_META = "sync.revoked"
HISTORY_META = "sync.history"
SERVER_META = "sync.server_url"
OUTGOING_DIR = "sync-outgoing"
HISTORY_KEEP = 100


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class PendingBatch:
    batch_id: str
    sequence: int
    file: str
    revisions: tuple[tuple[str, str], ...]
    blobs: int
    created: str

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "sequence": self.sequence,
            "file": self.file,
            "revisions": [list(r) for r in self.revisions],
            "blobs": self.blobs,
            "created": self.created,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingBatch:
        return cls(
            str(data["batch_id"]),
            int(data["sequence"]),
            str(data["file"]),
            tuple((str(r[0]), str(r[1])) for r in data["revisions"]),
            int(data.get("blobs", 0)),
            str(data.get("created", "")),
        )


@dataclass(frozen=True)
class QuarantineEntry:
    revision_id: str
    record_id: str
    record_type: str
    reason: str
    message: str
    batch_id: str
    at: str


@dataclass
class SyncReport:
    via: str = "network"
    batches_sent: int = 0
    accepted: int = 0
    rejected: int = 0
    pulled: int = 0
    merged: int = 0
    conflicts: int = 0
    receipts: int = 0
    messages: list[SyncMessage] = field(default_factory=list)  # codes; the words are the caller's
    revoked: bool = False
    attachments_received: int = 0  # pulled attachment files checked and stored
    attachments_refused: int = 0  # a pulled file did not match its record: not stored
    attachments_waiting: int = 0  # the district did not have the file yet
    definitions_installed: int = 0  # questionnaire versions and schedule rules installed
    definitions_refused: int = 0  # published ones that failed the checks: not installed
    # Children the district confirmed as 事实无人抚养儿童 whose files this sync updated
    # (category and confirmation date; app.services.workflows.apply_confirmed_recognitions).
    recognitions_applied: int = 0


@dataclass(frozen=True)
class Status:
    enrolled: bool
    device_id: str
    district_id: str
    villages: tuple[str, ...]
    server_url: str
    pending: int
    pending_batches: int
    quarantined: int
    open_conflicts: int
    last_sync: str
    last_via: str
    revoked: bool
    revoked_text: str


class SyncState:
    """One vault's sync bookkeeping."""

    def __init__(self, vault: Vault, author: str = "") -> None:
        self.vault = vault
        self.author = author

    def meta_json(self, key: str, default: Any) -> Any:
        raw = outbox.get_meta(self.vault, key)
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            log.warning("sync bookkeeping %s unreadable; starting it again", key)
            return default

    def set_meta_json(self, key: str, value: Any) -> None:
        outbox.set_meta(self.vault, key, json.dumps(value, separators=(",", ":")))

    def put_local(self, record_type: str, data: dict[str, Any]) -> None:
        """Write the one record of a local-only type (keys, enrollment, request): encrypted,
        never sent."""
        existing = self.vault.load(record_type).revisions
        with self.vault.transaction():
            revision = self.vault.put(
                record_type,
                data,
                author=self.author,
                record_id=existing[0].record_id if existing else None,
            )
            outbox.mark_local(self.vault, revision.record_id)

    # ----- kept batches, sequence, cursor ------------------------------------------------

    @property
    def outgoing_dir(self) -> Path:
        return self.vault.paths.root / OUTGOING_DIR

    def pending_batches(self) -> list[PendingBatch]:
        found = [PendingBatch.from_json(b) for b in self.meta_json(PENDING_META, [])]
        return sorted(found, key=lambda b: b.sequence)

    def save_pending(self, batches: Iterable[PendingBatch]) -> None:
        self.set_meta_json(PENDING_META, [b.to_json() for b in batches])

    def sequence(self) -> int:
        return int(outbox.get_meta(self.vault, SEQUENCE_META) or "0")

    def set_sequence(self, sequence: int) -> None:
        outbox.set_meta(self.vault, SEQUENCE_META, str(sequence))

    def cursor(self) -> str:
        return outbox.get_meta(self.vault, CURSOR_META) or ""

    def set_cursor(self, cursor: str) -> None:
        outbox.set_meta(self.vault, CURSOR_META, cursor)

    # ----- quarantine --------------------------------------------------------------------

    def quarantine_map(self) -> dict[str, Any]:
        found = self.meta_json(QUARANTINE_META, {})
        return found if isinstance(found, dict) else {}

    def set_quarantine_map(self, entries: dict[str, Any]) -> None:
        self.set_meta_json(QUARANTINE_META, entries)

    def quarantine(self) -> list[QuarantineEntry]:
        entries = self.quarantine_map()
        return [
            QuarantineEntry(rid, **{k: str(v) for k, v in e.items()})
            for rid, e in sorted(entries.items(), key=lambda kv: str(kv[1].get("at", "")))
        ]

    def release_quarantine(self, revision_ids: Iterable[str] | None = None) -> int:
        """Try quarantined revisions again with the next batch (e.g. after the district has
        widened the device's scope). Nothing is deleted either way."""
        entries = self.quarantine_map()
        chosen = set(entries) if revision_ids is None else set(revision_ids) & set(entries)
        for rid in chosen:
            del entries[rid]
        self.set_quarantine_map(entries)
        return len(chosen)

    # ----- history, last sync, revocation, server ----------------------------------------

    def history(self) -> list[dict[str, Any]]:
        return list(self.meta_json(HISTORY_META, []))

    def log_event(self, event: dict[str, Any]) -> None:
        events = self.history()
        events.append({"at": now_text(), **event})
        self.set_meta_json(HISTORY_META, events[-HISTORY_KEEP:])

    def set_last(self, via: str) -> None:
        self.set_meta_json(LAST_META, {"at": now_text(), "via": via})

    def record_sync(self, kind: str, report: SyncReport) -> None:
        """A finished network sync (``kind`` "sync") or stick import ("import"): the last
        sync, and its counts in the history."""
        self.set_last(report.via)
        event: dict[str, Any] = {"kind": kind, "via": report.via}
        if kind == "sync":
            event["sent"] = report.batches_sent
        event.update(
            accepted=report.accepted,
            rejected=report.rejected,
            pulled=report.pulled,
            conflicts=report.conflicts,
            attachments=report.attachments_received,
            definitions=report.definitions_installed,
        )
        self.log_event(event)

    def revoked(self) -> dict[str, Any] | None:
        value = self.meta_json(REVOKED_META, None)
        return value if isinstance(value, dict) else None

    def set_revoked(self, text: str) -> None:
        if self.revoked() is None:
            self.set_meta_json(REVOKED_META, {"at": now_text(), "text": text[:500]})
            self.log_event({"kind": "revoked"})
            log.warning("the district revoked this device; syncing stopped")

    def server_url(self) -> str:
        explicit = outbox.get_meta(self.vault, SERVER_META)
        if explicit:
            return explicit
        found = self.vault.load(ENROLLMENT_TYPE).revisions
        return str(found[0].data.get("server_url", "")) if found else ""

    def set_server_url(self, url: str) -> None:
        outbox.set_meta(self.vault, SERVER_META, url.strip().rstrip("/"))

    # ----- status ------------------------------------------------------------------------

    def status(self, *, enrolled: bool, district_id: str, villages: tuple[str, ...]) -> Status:
        """What the 同步 page and ``childdesk sync-status`` show. Reads only."""
        last = self.meta_json(LAST_META, {})
        revoked = self.revoked()
        quarantined = self.quarantine_map()
        open_conflicts = sum(
            1 for r in self.vault.load(CONFLICT_TYPE).revisions if not r.data.get("resolved")
        )
        return Status(
            enrolled=enrolled,
            device_id=self.vault.device_id,
            district_id=district_id,
            villages=villages,
            server_url=self.server_url(),
            pending=sync_store.pending_count(self.vault, SYNCED_TYPES, list(quarantined)),
            pending_batches=len(self.pending_batches()),
            quarantined=len(quarantined),
            open_conflicts=open_conflicts,
            last_sync=str(last.get("at", "")),
            last_via=str(last.get("via", "")),
            revoked=revoked is not None,
            revoked_text=str((revoked or {}).get("text", "")),
        )
