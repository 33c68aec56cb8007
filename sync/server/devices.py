"""The district's devices: their public keys (kept in memory once read, for verifying
batches), the device list, and revocation with the signed notice a revoked device is told."""

from __future__ import annotations

import json
import logging
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select

from sync.documents import build_notice
from sync.keys import PublicKeys
from sync.server import db
from sync.server.core import Core, enrolled_device
from sync.wire import load_public, utc_now

log = logging.getLogger("childdesk.district")

REVOKED_TEXT = "本设备已被区民政局停用，请联系区民政局。"


class Devices:
    """The devices enrolled in one district."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._signing_keys: dict[str, Ed25519PublicKey] = {}

    def public(self, device_id: str) -> PublicKeys:
        with self.core.engine.connect() as conn:
            row = enrolled_device(conn, device_id)
        return PublicKeys(bytes(row.signing_public), row.age_recipient)

    def signing_key(self, device_id: str) -> Ed25519PublicKey:
        """A device's signing key; kept in memory once read (a device's keys never change:
        enrolling the same device id with other keys is refused)."""
        key = self._signing_keys.get(device_id)
        if key is None:
            with self.core.engine.connect() as conn:
                row = enrolled_device(conn, device_id)
            key = self._signing_keys[device_id] = load_public(bytes(row.signing_public))
        return key

    def enrolled(self) -> list[dict[str, Any]]:
        with self.core.engine.connect() as conn:
            rows = conn.execute(select(db.devices).order_by(db.devices.c.enrolled_at)).all()
            counts: dict[str, int] = dict(
                conn.execute(
                    select(db.batches.c.device_id, func.count()).group_by(db.batches.c.device_id)
                ).all()
            )
        return [
            {
                "device_id": r.device_id,
                "label": r.label,
                "villages": json.loads(r.villages),
                "enrolled_at": r.enrolled_at,
                "revoked_at": r.revoked_at,
                "last_contact": r.last_contact,
                "last_sequence": r.last_sequence,
                "batches": int(counts.get(r.device_id, 0)),
            }
            for r in rows
        ]

    def revoke(self, device_id: str) -> bool:
        """Mark a device revoked; returns False when it already was."""
        with self.core.write_lock, db.write_transaction(self.core.engine) as conn:
            row = enrolled_device(conn, device_id)
            if row.revoked_at is not None:
                return False
            now = utc_now()
            conn.execute(
                db.devices.update()
                .where(db.devices.c.device_id == device_id)
                .values(revoked_at=now)
            )
            conn.execute(
                db.notices.insert().values(
                    device_id=device_id,
                    notice="revoked",
                    text=REVOKED_TEXT,
                    created_at=now,
                    document=self._revocation_notice(device_id),
                )
            )
        log.info("device %s revoked", device_id)
        return True

    def _revocation_notice(self, device_id: str) -> bytes:
        return build_notice(
            device_id=device_id,
            notice="revoked",
            text=REVOKED_TEXT,
            district_id=self.core.district_id,
            signer=self.core.keys.signing,
        )

    def revocation_notice(self, device_id: str) -> bytes | None:
        with self.core.engine.connect() as conn:
            row = conn.execute(
                select(db.notices.c.document).where(
                    db.notices.c.device_id == device_id, db.notices.c.notice == "revoked"
                )
            ).first()
        return bytes(row[0]) if row else None
