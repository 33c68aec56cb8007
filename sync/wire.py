"""Signed documents (docs/sync-protocol.md §2): a JSON body line, an Ed25519 signature line over
the body's exact bytes, then one JSON item per line, each hashed in the body.

Readers check sizes before parsing, verify the bytes they received, and refuse anything that
does not match exactly; every failure is a :class:`~sync.errors.SyncError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.errors import (
    BadSignatureError,
    MalformedError,
    TamperedError,
    TooLargeError,
    UnsupportedProtocolError,
)

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS = (1,)
MAX_ITEMS = 10_000
MAX_DEPTH = 64
DEFAULT_MAX_DOCUMENT_BYTES = 16 * 1024 * 1024


# One encoder for all: json.dumps with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 (not \\u escapes); NaN/Infinity refused."""
    return _CANONICAL.encode(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: object, what: str = "value") -> bytes:
    if not isinstance(text, str):
        raise MalformedError(f"{what} is not base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedError(f"{what} is not valid base64") from None


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    return secrets.token_hex(16)


def key_id(public_raw: bytes) -> str:
    """First 16 hex digits of SHA-256 of a raw public key."""
    return sha256_hex(public_raw)[:16]


def public_raw(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def load_public(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise MalformedError("an Ed25519 public key is 32 bytes")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise MalformedError("not an Ed25519 public key") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _depth_ok(value: Any, limit: int = MAX_DEPTH) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return False
        children = current.values() if isinstance(current, dict) else current
        stack.extend((v, depth + 1) for v in children if isinstance(v, (dict, list)))
    return True


# One decoder for all (json.loads with options builds a new one on every call).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def parse_json_object(raw: bytes, what: str) -> dict[str, Any]:
    """One JSON object from bytes, refusing bad UTF-8, NaN, deep nesting and non-objects."""
    try:
        value = _DECODER.decode(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedError(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedError(f"{what} is not a JSON object")
    # Depth is at most the number of brackets: only count-heavy input needs the walk.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and not _depth_ok(value):
        raise MalformedError(f"{what} is nested too deeply")
    return value


@dataclass(frozen=True)
class Item:
    kind: str
    id: str
    body: dict[str, Any]
    raw: bytes
    # Why the item's line could not be read (only with ``lenient_items``); its body is then {}.
    problem: str = ""


@dataclass(frozen=True)
class SignedDocument:
    body: dict[str, Any]
    body_raw: bytes
    signer_key_id: str
    items: tuple[Item, ...]
    raw: bytes

    @property
    def type(self) -> str:
        return str(self.body["type"])

    @property
    def body_sha256(self) -> str:
        return sha256_hex(self.body_raw)


def build_document(
    body: dict[str, Any], items: Sequence[dict[str, Any]], signer: Ed25519PrivateKey
) -> bytes:
    """Serialise, hash the items into the body, sign the body line."""
    item_lines = [canonical_json(item) for item in items]
    full = dict(body)
    if items:
        full["items"] = [
            {
                "kind": item["kind"],
                "id": str(item.get("id") or item_id(item)),
                "sha256": sha256_hex(line),
                "size": len(line),
            }
            for item, line in zip(items, item_lines, strict=True)
        ]
    body_line = canonical_json(full)
    signature = {
        "alg": "ed25519",
        "key": key_id(public_raw(signer.public_key())),
        "sig": b64e(signer.sign(body_line)),
    }
    return b"\n".join([body_line, canonical_json(signature), *item_lines]) + b"\n"


def item_id(item: dict[str, Any]) -> str:
    if item.get("kind") == "revision":
        return revision_id(str(item.get("record_id")), str(item.get("hlc")))
    if item.get("kind") == "blob":
        return str(item.get("sha256"))
    return str(item.get("id", ""))


def revision_id(record_id: str, hlc: str) -> str:
    return f"{record_id}@{hlc}"


def parse_document(
    raw: bytes,
    *,
    expected_type: str | Sequence[str],
    signer: Callable[[dict[str, Any]], Ed25519PublicKey],
    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    lenient_items: bool = False,
) -> SignedDocument:
    """Parse and verify a signed document.

    ``signer`` receives the parsed (not yet trusted) body and returns the public key that must
    have signed it — it may raise (unknown device, revoked device, wrong district).

    With ``lenient_items``, an item line whose bytes match the signed hash but that is not a
    JSON object (bad UTF-8, a number too long to read, too deep) does not refuse the whole
    document: the item comes back with ``problem`` set and an empty body, so that the reader
    can refuse that item alone (a batch: sync/server/prepare.py).
    """
    if len(raw) > max_bytes:
        raise TooLargeError(f"the document is larger than {max_bytes} bytes")
    if not raw.endswith(b"\n"):
        raise MalformedError("the document is truncated (no final line end)")
    lines = raw[:-1].split(b"\n")
    if len(lines) < 2:
        raise MalformedError("the document has no signature line")
    if len(lines) - 2 > MAX_ITEMS:
        raise TooLargeError(f"the document has more than {MAX_ITEMS} items")
    body = parse_json_object(lines[0], "the document body")
    types = (expected_type,) if isinstance(expected_type, str) else tuple(expected_type)
    if body.get("type") not in types:
        raise MalformedError(f"not a {' or '.join(types)} document")
    protocol = body.get("protocol")
    if not isinstance(protocol, int) or isinstance(protocol, bool):
        raise MalformedError("the document has no protocol version")
    if protocol not in SUPPORTED_PROTOCOLS:
        supported = ", ".join(str(v) for v in SUPPORTED_PROTOCOLS)
        raise UnsupportedProtocolError(
            f"protocol version {protocol} is not supported here (supported: {supported})"
        )
    signature = parse_json_object(lines[1], "the signature line")
    if signature.get("alg") != "ed25519" or not isinstance(signature.get("key"), str):
        raise BadSignatureError("the document is not signed with Ed25519")
    sig = b64d(signature.get("sig"), "the signature")
    public = signer(body)
    if signature["key"] != key_id(public_raw(public)):
        raise BadSignatureError("the document is signed by another key")
    try:
        public.verify(sig, lines[0])
    except InvalidSignature:
        raise BadSignatureError("the signature does not verify") from None
    listed = body.get("items", [])
    if not isinstance(listed, list):
        raise MalformedError("the item list is not a list")
    item_lines = lines[2:]
    if len(listed) != len(item_lines):
        raise TamperedError(f"the document lists {len(listed)} items but carries {len(item_lines)}")
    items: list[Item] = []
    for index, (entry, line) in enumerate(zip(listed, item_lines, strict=True)):
        if not isinstance(entry, dict):
            raise MalformedError(f"item {index} is not described properly")
        if entry.get("sha256") != sha256_hex(line) or entry.get("size") != len(line):
            raise TamperedError(f"item {index} does not match the signed hash")
        if not isinstance(entry.get("kind"), str):
            raise TamperedError(f"item {index} is not of the kind the body lists")
        try:
            item = parse_json_object(line, f"item {index}")
        except MalformedError as err:
            if not lenient_items:
                raise
            items.append(Item(entry["kind"], str(entry.get("id", "")), {}, line, err.message))
            continue
        if item.get("kind") != entry["kind"]:
            raise TamperedError(f"item {index} is not of the kind the body lists")
        items.append(Item(entry["kind"], str(entry.get("id", "")), item, line))
    return SignedDocument(body, lines[0], str(signature["key"]), tuple(items), raw)


def require_str(body: dict[str, Any], field: str, *, max_len: int = 200) -> str:
    value = body.get(field)
    if not isinstance(value, str) or len(value) > max_len:
        raise MalformedError(f"field {field!r} is missing or not text")
    return value


def require_int(body: dict[str, Any], field: str, *, minimum: int = 0) -> int:
    value = body.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise MalformedError(f"field {field!r} is missing or not a whole number")
    return value
