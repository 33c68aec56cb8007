"""District-escrow recovery (docs/sync-protocol.md §15): for a director who forgot the password
and lost the recovery code.

- At enrollment the laptop writes ``<vault>/district-escrow.json``: the vault key, bound to the
  vault and device ids, age-encrypted to the district's identity (only the district can open it),
  plus the district's public keys so a locked laptop can check the answer.
- Locked out, the laptop writes a recovery request ``<device_id>.cdrecover`` (the escrow blob
  and a fresh one-time age recipient) and keeps the one-time identity in
  ``<vault>/recovery-pending.json``. Both sides show a short check code (from the one-time
  recipient) that the operator compares with the director by phone.
- ``childdesk-district recovery-grant FILE`` opens the escrow, checks it names an enrolled,
  unrevoked device and the same vault, asks the operator to confirm, logs the grant, and writes
  ``<device_id>.cdrecovered``: a document signed by the district carrying the vault key
  age-encrypted to the one-time recipient and the SHA-256 of the request it answers.
- The laptop verifies the signature against the district key in its escrow file and that the
  grant answers its pending request, opens the vault with the key and sets a new password.

This module is the laptop's half (escrow, request, applying the grant; it writes to the vault and
to a stick). The district's half, opening a request and signing the grant, is
``sync/server/recovery_grant.py``; what both halves must agree on (document types, file names,
size limits, the check code) is ``sync/recovery_format.py``. The server never imports this
module (tests/test_layers.py).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.atomic_file import fsync_directory, write_atomic
from storage.vault import Vault
from sync import agefile
from sync.documents import Enrollment
from sync.errors import MalformedError, NotForUsError, SyncError
from sync.keys import PublicKeys
from sync.laptop.usb import write_verified
from sync.recovery_format import GRANT_SUFFIX as GRANT_SUFFIX
from sync.recovery_format import GRANT_TYPE as GRANT_TYPE
from sync.recovery_format import MAX_GRANT_BYTES as MAX_GRANT_BYTES
from sync.recovery_format import REQUEST_SUFFIX as REQUEST_SUFFIX
from sync.recovery_format import REQUEST_TYPE as REQUEST_TYPE
from sync.recovery_format import check_code as check_code
from sync.wire import (
    PROTOCOL_VERSION,
    parse_document,
    parse_json_object,
    require_str,
    sha256_hex,
    utc_now,
)

ESCROW_FILE = "district-escrow.json"
PENDING_FILE = "recovery-pending.json"

log = logging.getLogger("childdesk.sync")


class NoEscrowError(MalformedError):
    """The laptop was never enrolled (or enrolled before escrow existed): the district holds no
    key for this vault and cannot help."""


class NoPendingRequestError(MalformedError):
    """No recovery request is waiting on this laptop (never written, or already used)."""


class NotAGrantError(MalformedError):
    """The file chosen is the laptop's own request, not the district's answer."""


class GrantForAnotherLaptopError(NotForUsError):
    """A genuine grant from the district, but for another laptop or vault."""


class GrantForOlderRequestError(NotForUsError):
    """A grant for this laptop that answers an earlier request; a newer one replaced it."""


# ----- laptop: escrow at enrollment ----------------------------------------------------------


def write_escrow(vault: Vault, pinned: Enrollment) -> Path:
    """Wrap the vault key to the district (called right after enrollment)."""
    secret = json.dumps(
        {
            "vault_id": vault.header.vault_id,
            "device_id": vault.device_id,
            "vault_key": base64.b64encode(vault.export_key()).decode("ascii"),
        }
    ).encode()
    blob = agefile.encrypt(secret, pinned.district.age_recipient)
    document = {
        "format": "childdesk-district-escrow",
        "version": 1,
        "vault_id": vault.header.vault_id,
        "device_id": vault.device_id,
        "district": pinned.district.to_json(),
        "escrow": base64.b64encode(blob).decode("ascii"),
        "created": utc_now(),
    }
    path = vault.paths.root / ESCROW_FILE
    write_atomic(path, (json.dumps(document, indent=1) + "\n").encode())
    return path


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        return parse_json_object(path.read_bytes(), what)
    except FileNotFoundError:
        raise MalformedError(f"no {what} in {path.parent}") from None


def has_escrow(data_dir: Path) -> bool:
    """Whether the district holds a key for this vault (the laptop was enrolled)."""
    return (Path(data_dir) / ESCROW_FILE).exists()


def _escrow(data_dir: Path) -> dict[str, Any]:
    path = Path(data_dir) / ESCROW_FILE
    if not path.exists():
        raise NoEscrowError(
            f"no district escrow in {path.parent}: this laptop was never enrolled with a district"
        )
    escrow = _read_json(path, "district escrow")
    for field in ("device_id", "vault_id", "escrow"):
        require_str(escrow, field, max_len=8192)
    if not isinstance(escrow.get("district"), dict):
        raise MalformedError("the district escrow has no district keys")
    return escrow


# ----- laptop: the request -------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryRequest:
    path: Path
    check_code: str


@dataclass(frozen=True)
class PendingRequest:
    """A request written earlier whose answer has not been applied yet."""

    check_code: str
    created: str  # UTC, ``YYYY-MM-DDTHH:MM:SSZ`` ("" for requests written by older versions)
    request_name: str  # ``<device_id>.cdrecover``
    folder: Path | None  # where it was written, when known

    @property
    def grant_name(self) -> str:
        """The file name the district's answer will have (next to the request)."""
        return self.request_name.removesuffix(REQUEST_SUFFIX) + GRANT_SUFFIX


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by the owner only from the start, fsynced."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_request(data_dir: Path, folder: Path) -> RecoveryRequest:
    """Write ``<device_id>.cdrecover`` to ``folder`` (written, then read back) and keep the
    one-time identity in the vault folder.

    Nothing is lost when a write fails (full or read-only stick, full disk): the new identity is
    first written beside the pending file, the request is then written to the stick, and only
    when both succeeded does the new identity replace an earlier pending request. A district
    answer to that earlier request left in ``folder`` is removed: it can no longer be used.
    """
    data_dir, folder = Path(data_dir), Path(folder)
    escrow = _escrow(data_dir)
    one_time = agefile.AgeIdentity.generate()
    created = utc_now()
    device_id = str(escrow["device_id"])
    body = {
        "type": REQUEST_TYPE,
        "protocol": PROTOCOL_VERSION,
        "device_id": device_id,
        "vault_id": escrow["vault_id"],
        "escrow": escrow["escrow"],
        "reply_to": one_time.recipient,
        "created": created,
    }
    request = (json.dumps(body, sort_keys=True, ensure_ascii=False) + "\n").encode()
    target = folder / f"{device_id}{REQUEST_SUFFIX}"
    pending = data_dir / PENDING_FILE
    staged = data_dir / f"{PENDING_FILE}.next"
    record = {
        "identity": one_time.secret_text(),
        "request_sha256": sha256_hex(request),
        "created": created,
        "request_name": target.name,
        "folder": str(folder.resolve()),
    }
    _write_private(staged, json.dumps(record).encode())
    try:
        write_verified(target, request)
        staged.replace(pending)
    except BaseException:
        with contextlib.suppress(OSError):
            staged.unlink()
        raise
    with contextlib.suppress(OSError):
        fsync_directory(data_dir)
    with contextlib.suppress(OSError):
        (folder / f"{device_id}{GRANT_SUFFIX}").unlink()  # answers the replaced request
    return RecoveryRequest(target, check_code(one_time.recipient))


def pending_request(data_dir: Path) -> PendingRequest | None:
    """The request waiting for the district's answer, or None (none written, already used,
    or the pending file is unreadable — writing a new request replaces it)."""
    path = Path(data_dir) / PENDING_FILE
    try:
        pending = parse_json_object(path.read_bytes(), "pending recovery request")
        identity = agefile.AgeIdentity.from_str(require_str(pending, "identity", max_len=512))
    except FileNotFoundError:
        return None
    except (OSError, SyncError) as err:
        log.warning("the pending recovery request is unreadable (%s)", type(err).__name__)
        return None
    name = pending.get("request_name")
    if not isinstance(name, str) or not name.endswith(REQUEST_SUFFIX):
        try:
            name = f"{_escrow(data_dir)['device_id']}{REQUEST_SUFFIX}"
        except SyncError:
            name = f"?{REQUEST_SUFFIX}"
    folder = pending.get("folder")
    created = pending.get("created")
    return PendingRequest(
        check_code=check_code(identity.recipient),
        created=created if isinstance(created, str) else "",
        request_name=name,
        folder=Path(folder) if isinstance(folder, str) and folder else None,
    )


def find_grant(data_dir: Path, folders: Iterable[Path]) -> Path | None:
    """The district's answer to the pending request in the first of ``folders`` holding one."""
    waiting = pending_request(data_dir)
    if waiting is None:
        return None
    for folder in folders:
        candidate = Path(folder) / waiting.grant_name
        with contextlib.suppress(OSError):
            if candidate.is_file():
                return candidate
    return None


def read_grant_file(path: Path) -> bytes:
    """The bytes of a grant file chosen by the user (refuses anything far too large)."""
    with Path(path).open("rb") as fh:
        data = fh.read(MAX_GRANT_BYTES + 1)
    if len(data) > MAX_GRANT_BYTES:
        raise MalformedError("the file is far too large to be a recovery answer")
    return data


def _is_request(raw: bytes) -> bool:
    try:
        return parse_json_object(raw.strip(), "file").get("type") == REQUEST_TYPE
    except SyncError:
        return False


def _verified(data_dir: Path, grant: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    escrow = _escrow(data_dir)
    try:
        pending = _read_json(data_dir / PENDING_FILE, "pending recovery request")
    except MalformedError:
        raise NoPendingRequestError(
            "no recovery request is waiting on this laptop (never written, or already used)"
        ) from None
    if _is_request(grant):
        raise NotAGrantError("this is the recovery request, not the district's answer")
    district = PublicKeys.from_json(escrow["district"])
    document = parse_document(
        grant,
        expected_type=GRANT_TYPE,
        signer=lambda _b: district.verifier(),
        max_bytes=MAX_GRANT_BYTES,
    )
    body = document.body
    if body.get("device_id") != escrow["device_id"] or body.get("vault_id") != escrow["vault_id"]:
        raise GrantForAnotherLaptopError("this grant is for another laptop")
    if body.get("request_sha256") != pending.get("request_sha256"):
        raise GrantForOlderRequestError(
            "this grant answers an earlier recovery request; a newer request replaced it"
        )
    return body, pending


def verify_grant(data_dir: Path, grant: bytes) -> None:
    """Check a grant without using it: signed by this laptop's district, for this laptop and
    vault, answering the pending request. Raises a :class:`SyncError` otherwise."""
    _verified(Path(data_dir), grant)


def apply_grant(data_dir: Path, grant: bytes, new_password: str) -> Vault:
    """Verify the district's grant, open the vault with the key it carries and set the new
    password. The one-time identity is removed afterwards. A refused grant, a wrong key or a
    refused password change nothing."""
    data_dir = Path(data_dir)
    body, pending = _verified(data_dir, grant)
    identity = agefile.AgeIdentity.from_str(str(pending["identity"]))
    sealed = base64.b64decode(require_str(body, "key", max_len=4096))
    key = identity.decrypt(sealed)
    vault = Vault.open_with_key(data_dir, key, new_password=new_password)
    (data_dir / PENDING_FILE).unlink(missing_ok=True)
    return vault
