"""What both halves of district-escrow recovery (docs/sync-protocol.md §15) agree on: the
document types, the file names, the size limits and the check code read over the phone.

The laptop's half is ``sync/recovery.py``, the district's ``sync/server/recovery_grant.py``;
neither imports the other."""

from __future__ import annotations

from sync.wire import sha256_hex

REQUEST_TYPE = "childdesk-recovery-request"
GRANT_TYPE = "childdesk-recovery-grant"
MAX_REQUEST_BYTES = 64 * 1024
MAX_GRANT_BYTES = 64 * 1024
REQUEST_SUFFIX = ".cdrecover"
GRANT_SUFFIX = ".cdrecovered"


def check_code(reply_to: str) -> str:
    """Eight characters both sides show, read over the phone."""
    digest = sha256_hex(reply_to.encode("ascii"))[:8].upper()
    return f"{digest[:4]}-{digest[4:]}"
