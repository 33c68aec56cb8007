"""The laptop's sync engine (docs/sync-protocol.md, "The laptop side").

- The outbox is the vault's unsent revisions of synced types. :meth:`LaptopSync.build_pending`
  turns them into batches of bounded size — children with a mandatory report (强制报告) or a
  red-level assessment first — and keeps each built batch (age-encrypted, addressed to the
  district) in ``<vault>/sync-outgoing/`` until a verified receipt names it, so a retry resends
  the same bytes under the same batch id: nothing is lost and nothing arrives twice.
- A revision counts as sent only when a receipt, verified against the pinned district key,
  lists it. Rejected revisions stay unsent and are listed with the server's reason
  (quarantine); they are never deleted and are left out of new batches until the director
  asks to try again.
- Pulled revisions are stored under their own clock and merged field by field (the server's
  rule, :mod:`sync.server.merge`); when both sides changed a field the losing value is kept in
  the record's history and in a ``sync_conflict`` record the director resolves.
- Pulled attachment files are checked against their revision (SHA-256, size) and stored
  encrypted before the revision is applied; one that does not match is not stored and is asked
  for again. Published questionnaire definitions and schedule rules are checked and kept in the
  vault (``storage.definitions_store``); ``app.services.definitions`` picks the current one.
- A revocation notice stops syncing; the vault stays as it is.

Plaintext sync bookkeeping in the vault's ``meta`` table holds ids, counters and reason codes
only; everything carrying personal data is an encrypted local-only vault record.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from app.questionnaire.naming import version_zh
from app.services.definitions import check_published, kind_zh
from storage import definitions_store, outbox, pulled_blobs, sync_store
from storage.atomic_file import write_atomic
from storage.attachments import BlobInfo
from storage.errors import RecordNotFoundError
from storage.records import Revision
from storage.vault import ATTACHMENT_TYPE, Vault
from sync import device as device_side
from sync.documents import Enrollment, build_batch_plaintext, encrypt_batch, read_receipt
from sync.errors import MalformedError, NotForUsError, RevokedError, SyncError, TooLargeError
from sync.keys import KeyPair
from sync.laptop.backoff import Backoff
from sync.laptop.usb import write_verified
from sync.merge import ABSENT, DELETED_FIELD, Conflict, Incoming, RecordState, apply
from sync.protocol_types import CHILD_LINKED, SYNCED_TYPES
from sync.recovery import write_escrow
from sync.wire import canonical_json, new_id, revision_id, sha256_hex

log = logging.getLogger("childdesk.sync")

CONFLICT_TYPE = "sync_conflict"
ENROLL_REQUEST_TYPE = "sync_enroll_request"
PENDING_META = "sync.pending_batches"
QUARANTINE_META = "sync.quarantine"
LAST_META = "sync.last"
REVOKED_META = "sync.revoked"
HISTORY_META = "sync.history"
SERVER_META = "sync.server_url"
BASE_META = "sync.base."  # + revision id: the base clock of a pulled revision
# Attachments whose file did not arrive intact: pull again from the cursor of the first page
# that had one (REFETCH_PASS_META, within one pass) on the next sync, at most REFETCH_LIMIT
# times in a row from the same cursor (REFETCH_META: {"from", "tries"}).
REFETCH_META = "sync.refetch"
REFETCH_PASS_META = "sync.refetch_first"  # noqa: S105 (a meta key, not a secret)
REFETCH_LIMIT = 20
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
OUTGOING_DIR = "sync-outgoing"
HISTORY_KEEP = 100
URGENT_LEVELS = ("red",)
MERGE_AUTHOR = "同步合并"  # author of the revisions the merge writes (shown in a record's history)


class TransientError(SyncError):
    """The server or the network failed in a way worth retrying (connection, 5xx, 429)."""

    code = "unavailable"


class NotEnrolledError(SyncError):
    code = "not_enrolled"


class UnverifiedRevocationError(TransientError):
    """The server said this laptop is revoked but did not prove it with the district's signed
    notice: nothing is changed, and sync is tried again later like after a network failure."""

    def __init__(self) -> None:
        super().__init__("the server refused this device as revoked without a signed notice")


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----- HTTP ----------------------------------------------------------------------------------


class LaptopClient(device_side.DistrictClient):
    """The device library's client, telling retryable failures apart and keeping the signed
    revocation notice a changes request answers with."""

    def _check(self, response: httpx.Response) -> bytes:
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"the server answered {response.status_code}")
        if response.status_code == 403:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if isinstance(body, dict) and body.get("error") == "device_revoked":
                error = RevokedError("this device has been revoked")
                error.notice = str(body.get("notice", ""))  # type: ignore[attr-defined]
                raise error
        return super()._check(response)


def _transport(call: Callable[[], bytes]) -> bytes:
    try:
        return call()
    except httpx.TransportError as err:
        raise TransientError(f"no connection to the server ({type(err).__name__})") from None


# ----- results -------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class ConflictEntry:
    conflict_id: str
    record_id: str
    record_type: str
    child_id: str
    field: str
    mine: Any  # ABSENT-free: None with mine_absent
    theirs: Any
    mine_absent: bool
    theirs_absent: bool
    kept: str  # "mine" or "theirs": which value the merge kept
    created: str
    resolved: str  # "" while open


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
    messages: list[str] = field(default_factory=list)  # plain Chinese, for the director
    revoked: bool = False
    attachments_received: int = 0  # pulled attachment files checked and stored
    attachments_refused: int = 0  # a pulled file did not match its record: not stored
    attachments_waiting: int = 0  # the district did not have the file yet
    definitions_installed: int = 0  # questionnaire versions and schedule rules installed
    definitions_refused: int = 0  # published ones that failed the checks: not installed


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


Progress = Callable[[str, int, int], None]


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


# ----- the engine ----------------------------------------------------------------------------


class LaptopSync:
    """One vault's sync. Every method does vault work: call it from the vault's worker."""

    def __init__(
        self,
        vault: Vault,
        *,
        author: str = "",
        max_revisions: int = device_side.DEFAULT_BATCH_REVISIONS,
        max_bytes: int = device_side.DEFAULT_BATCH_BYTES,
        attempts: int = 4,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        client_factory: Callable[[str], device_side.DistrictClient] | None = None,
    ) -> None:
        self.vault = vault
        self.author = author
        self.max_revisions = max_revisions
        self.max_bytes = max_bytes
        self.attempts = attempts
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.client_factory = client_factory or (lambda url: LaptopClient(url, timeout=60.0))

    # ----- bookkeeping -------------------------------------------------------------------

    def _meta_json(self, key: str, default: Any) -> Any:
        raw = outbox.get_meta(self.vault, key)
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            log.warning("sync bookkeeping %s unreadable; starting it again", key)
            return default

    def _set_meta_json(self, key: str, value: Any) -> None:
        outbox.set_meta(self.vault, key, json.dumps(value, separators=(",", ":")))

    @property
    def outgoing_dir(self) -> Path:
        return self.vault.paths.root / OUTGOING_DIR

    def pending_batches(self) -> list[PendingBatch]:
        found = [PendingBatch.from_json(b) for b in self._meta_json(PENDING_META, [])]
        return sorted(found, key=lambda b: b.sequence)

    def _save_pending(self, batches: Iterable[PendingBatch]) -> None:
        self._set_meta_json(PENDING_META, [b.to_json() for b in batches])

    def quarantine(self) -> list[QuarantineEntry]:
        entries = self._meta_json(QUARANTINE_META, {})
        return [
            QuarantineEntry(rid, **{k: str(v) for k, v in e.items()})
            for rid, e in sorted(entries.items(), key=lambda kv: str(kv[1].get("at", "")))
        ]

    def release_quarantine(self, revision_ids: Iterable[str] | None = None) -> int:
        """Try quarantined revisions again with the next batch (e.g. after the district has
        widened the device's scope). Nothing is deleted either way."""
        entries: dict[str, Any] = self._meta_json(QUARANTINE_META, {})
        chosen = set(entries) if revision_ids is None else set(revision_ids) & set(entries)
        for rid in chosen:
            del entries[rid]
        self._set_meta_json(QUARANTINE_META, entries)
        return len(chosen)

    def history(self) -> list[dict[str, Any]]:
        return list(self._meta_json(HISTORY_META, []))

    def _log_event(self, event: dict[str, Any]) -> None:
        events = self.history()
        events.append({"at": now_text(), **event})
        self._set_meta_json(HISTORY_META, events[-HISTORY_KEEP:])

    def keys(self) -> KeyPair | None:
        return device_side.device_keys(self.vault)

    def enrollment(self) -> Enrollment | None:
        return device_side.enrollment(self.vault)

    def server_url(self) -> str:
        explicit = outbox.get_meta(self.vault, SERVER_META)
        if explicit:
            return explicit
        found = self.vault.load(device_side.ENROLLMENT_TYPE).revisions
        return str(found[0].data.get("server_url", "")) if found else ""

    def set_server_url(self, url: str) -> None:
        outbox.set_meta(self.vault, SERVER_META, url.strip().rstrip("/"))

    def revoked(self) -> dict[str, Any] | None:
        value = self._meta_json(REVOKED_META, None)
        return value if isinstance(value, dict) else None

    def _set_revoked(self, text: str) -> None:
        if self.revoked() is None:
            self._set_meta_json(REVOKED_META, {"at": now_text(), "text": text[:500]})
            self._log_event({"kind": "revoked"})
            log.warning("the district revoked this device; syncing stopped")

    def status(self) -> Status:
        pinned = self.enrollment()
        last = self._meta_json(LAST_META, {})
        revoked = self.revoked()
        quarantined = self._meta_json(QUARANTINE_META, {})
        sync_store.mark_local_types(self.vault, SYNCED_TYPES)
        return Status(
            enrolled=pinned is not None,
            device_id=self.vault.device_id,
            district_id=pinned.district_id if pinned else "",
            villages=pinned.villages if pinned else (),
            server_url=self.server_url(),
            pending=sync_store.pending_count(self.vault, SYNCED_TYPES, list(quarantined)),
            pending_batches=len(self.pending_batches()),
            quarantined=len(quarantined),
            open_conflicts=sum(1 for c in self.conflicts() if not c.resolved),
            last_sync=str(last.get("at", "")),
            last_via=str(last.get("via", "")),
            revoked=revoked is not None,
            revoked_text=str((revoked or {}).get("text", "")),
        )

    def _require(self) -> tuple[KeyPair, Enrollment]:
        keys, pinned = self.keys(), self.enrollment()
        if keys is None or pinned is None:
            raise NotEnrolledError("this laptop is not enrolled with a district yet")
        if self.revoked() is not None:
            raise RevokedError("this device has been revoked; contact the district")
        return keys, pinned

    # ----- enrollment --------------------------------------------------------------------

    def enroll_network(self, server_url: str, code: str, *, label: str = "") -> Enrollment:
        url = server_url.strip().rstrip("/")
        request = device_side.enrollment_request(self.vault, code, label=label, author=self.author)
        client = self.client_factory(url)
        try:
            answer = _transport(lambda: client.enroll(request))
        finally:
            client.close()
        pinned = device_side.accept_enrollment(
            self.vault, answer, request=request, server_url=url, author=self.author
        )
        self.set_server_url(url)
        write_escrow(self.vault, pinned)
        self._log_event({"kind": "enrolled", "via": "network"})
        return pinned

    def enrollment_request_file(self, folder: Path, code: str, *, label: str = "") -> Path:
        """Write ``<device_id>.cdenroll`` for the district's ``import`` (USB enrollment)."""
        request = device_side.enrollment_request(self.vault, code, label=label, author=self.author)
        existing = self.vault.load(ENROLL_REQUEST_TYPE).revisions
        with self.vault.transaction():
            revision = self.vault.put(
                ENROLL_REQUEST_TYPE,
                {"request": request.decode("utf-8")},
                author=self.author,
                record_id=existing[0].record_id if existing else None,
            )
            outbox.mark_local(self.vault, revision.record_id)
        target = Path(folder) / f"{self.vault.device_id}.cdenroll"
        write_verified(target, request)
        return target

    def accept_enrollment_file(self, path: Path) -> Enrollment:
        found = self.vault.load(ENROLL_REQUEST_TYPE).revisions
        if not found:
            raise MalformedError("no enrollment request was written from this laptop")
        request = str(found[0].data["request"]).encode("utf-8")
        pinned = device_side.accept_enrollment(
            self.vault, Path(path).read_bytes(), request=request, author=self.author
        )
        write_escrow(self.vault, pinned)
        self._log_event({"kind": "enrolled", "via": "usb"})
        return pinned

    # ----- building batches --------------------------------------------------------------

    def _urgent_children(self, entries: list[outbox.OutboxEntry]) -> set[str]:
        """Children whose unsent changes include a mandatory report or a red-level result."""
        urgent: set[str] = set()
        for entry in entries:
            data = entry.revision.data
            kind = entry.revision.record_type
            child = str(data.get("child_id", ""))
            if kind == "case" and data.get("mandatory_report"):
                urgent.add(child)
            elif kind == "assessment":
                result = data.get("result")
                if isinstance(result, dict) and result.get("level") in URGENT_LEVELS:
                    urgent.add(child)
        urgent.discard("")
        return urgent

    def _ordered(self, entries: list[outbox.OutboxEntry]) -> list[outbox.OutboxEntry]:
        """Urgent children first (their child file before its linked records, so the district
        knows the child), then everything else; each record's revisions keep their order."""
        urgent = self._urgent_children(entries)

        def rank(entry: outbox.OutboxEntry) -> tuple[int, int]:
            r = entry.revision
            if r.record_type == "child" and r.record_id in urgent:
                return (0, entry.seq)
            if r.record_type in CHILD_LINKED and str(r.data.get("child_id", "")) in urgent:
                return (1, entry.seq)
            return (2, entry.seq)

        return sorted(entries, key=rank)

    def build_pending(self) -> list[PendingBatch]:
        """Turn unsent revisions not yet in a kept batch (and not quarantined) into new kept
        batches; returns every kept batch, oldest sequence first."""
        keys, pinned = self._require()
        sync_store.mark_local_types(self.vault, SYNCED_TYPES)
        pending = self.pending_batches()
        taken = {revision_id(r, h) for b in pending for r, h in b.revisions}
        taken |= set(self._meta_json(QUARANTINE_META, {}))
        entries = [
            e
            for e in outbox.unsent(self.vault)
            if e.revision.record_type in SYNCED_TYPES
            and revision_id(e.revision.record_id, e.revision.meta.hlc) not in taken
        ]
        if not entries:
            return pending
        sequence = int(outbox.get_meta(self.vault, device_side.SEQUENCE_META) or "0")
        cursor = outbox.get_meta(self.vault, device_side.CURSOR_META) or ""
        self.outgoing_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for items in self._groups(self._ordered(entries)):
            sequence += 1
            batch_id = new_id()
            plaintext = build_batch_plaintext(
                batch_id=batch_id,
                device_id=self.vault.device_id,
                sequence=sequence,
                district_id=pinned.district_id,
                cursor=cursor,
                items=items,
                signer=keys.signing,
            )
            data = encrypt_batch(plaintext, pinned.district)
            if len(data) > 16 * 1024 * 1024:
                raise TooLargeError("an attachment is too large for one batch")
            name = f"{self.vault.device_id}-{sequence}.cdbatch"
            write_atomic(self.outgoing_dir / name, data)
            batch = PendingBatch(
                batch_id,
                sequence,
                name,
                tuple((i["record_id"], i["hlc"]) for i in items if i["kind"] == "revision"),
                sum(1 for i in items if i["kind"] == "blob"),
                now_text(),
            )
            pending.append(batch)
            with self.vault.transaction():
                outbox.set_meta(self.vault, device_side.SEQUENCE_META, str(sequence))
                self._save_pending(pending)
        return pending

    def _groups(self, entries: list[outbox.OutboxEntry]) -> Iterable[list[dict[str, Any]]]:
        group: list[dict[str, Any]] = []
        size = 0
        for entry in entries:
            items = [device_side._revision_item(entry)]
            blob = device_side._blob_item(self.vault, entry)
            if blob is not None:
                items.append(blob)
            item_size = sum(len(json.dumps(i, ensure_ascii=False).encode()) for i in items) + 200
            if group and (
                len(group) + len(items) > self.max_revisions or size + item_size > self.max_bytes
            ):
                yield group
                group, size = [], 0
            group.extend(items)
            size += item_size
        if group:
            yield group

    def batch_bytes(self, batch: PendingBatch) -> bytes:
        return (self.outgoing_dir / batch.file).read_bytes()

    # ----- receipts ----------------------------------------------------------------------

    def apply_receipt(self, raw: bytes, report: SyncReport | None = None) -> bool:
        """Verify a receipt; mark what it accepted sent, quarantine what it rejected, forget the
        kept batch. Returns False for a receipt that is not this device's (ignored)."""
        _keys, pinned = self._require_keys()
        try:
            receipt = read_receipt(raw, pinned.district, device_id=self.vault.device_id)
        except NotForUsError:
            return False
        own = self.vault.device_id
        pairs = []
        for accepted in receipt.accepted:
            record_id, sep, hlc = accepted.partition("@")
            if sep and hlc.endswith(own):
                pairs.append((record_id, hlc))
        changed = outbox.mark_sent(self.vault, pairs, receipt.receipt_id)
        quarantine: dict[str, Any] = self._meta_json(QUARANTINE_META, {})
        fresh_rejections = 0
        for rejection in receipt.rejected:
            record_id, _sep, _hlc = rejection.id.partition("@")
            if rejection.id in quarantine:
                continue
            try:
                record_type = self.vault.get(record_id, include_deleted=True).record_type
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
        pending = self.pending_batches()
        kept = [b for b in pending if b.batch_id != receipt.batch_id]
        with self.vault.transaction():
            self._set_meta_json(QUARANTINE_META, quarantine)
            if len(kept) != len(pending):
                self._save_pending(kept)
        for batch in pending:
            if batch.batch_id == receipt.batch_id:
                (self.outgoing_dir / batch.file).unlink(missing_ok=True)
        if changed or fresh_rejections:
            self._log_event(
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
        return True

    def _require_keys(self) -> tuple[KeyPair, Enrollment]:
        keys, pinned = self.keys(), self.enrollment()
        if keys is None or pinned is None:
            raise NotEnrolledError("this laptop is not enrolled with a district yet")
        return keys, pinned

    # ----- pulled changes ----------------------------------------------------------------

    def apply_changes(self, data: bytes, report: SyncReport) -> str:
        """Decrypt, verify and apply one changes file; returns its next cursor when the server
        has more, else "". Applying the same file twice changes nothing (revisions are applied
        by id, attachment files are found already stored, definitions already installed)."""
        keys, pinned = self._require_keys()
        from sync.documents import read_changes

        changes = read_changes(data, keys, pinned.district, device_id=self.vault.device_id)
        for receipt in changes.receipts:
            self.apply_receipt(receipt.raw, report)
        for notice in changes.notices:
            if notice.get("notice") == "revoked":
                self._set_revoked(str(notice.get("text", "")))
                report.revoked = True
            elif notice.get("notice") == "message" and notice.get("text"):
                report.messages.append(str(notice["text"])[:500])
        for definition in changes.definitions:
            self._install_definition(definition, report)
        blobs = {str(b.get("sha256", "")): b for b in changes.blobs}
        refused, waiting = report.attachments_refused, report.attachments_waiting
        unapplied = 0
        for item in changes.revisions:
            if not self._merge_pulled(item, report, blobs):
                unapplied += 1
        refused = report.attachments_refused - refused
        waiting = report.attachments_waiting - waiting
        if refused:
            report.messages.append(
                f"有 {refused} 个附件（照片或扫描件）在传输中出错，没有保存；下次同步会重新接收。"
            )
        if waiting:
            report.messages.append(
                f"有 {waiting} 个附件还没有传到区里，暂时没有收到；下次同步会再接收。"
            )
        self._advance_cursor(changes.after, changes.next_cursor, changes.more, unapplied)
        return changes.next_cursor if changes.more else ""

    def _advance_cursor(self, after: str, next_cursor: str, more: bool, unapplied: int) -> None:
        """Store the next cursor — or, at the end of a pass in which an attachment could not be
        applied for want of its intact file, the cursor of the first page that had one, so the
        next pull asks for it again (everything else repeated is skipped by id)."""
        first = self._meta_json(REFETCH_PASS_META, None)
        if unapplied and not isinstance(first, str):
            first = after
            self._set_meta_json(REFETCH_PASS_META, first)
        if more:
            outbox.set_meta(self.vault, device_side.CURSOR_META, next_cursor)
            return
        cursor = next_cursor
        state = self._meta_json(REFETCH_META, None)
        with self.vault.transaction():
            if isinstance(first, str):
                tries = 1
                if isinstance(state, dict) and state.get("from") == first:
                    tries = int(state.get("tries", 0)) + 1
                if tries <= REFETCH_LIMIT:
                    cursor = first
                    self._set_meta_json(REFETCH_META, {"from": first, "tries": tries})
                else:
                    log.warning(
                        "attachment files still missing after %d pulls; not asking again",
                        REFETCH_LIMIT,
                    )
                    self._set_meta_json(REFETCH_META, None)
            elif state is not None:
                self._set_meta_json(REFETCH_META, None)
            self._set_meta_json(REFETCH_PASS_META, None)
            outbox.set_meta(self.vault, device_side.CURSOR_META, cursor)

    # ----- pulled definitions ------------------------------------------------------------

    def _install_definition(self, item: dict[str, Any], report: SyncReport) -> None:
        """Check a published questionnaire definition or schedule rules and keep it in the
        vault (every version; which one is current is ``app.services.definitions``). One that
        fails the checks is not installed and the director is told; the previous one stays."""
        kind = str(item.get("definition_kind", ""))[:40]
        name = str(item.get("name", ""))[:100]
        version = str(item.get("version", ""))[:100]
        body = item.get("body")
        title = body.get("title") if isinstance(body, dict) else None
        # what the director reads: 评估表「困境儿童…评估表」（第2版）, never the id or 2.0.0
        shown = kind_zh(kind)
        if isinstance(title, str) and title.strip():
            shown += f"「{title.strip()[:60]}」"
        shown += f"（{version_zh(version[:20])}）"
        if not isinstance(body, dict) or sha256_hex(canonical_json(body)) != item.get("sha256"):
            problem: str | None = "its content does not match its hash"
        else:
            problem = check_published(kind, name, version, body)
        if problem is not None:
            log.warning(
                "published %s %s version %s not installed: %s", kind, name, version, problem[:300]
            )
            report.definitions_refused += 1
            report.messages.append(
                f"区民政局发布的{shown}没有通过检查，没有安装，仍按原来的版本使用。请告诉区民政局。"
            )
            return
        assert isinstance(body, dict)
        seq = item.get("seq")
        installed = definitions_store.install(
            self.vault,
            kind=kind,
            name=name,
            version=version,
            sha256=str(item["sha256"]),
            body=body,
            district_seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else 0,
            published_at=str(item.get("published_at", ""))[:40],
            author=self.author,
        )
        if installed:
            log.info("installed published %s %s version %s", kind, name, version)
            report.definitions_installed += 1
            report.messages.append(f"已启用区民政局发布的{shown}。")

    # ----- pulled attachments ------------------------------------------------------------

    def _take_blob(
        self,
        record_id: str,
        data: dict[str, Any],
        blobs: dict[str, dict[str, Any]],
        report: SyncReport,
    ) -> str:
        """Make sure the file a pulled attachment revision names is in the vault, checked
        against the revision's SHA-256 and size. Returns "ok", "wait" (not there or not intact:
        do not apply the revision now, ask again next time) or "skip" (malformed: never)."""
        sha = data.get("sha256")
        size = data.get("size")
        blob_id = data.get("blob_id")
        if (
            not isinstance(sha, str)
            or not SHA256_RE.match(sha)
            or not isinstance(size, int)
            or isinstance(size, bool)
            or size < 0
            or not isinstance(blob_id, str)
            or not pulled_blobs.BLOB_ID_RE.match(blob_id)
        ):
            log.warning("pulled attachment %s is malformed; not applied", record_id)
            report.attachments_refused += 1
            return "skip"
        expected = BlobInfo(size, sha)
        if pulled_blobs.has_blob(self.vault, blob_id, expected):
            return "ok"  # stored by an earlier pull, or an edit that kept the file
        blob = blobs.get(sha)
        if blob is None:
            log.info("pulled attachment %s: its file is not at the district yet", record_id)
            report.attachments_waiting += 1
            return "wait"
        try:
            content = base64.b64decode(str(blob.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            content = None
        if content is None or len(content) != size or hashlib.sha256(content).hexdigest() != sha:
            log.warning(
                "pulled attachment %s: its file does not match its hash or size; not stored",
                record_id,
            )
            report.attachments_refused += 1
            return "wait"
        pulled_blobs.store_blob(self.vault, blob_id, content)
        report.attachments_received += 1
        return "ok"

    def _base_of(self, revision: Revision, previous: Revision | None) -> str | None:
        if revision.meta.device_id != self.vault.device_id:
            stored = outbox.get_meta(
                self.vault, BASE_META + revision_id(revision.record_id, revision.meta.hlc)
            )
            if stored is not None:
                return stored or None
        return previous.meta.hlc if previous is not None else None

    def _merge_pulled(
        self,
        item: dict[str, Any],
        report: SyncReport,
        blobs: dict[str, dict[str, Any]] | None = None,
    ) -> bool:
        """Apply one pulled revision; False when it must be asked for again (an attachment
        whose file has not arrived intact)."""
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
            return True
        if record_type not in SYNCED_TYPES:
            return True
        if sync_store.has_revision(self.vault, record_id, hlc):
            return True
        if record_type == ATTACHMENT_TYPE and not deleted:
            taken = self._take_blob(record_id, data, blobs or {}, report)
            if taken != "ok":
                return taken == "skip"
        base_text = str(base_hlc) if isinstance(base_hlc, str) else None
        try:
            local = self.vault.history(record_id)
        except RecordNotFoundError:
            local = []
        merged: tuple[dict[str, Any], bool] | None = None
        conflicts: list[Conflict] = []
        if local:
            by_hlc = {r.meta.hlc: r for r in local}
            state: RecordState | None = None
            previous: Revision | None = None
            for revision in local:
                rbase = self._base_of(revision, previous)
                known = by_hlc.get(rbase) if rbase else None
                previous = revision
                if revision.author == MERGE_AUTHOR:
                    # A merge only re-states values of the revisions it merged: the state is
                    # the merge of the real edits, so merges never win or lose a field.
                    continue
                state, _ = apply(
                    state,
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
            base_rev = by_hlc.get(base_text) if base_text else None
            incoming = Incoming(revision_id(record_id, hlc), hlc, base_text, deleted, data)
            if str(item.get("author", "")) != MERGE_AUTHOR:
                state, conflicts = apply(
                    state,
                    record_type,
                    incoming,
                    (base_rev.data, base_rev.deleted) if base_rev else None,
                )
            if state is not None and (state.data != data or state.deleted != deleted):
                merged = (dict(state.data), state.deleted)
            current = state.data if state is not None else data
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
        with self.vault.transaction():
            outbox.set_meta(self.vault, BASE_META + revision_id(record_id, hlc), base_text or "")
            sync_store.store_pulled(self.vault, pulled, merged, author=MERGE_AUTHOR)
            for conflict in conflicts:
                self._record_conflict(record_id, record_type, child_id, conflict, local, data)
        report.pulled += 1
        report.merged += 1 if merged is not None else 0
        report.conflicts += len(conflicts)
        return True

    def _value_of(
        self, rev_id: str, name: str, local: list[Revision], pulled: dict[str, Any]
    ) -> Any:
        _rid, _sep, hlc = rev_id.partition("@")
        for revision in local:
            if revision.meta.hlc == hlc:
                if name == DELETED_FIELD:
                    return revision.deleted
                return revision.data.get(name, ABSENT)
        if name == DELETED_FIELD:
            return False
        return pulled.get(name, ABSENT)

    def _record_conflict(
        self,
        record_id: str,
        record_type: str,
        child_id: str,
        conflict: Any,
        local: list[Revision],
        pulled_data: dict[str, Any],
    ) -> None:
        own = self.vault.device_id
        winning_value = self._value_of(
            conflict.winning_revision, conflict.field, local, pulled_data
        )
        losing_local = conflict.losing_revision.endswith(own)
        mine, theirs = (
            (conflict.losing_value, winning_value)
            if losing_local
            else (winning_value, conflict.losing_value)
        )
        revision = self.vault.put(
            CONFLICT_TYPE,
            {
                "record_id": record_id,
                "record_type": record_type,
                "child_id": child_id,
                "field": conflict.field,
                "mine": None if mine is ABSENT else mine,
                "mine_absent": mine is ABSENT,
                "theirs": None if theirs is ABSENT else theirs,
                "theirs_absent": theirs is ABSENT,
                "kept": "theirs" if losing_local else "mine",
                "losing_revision": conflict.losing_revision,
                "winning_revision": conflict.winning_revision,
                "created": now_text(),
                "resolved": "",
            },
            author=self.author,
        )
        outbox.mark_local(self.vault, revision.record_id)

    # ----- conflicts ---------------------------------------------------------------------

    def conflicts(self, *, include_resolved: bool = False) -> list[ConflictEntry]:
        found = []
        for r in self.vault.load(CONFLICT_TYPE).revisions:
            d = r.data
            entry = ConflictEntry(
                r.record_id,
                str(d["record_id"]),
                str(d["record_type"]),
                str(d.get("child_id", "")),
                str(d["field"]),
                d.get("mine"),
                d.get("theirs"),
                bool(d.get("mine_absent")),
                bool(d.get("theirs_absent")),
                str(d.get("kept", "")),
                str(d.get("created", "")),
                str(d.get("resolved", "")),
            )
            if include_resolved or not entry.resolved:
                found.append(entry)
        return sorted(found, key=lambda c: (c.created, c.conflict_id))

    def resolve_conflict(self, conflict_id: str, choice: str, value: Any = None) -> None:
        """``choice``: "mine" or "theirs" (that side's value becomes current; the kept value
        needs no new revision) or "edit" (``value`` becomes current). The other value stays in
        the record's history either way."""
        conflict = self.vault.get(conflict_id)
        d = dict(conflict.data)
        if choice not in ("mine", "theirs", "edit"):
            raise ValueError(f"unknown choice {choice!r}")
        with self.vault.transaction():
            if choice == "edit" or choice != d.get("kept"):
                if choice == "edit":
                    new_value, absent = value, False
                else:
                    new_value, absent = d.get(choice), bool(d.get(f"{choice}_absent"))
                self._write_field(str(d["record_id"]), str(d["field"]), new_value, absent)
            d["resolved"] = choice
            d["resolved_at"] = now_text()
            revision = self.vault.put(CONFLICT_TYPE, d, author=self.author, record_id=conflict_id)
            outbox.mark_local(self.vault, revision.record_id)

    def _write_field(self, record_id: str, name: str, value: Any, absent: bool) -> None:
        current = self.vault.get(record_id, include_deleted=True)
        if name == DELETED_FIELD:
            if bool(value) and not current.deleted:
                self.vault.delete(record_id, author=self.author)
            elif not bool(value) and current.deleted:
                alive = [r for r in self.vault.history(record_id) if not r.deleted]
                data = dict(alive[-1].data) if alive else {}
                self.vault.put(current.record_type, data, author=self.author, record_id=record_id)
            return
        data = dict(current.data)
        if absent:
            data.pop(name, None)
        else:
            data[name] = value
        self.vault.put(current.record_type, data, author=self.author, record_id=record_id)

    # ----- network -----------------------------------------------------------------------

    def _with_retries(self, call: Callable[[], bytes], progress: Progress, stage: str) -> bytes:
        for attempt in range(self.attempts):
            try:
                return _transport(call)
            except TransientError:
                if attempt + 1 >= self.attempts:
                    raise
                progress(f"{stage}:retry", attempt + 1, self.attempts)
                self.sleep(self.backoff.delay(attempt))
        raise AssertionError("unreachable")

    def probe(self, timeout: float = 5.0, url: str | None = None) -> bool:
        """Is the district server reachable? (a cheap GET /api/v1/info). Given the ``url``
        (read earlier on the vault's thread) it does not touch the vault: the GUI probes on
        its network worker, which never may."""
        if url is None:
            url = self.server_url()
        if not url:
            return False
        try:
            with httpx.Client(timeout=timeout) as client:
                return client.get(f"{url}/api/v1/info").status_code == 200
        except httpx.HTTPError:
            return False

    def sync_now(self, progress: Progress = _no_progress) -> SyncReport:
        """Send every kept and new batch, then pull the district's changes."""
        report = SyncReport(via="network")
        url = self.server_url()
        if not url:
            raise NotEnrolledError("no district server address is set")
        try:
            self._require()
        except RevokedError:
            report.revoked = True
            return report
        client = self.client_factory(url)
        try:
            self._send_all(client, report, progress)
            if not report.revoked:
                self._pull_all(client, report, progress)
        except RevokedError as err:
            if not self._handle_revoked(err):
                raise UnverifiedRevocationError() from None
            report.revoked = True
        finally:
            client.close()
        if not report.revoked:
            self.record_sync(report)
        return report

    def record_sync(self, report: SyncReport) -> None:
        """Note a finished network sync (last sync, history)."""
        self._set_meta_json(LAST_META, {"at": now_text(), "via": "network"})
        self._log_event(
            {
                "kind": "sync",
                "via": "network",
                "sent": report.batches_sent,
                "accepted": report.accepted,
                "rejected": report.rejected,
                "pulled": report.pulled,
                "conflicts": report.conflicts,
                "attachments": report.attachments_received,
                "definitions": report.definitions_installed,
            }
        )

    def network_call(self, call: Callable[[], bytes]) -> bytes:
        """One request with retries and backoff; touches no vault (safe on a network thread)."""
        return self._with_retries(call, _no_progress, "net")

    def handle_revoked(self, err: RevokedError) -> bool:
        return self._handle_revoked(err)

    def rebuild_after_sequence_clash(self, batch: PendingBatch) -> None:
        self._rebuild_after_sequence_clash(batch)

    def cursor(self) -> str:
        return outbox.get_meta(self.vault, device_side.CURSOR_META) or ""

    def require_enrolled(self) -> str:
        """The server address, or NotEnrolledError / RevokedError."""
        self._require()
        url = self.server_url()
        if not url:
            raise NotEnrolledError("no district server address is set")
        return url

    def _handle_revoked(self, err: RevokedError) -> bool:
        """Stop syncing if the server's refusal carries the district's signed revocation
        notice for this laptop; returns whether it did. An unsigned claim (a misconfigured
        proxy, or someone pretending to be the server) changes nothing."""
        notice_text = getattr(err, "notice", "")
        pinned = self.enrollment()
        if not notice_text or pinned is None:
            log.warning("the server refused this device as revoked without a signed notice")
            return False
        from sync.documents import read_notice

        try:
            body = read_notice(
                notice_text.encode("utf-8"), pinned.district, device_id=self.vault.device_id
            )
        except SyncError:
            log.warning("a revocation notice did not verify")
            return False
        if body.get("notice") != "revoked":
            return False
        self._set_revoked(str(body.get("text", "")))
        return True

    def _send_all(
        self, client: device_side.DistrictClient, report: SyncReport, progress: Progress
    ) -> None:
        batches = self.build_pending()
        for index, batch in enumerate(batches):
            progress("send", index, len(batches))
            data = self.batch_bytes(batch)
            try:
                raw = self._with_retries(lambda d=data: client.send_batch(d), progress, "send")  # type: ignore[misc]
            except SyncError as err:
                if err.code == "sequence_reused":
                    self._rebuild_after_sequence_clash(batch)
                raise
            report.batches_sent += 1
            self.apply_receipt(raw, report)
        progress("send", len(batches), len(batches))

    def _rebuild_after_sequence_clash(self, batch: PendingBatch) -> None:
        """The district already holds another batch under this sequence number (a vault
        restored from a backup): drop the kept batch and move the sequence past the clash;
        its revisions return to the outbox and go in a new batch next time."""
        kept = [b for b in self.pending_batches() if b.batch_id != batch.batch_id]
        current = int(outbox.get_meta(self.vault, device_side.SEQUENCE_META) or "0")
        with self.vault.transaction():
            self._save_pending(kept)
            outbox.set_meta(
                self.vault, device_side.SEQUENCE_META, str(max(current, batch.sequence) + 100)
            )
        (self.outgoing_dir / batch.file).unlink(missing_ok=True)

    def _pull_all(
        self, client: device_side.DistrictClient, report: SyncReport, progress: Progress
    ) -> None:
        for page in range(1000):
            cursor = outbox.get_meta(self.vault, device_side.CURSOR_META) or ""
            progress("pull", page, page + 1)
            data = self._with_retries(
                lambda c=cursor: client.changes(self.vault.device_id, c),  # type: ignore[misc]
                progress,
                "pull",
            )
            more = self.apply_changes(data, report)
            if report.revoked or not more:
                return

    # ----- USB ---------------------------------------------------------------------------

    def export_batches(self, folder: Path, progress: Progress = _no_progress) -> list[Path]:
        """Write every kept batch to ``folder`` (a stick) atomically, each read back and
        compared; returns the files. Only age-encrypted batch files are written."""
        batches = self.build_pending()
        written = []
        for index, batch in enumerate(batches):
            progress("export", index, len(batches))
            data = self.batch_bytes(batch)
            target = Path(folder) / batch.file
            try:
                if target.read_bytes() == data:
                    written.append(target)
                    continue
            except OSError:
                pass
            write_verified(target, data)
            written.append(target)
        if written:
            self._log_event({"kind": "export", "via": "usb", "batches": len(written)})
        progress("export", len(batches), len(batches))
        return written

    def import_folder(self, folder: Path) -> tuple[SyncReport, list[str]]:
        """Read receipts, this device's response and its enrollment answer from ``folder``;
        files for other devices are ignored. Returns the report and the names of files that
        could not be used (damaged, truncated) with the reason."""
        folder = Path(folder)
        report = SyncReport(via="usb")
        problems: list[str] = []
        own = self.vault.device_id
        enrolled_file = folder / f"{own}.cdenrolled"
        if self.enrollment() is None and enrolled_file.exists():
            try:
                self.accept_enrollment_file(enrolled_file)
            except SyncError as err:
                problems.append(f"{enrolled_file.name}: {err.code}")
        if self.enrollment() is None:
            return report, problems
        wanted = {b.batch_id for b in self.pending_batches()}
        for path in sorted(folder.glob("*.cdreceipt")):
            if path.stem not in wanted:
                continue
            try:
                self.apply_receipt(path.read_bytes(), report)
            except (SyncError, OSError) as err:
                problems.append(f"{path.name}: {getattr(err, 'code', 'unreadable')}")
        response = folder / f"{own}.cdresponse"
        if response.exists():
            try:
                self.apply_changes(response.read_bytes(), report)
            except (SyncError, OSError) as err:
                problems.append(f"{response.name}: {getattr(err, 'code', 'unreadable')}")
        if report.receipts or report.pulled or report.revoked or report.definitions_installed:
            self._set_meta_json(LAST_META, {"at": now_text(), "via": "usb"})
            self._log_event(
                {
                    "kind": "import",
                    "via": "usb",
                    "accepted": report.accepted,
                    "rejected": report.rejected,
                    "pulled": report.pulled,
                    "conflicts": report.conflicts,
                    "attachments": report.attachments_received,
                    "definitions": report.definitions_installed,
                }
            )
        return report, problems
