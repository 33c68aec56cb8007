"""Checks of a revision that need no database, done before a batch waits for the write lock:
form (docs/sync-protocol.md §5), the writing device, the record type, and the content hash that
makes a resubmission identical (§7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sync.documents import HEX16, HEX32
from sync.protocol_types import SYNCED_TYPES
from sync.wire import canonical_json, revision_id, sha256_hex

# fullmatch, ASCII digits only: a full-width digit would sort above every real clock
HLC_RE = re.compile(r"[0-9]{13}-[0-9]{6}-[0-9a-f]{16}")
RECORD_TYPE_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass
class PreparedRevision:
    rev: dict[str, Any]
    rid: str
    problem: tuple[str, str] | None  # (reason, message) when refused without looking further
    content: str = ""  # content hash: what makes a resubmission identical
    data_json: str = ""  # canonical JSON of the data, as stored


def prepare_revision(rev: dict[str, Any], device_id: str) -> PreparedRevision:
    rid = revision_id(str(rev.get("record_id"))[:40], str(rev.get("hlc"))[:40])
    problem = malformed(rev)
    if problem:
        return PreparedRevision(rev, rid, ("malformed", problem))
    if rev["device_id"] != device_id:
        return PreparedRevision(
            rev, rid, ("foreign_device", "the revision was written by another device")
        )
    if rev["record_type"] not in SYNCED_TYPES:
        return PreparedRevision(rev, rid, ("unknown_record_type", "this record type is not synced"))
    data_json = canonical_json(rev["data"])
    return PreparedRevision(rev, rid, None, content_hash(rev, data_json), data_json.decode())


def content_hash(rev: dict[str, Any], data_json: bytes | None = None) -> str:
    """SHA-256 of the canonical JSON of the revision's content fields. The object is spliced
    from its parts (keys in sorted order) so the data is serialised only once; the bytes are
    exactly ``canonical_json({...})`` (tests/sync/test_ingest_group.py checks this)."""
    data = canonical_json(rev["data"]) if data_json is None else data_json
    return sha256_hex(
        b'{"author":'
        + _scalar(rev["author"])
        + b',"base_hlc":'
        + _scalar(rev["base_hlc"])
        + b',"data":'
        + data
        + b',"deleted":'
        + _scalar(rev["deleted"])
        + b',"record_type":'
        + _scalar(rev["record_type"])
        + b',"revision":'
        + _scalar(rev["revision"])
        + b"}"
    )


def _scalar(value: Any) -> bytes:
    if value is None:
        return b"null"
    if value is True:
        return b"true"
    if value is False:
        return b"false"
    if type(value) is int:
        return str(value).encode("ascii")
    return canonical_json(value)


def malformed(rev: dict[str, Any]) -> str | None:
    """Why a revision item is malformed, or None."""
    what = _malformed_field(rev)
    if what:
        return f"the revision's {what} is missing or malformed"
    if not rev["hlc"].endswith(rev["device_id"]):
        return "the revision's clock names another device"
    return None


def _malformed_field(rev: dict[str, Any]) -> str | None:
    record_id, record_type = rev.get("record_id"), rev.get("record_type")
    number, hlc, base = rev.get("revision"), rev.get("hlc"), rev.get("base_hlc")
    device, author = rev.get("device_id"), rev.get("author")
    if not (isinstance(record_id, str) and HEX32.fullmatch(record_id)):
        return "id"
    if not (isinstance(record_type, str) and RECORD_TYPE_RE.fullmatch(record_type)):
        return "record type"
    if not (type(number) is int and 1 <= number < 2**31):
        return "revision number"
    if not (isinstance(hlc, str) and HLC_RE.fullmatch(hlc)):
        return "clock"
    if not (isinstance(device, str) and HEX16.fullmatch(device)):
        return "device"
    if not (isinstance(author, str) and len(author) <= 200 and author.isprintable()):
        return "author"
    if not isinstance(rev.get("deleted"), bool):
        return "deleted flag"
    if not (base is None or (isinstance(base, str) and HLC_RE.fullmatch(base))):
        return "base clock"
    if not isinstance(rev.get("data"), dict):
        return "data"
    return None
