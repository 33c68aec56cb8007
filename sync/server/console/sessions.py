"""Server-side console sessions and form input kept across an expired session.

The cookie holds a random 256-bit value; the database holds only its SHA-256, so a copy of the
database signs nobody in. A session ends after 30 idle minutes, on sign-out, on "sign out
everywhere", when the account is disabled or its password is reset.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, select, update

from sync.server import db
from sync.server.console import tables as t

IDLE_TIMEOUT_S = 30 * 60
TOUCH_EVERY_S = 30  # last_seen is written at most this often (a write per page is wasteful)
STASH_TTL_S = 2 * 3600
MAX_STASH_BYTES = 32 * 1024
# Form fields never kept: secrets, and the token of the session that expired.
UNSTASHED = ("password", "old_password", "new_password", "again", "code", "csrf")

Stage = str  # "full", or the step still owed: "password", "enrol", "totp"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class Session:
    session_hash: str
    user_id: int
    stage: Stage
    csrf: str
    created_at: int
    last_seen: int
    pending_totp: str | None

    def expired(self, now: int) -> bool:
        return now - self.last_seen > IDLE_TIMEOUT_S


def _session(row: Any) -> Session:
    return Session(
        session_hash=row.session_hash,
        user_id=int(row.user_id),
        stage=row.stage,
        csrf=row.csrf,
        created_at=int(row.created_at),
        last_seen=int(row.last_seen),
        pending_totp=row.pending_totp,
    )


def create(engine: Engine, user_id: int, stage: Stage, source: str) -> tuple[str, Session]:
    """A new session; returns the cookie value and the session."""
    token = secrets.token_urlsafe(32)
    now = int(time.time())
    values = {
        "session_hash": _digest(token),
        "user_id": user_id,
        "stage": stage,
        "csrf": secrets.token_urlsafe(32),
        "created_at": now,
        "last_seen": now,
        "pending_totp": None,
        "source": source[:64],
    }
    with db.write_transaction(engine) as conn:
        conn.execute(insert(t.sessions).values(**values))
        # Old, idle sessions of anyone are cleared now and then.
        conn.execute(delete(t.sessions).where(t.sessions.c.last_seen < now - 7 * 86400))
        conn.execute(delete(t.stash).where(t.stash.c.created_at < now - STASH_TTL_S))
    session = Session(
        session_hash=_digest(token),
        user_id=user_id,
        stage=stage,
        csrf=str(values["csrf"]),
        created_at=now,
        last_seen=now,
        pending_totp=None,
    )
    return token, session


def load(engine: Engine, token: str | None) -> Session | None:
    """The session of a cookie value, expired or not (the caller decides), or None."""
    if not token or len(token) > 100:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(t.sessions).where(t.sessions.c.session_hash == _digest(token))
        ).first()
    return _session(row) if row else None


def touch(engine: Engine, session: Session, now: int) -> None:
    if now - session.last_seen < TOUCH_EVERY_S:
        return
    with db.write_transaction(engine) as conn:
        conn.execute(
            update(t.sessions)
            .where(t.sessions.c.session_hash == session.session_hash)
            .values(last_seen=now)
        )


def set_stage(engine: Engine, session: Session, stage: Stage, pending_totp: str | None) -> None:
    with db.write_transaction(engine) as conn:
        conn.execute(
            update(t.sessions)
            .where(t.sessions.c.session_hash == session.session_hash)
            .values(stage=stage, pending_totp=pending_totp, last_seen=int(time.time()))
        )


def rotate(engine: Engine, session: Session) -> str:
    """Give the session a new cookie value (after signing in completes); returns it."""
    token = secrets.token_urlsafe(32)
    with db.write_transaction(engine) as conn:
        conn.execute(
            update(t.sessions)
            .where(t.sessions.c.session_hash == session.session_hash)
            .values(session_hash=_digest(token))
        )
    return token


def end(engine: Engine, session: Session) -> None:
    with db.write_transaction(engine) as conn:
        conn.execute(delete(t.sessions).where(t.sessions.c.session_hash == session.session_hash))


def end_all(engine: Engine, user_id: int) -> int:
    """Sign a user out everywhere; returns how many sessions ended."""
    with db.write_transaction(engine) as conn:
        result = conn.execute(delete(t.sessions).where(t.sessions.c.user_id == user_id))
    return int(result.rowcount)


def end_others(engine: Engine, user_id: int, keep_hash: str) -> None:
    """End a user's other sessions (after a password change)."""
    with db.write_transaction(engine) as conn:
        conn.execute(
            delete(t.sessions).where(
                and_(t.sessions.c.user_id == user_id, t.sessions.c.session_hash != keep_hash)
            )
        )


def count_for(engine: Engine, user_id: int) -> int:
    now = int(time.time())
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.sessions.c.last_seen).where(
                and_(t.sessions.c.user_id == user_id, t.sessions.c.stage == "full")
            )
        ).all()
    return sum(1 for r in rows if now - int(r.last_seen) <= IDLE_TIMEOUT_S)


# ----- form input kept across an expired session -----------------------------------------


def stash_form(engine: Engine, user_id: int, path: str, fields: list[tuple[str, str]]) -> str:
    """Keep a form's input (not its secrets) for the user to get back after signing in again;
    returns the stash token."""
    kept = [[k, v] for k, v in fields if k not in UNSTASHED and not k.startswith("password")]
    body = json.dumps(kept, ensure_ascii=False)
    if len(body.encode("utf-8")) > MAX_STASH_BYTES:
        body = "[]"
    token = secrets.token_urlsafe(24)
    with db.write_transaction(engine) as conn:
        conn.execute(
            insert(t.stash).values(
                stash_hash=_digest(token),
                user_id=user_id,
                path=path,
                fields=body,
                created_at=int(time.time()),
            )
        )
    return token


def stash_path(engine: Engine, token: str) -> tuple[int, str] | None:
    """The user and page of a stash, without taking it."""
    if not token or len(token) > 100:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(t.stash.c.user_id, t.stash.c.path, t.stash.c.created_at).where(
                t.stash.c.stash_hash == _digest(token)
            )
        ).first()
    if row is None or int(time.time()) - int(row.created_at) > STASH_TTL_S:
        return None
    return int(row.user_id), row.path


def take_stash(engine: Engine, token: str, user_id: int) -> dict[str, str] | None:
    """The kept input, once, for the user who typed it."""
    if not token or len(token) > 100:
        return None
    with db.write_transaction(engine) as conn:
        row = conn.execute(select(t.stash).where(t.stash.c.stash_hash == _digest(token))).first()
        if row is None or int(row.user_id) != user_id:
            return None
        conn.execute(delete(t.stash).where(t.stash.c.stash_hash == row.stash_hash))
    if int(time.time()) - int(row.created_at) > STASH_TTL_S:
        return None
    return {str(k): str(v) for k, v in json.loads(row.fields)}
