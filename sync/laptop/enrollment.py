"""The enrollment step: the device's keys, the district's answer pinned in the vault (network
or USB file), the district-escrow of the vault key, and the checks every later step starts
with (enrolled, not revoked). Vault work, except the one request in :func:`enroll_network`."""

from __future__ import annotations

import logging
from pathlib import Path

from sync.documents import Enrollment, build_enrollment_request, read_enrollment, read_notice
from sync.errors import MalformedError, RevokedError, SyncError
from sync.keys import KeyPair
from sync.laptop.client import Network
from sync.laptop.errors import NotEnrolledError
from sync.laptop.state import (
    DEVICE_KEYS_TYPE,
    ENROLL_REQUEST_TYPE,
    ENROLLMENT_TYPE,
    SyncState,
)
from sync.laptop.usb import write_verified
from sync.recovery import write_escrow

log = logging.getLogger("childdesk.sync")


def device_keys(state: SyncState) -> KeyPair | None:
    found = state.vault.load(DEVICE_KEYS_TYPE).revisions
    return KeyPair.from_secret_json(found[0].data) if found else None


def ensure_device_keys(state: SyncState) -> KeyPair:
    """The device's keys, generated and stored (encrypted, never sent) on first use."""
    keys = device_keys(state)
    if keys is None:
        keys = KeyPair.generate()
        state.put_local(DEVICE_KEYS_TYPE, keys.secret_json())
    return keys


def enrollment_request(state: SyncState, code: str, *, label: str = "") -> bytes:
    keys = ensure_device_keys(state)
    return build_enrollment_request(
        code=code, device_id=state.vault.device_id, keys=keys, label=label
    )


def accept_enrollment(
    state: SyncState, response: bytes, *, request: bytes, server_url: str = ""
) -> Enrollment:
    """Verify the district's answer to our request and pin its keys in the vault."""
    pinned = read_enrollment(response, request=request)
    if pinned.device_id != state.vault.device_id:
        raise MalformedError("the enrollment is for another device")
    state.put_local(
        ENROLLMENT_TYPE,
        {
            "document": response.decode("utf-8"),
            "request": request.decode("utf-8"),
            "server_url": server_url,
        },
    )
    return pinned


def enrollment(state: SyncState) -> Enrollment | None:
    found = state.vault.load(ENROLLMENT_TYPE).revisions
    if not found:
        return None
    data = found[0].data
    return read_enrollment(
        str(data["document"]).encode("utf-8"), request=str(data["request"]).encode("utf-8")
    )


def enroll_network(
    state: SyncState, network: Network, server_url: str, code: str, *, label: str = ""
) -> Enrollment:
    """Enroll over the network: one request, so it runs with the vault work."""
    url = server_url.strip().rstrip("/")
    request = enrollment_request(state, code, label=label)
    answer = network.enroll(url, request)
    pinned = accept_enrollment(state, answer, request=request, server_url=url)
    state.set_server_url(url)
    write_escrow(state.vault, pinned)
    state.log_event({"kind": "enrolled", "via": "network"})
    return pinned


def write_request_file(state: SyncState, folder: Path, code: str, *, label: str = "") -> Path:
    """Write ``<device_id>.cdenroll`` for the district's ``import`` (USB enrollment); the
    request is kept in the vault to check the answer."""
    request = enrollment_request(state, code, label=label)
    state.put_local(ENROLL_REQUEST_TYPE, {"request": request.decode("utf-8")})
    target = Path(folder) / f"{state.vault.device_id}.cdenroll"
    write_verified(target, request)
    return target


def accept_answer_file(state: SyncState, path: Path) -> Enrollment:
    found = state.vault.load(ENROLL_REQUEST_TYPE).revisions
    if not found:
        raise MalformedError("no enrollment request was written from this laptop")
    request = str(found[0].data["request"]).encode("utf-8")
    pinned = accept_enrollment(state, Path(path).read_bytes(), request=request)
    write_escrow(state.vault, pinned)
    state.log_event({"kind": "enrolled", "via": "usb"})
    return pinned


def require_keys(state: SyncState) -> tuple[KeyPair, Enrollment]:
    keys, pinned = device_keys(state), enrollment(state)
    if keys is None or pinned is None:
        raise NotEnrolledError("this laptop is not enrolled with a district yet")
    return keys, pinned


def require(state: SyncState) -> tuple[KeyPair, Enrollment]:
    """Keys and enrollment of a laptop that may sync: NotEnrolledError or RevokedError."""
    found = require_keys(state)
    if state.revoked() is not None:
        raise RevokedError("this device has been revoked; contact the district")
    return found


def handle_revoked(state: SyncState, err: RevokedError) -> bool:
    """Is this laptop revoked? True when syncing had stopped already, or when the server's
    refusal carries the district's signed revocation notice for this laptop (then syncing
    stops now). An unsigned claim (a misconfigured proxy, or someone pretending to be the
    server) changes nothing: False."""
    if state.revoked() is not None:
        return True
    notice_text = getattr(err, "notice", "")
    pinned = enrollment(state)
    if not notice_text or pinned is None:
        log.warning("the server refused this device as revoked without a signed notice")
        return False
    try:
        body = read_notice(
            notice_text.encode("utf-8"), pinned.district, device_id=state.vault.device_id
        )
    except SyncError:
        log.warning("a revocation notice did not verify")
        return False
    if body.get("notice") != "revoked":
        return False
    state.set_revoked(str(body.get("text", "")))
    return True
