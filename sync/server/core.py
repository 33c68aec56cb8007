"""What every part of the district server shares: the database engine, the district's keys,
the size limits and the one write lock of this process. ``District`` (sync/server/district.py)
makes one and hands it to each part (enrollment, devices, feed, corrections, reports)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select

from sync.errors import SyncError, UnknownDeviceError
from sync.keys import KeyPair, PublicKeys
from sync.server import db
from sync.wire import DEFAULT_MAX_DOCUMENT_BYTES


@dataclass(frozen=True)
class Limits:
    max_batch_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    max_enroll_bytes: int = 16 * 1024


@dataclass
class Core:
    """One district server's database and (for anything that reads or signs) its keys."""

    engine: Engine
    public: PublicKeys
    optional_keys: KeyPair | None
    limits: Limits
    # One writer per process (SQLite would serialise anyway; PostgreSQL takes an advisory
    # lock inside the transaction as well, for several processes).
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def district_id(self) -> str:
        return self.public.key_id

    @property
    def keys(self) -> KeyPair:
        if self.optional_keys is None:
            raise SyncError("this command needs the district keys (operator passphrase)")
        return self.optional_keys


def device_row(conn: Connection, device_id: str) -> Any:
    """A device's row, or None when it never enrolled here."""
    return conn.execute(select(db.devices).where(db.devices.c.device_id == device_id)).first()


def enrolled_device(conn: Connection, device_id: str) -> Any:
    """A device's row; refused when the device never enrolled here."""
    row = device_row(conn, device_id)
    if row is None:
        raise UnknownDeviceError(f"device {device_id} is not enrolled here")
    return row
