"""The district's half of district-escrow recovery (docs/sync-protocol.md §15): open a laptop's
recovery request with the district identity, sign the grant, and ``childdesk-district
recovery-grant FILE``, which answers the request after the operator has confirmed the device by
phone. The laptop's half is ``sync/recovery.py`` (never imported here: tests/test_layers.py);
what both agree on is ``sync/recovery_format.py``."""

from __future__ import annotations

import argparse
import base64
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.atomic_file import write_atomic
from sync import agefile
from sync.errors import MalformedError, SyncError
from sync.keys import KeyPair
from sync.recovery_format import (
    GRANT_SUFFIX,
    GRANT_TYPE,
    MAX_REQUEST_BYTES,
    REQUEST_TYPE,
    check_code,
)
from sync.wire import (
    PROTOCOL_VERSION,
    build_document,
    parse_json_object,
    require_str,
    sha256_hex,
    utc_now,
)

log = logging.getLogger("childdesk.district")


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


def _normal(code: str) -> str:
    return code.replace("-", "").replace(" ", "").upper()


def grant(args: argparse.Namespace, district: Any, error: type[Exception]) -> int:
    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError:
        raise error(f"cannot read {path}") from None
    keys = district.keys
    if keys is None:
        raise error("the district keys are needed", 2)
    try:
        info = open_request(raw, keys)
    except SyncError as err:
        raise error(f"{path.name}: refused: {err.message}") from None
    devices = {d["device_id"]: d for d in district.devices()}
    device = devices.get(info.device_id)
    if device is None:
        raise error(f"{path.name}: device {info.device_id} is not enrolled here")
    if device.get("revoked_at"):
        raise error(f"{path.name}: device {info.device_id} is revoked; no recovery")
    print(
        f"device {info.device_id} ({device.get('label', '')}), villages: "
        f"{', '.join(device.get('villages', []))}"
    )
    print("Call the director on a known number and ask for the check code on the laptop screen.")
    given = args.check_code
    if given is None:
        print("Check code: ", end="", flush=True)
        given = sys.stdin.readline().strip()
    if _normal(given) != _normal(info.check_code):
        raise error("the check code does not match; nothing was granted")
    answer = build_grant(info, keys)
    target = path.with_name(f"{info.device_id}{GRANT_SUFFIX}")
    write_atomic(target, answer)
    log.warning("recovery granted for device %s", info.device_id)
    print(f"{target.name} written; give it to the director (USB)")
    return 0
