"""Console accounts: users, passwords (Argon2id), second factor (TOTP), throttling, access log.

Plain Python on the district database, no web imports: the command line (cli_users) and the web
pages (pages_auth, pages_admin) both call these functions.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, and_, delete, func, insert, select, update

from storage.password_policy import password_problems
from sync.server import db
from sync.server.console import secretbox
from sync.server.console import tables as t
from sync.server.console.dates import day_start_utc
from sync.server.console.passwords import HASHER, dummy_hash, password_hasher
from sync.server.console.scope import ROLES, Role, Roster, Scope, valid_town_code
from sync.wire import utc_now

INITIAL_PASSWORD_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - no 0/o, 1/l/i
NAME_MAX = 64

# Throttling of failed sign-ins, counted in the database so every worker process agrees.
FAILURE_WINDOW_S = 15 * 60
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_SOURCE = 20


class AccountError(Exception):
    """A refusal to show to the person (Chinese) and to print on the command line (English)."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class User:
    user_id: int
    name: str
    role: Role
    towns: tuple[str, ...]
    must_change: bool
    disabled: bool
    totp_enabled: bool
    created_at: str
    roster: Roster | None = None  # a partner's roster (None: not given yet, sees nobody)

    @property
    def scope(self) -> Scope:
        roster = self.roster if self.role == "partner" else None
        return Scope(role=self.role, towns=self.towns, user_id=self.user_id, roster=roster)

    @property
    def needs_totp(self) -> bool:
        """District accounts must have a second factor; others may."""
        return self.role == "district" or self.totp_enabled


def user_of_row(row: Any) -> User:
    """A :class:`User` from a ``console_users`` row."""
    return _user(row)


def _user(row: Any) -> User:
    return User(
        user_id=int(row.user_id),
        name=row.name,
        role=row.role,
        towns=tuple(json.loads(row.towns)),
        must_change=bool(row.must_change),
        disabled=bool(row.disabled),
        totp_enabled=bool(row.totp_secret),
        created_at=row.created_at,
        roster=_roster(row.roster) if row.role == "partner" else None,
    )


def _roster(stored: str | None) -> Roster | None:
    if not stored:
        return None
    try:
        return Roster.from_json(json.loads(stored))
    except ValueError:
        return Roster()


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise AccountError(
            f"用户名须为 1–{NAME_MAX} 个可见字符。",
            f"a user name has 1-{NAME_MAX} printable characters",
        )
    return name


def check_towns(role: str, towns: list[str]) -> tuple[str, ...]:
    if role not in ROLES:
        raise AccountError("角色只能是 district、town 或 partner。", f"unknown role {role!r}")
    cleaned = tuple(sorted({code.strip() for code in towns if code.strip()}))
    for code in cleaned:
        if not valid_town_code(code):
            raise AccountError(
                f"乡镇代码 {code!r} 不对：应为村代码（12 位行政区划代码）的前 9 位数字。",
                f"{code!r} is not a town code (the first 9 digits of a 12-digit village code)",
            )
    if role == "town" and not cleaned:
        raise AccountError("乡镇账号至少要有一个乡镇代码。", "a town account needs --town CODE")
    if role != "town" and cleaned:
        raise AccountError("只有乡镇账号才有乡镇代码。", "only town accounts have towns")
    return cleaned


def new_initial_password() -> str:
    """A one-time password to read out or hand over: 4 groups of 4, e.g. ``k7mp-3xqa-…``."""
    groups = ("".join(secrets.choice(INITIAL_PASSWORD_CHARS) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def add_user(engine: Engine, name: str, role: str, towns: list[str]) -> tuple[User, str]:
    """Create an account; returns it and its one-time initial password."""
    name = check_name(name)
    codes = check_towns(role, towns)
    password = new_initial_password()
    with db.write_transaction(engine) as conn:
        exists = conn.execute(select(t.users.c.user_id).where(t.users.c.name == name)).first()
        if exists:
            raise AccountError("已有同名用户。", f"a user named {name!r} already exists")
        result = conn.execute(
            insert(t.users).values(
                name=name,
                role=role,
                towns=json.dumps(list(codes)),
                password_hash=password_hasher().hash(password),
                must_change=True,
                disabled=False,
                totp_last_step=0,
                created_at=utc_now(),
            )
        )
        user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        row = conn.execute(select(t.users).where(t.users.c.user_id == user_id)).one()
    return _user(row), password


def get_user(engine: Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.users).where(t.users.c.user_id == user_id)).first()
    return _user(row) if row else None


def find_user(engine: Engine, name: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.users).where(t.users.c.name == name.strip())).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.users).order_by(t.users.c.user_id)).all()
    return [_user(r) for r in rows]


def set_disabled(engine: Engine, name: str, disabled: bool = True) -> User:
    """Disable (or re-enable) an account; a disabled account's sessions end at once."""
    with db.write_transaction(engine) as conn:
        row = conn.execute(select(t.users).where(t.users.c.name == name.strip())).first()
        if row is None:
            raise AccountError("没有这个用户。", f"no user named {name!r}")
        conn.execute(
            update(t.users).where(t.users.c.user_id == row.user_id).values(disabled=disabled)
        )
        if disabled:
            conn.execute(delete(t.sessions).where(t.sessions.c.user_id == row.user_id))
        row = conn.execute(select(t.users).where(t.users.c.user_id == row.user_id)).one()
    return _user(row)


def reset_password(engine: Engine, name: str, *, reset_totp: bool = False) -> tuple[User, str]:
    """A new one-time password (changed at the next sign-in); ends the user's sessions.
    ``reset_totp`` also drops the second factor (a lost phone): it is enrolled again."""
    password = new_initial_password()
    values: dict[str, Any] = {
        "password_hash": password_hasher().hash(password),
        "must_change": True,
    }
    if reset_totp:
        values.update(totp_secret=None, totp_last_step=0)
    with db.write_transaction(engine) as conn:
        row = conn.execute(select(t.users).where(t.users.c.name == name.strip())).first()
        if row is None:
            raise AccountError("没有这个用户。", f"no user named {name!r}")
        conn.execute(update(t.users).where(t.users.c.user_id == row.user_id).values(**values))
        conn.execute(delete(t.sessions).where(t.sessions.c.user_id == row.user_id))
        row = conn.execute(select(t.users).where(t.users.c.user_id == row.user_id)).one()
    return _user(row), password


# ----- sign-in ----------------------------------------------------------------------------

SIGNIN_REFUSED_ZH = "用户名或密码不对。"
THROTTLED_ZH = "登录失败次数过多，请 15 分钟后再试。"


def name_key(name: str) -> str:
    return hashlib.sha256(name.strip().casefold().encode("utf-8")).hexdigest()[:16]


def _throttled(engine: Engine, key: str, source: str, now: int) -> bool:
    since = now - FAILURE_WINDOW_S
    f = t.signin_failures
    with engine.connect() as conn:
        by_name = conn.execute(
            select(func.count()).where(and_(f.c.name_key == key, f.c.at > since))
        ).scalar_one()
        by_source = conn.execute(
            select(func.count()).where(and_(f.c.source == source, f.c.at > since))
        ).scalar_one()
    return int(by_name) >= MAX_FAILURES_PER_NAME or int(by_source) >= MAX_FAILURES_PER_SOURCE


def check_password(engine: Engine, name: str, password: str, source: str) -> User:
    """The user whose name and password these are, or :class:`AccountError` with the same
    message for an unknown name, a wrong password and a disabled account. Throttled per name
    and per source; every outcome goes to the access log."""
    now = int(time.time())
    key = name_key(name)
    source = source[:64]
    if _throttled(engine, key, source, now):
        user = find_user(engine, name)
        log_access(engine, user.user_id if user else None, "sign_in", "", "throttled", source)
        raise AccountError(THROTTLED_ZH, "too many failed sign-ins")
    with engine.connect() as conn:
        row = conn.execute(select(t.users).where(t.users.c.name == name.strip())).first()
    stored = row.password_hash if row is not None else dummy_hash()
    hasher = password_hasher()
    ok: bool
    try:
        ok = hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if row is None or not ok or row.disabled:
        with db.write_transaction(engine) as conn:
            conn.execute(insert(t.signin_failures).values(name_key=key, source=source, at=now))
            conn.execute(delete(t.signin_failures).where(t.signin_failures.c.at < now - 86400))
        user_id = int(row.user_id) if row is not None else None
        log_access(engine, user_id, "sign_in", "", "failed", source)
        raise AccountError(SIGNIN_REFUSED_ZH, "wrong name or password")
    if hasher.check_needs_rehash(row.password_hash):  # e.g. made under the test-only switch
        with db.write_transaction(engine) as conn:
            conn.execute(
                update(t.users)
                .where(t.users.c.user_id == row.user_id)
                .values(password_hash=hasher.hash(password))
            )
    return _user(row)


def change_password(engine: Engine, user: User, old: str, new: str, again: str) -> None:
    with engine.connect() as conn:
        stored = conn.execute(
            select(t.users.c.password_hash).where(t.users.c.user_id == user.user_id)
        ).scalar_one()
    try:
        HASHER.verify(stored, old)  # the parameters are read from the stored hash
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise AccountError("当前密码不对。", "the current password is wrong") from None
    if new != again:
        raise AccountError("两次输入的新密码不一样。", "the new passwords differ")
    if new == old:
        raise AccountError("新密码不能和原来的一样。", "the new password equals the old one")
    problems = password_problems(new, director_name=user.name)
    if problems:
        raise AccountError(
            " ".join(p.message_zh for p in problems), "; ".join(p.message_en for p in problems)
        )
    with db.write_transaction(engine) as conn:
        conn.execute(
            update(t.users)
            .where(t.users.c.user_id == user.user_id)
            .values(
                password_hash=password_hasher().hash(new),
                must_change=False,
                password_changed_at=utc_now(),
            )
        )


# ----- second factor (TOTP, RFC 6238: 6 digits, 30 s) --------------------------------------

TOTP_ISSUER = "儿童主任工作台"


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER)


def _matching_step(secret: str, code: str, last_step: int) -> int | None:
    """The time step the code belongs to (now ±1), if later than ``last_step``."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // 30
    for step in (now_step - 1, now_step, now_step + 1):
        if step > last_step and secrets.compare_digest(totp.at(step * 30), code):
            return step
    return None


def verify_totp(engine: Engine, user_id: int, code: str, key: bytes) -> bool:
    """Check a code against the user's secret (sealed under ``key``, secretbox.py); a code is
    accepted once only. A secret that does not open counts as a wrong code."""
    with db.write_transaction(engine) as conn:
        row = conn.execute(select(t.users).where(t.users.c.user_id == user_id)).one()
        if not row.totp_secret:
            return False
        try:
            secret = secretbox.open_sealed(key, row.totp_secret, user_id)
        except secretbox.SealedSecretError:
            return False
        step = _matching_step(secret, code, int(row.totp_last_step))
        if step is None:
            return False
        conn.execute(
            update(t.users).where(t.users.c.user_id == user_id).values(totp_last_step=step)
        )
    return True


def enrol_totp(engine: Engine, user_id: int, secret: str, code: str, key: bytes) -> bool:
    """Keep ``secret`` as the user's second factor, sealed under ``key``, once ``code`` proves
    the app has it."""
    step = _matching_step(secret, code, 0)
    if step is None:
        return False
    with db.write_transaction(engine) as conn:
        conn.execute(
            update(t.users)
            .where(t.users.c.user_id == user_id)
            .values(totp_secret=secretbox.seal(key, secret, user_id), totp_last_step=step)
        )
    return True


# ----- access log -------------------------------------------------------------------------


def log_access(
    engine: Engine,
    user_id: int | None,
    action: str,
    target: str = "",
    outcome: str = "ok",
    source: str = "",
) -> None:
    """One line in the access log. ``target`` is a record id, a list's filters (as JSON) or an
    export's kind — never a name or an ID number."""
    with db.write_transaction(engine) as conn:
        conn.execute(
            insert(t.access_log).values(
                at=utc_now(),
                user_id=user_id,
                action=action[:40],
                target=target[:2000],
                outcome=outcome[:20],
                source=source[:64],
            )
        )


def recent_failures(engine: Engine, user_id: int, action: str, seconds: int) -> int:
    """How many times ``action`` failed for this user in the last ``seconds``."""
    since = (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    a = t.access_log
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).where(
                and_(
                    a.c.user_id == user_id,
                    a.c.action == action,
                    a.c.outcome == "failed",
                    a.c.at >= since,
                )
            )
        ).scalar_one()
    return int(count)


def filters_target(filters: dict[str, Any]) -> str:
    """A list's filters as a compact, stable JSON string for the access log."""
    return json.dumps(
        {k: v for k, v in sorted(filters.items()) if v not in (None, "")},
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class LogRow:
    id: int
    at: str
    user_id: int | None
    user_name: str
    action: str
    target: str
    outcome: str
    source: str


def search_log(
    engine: Engine,
    *,
    user_name: str = "",
    action: str = "",
    outcome: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[LogRow], int]:
    """Access-log lines, newest first, and the number matching. Dates are ``YYYY-MM-DD``, days
    in China (the district's time, dates.py), compared with the stored UTC times."""
    a, u = t.access_log, t.users
    conds: list[Any] = []
    if user_name:
        conds.append(u.c.name == user_name.strip())
    if action:
        conds.append(a.c.action == action)
    if outcome:
        conds.append(a.c.outcome == outcome)
    if target:
        escaped = target.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(a.c.target.like(f"%{escaped}%", escape="\\"))
    for text, op in ((since, "ge"), (until, "lt")):
        if text:  # a day in China (the page shows China's times): its UTC bounds
            day = datetime.strptime(text, "%Y-%m-%d").date()
            if op == "lt":
                day += timedelta(days=1)
            bound = day_start_utc(day)
            conds.append(a.c.at >= bound if op == "ge" else a.c.at < bound)
    joined = a.outerjoin(u, u.c.user_id == a.c.user_id)
    where = and_(*conds) if conds else None
    query = select(a, u.c.name.label("user_name")).select_from(joined)
    count = select(func.count()).select_from(joined)
    if where is not None:
        query, count = query.where(where), count.where(where)
    page = max(1, min(page, 1_000_000))
    query = query.order_by(a.c.id.desc()).limit(per_page).offset((page - 1) * per_page)
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        rows = conn.execute(query).all()
    return [
        LogRow(
            id=int(r.id),
            at=r.at,
            user_id=r.user_id,
            user_name=r.user_name or "",
            action=r.action,
            target=r.target,
            outcome=r.outcome,
            source=r.source,
        )
        for r in rows
    ], total
