"""Building correctly signed and encrypted batches whose content is anything at all (issue 14):
a batch built with the project's own ``build_batch_plaintext``, then its item lines (and, when
asked, body fields) replaced by raw JSON text — which may hold what Python's canonical JSON
cannot write (``1e400``, a lone surrogate ``\\udc80``, a 5,000-digit number, deep nesting) —
re-hashed into the body and signed again with the device's own key."""

from __future__ import annotations

import json
import time
from typing import Any

from sync.documents import build_batch_plaintext, encrypt_batch
from sync.wire import b64e, canonical_json, key_id, new_id, public_raw, sha256_hex
from tests.sync.conftest import Device

# Strings in a JSON text replaced by raw JSON that no Python value serialises to.
MARKERS = {
    '"@@INF@@"': "1e400",
    '"@@NEGINF@@"': "-1e400",
    '"@@BIGINT@@"': "9" * 5000,
    '"@@DEEP@@"': "[" * 70 + "]" * 70,
    '"@@SURROGATE@@"': '"\\udc80"',
    '"@@HIGH_SURROGATE@@"': '"a\\ud800b"',
}


def json_text(value: Any) -> bytes:
    """JSON with lone surrogates as ``\\u`` escapes and the markers replaced by raw text."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    for marker, raw in MARKERS.items():
        text = text.replace(marker, raw)
    return text.encode("ascii")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def hlc_of(device_id: str, wall_ms: int | None = None, counter: int = 0) -> str:
    wall = now_ms() if wall_ms is None else wall_ms
    return f"{wall:013d}-{counter:06d}-{device_id}"


def child(device: Device, data: dict[str, Any], /, **fields: Any) -> dict[str, Any]:
    """A well-formed child revision item (fields override any part of it)."""
    item: dict[str, Any] = {
        "kind": "revision",
        "record_id": new_id(),
        "record_type": "child",
        "revision": 1,
        "hlc": hlc_of(device.device_id),
        "device_id": device.device_id,
        "author": "测试",
        "deleted": False,
        "base_hlc": None,
        "data": data,
    }
    item.update(fields)
    return item


def listed_id(item: Any) -> str:
    if isinstance(item, dict) and item.get("kind") == "revision":
        record_id, hlc = item.get("record_id"), item.get("hlc")
        if isinstance(record_id, str) and isinstance(hlc, str):
            return f"{record_id}@{hlc}"
    return "x"


def forge(
    device: Device,
    items: list[Any],
    *,
    sequence: Any = None,
    body: dict[str, Any] | None = None,
    ids: list[str] | None = None,
    raw_items: list[bytes] | None = None,
) -> bytes:
    """A batch file signed by ``device`` holding ``items`` as raw JSON text (``json_text``),
    or ``raw_items`` as they are; ``body`` overrides envelope fields (markers allowed)."""
    lines = raw_items if raw_items is not None else [json_text(i) for i in items]
    kinds = [i.get("kind") if isinstance(i, dict) else "revision" for i in items]
    if sequence is None:
        device.sequence += 1
        sequence = device.sequence + 1000
    plaintext = build_batch_plaintext(
        batch_id=new_id(),
        device_id=device.device_id,
        sequence=1,
        district_id=device.enrollment.district_id,
        cursor="",
        items=[{"kind": k if isinstance(k, str) else "revision", "id": "x"} for k in kinds],
        signer=device.keys.signing,
    )
    parsed = json.loads(plaintext.split(b"\n", 1)[0])
    parsed["sequence"] = sequence
    listed = ids or [listed_id(i) for i in items]
    for entry, line, item_id in zip(parsed.get("items", []), lines, listed, strict=True):
        entry["id"] = item_id
        entry["sha256"] = sha256_hex(line)
        entry["size"] = len(line)
    parsed.update(body or {})
    body_line = json_text(parsed)
    signing = device.keys.signing
    signature = {
        "alg": "ed25519",
        "key": key_id(public_raw(signing.public_key())),
        "sig": b64e(signing.sign(body_line)),
    }
    document = b"\n".join([body_line, canonical_json(signature), *lines]) + b"\n"
    return encrypt_batch(document, device.enrollment.district)
