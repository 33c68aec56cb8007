"""Enrolling devices: one-time enrollment codes, answering an enrollment request (the same
request again gets the same answer) and counting failed attempts. See docs/district-server.md,
"Enrollment attempts"."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, func, select

from sync.documents import (
    VILLAGE_RE,
    EnrollmentRequest,
    build_enrollment,
    read_enrollment_request,
)
from sync.errors import (
    EnrollmentRefusedError,
    MalformedError,
    SyncError,
    TooManyAttemptsError,
)
from sync.server import db
from sync.server.core import Core, device_row
from sync.wire import sha256_hex, utc_now

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


class Enrollments:
    """Enrollment codes and requests of one district."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def create_code(self, villages: Sequence[str], expires_s: int) -> str:
        for village in villages:
            if not VILLAGE_RE.fullmatch(village):
                raise MalformedError(f"{village!r} is not a 12-digit village code")
        if not villages:
            raise MalformedError("an enrollment code needs at least one village")
        code = new_enroll_code()
        now = int(time.time())
        with db.write_transaction(self.core.engine) as conn:
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
        limit = self.core.limits.max_enroll_bytes
        if len(raw) > limit:
            raise MalformedError("the enrollment request is too large")
        now = int(time.time())
        with self.core.write_lock:
            self._check_source(source, now)
            try:
                request = read_enrollment_request(raw, max_bytes=limit)
            except SyncError:
                self._record_failure(source, None, now)
                raise
            key = code_key(request.code)
            with db.write_transaction(self.core.engine) as conn:
                existing = device_row(conn, request.device_id)
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
        answer = build_enrollment(request=request, villages=villages, district=self.core.keys)
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
        with self.core.engine.connect() as conn:
            failures = _recent_failures(
                conn, db.enroll_failures.c.source == source[:64], now - FAILURE_WINDOW_S
            )
        if failures >= FAILURES_PER_SOURCE:
            raise TooManyAttemptsError(
                "too many failed enrollment attempts from this address; "
                "wait ten minutes and try again"
            )

    def _check_code(self, conn: Connection, key: str, now: int) -> None:
        failures = _recent_failures(conn, db.enroll_failures.c.code_key == key, now - CODE_WINDOW_S)
        if failures >= FAILURES_PER_CODE:
            raise TooManyAttemptsError(
                "this enrollment code was entered wrongly too many times; "
                "wait an hour or ask the district for a new code"
            )

    def _record_failure(self, source: str, key: str | None, now: int) -> None:
        log.warning("failed enrollment attempt")
        with db.write_transaction(self.core.engine) as conn:
            conn.execute(
                db.enroll_failures.insert().values(source=source[:64], code_key=key, at=now)
            )
            # Old attempts count for nothing: the table stays small under a flood.
            conn.execute(
                db.enroll_failures.delete().where(
                    db.enroll_failures.c.at <= now - max(FAILURE_WINDOW_S, CODE_WINDOW_S)
                )
            )


def _recent_failures(conn: Connection, which: ColumnElement[bool], since: int) -> int:
    """Failed enrollment attempts matching ``which`` (one source, or one code) after ``since``."""
    count = conn.execute(
        select(func.count())
        .select_from(db.enroll_failures)
        .where(which, db.enroll_failures.c.at > since)
    ).scalar_one()
    return int(count)
