"""Encrypted records: every revision's content is AES-256-GCM ciphertext whose associated data
binds the vault, record id, type, revision, clock, device and tombstone flag, so a ciphertext
moved to another row (or another vault) fails to decrypt."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.crypto import NONCE_BYTES

# Record types the storage layer itself knows (the vault re-exports them): here, so modules
# that only name a type do not load the vault and sqlite-utils (the district server).
PROFILE_TYPE = "director_profile"
ATTACHMENT_TYPE = "attachment"
RECOVERY_CODE_TYPE = "recovery_code"

# matched whole and ASCII only (`$` would accept a trailing newline)
RECORD_TYPE_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
RECORD_ID_RE = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class RevisionMeta:
    """The plaintext columns of a revision: opaque ids, counters and the sync clock only."""

    record_id: str
    record_type: str
    revision: int
    hlc: str
    device_id: str
    deleted: bool


@dataclass(frozen=True, slots=True)
class Revision:
    meta: RevisionMeta
    author: str
    data: dict[str, Any]

    @property
    def record_id(self) -> str:
        return self.meta.record_id

    @property
    def record_type(self) -> str:
        return self.meta.record_type

    @property
    def revision(self) -> int:
        return self.meta.revision

    @property
    def deleted(self) -> bool:
        return self.meta.deleted


def validate_record_type(record_type: str) -> None:
    if not RECORD_TYPE_RE.fullmatch(record_type):
        raise ValueError(f"invalid record type {record_type!r}")


class RecordCipher:
    def __init__(self, record_key: bytes, vault_id: str) -> None:
        self._aead = AESGCM(record_key)
        self._vault_id = vault_id

    def _aad(self, meta: RevisionMeta) -> bytes:
        return "\x1f".join(
            (
                "childdesk-record-v1",
                self._vault_id,
                meta.record_id,
                meta.record_type,
                str(meta.revision),
                meta.hlc,
                meta.device_id,
                "1" if meta.deleted else "0",
            )
        ).encode()

    def seal(self, meta: RevisionMeta, author: str, data: dict[str, Any]) -> tuple[bytes, bytes]:
        plaintext = json.dumps({"a": author, "d": data}, ensure_ascii=False).encode()
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, plaintext, self._aad(meta))

    def open(self, meta: RevisionMeta, nonce: bytes, ciphertext: bytes) -> Revision | None:
        """The revision, or None when the ciphertext is damaged or does not belong to ``meta``."""
        try:
            plaintext = self._aead.decrypt(nonce, ciphertext, self._aad(meta))
        except InvalidTag:
            return None
        body = json.loads(plaintext.decode())  # str input skips json's encoding sniffing
        return Revision(meta, body["a"], body["d"])
