"""The protocol's documents (docs/sync-protocol.md §3–§10): building them and reading them back
with every check the protocol asks for. Both sides use this module."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync import agefile

# Identifiers (ASCII only, matched whole) live with the other content checks; re-exported.
from sync.content_checks import HEX16 as HEX16
from sync.content_checks import HEX32 as HEX32
from sync.content_checks import HEX64 as HEX64
from sync.content_checks import VILLAGE_RE as VILLAGE_RE
from sync.content_checks import check_batch_body, plain_text
from sync.errors import MalformedError, NotForUsError, TooLargeError
from sync.keys import KeyPair, PublicKeys
from sync.wire import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    PROTOCOL_VERSION,
    SignedDocument,
    build_document,
    parse_document,
    require_int,
    require_str,
    sha256_hex,
    utc_now,
)

BATCH = "childdesk-batch"
RECEIPT = "childdesk-receipt"
CHANGES = "childdesk-changes"
ENROLL_REQUEST = "childdesk-enrollment-request"
ENROLLMENT = "childdesk-enrollment"
NOTICE = "childdesk-notice"


def _hex(body: dict[str, Any], field: str, pattern: re.Pattern[str]) -> str:
    value = require_str(body, field)
    if not pattern.fullmatch(value):
        raise MalformedError(f"field {field!r} is not a valid id")
    return value


# ----- batches -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchHeader:
    batch_id: str
    device_id: str
    sequence: int
    district: str
    cursor: str
    created: str


@dataclass(frozen=True)
class Batch:
    header: BatchHeader
    document: SignedDocument

    @property
    def manifest_sha256(self) -> str:
        return self.document.body_sha256


def build_batch_plaintext(
    *,
    batch_id: str,
    device_id: str,
    sequence: int,
    district_id: str,
    cursor: str,
    items: Sequence[dict[str, Any]],
    signer: Ed25519PrivateKey,
) -> bytes:
    counts = {
        "revisions": sum(1 for i in items if i["kind"] == "revision"),
        "blobs": sum(1 for i in items if i["kind"] == "blob"),
    }
    body = {
        "type": BATCH,
        "protocol": PROTOCOL_VERSION,
        "batch_id": batch_id,
        "device_id": device_id,
        "sequence": sequence,
        "created": utc_now(),
        "district": district_id,
        "cursor": cursor,
        "counts": counts,
    }
    return build_document(body, items, signer)


def encrypt_batch(plaintext: bytes, district: PublicKeys) -> bytes:
    return agefile.encrypt(plaintext, district.age_recipient)


def read_batch(
    data: bytes,
    district_keys: KeyPair,
    device_key: Callable[[str], Ed25519PublicKey],
    *,
    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
) -> Batch:
    """Decrypt and verify a batch file. ``device_key(device_id)`` returns the enrolled device's
    signing key, or raises (unknown or revoked device)."""
    if len(data) > max_bytes:
        raise TooLargeError(f"the batch is larger than the limit of {max_bytes} bytes")
    plaintext = district_keys.identity.decrypt(data)
    district_id = district_keys.key_id

    def signer(body: dict[str, Any]) -> Ed25519PublicKey:
        device_id = _hex(body, "device_id", HEX16)
        if body.get("district") != district_id:
            raise NotForUsError("the batch is addressed to another district")
        return device_key(device_id)

    document = parse_document(
        plaintext, expected_type=BATCH, signer=signer, max_bytes=max_bytes, lenient_items=True
    )
    body = document.body
    # Signed is not sane: every envelope field checked before anything reads it.
    check_batch_body(body)
    header = BatchHeader(
        batch_id=_hex(body, "batch_id", HEX32),
        device_id=_hex(body, "device_id", HEX16),
        sequence=require_int(body, "sequence", minimum=1),
        district=require_str(body, "district"),
        cursor=require_str(body, "cursor", max_len=100),
        created=require_str(body, "created", max_len=40),
    )
    counts = body.get("counts")
    if not isinstance(counts, dict):
        raise MalformedError("the batch has no counts")
    for kind, key in (("revision", "revisions"), ("blob", "blobs")):
        if counts.get(key) != sum(1 for i in document.items if i.kind == kind):
            raise MalformedError(f"the batch's {key} count does not match its items")
    return Batch(header, document)


# ----- receipts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    id: str
    reason: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "reason": self.reason, "message": self.message}


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    batch_id: str
    device_id: str
    sequence: int
    manifest_sha256: str
    received: str
    accepted: tuple[str, ...]
    rejected: tuple[Rejection, ...]
    raw: bytes


def build_receipt(
    *,
    receipt_id: str,
    batch: BatchHeader,
    manifest_sha256: str,
    district_id: str,
    accepted: Sequence[str],
    rejected: Sequence[Rejection],
    signer: Ed25519PrivateKey,
) -> bytes:
    body = {
        "type": RECEIPT,
        "protocol": PROTOCOL_VERSION,
        "receipt_id": receipt_id,
        "batch_id": batch.batch_id,
        "device_id": batch.device_id,
        "sequence": batch.sequence,
        "manifest_sha256": manifest_sha256,
        "district": district_id,
        "received": utc_now(),
        "accepted": list(accepted),
        "rejected": [r.to_json() for r in rejected],
    }
    return build_document(body, [], signer)


def read_receipt(raw: bytes, district: PublicKeys, *, device_id: str) -> Receipt:
    """Verify a receipt against the pinned district key; it must be for this device."""
    document = parse_document(raw, expected_type=RECEIPT, signer=lambda _b: district.verifier())
    body = document.body
    if body.get("device_id") != device_id:
        raise NotForUsError("the receipt is for another device")
    accepted = body.get("accepted")
    rejected = body.get("rejected")
    if not isinstance(accepted, list) or not all(isinstance(a, str) for a in accepted):
        raise MalformedError("the receipt's accepted list is malformed")
    if not isinstance(rejected, list) or not all(isinstance(r, dict) for r in rejected):
        raise MalformedError("the receipt's rejected list is malformed")
    return Receipt(
        receipt_id=_hex(body, "receipt_id", HEX32),
        batch_id=_hex(body, "batch_id", HEX32),
        device_id=device_id,
        sequence=require_int(body, "sequence", minimum=1),
        manifest_sha256=_hex(body, "manifest_sha256", HEX64),
        received=require_str(body, "received"),
        accepted=tuple(accepted),
        rejected=tuple(
            Rejection(str(r.get("id", "")), str(r.get("reason", "")), str(r.get("message", "")))
            for r in rejected
        ),
        raw=raw,
    )


# ----- changes (district → device) ---------------------------------------------------------


@dataclass(frozen=True)
class Changes:
    response_id: str
    device_id: str
    after: str
    next_cursor: str
    more: bool
    revisions: tuple[dict[str, Any], ...]
    blobs: tuple[dict[str, Any], ...]
    definitions: tuple[dict[str, Any], ...]
    notices: tuple[dict[str, Any], ...]
    receipts: tuple[Receipt, ...]


def build_changes(
    *,
    response_id: str,
    device_id: str,
    district_id: str,
    after: str,
    next_cursor: str,
    more: bool,
    items: Sequence[dict[str, Any]],
    signer: Ed25519PrivateKey,
) -> bytes:
    counts = {k: 0 for k in ("revision", "blob", "definition", "notice", "receipt")}
    for item in items:
        counts[item["kind"]] = counts.get(item["kind"], 0) + 1
    body = {
        "type": CHANGES,
        "protocol": PROTOCOL_VERSION,
        "response_id": response_id,
        "device_id": device_id,
        "district": district_id,
        "created": utc_now(),
        "after": after,
        "next_cursor": next_cursor,
        "more": more,
        "counts": counts,
    }
    return build_document(body, items, signer)


def read_changes(
    data: bytes,
    device: KeyPair,
    district: PublicKeys,
    *,
    device_id: str,
    max_bytes: int = 64 * 1024 * 1024,
) -> Changes:
    """Decrypt and verify a response file (network or USB) for this device."""
    if len(data) > max_bytes:
        raise TooLargeError("the response file is too large")
    plaintext = device.identity.decrypt(data)
    document = parse_document(
        plaintext, expected_type=CHANGES, signer=lambda _b: district.verifier(), max_bytes=max_bytes
    )
    body = document.body
    if body.get("device_id") != device_id or body.get("district") != district.key_id:
        raise NotForUsError("the response is for another device or from another district")
    grouped: dict[str, list[dict[str, Any]]] = {}
    receipts: list[Receipt] = []
    for item in document.items:
        if item.kind == "receipt":
            text = item.body.get("document")
            if not isinstance(text, str):
                raise MalformedError("a receipt item is malformed")
            receipts.append(read_receipt(text.encode("utf-8"), district, device_id=device_id))
        else:
            grouped.setdefault(item.kind, []).append(item.body)
    more = body.get("more")
    return Changes(
        response_id=_hex(body, "response_id", HEX32),
        device_id=device_id,
        after=require_str(body, "after", max_len=100),
        next_cursor=require_str(body, "next_cursor", max_len=100),
        more=bool(more) if isinstance(more, bool) else False,
        revisions=tuple(grouped.get("revision", [])),
        blobs=tuple(grouped.get("blob", [])),
        definitions=tuple(grouped.get("definition", [])),
        notices=tuple(grouped.get("notice", [])),
        receipts=tuple(receipts),
    )


# ----- notices -----------------------------------------------------------------------------


def build_notice(
    *, device_id: str, notice: str, text: str, district_id: str, signer: Ed25519PrivateKey
) -> bytes:
    body = {
        "type": NOTICE,
        "protocol": PROTOCOL_VERSION,
        "device_id": device_id,
        "district": district_id,
        "notice": notice,
        "text": text,
        "created": utc_now(),
    }
    return build_document(body, [], signer)


def read_notice(raw: bytes, district: PublicKeys, *, device_id: str) -> dict[str, Any]:
    document = parse_document(raw, expected_type=NOTICE, signer=lambda _b: district.verifier())
    if document.body.get("device_id") != device_id:
        raise NotForUsError("the notice is for another device")
    return document.body


# ----- enrollment --------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrollmentRequest:
    code: str
    device_id: str
    keys: PublicKeys
    label: str
    document: SignedDocument

    @property
    def sha256(self) -> str:
        return sha256_hex(self.document.raw)


@dataclass(frozen=True)
class Enrollment:
    """What a device pins after enrolling."""

    device_id: str
    villages: tuple[str, ...]
    district: PublicKeys
    enrolled: str
    raw: bytes

    @property
    def district_id(self) -> str:
        return self.district.key_id


def build_enrollment_request(*, code: str, device_id: str, keys: KeyPair, label: str = "") -> bytes:
    public = keys.public
    body = {
        "type": ENROLL_REQUEST,
        "protocol": PROTOCOL_VERSION,
        "code": code,
        "device_id": device_id,
        "label": label[:100],
        "created": utc_now(),
        **public.to_json(),
    }
    return build_document(body, [], keys.signing)


def read_enrollment_request(raw: bytes, *, max_bytes: int = 16 * 1024) -> EnrollmentRequest:
    """Self-signed: proves the sender holds the signing key it presents."""
    holder: list[PublicKeys] = []

    def signer(body: dict[str, Any]) -> Ed25519PublicKey:
        keys = PublicKeys.from_json(body)
        if not agefile.valid_recipient(keys.age_recipient):
            raise MalformedError("the request's age recipient is not valid")
        holder.append(keys)
        return keys.verifier()

    document = parse_document(raw, expected_type=ENROLL_REQUEST, signer=signer, max_bytes=max_bytes)
    body = document.body
    for field, limit in (("code", 64), ("label", 100)):
        if not plain_text(body.get(field), limit):
            raise MalformedError(f"field {field!r} is missing or not plain text")
    return EnrollmentRequest(
        code=require_str(body, "code", max_len=64),
        device_id=_hex(body, "device_id", HEX16),
        keys=holder[0],
        label=require_str(body, "label", max_len=100),
        document=document,
    )


def build_enrollment(
    *,
    request: EnrollmentRequest,
    villages: Sequence[str],
    district: KeyPair,
) -> bytes:
    public = district.public
    body = {
        "type": ENROLLMENT,
        "protocol": PROTOCOL_VERSION,
        "device_id": request.device_id,
        "villages": list(villages),
        "district": {"district_id": public.key_id, **public.to_json()},
        "enrolled": utc_now(),
        "request_sha256": request.sha256,
    }
    return build_document(body, [], district.signing)


def read_enrollment(raw: bytes, *, request: bytes) -> Enrollment:
    """Check the district's answer to our request, then return what to pin."""
    holder: list[PublicKeys] = []

    def signer(body: dict[str, Any]) -> Ed25519PublicKey:
        district = body.get("district")
        if not isinstance(district, dict):
            raise MalformedError("the enrollment has no district keys")
        keys = PublicKeys.from_json(district)
        holder.append(keys)
        return keys.verifier()

    document = parse_document(raw, expected_type=ENROLLMENT, signer=signer, max_bytes=64 * 1024)
    body = document.body
    if body.get("request_sha256") != sha256_hex(request):
        raise NotForUsError("the enrollment answers another request")
    villages = body.get("villages")
    if not isinstance(villages, list) or not all(
        isinstance(v, str) and VILLAGE_RE.fullmatch(v) for v in villages
    ):
        raise MalformedError("the enrollment's villages are malformed")
    return Enrollment(
        device_id=_hex(body, "device_id", HEX16),
        villages=tuple(villages),
        district=holder[0],
        enrolled=require_str(body, "enrolled"),
        raw=raw,
    )
