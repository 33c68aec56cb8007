"""The district server's core, independent of HTTP: enrollment, batch ingestion (network and USB
share it), the changes feed, revocation, history and statistics. See docs/sync-protocol.md."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, and_, func, or_, select

from sync.documents import (
    HEX16,
    HEX32,
    VILLAGE_RE,
    Batch,
    EnrollmentRequest,
    Rejection,
    build_changes,
    build_enrollment,
    build_notice,
    build_receipt,
    read_batch,
    read_enrollment_request,
)
from sync.errors import (
    EnrollmentRefusedError,
    MalformedError,
    ReusedIdError,
    RevokedError,
    SyncError,
    TooManyAttemptsError,
    UnknownDeviceError,
)
from sync.keys import KeyPair, PublicKeys
from sync.protocol_types import CHILD_LINKED, SYNCED_TYPES
from sync.server import db
from sync.server.merge import ABSENT, FieldStamp, Incoming, RecordState, apply
from sync.wire import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    SUPPORTED_PROTOCOLS,
    canonical_json,
    load_public,
    new_id,
    revision_id,
    sha256_hex,
    utc_now,
)

log = logging.getLogger("childdesk.district")

HLC_RE = re.compile(r"^\d{13}-\d{6}-[0-9a-f]{16}$")
RECORD_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CODE_LENGTH = 20
FAILURES_PER_SOURCE = 5
FAILURE_WINDOW_S = 600
FAILURES_GLOBAL = 100
GLOBAL_WINDOW_S = 3600
CHANGES_PAGE = 2000
USB_RECEIPTS = 50


@dataclass(frozen=True)
class Limits:
    max_batch_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    max_enroll_bytes: int = 16 * 1024


@dataclass(frozen=True)
class IngestResult:
    receipt: bytes
    replay: bool
    accepted: int
    rejected: int


def normalize_code(code: str) -> str:
    table = str.maketrans({"O": "0", "I": "1", "L": "1"})
    return "".join(c for c in code.upper() if c not in "- \t").translate(table)


def _code_hash(code: str) -> str:
    return sha256_hex(("childdesk-enroll-v1:" + normalize_code(code)).encode())


def new_enroll_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


class District:
    """One district server: a database and (for anything that reads or signs) its keys."""

    def __init__(
        self,
        engine: Engine,
        public: PublicKeys,
        keys: KeyPair | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.engine = engine
        self.public = public
        self._keys = keys
        self.limits = limits or Limits()
        # One writer per process (SQLite would serialise anyway; PostgreSQL takes an advisory
        # lock inside the transaction as well, for several processes).
        self._write_lock = threading.Lock()

    @property
    def district_id(self) -> str:
        return self.public.key_id

    @property
    def keys(self) -> KeyPair:
        if self._keys is None:
            raise SyncError("this command needs the district keys (operator passphrase)")
        return self._keys

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
        for village in villages:
            if not VILLAGE_RE.match(village):
                raise MalformedError(f"{village!r} is not a 12-digit village code")
        if not villages:
            raise MalformedError("an enrollment code needs at least one village")
        code = new_enroll_code()
        now = int(time.time())
        with db.write_transaction(self.engine) as conn:
            conn.execute(
                db.enroll_codes.insert().values(
                    code_hash=_code_hash(code),
                    villages=json.dumps(sorted(set(villages))),
                    created_at=now,
                    expires_at=now + expires_s,
                )
            )
        log.info("enrollment code created for %d villages", len(villages))
        return code

    def enroll(self, raw: bytes, *, source: str = "usb") -> bytes:
        """Answer an enrollment request; the same request again gets the same answer."""
        if len(raw) > self.limits.max_enroll_bytes:
            raise MalformedError("the enrollment request is too large")
        now = int(time.time())
        with self._write_lock:
            self._check_attempts(source, now)
            try:
                request = read_enrollment_request(raw, max_bytes=self.limits.max_enroll_bytes)
            except SyncError:
                self._record_failure(source, now)
                raise
            with db.write_transaction(self.engine) as conn:
                existing = conn.execute(
                    select(db.devices).where(db.devices.c.device_id == request.device_id)
                ).first()
                if existing is not None:
                    if existing.request_sha256 == request.sha256:
                        return bytes(existing.enrollment)
                    raise SyncError(
                        "this device is already enrolled with other keys",
                        code="already_enrolled",
                    )
                code = conn.execute(
                    select(db.enroll_codes).where(
                        db.enroll_codes.c.code_hash == _code_hash(request.code)
                    )
                ).first()
                if code is None or code.used_at is not None or code.expires_at < now:
                    failed = True
                else:
                    failed = False
                    villages = json.loads(code.villages)
                    answer = self._register(conn, request, villages, now)
            if failed:
                self._record_failure(source, now)
                raise EnrollmentRefusedError(
                    "the enrollment code is wrong, already used or expired"
                )
            log.info("device %s enrolled", request.device_id)
            return answer

    def _register(
        self, conn: Connection, request: EnrollmentRequest, villages: list[str], now: int
    ) -> bytes:
        answer = build_enrollment(request=request, villages=villages, district=self.keys)
        result = conn.execute(
            db.enroll_codes.update()
            .where(
                db.enroll_codes.c.code_hash == _code_hash(request.code),
                db.enroll_codes.c.used_at.is_(None),
            )
            .values(used_at=now, used_by=request.device_id)
        )
        if result.rowcount != 1:
            raise EnrollmentRefusedError("the enrollment code is wrong, already used or expired")
        conn.execute(
            db.devices.insert().values(
                device_id=request.device_id,
                label=request.label,
                villages=json.dumps(villages),
                signing_public=request.keys.signing_public,
                age_recipient=request.keys.age_recipient,
                request_sha256=request.sha256,
                enrollment=answer,
                enrolled_at=utc_now(),
                last_sequence=0,
                reported_cursor="",
            )
        )
        return answer

    def _check_attempts(self, source: str, now: int) -> None:
        with self.engine.connect() as conn:
            per_source = conn.execute(
                select(func.count())
                .select_from(db.enroll_failures)
                .where(
                    db.enroll_failures.c.source == source[:64],
                    db.enroll_failures.c.at > now - FAILURE_WINDOW_S,
                )
            ).scalar_one()
            total = conn.execute(
                select(func.count())
                .select_from(db.enroll_failures)
                .where(db.enroll_failures.c.at > now - GLOBAL_WINDOW_S)
            ).scalar_one()
        if per_source >= FAILURES_PER_SOURCE or total >= FAILURES_GLOBAL:
            raise TooManyAttemptsError(
                "too many failed enrollment attempts; wait ten minutes and try again"
            )

    def _record_failure(self, source: str, now: int) -> None:
        log.warning("failed enrollment attempt")
        with db.write_transaction(self.engine) as conn:
            conn.execute(db.enroll_failures.insert().values(source=source[:64], at=now))

    # ----- devices -------------------------------------------------------------------------

    def _device_row(self, conn: Connection, device_id: str) -> Any:
        return conn.execute(select(db.devices).where(db.devices.c.device_id == device_id)).first()

    def device_public(self, device_id: str) -> PublicKeys:
        with self.engine.connect() as conn:
            row = self._device_row(conn, device_id)
        if row is None:
            raise UnknownDeviceError(f"device {device_id} is not enrolled here")
        return PublicKeys(bytes(row.signing_public), row.age_recipient)

    def devices(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
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
        with self._write_lock, db.write_transaction(self.engine) as conn:
            row = self._device_row(conn, device_id)
            if row is None:
                raise UnknownDeviceError(f"device {device_id} is not enrolled here")
            if row.revoked_at is not None:
                return False
            now = utc_now()
            conn.execute(
                db.devices.update()
                .where(db.devices.c.device_id == device_id)
                .values(revoked_at=now)
            )
            text = "本设备已被区民政局停用，请联系区民政局。"
            conn.execute(
                db.notices.insert().values(
                    device_id=device_id,
                    notice="revoked",
                    text=text,
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
            text="本设备已被区民政局停用，请联系区民政局。",
            district_id=self.district_id,
            signer=self.keys.signing,
        )

    def revocation_notice(self, device_id: str) -> bytes | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(db.notices.c.document).where(
                    db.notices.c.device_id == device_id, db.notices.c.notice == "revoked"
                )
            ).first()
        return bytes(row[0]) if row else None

    # ----- batches -------------------------------------------------------------------------

    def ingest(self, data: bytes, *, via: str = "network") -> IngestResult:
        """Verify a batch file and store it in one transaction; return the signed receipt."""
        revoked: list[str] = []

        def device_key(device_id: str) -> Ed25519PublicKey:
            with self.engine.connect() as conn:
                row = self._device_row(conn, device_id)
            if row is None:
                raise UnknownDeviceError(f"device {device_id} is not enrolled here")
            if row.revoked_at is not None:
                revoked.append(device_id)
            return load_public(bytes(row.signing_public))

        batch = read_batch(data, self.keys, device_key, max_bytes=self.limits.max_batch_bytes)
        if revoked:
            # Checked after the signature, so nobody can pose as a revoked device.
            raise RevokedError(f"device {batch.header.device_id} has been revoked")
        with self._write_lock, db.write_transaction(self.engine) as conn:
            previous = conn.execute(
                select(db.batches).where(db.batches.c.batch_id == batch.header.batch_id)
            ).first()
            if previous is not None:
                if previous.manifest_sha256 == batch.manifest_sha256:
                    return IngestResult(
                        bytes(previous.receipt), True, previous.accepted, previous.rejected
                    )
                raise ReusedIdError(f"batch id {batch.header.batch_id} was used by another batch")
            used = conn.execute(
                select(db.batches.c.batch_id).where(
                    db.batches.c.device_id == batch.header.device_id,
                    db.batches.c.sequence == batch.header.sequence,
                )
            ).first()
            if used is not None:
                raise ReusedIdError(
                    f"sequence {batch.header.sequence} was used by another batch",
                    code="sequence_reused",
                )
            result = _Ingest(self, conn, batch, via).run()
        log.info(
            "batch %s from %s via %s: %d accepted, %d rejected",
            batch.header.batch_id,
            batch.header.device_id,
            via,
            result.accepted,
            result.rejected,
        )
        return result

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
        with self._write_lock, db.write_transaction(self.engine) as conn:
            record_id = record_id or new_id()
            row = conn.execute(
                select(db.records.c.head_hlc).where(db.records.c.record_id == record_id)
            ).first()
            last = conn.execute(
                select(func.max(db.revisions.c.hlc)).where(
                    db.revisions.c.device_id == self.district_id
                )
            ).scalar_one()
            wall = int(time.time() * 1000)
            wall = max(wall, int(row.head_hlc[:13]) if row else 0)
            counter = 0
            if last and int(last[:13]) >= wall:
                wall, counter = int(last[:13]), int(last[14:20]) + 1
            hlc = f"{wall:013d}-{counter:06d}-{self.district_id}"
            revision_count = conn.execute(
                select(func.count())
                .select_from(db.revisions)
                .where(db.revisions.c.record_id == record_id)
            ).scalar_one()
            item = {
                "kind": "revision",
                "record_id": record_id,
                "record_type": record_type,
                "revision": int(revision_count) + 1,
                "hlc": hlc,
                "device_id": self.district_id,
                "author": author,
                "deleted": deleted,
                "base_hlc": row.head_hlc if row else None,
                "data": data,
            }
            ingest = _Ingest(self, conn, None, "district")
            ingest.store_revision(item)
            ingest.flush()
            return revision_id(record_id, hlc)

    def publish(self, kind: str, name: str, version: str, body: dict[str, Any]) -> None:
        """Publish a questionnaire definition or schedule rules to every device."""
        if kind not in ("questionnaire", "schedule"):
            raise MalformedError("kind must be questionnaire or schedule")
        text = canonical_json(body).decode()
        with db.write_transaction(self.engine) as conn:
            conn.execute(
                db.published.insert().values(
                    kind=kind,
                    name=name,
                    version=version,
                    sha256=sha256_hex(text.encode()),
                    body=text,
                    published_at=utc_now(),
                )
            )

    # ----- changes -------------------------------------------------------------------------

    def changes(self, device_id: str, after: str, *, with_receipts: bool = False) -> bytes:
        """The response file for a device: age-encrypted to it, signed by the district."""
        rev_after, pub_after = parse_cursor(after)
        with self.engine.connect() as conn:
            device = self._device_row(conn, device_id)
            if device is None:
                raise UnknownDeviceError(f"device {device_id} is not enrolled here")
            items: list[dict[str, Any]] = []
            if device.revoked_at is not None:
                next_cursor, more = after, False
                items.extend(
                    {"kind": "notice", "notice": n.notice, "text": n.text, "created": n.created_at}
                    for n in conn.execute(
                        select(db.notices).where(db.notices.c.device_id == device_id)
                    )
                )
            else:
                villages = json.loads(device.villages)
                revs, last_seq, more = self._feed(conn, device_id, villages, rev_after)
                items.extend(revs)
                items.extend(self._blobs_for(conn, revs))
                pubs = conn.execute(
                    select(db.published)
                    .where(db.published.c.pub_seq > pub_after)
                    .order_by(db.published.c.pub_seq)
                ).all()
                for p in pubs:
                    items.append(
                        {
                            "kind": "definition",
                            "definition_kind": p.kind,
                            "name": p.name,
                            "version": p.version,
                            "sha256": p.sha256,
                            "body": json.loads(p.body),
                        }
                    )
                pub_last = pubs[-1].pub_seq if pubs else pub_after
                next_cursor = make_cursor(max(last_seq, rev_after), pub_last)
                items.extend(
                    {"kind": "notice", "notice": n.notice, "text": n.text, "created": n.created_at}
                    for n in conn.execute(
                        select(db.notices).where(
                            db.notices.c.device_id == device_id, db.notices.c.notice == "message"
                        )
                    )
                )
            if with_receipts:
                for b in conn.execute(
                    select(db.batches.c.batch_id, db.batches.c.receipt)
                    .where(db.batches.c.device_id == device_id)
                    .order_by(db.batches.c.sequence.desc())
                    .limit(USB_RECEIPTS)
                ):
                    items.append(
                        {
                            "kind": "receipt",
                            "id": b.batch_id,
                            "batch_id": b.batch_id,
                            "document": bytes(b.receipt).decode("utf-8"),
                        }
                    )
        plaintext = build_changes(
            response_id=new_id(),
            device_id=device_id,
            district_id=self.district_id,
            after=after,
            next_cursor=next_cursor,
            more=more,
            items=items,
            signer=self.keys.signing,
        )
        from sync import agefile

        return agefile.encrypt(plaintext, device.age_recipient)

    def _feed(
        self, conn: Connection, device_id: str, villages: list[str], after: int
    ) -> tuple[list[dict[str, Any]], int, bool]:
        r, rec, child = db.revisions, db.records, db.records.alias("child")
        in_scope = or_(
            child.c.village_code.in_(villages),
            child.c.transfer_to.in_(villages),
            and_(rec.c.child_id.is_(None), rec.c.village_code.in_(villages)),
        )
        query = (
            select(r)
            .select_from(
                r.join(rec, rec.c.record_id == r.c.record_id).outerjoin(
                    child, child.c.record_id == rec.c.child_id
                )
            )
            .where(
                r.c.device_id != device_id,
                in_scope,
                or_(r.c.seq > after, child.c.scope_seq > after),
            )
            .order_by(r.c.seq)
            .limit(CHANGES_PAGE + 1)
        )
        rows = conn.execute(query).all()
        more = len(rows) > CHANGES_PAGE
        rows = rows[:CHANGES_PAGE]
        items = [
            {
                "kind": "revision",
                "seq": row.seq,
                "record_id": row.record_id,
                "record_type": row.record_type,
                "revision": row.revision,
                "hlc": row.hlc,
                "device_id": row.device_id,
                "author": row.author,
                "deleted": row.deleted,
                "base_hlc": row.base_hlc,
                "data": json.loads(row.data),
            }
            for row in rows
        ]
        last = rows[-1].seq if rows else after
        return items, int(last), more

    def _blobs_for(self, conn: Connection, revs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        wanted = {
            str(r["data"].get("sha256"))
            for r in revs
            if r["record_type"] == "attachment" and not r["deleted"]
        }
        if not wanted:
            return []
        rows = conn.execute(select(db.blobs).where(db.blobs.c.sha256.in_(sorted(wanted)))).all()
        return [
            {
                "kind": "blob",
                "sha256": b.sha256,
                "size": b.size,
                "data": base64.b64encode(bytes(b.data)).decode("ascii"),
            }
            for b in rows
        ]

    # ----- reading the district's data -----------------------------------------------------

    def history(self, record_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(db.revisions)
                .where(db.revisions.c.record_id == record_id)
                .order_by(db.revisions.c.hlc)
            ).all()
        return [
            {
                "revision_id": revision_id(r.record_id, r.hlc),
                "record_type": r.record_type,
                "hlc": r.hlc,
                "device_id": r.device_id,
                "author": r.author,
                "deleted": r.deleted,
                "base_hlc": r.base_hlc,
                "data": json.loads(r.data),
            }
            for r in rows
        ]

    def record(self, record_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(db.records).where(db.records.c.record_id == record_id)
            ).first()
        if row is None:
            return None
        return {
            "record_id": row.record_id,
            "record_type": row.record_type,
            "deleted": row.deleted,
            "data": json.loads(row.data),
            "head_hlc": row.head_hlc,
        }

    def conflicts(self, record_id: str | None = None) -> list[dict[str, Any]]:
        query = select(db.conflicts).order_by(db.conflicts.c.id)
        if record_id is not None:
            query = query.where(db.conflicts.c.record_id == record_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "record_id": c.record_id,
                "field": c.field,
                "losing_revision": c.losing_revision,
                "losing_value": json.loads(c.losing_value),
                "winning_revision": c.winning_revision,
            }
            for c in rows
        ]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:

            def count(table: Any) -> int:
                return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

            distinct = conn.execute(
                select(func.count()).select_from(
                    select(db.revisions.c.record_id, db.revisions.c.hlc).distinct().subquery()
                )
            ).scalar_one()
            return {
                "revisions": count(db.revisions),
                "distinct_revisions": int(distinct),
                "records": count(db.records),
                "batches": count(db.batches),
                "devices": count(db.devices),
                "conflicts": count(db.conflicts),
                "blobs": count(db.blobs),
            }

    def stats(self) -> dict[str, Any]:
        """Children, visits and assessments per village and level; last contact per device."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    db.records.c.record_id,
                    db.records.c.record_type,
                    db.records.c.child_id,
                    db.records.c.village_code,
                    db.records.c.data,
                ).where(
                    db.records.c.deleted.is_(False),
                    db.records.c.record_type.in_(("child", "visit", "assessment")),
                )
            ).all()
        village_of: dict[str, str] = {}
        latest: dict[str, tuple[str, str]] = {}  # child id → (finished_on, level)
        per_village: dict[str, dict[str, Any]] = {}

        def bucket(village: str) -> dict[str, Any]:
            return per_village.setdefault(
                village,
                {"children": 0, "visits": 0, "assessments": 0, "children_by_level": {}},
            )

        for row in rows:
            if row.record_type == "child":
                village_of[row.record_id] = row.village_code or ""
        for row in rows:
            village = village_of.get(row.child_id or "", "")
            if row.record_type == "child":
                bucket(village)["children"] += 1
            elif row.record_type == "visit":
                bucket(village)["visits"] += 1
            else:
                bucket(village)["assessments"] += 1
                data = json.loads(row.data)
                result = data.get("result") if isinstance(data, dict) else None
                if data.get("status") == "finished" and isinstance(result, dict):
                    when = str(data.get("finished_on") or "")
                    key = row.child_id or ""
                    if key not in latest or when >= latest[key][0]:
                        latest[key] = (when, str(result.get("level")))
        for child_id, village in village_of.items():
            level = latest.get(child_id, ("", "unassessed"))[1]
            by_level = bucket(village)["children_by_level"]
            by_level[level] = by_level.get(level, 0) + 1
        return {
            "villages": dict(sorted(per_village.items())),
            "devices": [
                {
                    "device_id": d["device_id"],
                    "label": d["label"],
                    "last_contact": d["last_contact"],
                    "revoked": d["revoked_at"] is not None,
                }
                for d in self.devices()
            ],
        }


# ----- cursor ------------------------------------------------------------------------------

CURSOR_RE = re.compile(r"^c1\.(\d{1,18})\.(\d{1,18})$")


def make_cursor(revision_seq: int, published_seq: int) -> str:
    return f"c1.{revision_seq}.{published_seq}"


def parse_cursor(cursor: str) -> tuple[int, int]:
    if cursor in ("", "0"):
        return 0, 0
    match = CURSOR_RE.match(cursor)
    if not match:
        raise SyncError("the changes cursor is not valid", code="bad_cursor")
    return int(match.group(1)), int(match.group(2))


# ----- one batch's ingestion ---------------------------------------------------------------


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class _Ingest:
    """Per-revision checks, merge and writes of one batch inside one transaction."""

    def __init__(self, district: District, conn: Connection, batch: Batch | None, via: str):
        self.district = district
        self.conn = conn
        self.batch = batch
        self.via = via
        self.scope: set[str] = set()
        self.states: dict[str, tuple[RecordState, dict[str, Any]]] = {}
        self.new_records: set[str] = set()
        self.dirty: set[str] = set()
        self.conflict_rows: list[dict[str, Any]] = []
        self.accepted: list[str] = []
        self.rejected: list[Rejection] = []
        self.stored_here: dict[str, tuple[dict[str, Any], bool]] = {}
        self.looked_up: set[str] = set()  # record ids already fetched (found or not)
        self.revision_rows: list[dict[str, Any]] = []
        self.next_seq: int | None = None

    # the record cache: merged state plus derived columns
    def _load(self, record_ids: Iterable[str]) -> None:
        missing = sorted({r for r in record_ids if r and r not in self.looked_up})
        self.looked_up.update(missing)
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            for row in self.conn.execute(
                select(db.records).where(db.records.c.record_id.in_(chunk))
            ):
                state = RecordState(
                    row.record_type,
                    json.loads(row.data),
                    bool(row.deleted),
                    {k: FieldStamp.from_json(v) for k, v in json.loads(row.fields).items()},
                    row.head_hlc,
                )
                cols = {
                    "child_id": row.child_id,
                    "village_code": row.village_code,
                    "transfer_to": row.transfer_to,
                    "scope_seq": row.scope_seq,
                    "updated_seq": row.updated_seq,
                }
                self.states[row.record_id] = (state, cols)

    def run(self) -> IngestResult:
        assert self.batch is not None
        header = self.batch.header
        device = self.district._device_row(self.conn, header.device_id)
        self.scope = set(json.loads(device.villages))
        items = self.batch.document.items
        revisions = [i.body for i in items if i.kind == "revision"]
        refs: set[str] = set()
        for rev in revisions:
            refs.add(str(rev.get("record_id")))
            data = rev.get("data")
            if isinstance(data, dict):
                for key in ("child_id", "owner_id"):
                    if isinstance(data.get(key), str):
                        refs.add(data[key])
        self._load(refs)
        owners = {
            str(s[1]["child_id"]) for s in self.states.values() if s[1]["child_id"] is not None
        }
        self._load(owners)
        existing = self._existing_revisions(revisions)
        bases = self._bases(revisions)
        for item in items:
            if item.kind == "revision":
                self._revision(item.body, header.device_id, existing, bases)
            elif item.kind == "blob":
                self._blob(item.body, header.device_id)
            else:
                self.rejected.append(
                    Rejection(item.id[:120], "malformed", f"unknown item kind {item.kind[:40]!r}")
                )
        self.flush()
        receipt = build_receipt(
            receipt_id=new_id(),
            batch=header,
            manifest_sha256=self.batch.manifest_sha256,
            district_id=self.district.district_id,
            accepted=self.accepted,
            rejected=self.rejected,
            signer=self.district.keys.signing,
        )
        now = utc_now()
        self.conn.execute(
            db.batches.insert().values(
                batch_id=header.batch_id,
                device_id=header.device_id,
                sequence=header.sequence,
                manifest_sha256=self.batch.manifest_sha256,
                received_at=now,
                via=self.via,
                accepted=len(self.accepted),
                rejected=len(self.rejected),
                receipt=receipt,
            )
        )
        if self.rejected:
            self.conn.execute(
                db.rejections.insert(),
                [
                    {
                        "batch_id": header.batch_id,
                        "device_id": header.device_id,
                        "item_id": r.id,
                        "reason": r.reason,
                        "at": now,
                    }
                    for r in self.rejected
                ],
            )
            for r in self.rejected:
                log.warning("rejected %s from %s: %s", r.id, header.device_id, r.reason)
        values: dict[str, Any] = {"last_contact": now}
        if header.sequence > int(device.last_sequence):
            values["last_sequence"] = header.sequence
            if header.cursor:
                values["reported_cursor"] = header.cursor
        self.conn.execute(
            db.devices.update().where(db.devices.c.device_id == header.device_id).values(**values)
        )
        return IngestResult(receipt, False, len(self.accepted), len(self.rejected))

    def _existing_revisions(self, revisions: list[dict[str, Any]]) -> dict[str, str]:
        ids = sorted({str(r.get("record_id")) for r in revisions})
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            for row in self.conn.execute(
                select(
                    db.revisions.c.record_id, db.revisions.c.hlc, db.revisions.c.content_sha256
                ).where(db.revisions.c.record_id.in_(ids[start : start + 500]))
            ):
                found[revision_id(row.record_id, row.hlc)] = row.content_sha256
        return found

    def _bases(self, revisions: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], bool]]:
        wanted = {
            (str(r.get("record_id")), str(r.get("base_hlc")))
            for r in revisions
            if isinstance(r.get("base_hlc"), str)
        }
        found: dict[str, tuple[dict[str, Any], bool]] = {}
        ids = sorted({w[0] for w in wanted})
        for start in range(0, len(ids), 500):
            for row in self.conn.execute(
                select(
                    db.revisions.c.record_id,
                    db.revisions.c.hlc,
                    db.revisions.c.data,
                    db.revisions.c.deleted,
                ).where(db.revisions.c.record_id.in_(ids[start : start + 500]))
            ):
                if (row.record_id, row.hlc) in wanted:
                    found[revision_id(row.record_id, row.hlc)] = (
                        json.loads(row.data),
                        bool(row.deleted),
                    )
        return found

    def _reject(self, rid: str, reason: str, message: str) -> None:
        self.rejected.append(Rejection(rid[:120], reason, message))

    def _revision(
        self,
        rev: dict[str, Any],
        device_id: str,
        existing: dict[str, str],
        bases: dict[str, tuple[dict[str, Any], bool]],
    ) -> None:
        rid = revision_id(str(rev.get("record_id"))[:40], str(rev.get("hlc"))[:40])
        problem = _malformed(rev)
        if problem:
            self._reject(rid, "malformed", problem)
            return
        if rev["device_id"] != device_id:
            self._reject(rid, "foreign_device", "the revision was written by another device")
            return
        if rev["record_type"] not in SYNCED_TYPES:
            self._reject(rid, "unknown_record_type", "this record type is not synced")
            return
        content = _content_hash(rev)
        rev["_content_sha256"] = content
        if rid in existing:
            if existing[rid] == content:
                self.accepted.append(rid)  # already stored: accepted again, not stored twice
            else:
                self._reject(
                    rid, "conflicting_duplicate", "a different revision with this id is stored"
                )
            return
        reason = self._scope_problem(rev)
        if reason:
            self._reject(rid, reason[0], reason[1])
            return
        base = bases.get(revision_id(rev["record_id"], rev["base_hlc"] or ""))
        if base is None and rev["base_hlc"] is not None:
            base = self._base_in_batch(rev)
        self.store_revision(rev, base)
        existing[rid] = content
        self.accepted.append(rid)

    def _base_in_batch(self, rev: dict[str, Any]) -> tuple[dict[str, Any], bool] | None:
        return self.stored_here.get(revision_id(rev["record_id"], rev["base_hlc"]))

    def _villages(self, record_id: str | None) -> set[str] | None:
        """The villages a stored child (or profile) belongs to; None when unknown."""
        if not record_id or record_id not in self.states:
            return None
        state, cols = self.states[record_id]
        if state.record_type == "child" or cols["child_id"] is None:
            return {v for v in (cols["village_code"], cols["transfer_to"]) if v}
        return self._villages(cols["child_id"])

    def _scope_problem(self, rev: dict[str, Any]) -> tuple[str, str] | None:
        record_id, record_type, data = rev["record_id"], rev["record_type"], rev["data"]
        current = self.states.get(record_id)
        if current is not None and current[0].record_type != record_type:
            return "type_mismatch", "the record exists with another type"
        if current is not None:
            had = self._villages(record_id)
            if had is not None and not had & self.scope:
                return "out_of_scope", "the record belongs to a village outside this device"
        if rev["deleted"]:
            if current is None:
                return "unknown_record", "a deletion of a record the district does not know"
            return None
        if record_type in ("child", "director_profile"):
            villages = {data.get("village_code")}
            transfer = data.get("transfer")
            if record_type == "child" and isinstance(transfer, dict):
                villages.add(transfer.get("to_village_code"))
            if not {v for v in villages if isinstance(v, str)} & self.scope:
                return "out_of_scope", "the village is outside this device's scope"
            return None
        owner_key = "owner_id" if record_type == "attachment" else "child_id"
        owner = data.get(owner_key)
        villages_of_owner = self._villages(owner if isinstance(owner, str) else None)
        if villages_of_owner is None:
            return "unknown_child", "the child this record belongs to is not known here"
        if not villages_of_owner & self.scope:
            return "out_of_scope", "the child belongs to a village outside this device's scope"
        return None

    def store_revision(
        self, rev: dict[str, Any], base: tuple[dict[str, Any], bool] | None = None
    ) -> None:
        record_id = rev["record_id"]
        if record_id not in self.states:
            self._load([record_id])
        if rev.get("base_hlc") and base is None:
            found = self._bases([rev])
            base = found.get(revision_id(record_id, rev["base_hlc"]))
        seq = self._take_seq()
        self.revision_rows.append(
            {
                "seq": seq,
                "record_id": record_id,
                "hlc": rev["hlc"],
                "record_type": rev["record_type"],
                "revision": rev["revision"],
                "device_id": rev["device_id"],
                "author": rev["author"],
                "deleted": rev["deleted"],
                "base_hlc": rev["base_hlc"],
                "data": canonical_json(rev["data"]).decode(),
                "content_sha256": rev.get("_content_sha256") or _content_hash(rev),
                "batch_id": self.batch.header.batch_id if self.batch else None,
            }
        )
        self.stored_here[revision_id(record_id, rev["hlc"])] = (rev["data"], rev["deleted"])
        rid = revision_id(record_id, rev["hlc"])
        previous = self.states.get(record_id)
        if previous is None:
            self.new_records.add(record_id)
            cols: dict[str, Any] = {
                "child_id": None,
                "village_code": None,
                "transfer_to": None,
                "scope_seq": seq,
                "updated_seq": seq,
            }
            state, conflicts = apply(None, rev["record_type"], _incoming(rev, rid), base)
        else:
            state, cols = previous
            state, conflicts = apply(state, rev["record_type"], _incoming(rev, rid), base)
        before = (cols["village_code"], cols["transfer_to"])
        self._derive(state, cols)
        if previous is not None and before != (cols["village_code"], cols["transfer_to"]):
            cols["scope_seq"] = seq  # a transfer: the new village gets the whole history
        cols["updated_seq"] = seq
        self.states[record_id] = (state, cols)
        self.dirty.add(record_id)
        for c in conflicts:
            self.conflict_rows.append(
                {
                    "record_id": record_id,
                    "field": c.field,
                    "losing_revision": c.losing_revision,
                    "losing_value": json.dumps(
                        {"present": c.losing_value is not ABSENT, "value": None}
                        if c.losing_value is ABSENT
                        else {"present": True, "value": c.losing_value},
                        ensure_ascii=False,
                    ),
                    "winning_revision": c.winning_revision,
                    "seq": seq,
                }
            )

    def _derive(self, state: RecordState, cols: dict[str, Any]) -> None:
        data = state.data
        if state.record_type == "child":
            cols["child_id"] = None
            cols["village_code"] = _str_or_none(data.get("village_code"))
            transfer = data.get("transfer")
            cols["transfer_to"] = (
                _str_or_none(transfer.get("to_village_code"))
                if isinstance(transfer, dict)
                else None
            )
        elif state.record_type == "director_profile":
            cols["village_code"] = _str_or_none(data.get("village_code"))
        elif state.record_type in CHILD_LINKED:
            cols["child_id"] = _str_or_none(data.get("child_id"))
        elif state.record_type == "attachment":
            owner = _str_or_none(data.get("owner_id"))
            owner_state = self.states.get(owner or "")
            if owner_state is not None and owner_state[0].record_type != "child":
                owner = owner_state[1]["child_id"]
            cols["child_id"] = owner

    def _blob(self, blob: dict[str, Any], device_id: str) -> None:
        sha = blob.get("sha256")
        rid = str(sha)[:64]
        data = blob.get("data")
        size = blob.get("size")
        if not isinstance(sha, str) or not isinstance(data, str) or not isinstance(size, int):
            self._reject(rid, "malformed", "the blob item is malformed")
            return
        try:
            content = base64.b64decode(data.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            self._reject(rid, "malformed", "the blob data is not base64")
            return
        if hashlib.sha256(content).hexdigest() != sha or len(content) != size:
            self._reject(rid, "blob_mismatch", "the blob does not match its hash or size")
            return
        present = self.conn.execute(
            select(db.blobs.c.sha256).where(db.blobs.c.sha256 == sha)
        ).first()
        if present is None:
            self.conn.execute(
                db.blobs.insert().values(sha256=sha, size=size, data=content, device_id=device_id)
            )
        self.accepted.append(sha)

    def _take_seq(self) -> int:
        """Sequence numbers are assigned here, under the write lock (one writer at a time), so
        rows can be inserted in bulk and the changes cursor sees them in commit order."""
        if self.next_seq is None:
            last = self.conn.execute(select(func.max(db.revisions.c.seq))).scalar_one()
            self.next_seq = int(last or 0) + 1
        seq = self.next_seq
        self.next_seq += 1
        return seq

    def flush(self) -> None:
        """Write the revisions, merged states and conflicts of every record this batch touched."""
        if self.revision_rows:
            self.conn.execute(db.revisions.insert(), self.revision_rows)
            self.revision_rows = []
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for record_id in sorted(self.dirty):
            state, cols = self.states[record_id]
            row = {
                "record_id": record_id,
                "record_type": state.record_type,
                "child_id": cols["child_id"] if state.record_type != "child" else record_id,
                "village_code": cols["village_code"],
                "transfer_to": cols["transfer_to"],
                "scope_seq": cols["scope_seq"],
                "head_hlc": state.head_hlc,
                "deleted": state.deleted,
                "data": canonical_json(state.data).decode(),
                "fields": json.dumps({k: v.to_json() for k, v in state.stamps.items()}),
                "updated_seq": cols["updated_seq"],
            }
            (inserts if record_id in self.new_records else updates).append(row)
        if inserts:
            self.conn.execute(db.records.insert(), inserts)
        for row in updates:
            record_id = row.pop("record_id")
            self.conn.execute(
                db.records.update().where(db.records.c.record_id == record_id).values(**row)
            )
        if self.conflict_rows:
            self.conn.execute(db.conflicts.insert(), self.conflict_rows)
        self.new_records.clear()
        self.dirty.clear()
        self.conflict_rows = []


def _incoming(rev: dict[str, Any], rid: str) -> Incoming:
    return Incoming(rid, rev["hlc"], rev["base_hlc"], rev["deleted"], rev["data"])


def _content_hash(rev: dict[str, Any]) -> str:
    return sha256_hex(
        canonical_json(
            {
                "record_type": rev["record_type"],
                "revision": rev["revision"],
                "author": rev["author"],
                "deleted": rev["deleted"],
                "base_hlc": rev["base_hlc"],
                "data": rev["data"],
            }
        )
    )


def _malformed(rev: dict[str, Any]) -> str | None:
    """Why a revision item is malformed, or None."""
    checks: list[tuple[bool, str]] = [
        (isinstance(rev.get("record_id"), str) and bool(HEX32.match(rev["record_id"])), "id"),
        (
            isinstance(rev.get("record_type"), str)
            and bool(RECORD_TYPE_RE.match(rev["record_type"])),
            "record type",
        ),
        (
            isinstance(rev.get("revision"), int)
            and not isinstance(rev.get("revision"), bool)
            and 1 <= rev["revision"] < 2**31,
            "revision number",
        ),
        (isinstance(rev.get("hlc"), str) and bool(HLC_RE.match(rev["hlc"])), "clock"),
        (isinstance(rev.get("device_id"), str) and bool(HEX16.match(rev["device_id"])), "device"),
        (isinstance(rev.get("author"), str) and len(rev["author"]) <= 200, "author"),
        (isinstance(rev.get("deleted"), bool), "deleted flag"),
        (
            rev.get("base_hlc") is None
            or (isinstance(rev.get("base_hlc"), str) and bool(HLC_RE.match(rev["base_hlc"]))),
            "base clock",
        ),
        (isinstance(rev.get("data"), dict), "data"),
    ]
    for ok, what in checks:
        if not ok:
            return f"the revision's {what} is missing or malformed"
    if not rev["hlc"].endswith(rev["device_id"]):
        return "the revision's clock names another device"
    return None
