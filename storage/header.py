"""The vault header: ids, format version and key slots, as canonical JSON.

It lives twice: in ``vault.header`` (replaced atomically) and in the database's ``header``
table (written in a transaction). Each copy carries a SHA-256 checksum, so a damaged copy is
recognised without any key, and a ``generation`` counter; on open the newest intact copy wins.
After unlock, an HMAC under a key derived from the vault key proves nobody edited the slots.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field, replace
from typing import Any

from storage.crypto import b64d, b64e
from storage.errors import VaultCorruptError, VaultTooNewError
from storage.keyslots import KeySlot

FORMAT_NAME = "childdesk-vault"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class VaultHeader:
    vault_id: str
    device_id: str
    created: str
    generation: int
    slots: tuple[KeySlot, ...]
    version: int = FORMAT_VERSION
    mac: bytes = field(default=b"", compare=False)

    def slot(self, slot_type: str) -> KeySlot | None:
        return next((s for s in self.slots if s.slot_type == slot_type), None)

    def with_slot(self, new_slot: KeySlot) -> VaultHeader:
        """A copy with ``new_slot`` replacing the slot of the same id, next generation."""
        others = tuple(s for s in self.slots if s.slot_id != new_slot.slot_id)
        return replace(self, slots=(*others, new_slot), generation=self.generation + 1, mac=b"")

    def body(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": self.version,
            "vault_id": self.vault_id,
            "device_id": self.device_id,
            "created": self.created,
            "generation": self.generation,
            "slots": [s.to_json() for s in self.slots],
        }


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def compute_mac(header: VaultHeader, mac_key: bytes) -> bytes:
    return hmac.new(mac_key, _canonical(header.body()), hashlib.sha256).digest()


def mac_is_valid(header: VaultHeader, mac_key: bytes) -> bool:
    return hmac.compare_digest(header.mac, compute_mac(header, mac_key))


def encode_header(header: VaultHeader, mac_key: bytes) -> bytes:
    body = header.body()
    body["mac"] = b64e(compute_mac(header, mac_key))
    body["checksum"] = hashlib.sha256(_canonical(body)).hexdigest()
    return json.dumps(body, sort_keys=True, indent=1).encode() + b"\n"


def decode_header(raw: bytes) -> VaultHeader:
    """Parse and check one copy. Raises VaultCorruptError or VaultTooNewError."""
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ValueError("not a vault header")
        checksum = data.pop("checksum")
        if not hmac.compare_digest(checksum, hashlib.sha256(_canonical(data)).hexdigest()):
            raise ValueError("checksum mismatch")
        version = int(data["version"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise VaultCorruptError(f"vault header is damaged ({err})") from err
    if version > FORMAT_VERSION:
        raise VaultTooNewError(
            f"this vault was made by a newer version of childdesk (format {version}, "
            f"this program reads up to {FORMAT_VERSION}); please update the program"
        )
    try:
        return VaultHeader(
            vault_id=str(data["vault_id"]),
            device_id=str(data["device_id"]),
            created=str(data["created"]),
            generation=int(data["generation"]),
            slots=tuple(KeySlot.from_json(s) for s in data["slots"]),
            version=version,
            mac=b64d(data["mac"]),
        )
    except (ValueError, KeyError, TypeError) as err:
        raise VaultCorruptError(f"vault header is damaged ({err})") from err


def newest_intact(copies: list[bytes | None]) -> VaultHeader:
    """The newest copy that decodes; VaultTooNewError wins over damage (it is actionable)."""
    decoded: list[VaultHeader] = []
    errors: list[Exception] = []
    for raw in copies:
        if raw is None:
            continue
        try:
            decoded.append(decode_header(raw))
        except (VaultCorruptError, VaultTooNewError) as err:
            errors.append(err)
    too_new = [e for e in errors if isinstance(e, VaultTooNewError)]
    if too_new:
        raise too_new[0]
    if not decoded:
        if errors:
            raise VaultCorruptError("every copy of the vault header is damaged")
        raise VaultCorruptError("the vault header is missing")
    return max(decoded, key=lambda h: h.generation)
