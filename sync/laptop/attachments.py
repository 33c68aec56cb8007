"""Pulled attachment files: checked against their revision (SHA-256, size) and stored
encrypted before the revision is applied; one that does not match, or that the district does
not have yet, is not stored and is asked for again (docs/sync-protocol.md §14, Attachments).
Vault work."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from typing import Any, Literal

from storage import pulled_blobs
from storage.attachments import BlobInfo
from sync.laptop.state import SyncReport, SyncState

log = logging.getLogger("childdesk.sync")

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def take_blob(
    state: SyncState,
    record_id: str,
    data: dict[str, Any],
    blobs: dict[str, dict[str, Any]],
    report: SyncReport,
) -> Literal["ok", "wait", "skip"]:
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
    if pulled_blobs.has_blob(state.vault, blob_id, expected):
        return "ok"  # stored by an earlier pull, or an edit that kept the file
    blob = blobs.get(sha)
    if blob is None:
        log.info("pulled attachment %s: its file is not at the district yet", record_id)
        report.attachments_waiting += 1
        return "wait"
    try:
        content: bytes | None = base64.b64decode(str(blob.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        content = None
    if content is None or len(content) != size or hashlib.sha256(content).hexdigest() != sha:
        log.warning(
            "pulled attachment %s: its file does not match its hash or size; not stored",
            record_id,
        )
        report.attachments_refused += 1
        return "wait"
    pulled_blobs.store_blob(state.vault, blob_id, content)
    report.attachments_received += 1
    return "ok"
