"""The district server's core, independent of HTTP: enrollment, batch ingestion (network and USB
share it), the changes feed, revocation, history and statistics. See docs/sync-protocol.md."""

from __future__ import annotations

import base64
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
    VILLAGE_RE,
    EnrollmentRequest,
    build_changes,
    build_enrollment,
    build_notice,
    read_batch,
    read_enrollment_request,
)
from sync.errors import (
    EnrollmentRefusedError,
    MalformedError,
    SyncError,
    TooManyAttemptsError,
    UnknownDeviceError,
)
from sync.keys import KeyPair, PublicKeys
from sync.server import db
from sync.server.ingest import (
    GroupCommit,
    IngestResult,
    PreparedBatch,
    prepare_batch,
    store_group,
)
from sync.server.store import StoreSession
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

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CODE_LENGTH = 20
# Failed enrollment attempts (docs/district-server.md, "Enrollment attempts"): per source
# (address) and per code (its first group, CODE_KEY_LENGTH characters). No global limit: codes
# carry 100 random bits, so guessing from many addresses gets nowhere, while a global lockout
# would let one attacker stop every enrollment in the district.
FAILURES_PER_SOURCE = 5
FAILURE_WINDOW_S = 600
FAILURES_PER_CODE = 10
CODE_WINDOW_S = 3600
CODE_KEY_LENGTH = 4
CHANGES_PAGE = 2000
USB_RECEIPTS = 50


@dataclass(frozen=True)
class Limits:
    max_batch_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    max_enroll_bytes: int = 16 * 1024


def normalize_code(code: str) -> str:
    table = str.maketrans({"O": "0", "I": "1", "L": "1"})
    return "".join(c for c in code.upper() if c not in "- \t").translate(table)


def code_key(code: str) -> str:
    """What failures against one code are counted under: its first group (not secret)."""
    return normalize_code(code)[:CODE_KEY_LENGTH]


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
        self._group_commit = GroupCommit(self._write_lock, self._store_group)
        self._device_keys: dict[str, Ed25519PublicKey] = {}

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
            if not VILLAGE_RE.fullmatch(village):
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
            self._check_source(source, now)
            try:
                request = read_enrollment_request(raw, max_bytes=self.limits.max_enroll_bytes)
            except SyncError:
                self._record_failure(source, None, now)
                raise
            key = code_key(request.code)
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
                self._check_code(conn, key, now)  # after a retry's answer, before the code
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
                self._record_failure(source, key, now)
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

    def _check_source(self, source: str, now: int) -> None:
        with self.engine.connect() as conn:
            failures = conn.execute(
                select(func.count())
                .select_from(db.enroll_failures)
                .where(
                    db.enroll_failures.c.source == source[:64],
                    db.enroll_failures.c.at > now - FAILURE_WINDOW_S,
                )
            ).scalar_one()
        if failures >= FAILURES_PER_SOURCE:
            raise TooManyAttemptsError(
                "too many failed enrollment attempts from this address; "
                "wait ten minutes and try again"
            )

    def _check_code(self, conn: Connection, key: str, now: int) -> None:
        failures = conn.execute(
            select(func.count())
            .select_from(db.enroll_failures)
            .where(
                db.enroll_failures.c.code_key == key,
                db.enroll_failures.c.at > now - CODE_WINDOW_S,
            )
        ).scalar_one()
        if failures >= FAILURES_PER_CODE:
            raise TooManyAttemptsError(
                "this enrollment code was entered wrongly too many times; "
                "wait an hour or ask the district for a new code"
            )

    def _record_failure(self, source: str, key: str | None, now: int) -> None:
        log.warning("failed enrollment attempt")
        with db.write_transaction(self.engine) as conn:
            conn.execute(
                db.enroll_failures.insert().values(source=source[:64], code_key=key, at=now)
            )
            # Old attempts count for nothing: the table stays small under a flood.
            conn.execute(
                db.enroll_failures.delete().where(
                    db.enroll_failures.c.at <= now - max(FAILURE_WINDOW_S, CODE_WINDOW_S)
                )
            )

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
        """Verify a batch file and store it (whole, in one transaction, possibly together with
        other batches waiting at the same time: sync/server/ingest.py); return the receipt.
        A revoked device is refused there, inside the transaction, after its signature."""
        batch = read_batch(data, self.keys, self._device_key, max_bytes=self.limits.max_batch_bytes)
        return self._group_commit.submit(prepare_batch(batch, via))

    def _device_key(self, device_id: str) -> Ed25519PublicKey:
        """A device's signing key; kept in memory once read (a device's keys never change:
        enrolling the same device id with other keys is refused)."""
        key = self._device_keys.get(device_id)
        if key is None:
            with self.engine.connect() as conn:
                row = self._device_row(conn, device_id)
            if row is None:
                raise UnknownDeviceError(f"device {device_id} is not enrolled here")
            key = self._device_keys[device_id] = load_public(bytes(row.signing_public))
        return key

    def _store_group(self, group: Sequence[PreparedBatch]) -> None:
        store_group(self.engine, group, district_id=self.district_id, signing=self.keys.signing)

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
            session = StoreSession(conn)
            session.store_revision(item)
            session.flush()
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
                            "seq": p.pub_seq,  # publication order: the laptop's "newest"
                            "published_at": p.published_at,
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

CURSOR_RE = re.compile(r"c1\.([0-9]{1,18})\.([0-9]{1,18})")  # fullmatch, ASCII


def make_cursor(revision_seq: int, published_seq: int) -> str:
    return f"c1.{revision_seq}.{published_seq}"


def parse_cursor(cursor: str) -> tuple[int, int]:
    if cursor in ("", "0"):
        return 0, 0
    match = CURSOR_RE.fullmatch(cursor)
    if not match:
        raise SyncError("the changes cursor is not valid", code="bad_cursor")
    return int(match.group(1)), int(match.group(2))
