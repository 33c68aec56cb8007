"""The vault header: ids, format version and key slots, as canonical JSON.

It lives twice: in ``vault.header`` (replaced atomically) and in the database's ``header``
table (written in a transaction). Each copy carries a SHA-256 checksum, so a damaged copy is
recognised without any key, and a ``generation`` counter; on open the newest intact copy wins.
After unlock, an HMAC under a key derived from the vault key proves nobody edited the slots.

Version 2 adds what it takes to notice that ``vault.db`` is not the database this header
belongs to: ``database_id`` (random, also stored in the database's ``meta`` table) and
``last_seq``, the local sequence number of the newest revision when the header was last
written (it is brought forward after every commit that goes through :class:`storage.vault.Vault`).
A database without the identity, with another identity, or whose newest revision is older than
``last_seq`` was emptied, replaced or rolled back: unlock refuses it and says so. Version 1
headers (no such fields) still open and are upgraded on their first unlock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from storage.crypto import b64d, b64e
from storage.errors import VaultCorruptError, VaultTooNewError
from storage.keyslots import KeySlot

FORMAT_NAME = "childdesk-vault"
FORMAT_VERSION = 2
FIRST_VERSION_WITH_DATABASE_ID = 2
DATABASE_ID_RE = re.compile(r"[0-9a-f]{32}")


class DatabaseMismatchError(VaultCorruptError):
    """``vault.db`` is not the database the header describes: emptied, replaced by another
    file, or an older copy put back. Nothing was opened or written."""

    message_zh = (
        "数据文件（vault.db）和保险库的记录对不上：它被清空、换成了别的文件，或换成了旧的副本。"
        "为了不让您误以为资料都在，程序没有打开它，也没有改动任何文件。"
        "请不要删除任何文件，联系区里的技术人员从备份恢复。"
    )


@dataclass(frozen=True)
class VaultHeader:
    vault_id: str
    device_id: str
    created: str
    generation: int
    slots: tuple[KeySlot, ...]
    version: int = FORMAT_VERSION
    mac: bytes = field(default=b"", compare=False)
    database_id: str = ""  # version 2+: the identity stored in the database's meta table
    last_seq: int = 0  # version 2+: newest local revision sequence when last written

    def slot(self, slot_type: str) -> KeySlot | None:
        return next((s for s in self.slots if s.slot_type == slot_type), None)

    def with_slot(self, new_slot: KeySlot) -> VaultHeader:
        """A copy with ``new_slot`` replacing the slot of the same id, next generation."""
        others = tuple(s for s in self.slots if s.slot_id != new_slot.slot_id)
        return replace(self, slots=(*others, new_slot), generation=self.generation + 1, mac=b"")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "format": FORMAT_NAME,
            "version": self.version,
            "vault_id": self.vault_id,
            "device_id": self.device_id,
            "created": self.created,
            "generation": self.generation,
            "slots": [s.to_json() for s in self.slots],
        }
        if self.version >= FIRST_VERSION_WITH_DATABASE_ID:  # a version 1 body stays as it was
            body["database_id"] = self.database_id
            body["last_seq"] = self.last_seq
        return body

    @property
    def knows_database(self) -> bool:
        return self.version >= FIRST_VERSION_WITH_DATABASE_ID and bool(self.database_id)

    def order(self) -> tuple[int, int]:
        """Which of two copies is newer: the generation, then the sequence mark."""
        return (self.generation, self.last_seq)


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


def _damaged(detail: object) -> VaultCorruptError:
    return VaultCorruptError(f"vault header is damaged ({detail})")


def _plain_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value >= 2**63:
        raise ValueError(f"{name} is not a whole number")
    return value


def decode_header(raw: object) -> VaultHeader:
    """Parse and check one copy (bytes as stored; anything else is damage).
    Raises VaultCorruptError or VaultTooNewError, never anything else."""
    if not isinstance(raw, bytes):
        raise _damaged(f"stored as {type(raw).__name__}, not bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ValueError("not a vault header")
        checksum = data.pop("checksum")
        if not isinstance(checksum, str) or not hmac.compare_digest(
            checksum, hashlib.sha256(_canonical(data)).hexdigest()
        ):
            raise ValueError("checksum mismatch")
        version = _plain_int(data["version"], "version")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        raise _damaged(err) from None
    if version > FORMAT_VERSION:
        raise VaultTooNewError(
            f"this vault was made by a newer version of childdesk (format {version}, "
            f"this program reads up to {FORMAT_VERSION}); please update the program"
        )
    try:
        database_id, last_seq = "", 0
        if version >= FIRST_VERSION_WITH_DATABASE_ID:
            database_id = data["database_id"]
            if not isinstance(database_id, str) or not DATABASE_ID_RE.fullmatch(database_id):
                raise ValueError("database_id is not 32 hex digits")
            last_seq = _plain_int(data["last_seq"], "last_seq")
        slots = data["slots"]
        if not isinstance(slots, list):
            raise TypeError("slots is not a list")
        return VaultHeader(
            vault_id=str(data["vault_id"]),
            device_id=str(data["device_id"]),
            created=str(data["created"]),
            generation=_plain_int(data["generation"], "generation"),
            slots=tuple(KeySlot.from_json(s) for s in slots),
            version=version,
            mac=b64d(data["mac"]),
            database_id=database_id,
            last_seq=last_seq,
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        raise _damaged(err) from None


def newest_intact(copies: Sequence[object | None]) -> VaultHeader:
    """The newest copy that decodes; VaultTooNewError wins over damage (it is actionable).
    Two intact copies that name different vaults or different databases mean one file was
    replaced: :class:`DatabaseMismatchError`, rather than picking one."""
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
    if len({h.vault_id for h in decoded}) > 1:
        raise DatabaseMismatchError(
            "vault.db belongs to another vault than vault.header (one of the files was replaced)",
            "数据文件（vault.db）和 vault.header 不是同一个保险库的（其中一个文件被换过）。"
            "程序没有打开它，也没有改动任何文件。请不要删除任何文件，联系区里的技术人员。",
        )
    if len({h.database_id for h in decoded if h.database_id}) > 1:
        raise DatabaseMismatchError(
            "vault.db is another copy of the database than the one vault.header belongs to "
            "(it was replaced)"
        )
    return max(decoded, key=VaultHeader.order)
