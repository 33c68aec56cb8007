"""Checks of signed content before anything else touches it (docs/sync-protocol.md §4a).

A signature proves who sent a document, not that its content is sane: an enrolled laptop can be
stolen, compromised, or run a buggy future version. Everything the district parses out of a
decrypted, signature-checked document is checked here, in one place, against the protocol's
schema — types, lengths, ranges, character classes, nesting depth, finite numbers, no lone
surrogates (which canonical JSON cannot encode as UTF-8) and no control characters where a
database column takes the text as it is.

- :func:`check_batch_body` — the batch's signed body (its envelope); a problem refuses the whole
  batch (:class:`~sync.errors.MalformedError`, HTTP 400).
- :func:`revision_problem` — one revision item; a problem refuses that revision alone, with a
  reason code in the receipt (``malformed`` or ``clock_skew``).
- :func:`blob_problem` — one blob item, likewise (``malformed``).
- :func:`safe_id` — an id fit to be echoed in a receipt whatever was sent.

Pure functions, no database: they run before a batch waits for the write lock.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from app.domain import case_conference, mandatory_report, recognition_application
from app.domain.workflow import Machine, Role
from sync.errors import MalformedError
from sync.protocol_types import CHILD_LINKED, VILLAGE_HELD, WORKFLOW_TYPES

# Identifiers: ASCII only, matched whole (fullmatch): Python's `$` accepts a trailing newline
# and `\d` accepts full-width and other Unicode digits.
HEX16 = re.compile(r"[0-9a-f]{16}")
HEX32 = re.compile(r"[0-9a-f]{32}")
HEX64 = re.compile(r"[0-9a-f]{64}")
VILLAGE_RE = re.compile(r"[0-9]{12}")
HLC_RE = re.compile(r"[0-9]{13}-[0-9]{6}-[0-9a-f]{16}")
RECORD_TYPE_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
ITEM_KIND_RE = re.compile(r"[a-z][a-z_]{0,19}")
# The changes cursor (c1.<revision seq>.<definition seq>), or empty / "0" before the first pull.
CURSOR_RE = re.compile(r"c1\.([0-9]{1,18})\.([0-9]{1,18})")
# ISO 8601 UTC as the protocol writes it (sync.wire.utc_now), fractions of a second allowed.
TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z")

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 control characters (a PostgreSQL text column refuses NUL outright).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

# Ranges. Batch sequences and revision numbers are stored in 32-bit INTEGER columns.
MAX_SEQUENCE = 2**31 - 1
MAX_REVISION_NUMBER = 2**31 - 1
MAX_JSON_INT = 2**63 - 1  # |n| of any integer in a revision (a 64-bit integer everywhere)
MAX_DEPTH = 64  # JSON nesting of an item, as the document reader's limit (sync.wire)
MAX_FIELD_NAME = 200  # a record's top-level field name (it names conflicts)
MAX_AUTHOR = 200
MAX_ITEM_ID = 200
MAX_BLOB_BYTES = 64 * 1024 * 1024

# How far ahead of the district server's own clock a revision's clock may be. Clocks are
# compared as text in the merge: a revision dated years ahead (a laptop with a wrong date)
# would win every later merge of its fields. Laptops whose clocks drift by minutes, or whose
# time zone is set wrongly (at most 14 hours), stay well inside it.
MAX_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000

MALFORMED = "malformed"
CLOCK_SKEW = "clock_skew"
# A record type only the district writes (a case conference), sent by a device (§16).
DISTRICT_ONLY = "district_only"
MAX_WORKFLOW_TEXT = 4000  # free text of a report, an application or a step

# The state machines of the workflows (issue 17), by the subject type a step names.
WORKFLOW_MACHINES: dict[str, Machine] = {
    mandatory_report.RECORD_TYPE: mandatory_report.MACHINE,
    recognition_application.RECORD_TYPE: recognition_application.MACHINE,
    case_conference.RECORD_TYPE: case_conference.MACHINE,
}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def has_bad_text(text: str) -> bool:
    """A lone surrogate (not encodable as UTF-8)."""
    return _SURROGATE.search(text) is not None


def plain_text(value: object, max_len: int) -> bool:
    """Text of at most ``max_len`` characters with no control characters or lone surrogates."""
    return (
        isinstance(value, str)
        and len(value) <= max_len
        and _CONTROL.search(value) is None
        and _SURROGATE.search(value) is None
    )


def json_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why a parsed JSON value cannot be stored and re-encoded as canonical JSON, or None: a
    non-finite or huge number, a lone surrogate in a string or a key, nesting too deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, str):
            if _SURROGATE.search(current):
                return "text with a lone surrogate"
        elif current is None or isinstance(current, bool):
            pass
        elif isinstance(current, int):
            if not -MAX_JSON_INT <= current <= MAX_JSON_INT:
                return "a whole number out of range"
        elif isinstance(current, float):
            if not math.isfinite(current):
                return "a number out of range"
        elif isinstance(current, dict):
            if depth > max_depth:
                return "nesting too deep"
            for key, item in current.items():
                if not isinstance(key, str) or _SURROGATE.search(key):
                    return "a field name with a lone surrogate"
                stack.append((item, depth + 1))
        elif isinstance(current, list):
            if depth > max_depth:
                return "nesting too deep"
            stack.extend((item, depth + 1) for item in current)
        else:
            return "a value of an unknown type"
    return None


def safe_id(value: object, max_len: int = 120) -> str:
    """An id fit to echo in a receipt: the text as sent when it is plain, else with lone
    surrogates and control characters escaped; at most ``max_len`` characters."""
    text = value if isinstance(value, str) else str(value) if value is not None else ""
    text = text[: max_len * 2]
    if _SURROGATE.search(text) or _CONTROL.search(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text[:max_len]


# ----- the batch envelope -------------------------------------------------------------------


def check_cursor(value: object) -> str:
    if not isinstance(value, str) or not (value in ("", "0") or CURSOR_RE.fullmatch(value)):
        raise MalformedError("the batch's cursor is not a valid changes cursor")
    return value


def check_batch_body(body: dict[str, Any]) -> None:
    """The signed body of a batch: every field the district reads, and the item list. Raises
    :class:`MalformedError` (the whole batch is refused, HTTP 400)."""
    problem = json_problem(body)
    if problem:
        raise MalformedError(f"the batch body holds {problem}")
    for field, pattern in (("batch_id", HEX32), ("device_id", HEX16), ("district", HEX16)):
        value = body.get(field)
        if not (isinstance(value, str) and pattern.fullmatch(value)):
            raise MalformedError(f"field {field!r} is not a valid id")
    sequence = body.get("sequence")
    if type(sequence) is not int or not 1 <= sequence <= MAX_SEQUENCE:
        raise MalformedError(f"field 'sequence' is not a whole number from 1 to {MAX_SEQUENCE}")
    check_cursor(body.get("cursor"))
    created = body.get("created")
    if not (isinstance(created, str) and TIME_RE.fullmatch(created)):
        raise MalformedError("field 'created' is not a UTC time")
    counts = body.get("counts")
    if not isinstance(counts, dict) or not all(
        type(counts.get(key)) is int for key in ("revisions", "blobs")
    ):
        raise MalformedError("the batch has no counts")
    listed = body.get("items", [])
    if not isinstance(listed, list):
        raise MalformedError("the item list is not a list")
    for index, entry in enumerate(listed):
        if not isinstance(entry, dict):
            raise MalformedError(f"item {index} is not described properly")
        kind, item_id = entry.get("kind"), entry.get("id")
        sha, size = entry.get("sha256"), entry.get("size")
        if not (isinstance(kind, str) and ITEM_KIND_RE.fullmatch(kind)):
            raise MalformedError(f"item {index} has no valid kind")
        if not plain_text(item_id, MAX_ITEM_ID):
            raise MalformedError(f"item {index} has no valid id")
        if not (isinstance(sha, str) and HEX64.fullmatch(sha)) or type(size) is not int:
            raise MalformedError(f"item {index} has no valid hash or size")


# ----- revisions ----------------------------------------------------------------------------


def clock_wall_ms(hlc: str) -> int:
    """The wall-clock milliseconds of a well-formed clock."""
    return int(hlc[:13])


def revision_problem(rev: dict[str, Any], *, now: int | None = None) -> tuple[str, str] | None:
    """Why one revision item is refused — ``(reason, English message)`` — or None.

    ``now`` is the district server's time in milliseconds (for the clock-skew bound)."""
    what = _malformed_field(rev)
    if what:
        return MALFORMED, f"the revision's {what} is missing or malformed"
    if not rev["hlc"].endswith(rev["device_id"]):
        return MALFORMED, "the revision's clock names another device"
    problem = json_problem(rev)
    if problem:
        return MALFORMED, f"the revision holds {problem}"
    what = _data_problem(rev["record_type"], rev["data"], deleted=rev["deleted"])
    if what:
        return MALFORMED, f"the revision's {what} is malformed"
    if rev["record_type"] == case_conference.RECORD_TYPE:
        return DISTRICT_ONLY, "case conferences are recorded at the district, not on a laptop"
    if rev["record_type"] in WORKFLOW_TYPES and not rev["deleted"]:
        what = workflow_problem(rev["record_type"], rev["data"])
        if what:
            return MALFORMED, f"the revision's {what} is malformed"
    limit = (now_ms() if now is None else now) + MAX_CLOCK_SKEW_MS
    if clock_wall_ms(rev["hlc"]) > limit:
        return (
            CLOCK_SKEW,
            "the revision's clock is more than 24 hours ahead of the district server's time "
            "(the laptop's date is wrong)",
        )
    return None


def _malformed_field(rev: dict[str, Any]) -> str | None:
    record_id, record_type = rev.get("record_id"), rev.get("record_type")
    number, hlc, base = rev.get("revision"), rev.get("hlc"), rev.get("base_hlc")
    device, author = rev.get("device_id"), rev.get("author")
    if not (isinstance(record_id, str) and HEX32.fullmatch(record_id)):
        return "id"
    if not (isinstance(record_type, str) and RECORD_TYPE_RE.fullmatch(record_type)):
        return "record type"
    if not (type(number) is int and 1 <= number <= MAX_REVISION_NUMBER):
        return "revision number"
    if not (isinstance(hlc, str) and HLC_RE.fullmatch(hlc)):
        return "clock"
    if not (isinstance(device, str) and HEX16.fullmatch(device)):
        return "device"
    if not (isinstance(author, str) and len(author) <= MAX_AUTHOR and author.isprintable()):
        return "author"
    if not isinstance(rev.get("deleted"), bool):
        return "deleted flag"
    if not (base is None or (isinstance(base, str) and HLC_RE.fullmatch(base))):
        return "base clock"
    if not isinstance(rev.get("data"), dict):
        return "data"
    return None


def _optional(data: dict[str, Any], key: str, pattern: re.Pattern[str]) -> bool:
    value = data.get(key)
    return value is None or (isinstance(value, str) and pattern.fullmatch(value) is not None)


def _data_problem(record_type: str, data: dict[str, Any], *, deleted: bool) -> str | None:
    """The fields the district reads (scope, links, attachments) have their protocol form;
    every top-level field name is plain text (it names conflicts)."""
    for key in data:
        if not (plain_text(key, MAX_FIELD_NAME) and key):
            return "field name"
    if record_type in ("child", *VILLAGE_HELD) and not _optional(data, "village_code", VILLAGE_RE):
        return "village code"
    if record_type == "child":
        transfer = data.get("transfer")
        if transfer is not None and not isinstance(transfer, dict):
            return "transfer"
        if isinstance(transfer, dict) and not _optional(transfer, "to_village_code", VILLAGE_RE):
            return "transfer village code"
    if record_type in CHILD_LINKED and not _optional(data, "child_id", HEX32):
        return "child id"
    if record_type == "attachment":
        if not _optional(data, "owner_id", HEX32):
            return "owner id"
        if not deleted and not _optional(data, "sha256", HEX64):
            return "file hash"
    return None


def _text(data: dict[str, Any], key: str, *, required: bool = False) -> bool:
    value = data.get(key)
    if value is None:
        return not required
    return (
        isinstance(value, str)
        and len(value) <= MAX_WORKFLOW_TEXT
        and _SURROGATE.search(value) is None
        and "\x00" not in value
        and (bool(value.strip()) or not required)
    )


def workflow_problem(record_type: str, data: dict[str, Any]) -> str | None:
    """A workflow record or step sent by a device (docs/sync-protocol.md §16): the fields the
    district reads have their form; a step is a director's own action (a laptop cannot act as
    a town or the district), checked against the subject's state machine here and against its
    state where it falls in the fold (app/domain/workflow.py) on both ends."""
    if not (isinstance(data.get("child_id"), str) and HEX32.fullmatch(data["child_id"])):
        return "child id"
    if record_type == mandatory_report.RECORD_TYPE:
        if not _optional(data, "village_code", VILLAGE_RE):
            return "village code"
        for key in ("seen", "seen_at", "at_risk", "filed_at", "concern", "source"):
            if not _text(data, key):
                return key.replace("_", " ")
        if "immediate_danger" in data and not isinstance(data["immediate_danger"], bool):
            return "immediate danger"
        told = data.get("told")
        if told is not None and not (
            isinstance(told, dict) and all(isinstance(v, bool) for v in told.values())
        ):
            return "told"
        return None
    if record_type == recognition_application.RECORD_TYPE:
        if not _optional(data, "village_code", VILLAGE_RE):
            return "village code"
        if "facts" in data and not isinstance(data["facts"], dict):
            return "facts"
        if "materials" in data and not isinstance(data["materials"], list):
            return "materials"
        return None
    # workflow_step
    subject_type = data.get("subject_type")
    machine = WORKFLOW_MACHINES.get(subject_type) if isinstance(subject_type, str) else None
    if machine is None:
        return "subject type"
    if not (isinstance(data.get("subject_id"), str) and HEX32.fullmatch(data["subject_id"])):
        return "subject id"
    if data.get("role") != Role.DIRECTOR.value:
        return "role"
    action = data.get("action")
    found = machine.rules.get(action) if isinstance(action, str) else None
    if found is None or Role.DIRECTOR not in found.roles:
        return "action"
    at = data.get("at")
    if not (isinstance(at, str) and TIME_RE.fullmatch(at)):
        return "time"
    if not plain_text(data.get("actor", ""), MAX_AUTHOR):
        return "actor"
    if not _text(data, "reason"):
        return "reason"
    if not isinstance(data.get("details", {}), dict):
        return "details"
    return None


# ----- blobs --------------------------------------------------------------------------------


def blob_problem(blob: dict[str, Any]) -> str | None:
    """Why a blob item is malformed, or None (its content is checked against the hash later)."""
    sha, size, data = blob.get("sha256"), blob.get("size"), blob.get("data")
    if not (isinstance(sha, str) and HEX64.fullmatch(sha)):
        return "the blob's hash is malformed"
    if type(size) is not int or not 0 <= size <= MAX_BLOB_BYTES:
        return "the blob's size is malformed"
    if not (isinstance(data, str) and data.isascii()):
        return "the blob's data is not base64 text"
    return None
