"""Key slots: the vault key, wrapped under a key derived from a password or recovery code.

The vault key itself never touches the disk unwrapped. Each slot is AES-256-GCM over the vault
key; its associated data binds the vault id, the slot's id and type and its KDF parameters, so
a slot cannot be moved to another vault nor have its parameters weakened.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.crypto import (
    NONCE_BYTES,
    KdfParams,
    b64d,
    b64e,
    derive_key,
    floor_kdf,
)

SLOT_PASSWORD = "password"  # noqa: S105 (a slot type, not a password)
SLOT_RECOVERY = "recovery"

RECOVERY_GROUPS = 8
RECOVERY_GROUP_DIGITS = 4
RECOVERY_DIGITS = RECOVERY_GROUPS * RECOVERY_GROUP_DIGITS  # 32 digits ≈ 106 bits


@dataclass(frozen=True)
class KeySlot:
    slot_id: str
    slot_type: str
    kdf: KdfParams
    nonce: bytes
    wrapped_key: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.slot_id,
            "type": self.slot_type,
            "kdf": self.kdf.to_json(),
            "nonce": b64e(self.nonce),
            "wrapped_key": b64e(self.wrapped_key),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeySlot:
        return cls(
            slot_id=str(data["id"]),
            slot_type=str(data["type"]),
            kdf=KdfParams.from_json(data["kdf"]),
            nonce=b64d(data["nonce"]),
            wrapped_key=b64d(data["wrapped_key"]),
        )


def _slot_aad(vault_id: str, slot_id: str, slot_type: str, kdf: KdfParams) -> bytes:
    binding = {"vault": vault_id, "id": slot_id, "type": slot_type, "kdf": kdf.to_json()}
    return b"childdesk-slot-v1\x00" + json.dumps(binding, sort_keys=True).encode()


def wrap_vault_key(
    vault_key: bytes,
    secret: bytes,
    *,
    vault_id: str,
    slot_id: str,
    slot_type: str,
    kdf: KdfParams,
) -> KeySlot:
    kek = derive_key(secret, kdf)
    nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(kek).encrypt(nonce, vault_key, _slot_aad(vault_id, slot_id, slot_type, kdf))
    return KeySlot(slot_id, slot_type, kdf, nonce, wrapped)


def unwrap_vault_key(slot: KeySlot, secret: bytes, *, vault_id: str) -> bytes | None:
    """The vault key, or None when the secret is wrong (or the slot was altered)."""
    kek = derive_key(secret, slot.kdf)
    aad = _slot_aad(vault_id, slot.slot_id, slot.slot_type, slot.kdf)
    try:
        return AESGCM(kek).decrypt(slot.nonce, slot.wrapped_key, aad)
    except InvalidTag:
        return None


def recovery_kdf() -> KdfParams:
    # The recovery code carries ~106 bits of entropy; the floor parameters are ample.
    return floor_kdf()


def new_recovery_code() -> str:
    """32 random digits in 8 groups of 4: digits are easy to read aloud, copy and print."""
    digits = "".join(secrets.choice("0123456789") for _ in range(RECOVERY_DIGITS))
    return format_recovery_code(digits)


def format_recovery_code(digits: str) -> str:
    step = RECOVERY_GROUP_DIGITS
    return "-".join(digits[i : i + step] for i in range(0, len(digits), step))


def normalize_recovery_code(text: str) -> str | None:
    """The 32 digits of a typed code (spaces, dashes and full-width digits allowed), or None."""
    digits = "".join(
        chr(ord(ch) - 0xFEE0) if "０" <= ch <= "９" else ch for ch in text if not ch.isspace()
    )
    digits = digits.replace("-", "").replace("－", "")
    if len(digits) != RECOVERY_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits
