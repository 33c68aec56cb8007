"""Attachment blobs pulled from the district (docs/sync-protocol.md §14, "Attachments"): the
sync engine checks the bytes against their attachment revision (SHA-256 and size), then this
module encrypts them into the vault's blob file, in the same chunked format as
:meth:`storage.vault.Vault.add_attachment`. The attachment record itself is written like any
pulled revision (``storage.sync_store.store_pulled``).

The blob keeps the ``blob_id`` its attachment record names (chosen at random by the device
that added it), so the record's data stays what the district holds and the same pull applied
again finds the file already there.
"""

from __future__ import annotations

import io
import re

from storage import attachments
from storage.errors import AttachmentDamagedError
from storage.vault import Vault

BLOB_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def has_blob(vault: Vault, blob_id: str, expected: attachments.BlobInfo) -> bool:
    """Does the vault already hold blob ``blob_id`` with exactly the expected content? (It is
    decrypted and hashed to make sure; a damaged or different file counts as absent.)"""
    if not BLOB_ID_RE.match(blob_id):
        return False
    try:
        vault.check_blob(blob_id, expected)
    except (OSError, AttachmentDamagedError):
        return False
    return True


def store_blob(vault: Vault, blob_id: str, content: bytes) -> attachments.BlobInfo:
    """Encrypt an attachment's bytes (pulled from the district, already checked against its
    revision) into the vault's blob file ``blob_id``. The attachment record is written
    separately (``sync_store.store_pulled``); a blob without its record is harmless and is
    reused when the record arrives again."""
    if not BLOB_ID_RE.match(blob_id):
        raise ValueError("invalid blob id")
    return vault.write_blob(blob_id, io.BytesIO(content))
