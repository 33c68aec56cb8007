"""The laptop's side of the protocol as a library (the GUI and ``childdesk sync`` wire it in
issue 8): device keys in the vault, enrollment, batches from the outbox, receipts, response
files, and a small HTTP client."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from storage import outbox
from storage.errors import RecordNotFoundError
from storage.vault import ATTACHMENT_TYPE, Vault
from sync.documents import (
    Changes,
    Enrollment,
    Receipt,
    build_batch_plaintext,
    build_enrollment_request,
    encrypt_batch,
    read_changes,
    read_enrollment,
    read_receipt,
)
from sync.errors import MalformedError, RevokedError, SyncError, TooLargeError
from sync.keys import KeyPair
from sync.protocol_types import SYNCED_TYPES
from sync.wire import new_id, revision_id

DEVICE_KEYS_TYPE = "sync_device_keys"
ENROLLMENT_TYPE = "sync_enrollment"
SEQUENCE_META = "sync.sequence"
CURSOR_META = "sync.cursor"
DEFAULT_BATCH_REVISIONS = 500
DEFAULT_BATCH_BYTES = 4 * 1024 * 1024


# ----- keys and enrollment, kept in the vault ------------------------------------------------


def _local_put(vault: Vault, record_type: str, data: dict[str, Any], author: str) -> None:
    existing = vault.load(record_type).revisions
    with vault.transaction():
        revision = vault.put(
            record_type,
            data,
            author=author,
            record_id=existing[0].record_id if existing else None,
        )
        outbox.mark_local(vault, revision.record_id)


def device_keys(vault: Vault) -> KeyPair | None:
    found = vault.load(DEVICE_KEYS_TYPE).revisions
    return KeyPair.from_secret_json(found[0].data) if found else None


def ensure_device_keys(vault: Vault, *, author: str) -> KeyPair:
    """The device's keys, generated and stored (encrypted, never sent) on first use."""
    keys = device_keys(vault)
    if keys is None:
        keys = KeyPair.generate()
        _local_put(vault, DEVICE_KEYS_TYPE, keys.secret_json(), author)
    return keys


def enrollment_request(vault: Vault, code: str, *, label: str = "", author: str = "") -> bytes:
    keys = ensure_device_keys(vault, author=author)
    return build_enrollment_request(code=code, device_id=vault.device_id, keys=keys, label=label)


def accept_enrollment(
    vault: Vault, response: bytes, *, request: bytes, server_url: str = "", author: str = ""
) -> Enrollment:
    """Verify the district's answer to our request and pin its keys in the vault."""
    enrollment = read_enrollment(response, request=request)
    if enrollment.device_id != vault.device_id:
        raise MalformedError("the enrollment is for another device")
    _local_put(
        vault,
        ENROLLMENT_TYPE,
        {
            "document": response.decode("utf-8"),
            "request": request.decode("utf-8"),
            "server_url": server_url,
        },
        author,
    )
    return enrollment


def enrollment(vault: Vault) -> Enrollment | None:
    found = vault.load(ENROLLMENT_TYPE).revisions
    if not found:
        return None
    data = found[0].data
    return read_enrollment(
        str(data["document"]).encode("utf-8"), request=str(data["request"]).encode("utf-8")
    )


# ----- batches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltBatch:
    batch_id: str
    sequence: int
    data: bytes  # the age file
    revisions: tuple[tuple[str, str], ...]  # (record_id, hlc)
    blobs: int

    @property
    def file_name(self) -> str:
        return f"{self.batch_id}.cdbatch"


def _revision_item(entry: outbox.OutboxEntry) -> dict[str, Any]:
    r = entry.revision
    return {
        "kind": "revision",
        "id": revision_id(r.record_id, r.meta.hlc),
        "record_id": r.record_id,
        "record_type": r.record_type,
        "revision": r.revision,
        "hlc": r.meta.hlc,
        "device_id": r.meta.device_id,
        "author": r.author,
        "deleted": r.deleted,
        "base_hlc": entry.base_hlc,
        "data": r.data,
    }


def _blob_item(vault: Vault, entry: outbox.OutboxEntry) -> dict[str, Any] | None:
    r = entry.revision
    if r.record_type != ATTACHMENT_TYPE or r.deleted:
        return None
    buffer = io.BytesIO()
    try:
        for chunk in vault.read_attachment(r.record_id):
            buffer.write(chunk)
    except RecordNotFoundError:
        return None  # deleted since: the tombstone follows in the outbox
    content = buffer.getvalue()
    return {
        "kind": "blob",
        "id": str(r.data.get("sha256")),
        "sha256": str(r.data.get("sha256")),
        "size": len(content),
        "data": base64.b64encode(content).decode("ascii"),
    }


def _groups(vault: Vault, max_revisions: int, max_bytes: int) -> Iterator[list[dict[str, Any]]]:
    group: list[dict[str, Any]] = []
    size = 0
    for entry in outbox.unsent(vault):
        if entry.revision.record_type not in SYNCED_TYPES:
            # Only the listed domain types ever leave the laptop: device keys, the enrollment
            # and the vault's copy of its recovery code (and any future local type) stay.
            outbox.mark_local(vault, entry.revision.record_id)
            continue
        items = [_revision_item(entry)]
        blob = _blob_item(vault, entry)
        if blob is not None:
            items.append(blob)
        item_size = sum(len(json.dumps(i, ensure_ascii=False).encode()) for i in items) + 200
        if group and (len(group) + len(items) > max_revisions or size + item_size > max_bytes):
            yield group
            group, size = [], 0
        group.extend(items)
        size += item_size
    if group:
        yield group


def build_batches(
    vault: Vault,
    keys: KeyPair,
    pinned: Enrollment,
    *,
    max_revisions: int = DEFAULT_BATCH_REVISIONS,
    max_bytes: int = DEFAULT_BATCH_BYTES,
    server_limit: int = 16 * 1024 * 1024,
) -> list[BuiltBatch]:
    """Batches of every unsent revision (and attachment blobs), each with a new id and the
    next sequence number. The caller keeps them until a receipt is verified and resends the
    same bytes after a failure."""
    built = []
    sequence = int(outbox.get_meta(vault, SEQUENCE_META) or "0")
    cursor = outbox.get_meta(vault, CURSOR_META) or ""
    for items in _groups(vault, max_revisions, max_bytes):
        sequence += 1
        batch_id = new_id()
        plaintext = build_batch_plaintext(
            batch_id=batch_id,
            device_id=vault.device_id,
            sequence=sequence,
            district_id=pinned.district_id,
            cursor=cursor,
            items=items,
            signer=keys.signing,
        )
        data = encrypt_batch(plaintext, pinned.district)
        if len(data) > server_limit:
            raise TooLargeError(
                "an attachment is too large for one batch; protocol 1 cannot send it"
            )
        built.append(
            BuiltBatch(
                batch_id,
                sequence,
                data,
                tuple((i["record_id"], i["hlc"]) for i in items if i["kind"] == "revision"),
                sum(1 for i in items if i["kind"] == "blob"),
            )
        )
        outbox.set_meta(vault, SEQUENCE_META, str(sequence))
    return built


# ----- receipts and responses ----------------------------------------------------------------


def apply_receipt(vault: Vault, raw: bytes, pinned: Enrollment) -> Receipt:
    """Verify a receipt and mark the revisions it accepted as sent. Rejected ones stay unsent
    (the caller shows them with their reasons)."""
    receipt = read_receipt(raw, pinned.district, device_id=vault.device_id)
    pairs = []
    for accepted in receipt.accepted:
        record_id, sep, hlc = accepted.partition("@")
        if sep and hlc.endswith(vault.device_id):
            pairs.append((record_id, hlc))
    outbox.mark_sent(vault, pairs, receipt.receipt_id)
    return receipt


def read_response(vault: Vault, data: bytes, keys: KeyPair, pinned: Enrollment) -> Changes:
    """Decrypt and verify a changes file (network or USB) and apply the receipts it carries.
    Merging its revisions into the vault is the caller's (issue 8)."""
    changes = read_changes(data, keys, pinned.district, device_id=vault.device_id)
    for receipt in changes.receipts:
        apply_receipt(vault, receipt.raw, pinned)
    return changes


# ----- HTTP ------------------------------------------------------------------------------


class DistrictClient:
    """Talks to a district server. Errors come back as SyncError with the server's code."""

    def __init__(self, base_url: str, *, timeout: float = 60.0, client: httpx.Client | None = None):
        self._base = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def _check(self, response: httpx.Response) -> bytes:
        if response.status_code == 200:
            return response.content
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = str(body.get("error", "error")) if isinstance(body, dict) else "error"
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        error_type = RevokedError if code == "device_revoked" else SyncError
        raise error_type(message or f"the server answered {response.status_code}", code=code)

    def info(self) -> dict[str, Any]:
        data = json.loads(self._check(self._client.get(f"{self._base}/api/v1/info")))
        return data if isinstance(data, dict) else {}

    def enroll(self, request: bytes) -> bytes:
        return self._check(self._client.post(f"{self._base}/api/v1/enroll", content=request))

    def send_batch(self, batch: bytes) -> bytes:
        return self._check(self._client.post(f"{self._base}/api/v1/batches", content=batch))

    def changes(self, device_id: str, after: str) -> bytes:
        return self._check(
            self._client.get(
                f"{self._base}/api/v1/devices/{device_id}/changes", params={"after": after}
            )
        )
