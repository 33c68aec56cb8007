"""Checks of a revision that need no database, done before a batch waits for the write lock:
its content against the protocol's schema and the clock-skew bound (sync/content_checks.py,
docs/sync-protocol.md §4a), the writing device, the record type, and the content hash that
makes a resubmission identical (§6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sync.content_checks import HEX32, revision_problem, safe_id
from sync.content_checks import HLC_RE as HLC_RE
from sync.content_checks import RECORD_TYPE_RE as RECORD_TYPE_RE
from sync.protocol_types import SYNCED_TYPES
from sync.wire import canonical_json, revision_id, sha256_hex


@dataclass
class PreparedRevision:
    rev: dict[str, Any]
    rid: str
    problem: tuple[str, str] | None  # (reason, message) when refused without looking further
    content: str = ""  # content hash: what makes a resubmission identical
    data_json: str = ""  # canonical JSON of the data, as stored


def revision_rid(rev: dict[str, Any]) -> str:
    """The revision id to name in the receipt: ``record_id@hlc`` as sent when both are
    well-formed, else an escaped, shortened form (never text a receipt cannot carry)."""
    record_id, hlc = rev.get("record_id"), rev.get("hlc")
    if (
        isinstance(record_id, str)
        and isinstance(hlc, str)
        and HEX32.fullmatch(record_id)
        and HLC_RE.fullmatch(hlc)
    ):
        return revision_id(record_id, hlc)
    return revision_id(safe_id(record_id, 40), safe_id(hlc, 40))


def prepare_revision(
    rev: dict[str, Any], device_id: str, *, now: int | None = None
) -> PreparedRevision:
    """``now``: the district server's time in milliseconds (the clock-skew bound)."""
    rid = revision_rid(rev)
    problem = revision_problem(rev, now=now)
    if problem:
        return PreparedRevision(rev, rid, problem)
    if rev["device_id"] != device_id:
        return PreparedRevision(
            rev, rid, ("foreign_device", "the revision was written by another device")
        )
    if rev["record_type"] not in SYNCED_TYPES:
        return PreparedRevision(rev, rid, ("unknown_record_type", "this record type is not synced"))
    try:
        data_json = canonical_json(rev["data"])
        content = content_hash(rev, data_json)
    except (ValueError, TypeError, UnicodeEncodeError, RecursionError):  # checked above: a net
        return PreparedRevision(rev, rid, ("malformed", "the revision's data cannot be encoded"))
    return PreparedRevision(rev, rid, None, content, data_json.decode())


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


def malformed(rev: dict[str, Any], *, now: int | None = None) -> str | None:
    """Why a revision item is refused (malformed, or its clock too far ahead), or None."""
    problem = revision_problem(rev, now=now)
    return problem[1] if problem else None
