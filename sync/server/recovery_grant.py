"""``childdesk-district recovery-grant FILE`` (docs/sync-protocol.md §15): answer a laptop's
district-escrow recovery request after the operator has confirmed the device by phone."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from storage.atomic_file import write_atomic
from sync.errors import SyncError
from sync.recovery import build_grant, open_request

log = logging.getLogger("childdesk.district")


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
    target = path.with_name(f"{info.device_id}.cdrecovered")
    write_atomic(target, answer)
    log.warning("recovery granted for device %s", info.device_id)
    print(f"{target.name} written; give it to the director (USB)")
    return 0
