"""The district server's core, independent of HTTP, behind one facade ``District`` (see
docs/sync-protocol.md). Each concern is a module of its own, all sharing one ``Core`` (engine,
keys, limits, write lock: sync/server/core.py):

- sync/server/enrollment.py: enrollment codes and requests, failed attempts;
- sync/server/devices.py: device keys, the device list, revocation;
- here, batch ingestion (network and USB share it; the group commit: sync/server/ingest.py);
- sync/server/feed.py: the changes feed and its cursor;
- sync/server/corrections.py: the district's own revisions and published definitions;
- sync/server/reports.py: records, history, conflicts, counts, statistics (in SQL).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine

from sync.documents import read_batch
from sync.keys import KeyPair, PublicKeys
from sync.server.core import Core
from sync.server.core import Limits as Limits
from sync.server.corrections import Corrections
from sync.server.devices import Devices
from sync.server.enrollment import CODE_ALPHABET as CODE_ALPHABET
from sync.server.enrollment import Enrollments
from sync.server.enrollment import code_key as code_key
from sync.server.enrollment import new_enroll_code as new_enroll_code
from sync.server.enrollment import normalize_code as normalize_code
from sync.server.feed import CHANGES_PAGE as CHANGES_PAGE
from sync.server.feed import Feed
from sync.server.feed import make_cursor as make_cursor
from sync.server.feed import parse_cursor as parse_cursor
from sync.server.ingest import GroupCommit, IngestResult, PreparedBatch, prepare_batch, store_group
from sync.server.reports import Reports
from sync.wire import SUPPORTED_PROTOCOLS


class District:
    """One district server: a database and (for anything that reads or signs) its keys."""

    def __init__(
        self,
        engine: Engine,
        public: PublicKeys,
        keys: KeyPair | None = None,
        limits: Limits | None = None,
        *,
        query_tables: bool = True,
    ) -> None:
        """``query_tables=False`` stores batches without even marking the touched children
        pending for the console's query tables (sync/server/console/query_tables.py): only for
        measuring what they cost (``bench/sync_load.py --compare``); the console's figures are
        then stale until ``childdesk-district reindex``."""
        self._query_tables = query_tables
        self._core = Core(engine, public, keys, limits or Limits())
        self._enrollments = Enrollments(self._core)
        self._devices = Devices(self._core)
        self._feed = Feed(self._core)
        self._corrections = Corrections(self._core)
        self._reports = Reports(self._core)
        self._group_commit = GroupCommit(self._write_lock, self._store_group)
        self._catch_up: Any = None  # console.catch_up.BackgroundCatchUp, once started

    def start_catch_up(self) -> None:
        """Keep the console's query tables up to the records in the background (a server
        process: sync/server/console/catch_up.py); ingest only marks the children it touched."""
        if self._catch_up is None and self._query_tables:
            from sync.server.console.catch_up import BackgroundCatchUp

            self._catch_up = BackgroundCatchUp(self.engine)

    def catch_up(self, limit: int | None = None) -> Any:
        """Apply the children ingest marked pending to the console's query tables now
        (``query_tables.catch_up``); returns its ``CatchUp`` (applied, remaining)."""
        from sync.server.console import query_tables

        return query_tables.catch_up(self.engine, limit)

    @property
    def engine(self) -> Engine:
        return self._core.engine

    @property
    def public(self) -> PublicKeys:
        return self._core.public

    @property
    def limits(self) -> Limits:
        return self._core.limits

    @property
    def _write_lock(self) -> threading.Lock:
        """The one writer of this process (the group commit and every other write take it)."""
        return self._core.write_lock

    @property
    def district_id(self) -> str:
        return self._core.district_id

    @property
    def keys(self) -> KeyPair:
        return self._core.keys

    def info(self) -> dict[str, Any]:
        return {
            "service": "childdesk-district",
            "district_id": self.district_id,
            "protocol_versions": list(SUPPORTED_PROTOCOLS),
            **self.public.to_json(),
            "limits": {"max_batch_bytes": self.limits.max_batch_bytes},
        }

    # ----- enrollment ----------------------------------------------------------------------

    def create_enroll_code(self, villages: Sequence[str], expires_s: int) -> str:
        return self._enrollments.create_code(villages, expires_s)

    def enroll(self, raw: bytes, *, source: str = "usb") -> bytes:
        """Answer an enrollment request; the same request again gets the same answer."""
        return self._enrollments.enroll(raw, source=source)

    # ----- devices -------------------------------------------------------------------------

    def device_public(self, device_id: str) -> PublicKeys:
        return self._devices.public(device_id)

    def devices(self) -> list[dict[str, Any]]:
        return self._devices.enrolled()

    def revoke(self, device_id: str) -> bool:
        """Mark a device revoked; returns False when it already was."""
        return self._devices.revoke(device_id)

    def revocation_notice(self, device_id: str) -> bytes | None:
        return self._devices.revocation_notice(device_id)

    # ----- batches -------------------------------------------------------------------------

    def ingest(self, data: bytes, *, via: str = "network") -> IngestResult:
        """Verify a batch file and store it (whole, in one transaction, possibly together with
        other batches waiting at the same time: sync/server/ingest.py); return the receipt.
        A revoked device is refused there, inside the transaction, after its signature."""
        catch_up = self._catch_up
        if catch_up is None:
            return self._ingest(data, via)
        catch_up.receiving(+1)  # the console's catch-up waits while batches are in hand
        try:
            return self._ingest(data, via)
        finally:
            catch_up.receiving(-1)

    def _ingest(self, data: bytes, via: str) -> IngestResult:
        batch = read_batch(data, self.keys, self._device_key, max_bytes=self.limits.max_batch_bytes)
        return self._group_commit.submit(prepare_batch(batch, via))

    def _device_key(self, device_id: str) -> Ed25519PublicKey:
        return self._devices.signing_key(device_id)

    def _store_group(self, group: Sequence[PreparedBatch]) -> None:
        store_group(
            self.engine,
            group,
            district_id=self.district_id,
            signing=self.keys.signing,
            with_query_tables=self._query_tables,
        )
        if self._catch_up is not None:
            self._catch_up.written()

    # ----- district writes (corrections) ---------------------------------------------------

    def write_revision(
        self,
        *,
        record_type: str,
        data: dict[str, Any],
        author: str,
        record_id: str | None = None,
        deleted: bool = False,
    ) -> str:
        """A revision written at the district (a correction); returns its revision id."""
        return self._corrections.write_revision(
            record_type=record_type,
            data=data,
            author=author,
            record_id=record_id,
            deleted=deleted,
        )

    def publish(self, kind: str, name: str, version: str, body: dict[str, Any]) -> None:
        """Publish a questionnaire definition, schedule rules or a calendar year to every
        device; new schedule rules rebuild the console's due dates in the same transaction."""
        self._corrections.publish(kind, name, version, body)

    # ----- changes -------------------------------------------------------------------------

    def changes(self, device_id: str, after: str, *, with_receipts: bool = False) -> bytes:
        """The response file for a device: age-encrypted to it, signed by the district."""
        return self._feed.changes(device_id, after, with_receipts=with_receipts)

    # ----- reading the district's data -----------------------------------------------------

    def history(self, record_id: str) -> list[dict[str, Any]]:
        return self._reports.history(record_id)

    def record(self, record_id: str) -> dict[str, Any] | None:
        return self._reports.record(record_id)

    def conflicts(self, record_id: str | None = None) -> list[dict[str, Any]]:
        return self._reports.conflicts(record_id)

    def counts(self) -> dict[str, int]:
        return self._reports.counts()

    def stats(self) -> dict[str, Any]:
        """Children, visits and assessments per village and level; last contact per device."""
        return self._reports.stats(self.devices())
