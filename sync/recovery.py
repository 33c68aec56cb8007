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
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage import sync_store
from storage.atomic_file import write_atomic
from storage.vault import Vault
from sync import agefile
from sync.documents import Enrollment
from sync.errors import MalformedError, NotForUsError
from sync.keys import KeyPair, PublicKeys
from sync.wire import (
    PROTOCOL_VERSION,
    build_document,
    parse_document,
    parse_json_object,
    require_str,
    sha256_hex,
    utc_now,
)

ESCROW_FILE = "district-escrow.json"
PENDING_FILE = "recovery-pending.json"
REQUEST_TYPE = "childdesk-recovery-request"
GRANT_TYPE = "childdesk-recovery-grant"
MAX_REQUEST_BYTES = 64 * 1024


def check_code(reply_to: str) -> str:
    """Eight characters both sides show, read over the phone."""
    digest = sha256_hex(reply_to.encode("ascii"))[:8].upper()
    return f"{digest[:4]}-{digest[4:]}"


# ----- laptop: escrow at enrollment ----------------------------------------------------------


def write_escrow(vault: Vault, pinned: Enrollment) -> Path:
    """Wrap the vault key to the district (called right after enrollment)."""
    secret = json.dumps(
        {
            "vault_id": vault.header.vault_id,
            "device_id": vault.device_id,
            "vault_key": base64.b64encode(sync_store.vault_key(vault)).decode("ascii"),
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
    return (Path(data_dir) / ESCROW_FILE).exists()


# ----- laptop: the request -------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryRequest:
    path: Path
    check_code: str


def write_request(data_dir: Path, folder: Path) -> RecoveryRequest:
    """Write ``<device_id>.cdrecover`` to ``folder`` and keep the one-time identity."""
    escrow = _read_json(Path(data_dir) / ESCROW_FILE, "district escrow")
    one_time = agefile.AgeIdentity.generate()
    body = {
        "type": REQUEST_TYPE,
        "protocol": PROTOCOL_VERSION,
        "device_id": escrow["device_id"],
        "vault_id": escrow["vault_id"],
        "escrow": escrow["escrow"],
        "reply_to": one_time.recipient,
        "created": utc_now(),
    }
    request = (json.dumps(body, sort_keys=True, ensure_ascii=False) + "\n").encode()
    pending = Path(data_dir) / PENDING_FILE
    write_atomic(
        pending,
        json.dumps(
            {"identity": one_time.secret_text(), "request_sha256": sha256_hex(request)}
        ).encode(),
    )
    if os.name != "nt":
        pending.chmod(0o600)
    target = Path(folder) / f"{escrow['device_id']}.cdrecover"
    write_atomic(target, request)
    return RecoveryRequest(target, check_code(one_time.recipient))


def apply_grant(data_dir: Path, grant: bytes, new_password: str) -> Vault:
    """Verify the district's grant, open the vault with the key it carries and set the new
    password. The one-time identity is removed afterwards."""
    data_dir = Path(data_dir)
    escrow = _read_json(data_dir / ESCROW_FILE, "district escrow")
    pending = _read_json(data_dir / PENDING_FILE, "pending recovery request")
    district = PublicKeys.from_json(escrow["district"])
    document = parse_document(
        grant, expected_type=GRANT_TYPE, signer=lambda _b: district.verifier()
    )
    body = document.body
    if body.get("request_sha256") != pending.get("request_sha256"):
        raise NotForUsError("this grant answers another recovery request")
    if body.get("device_id") != escrow["device_id"] or body.get("vault_id") != escrow["vault_id"]:
        raise NotForUsError("this grant is for another laptop")
    identity = agefile.AgeIdentity.from_str(str(pending["identity"]))
    sealed = base64.b64decode(require_str(body, "key", max_len=4096))
    key = identity.decrypt(sealed)
    vault = sync_store.open_with_vault_key(data_dir, key, new_password)
    (data_dir / PENDING_FILE).unlink(missing_ok=True)
    return vault


# ----- district: the grant -------------------------------------------------------------------


@dataclass(frozen=True)
class RequestInfo:
    device_id: str
    vault_id: str
    reply_to: str
    check_code: str
    vault_key: bytes
    request_sha256: str


def open_request(raw: bytes, district: KeyPair) -> RequestInfo:
    """Parse a recovery request and open its escrow with the district identity."""
    if len(raw) > MAX_REQUEST_BYTES:
        raise MalformedError("the recovery request is too large")
    body = parse_json_object(raw.strip(), "the recovery request")
    if body.get("type") != REQUEST_TYPE or body.get("protocol") != PROTOCOL_VERSION:
        raise MalformedError("not a recovery request")
    reply_to = require_str(body, "reply_to")
    if not agefile.valid_recipient(reply_to):
        raise MalformedError("the request has no valid reply key")
    blob = base64.b64decode(require_str(body, "escrow", max_len=8192))
    secret = parse_json_object(district.identity.decrypt(blob), "the escrow")
    device_id, vault_id = require_str(body, "device_id"), require_str(body, "vault_id")
    if secret.get("device_id") != device_id or secret.get("vault_id") != vault_id:
        raise MalformedError("the escrow belongs to another laptop")
    key = base64.b64decode(require_str(secret, "vault_key"))
    return RequestInfo(device_id, vault_id, reply_to, check_code(reply_to), key, sha256_hex(raw))


def build_grant(info: RequestInfo, district: KeyPair) -> bytes:
    body = {
        "type": GRANT_TYPE,
        "protocol": PROTOCOL_VERSION,
        "device_id": info.device_id,
        "vault_id": info.vault_id,
        "request_sha256": info.request_sha256,
        "key": base64.b64encode(agefile.encrypt(info.vault_key, info.reply_to)).decode("ascii"),
        "granted": utc_now(),
    }
    return build_document(body, [], district.signing)
