"""The console's tables in the district database (migrations ``0003_console_accounts``
and ``0005_console_rosters_notes``).

Accounts, server-side sessions, failed sign-ins, form input kept across an expired session, and
the access log. Nothing here holds a child's name or ID number: the access log names records by
id, lists by their filters and exports by kind.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    String,
    Table,
    Text,
    inspect,
    text,
)

from sync.server.db import Seq, metadata

users = Table(
    "console_users",
    metadata,
    Column("user_id", Seq, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(10), nullable=False),  # district | town | partner
    Column("towns", Text, nullable=False, default="[]"),  # JSON list of 9-digit town codes
    Column("password_hash", Text, nullable=False),  # Argon2id (argon2-cffi), PHC string
    Column("must_change", Boolean, nullable=False, default=True),
    Column("disabled", Boolean, nullable=False, default=False),
    # Sealed with AES-GCM under a key derived from the district keys (secretbox.py), never
    # plain base32; set once the user has proved a code. TEXT since migration 0005.
    Column("totp_secret", Text),
    Column("totp_last_step", BigInteger, nullable=False, default=0),  # no code used twice
    Column("created_at", String(40), nullable=False),
    Column("password_changed_at", String(40)),
    # A partner's roster (scope.Roster as JSON), set on 用户与设备; migration 0005.
    Column("roster", Text),
)

sessions = Table(
    "console_sessions",
    metadata,
    # SHA-256 of the random cookie value: a copy of the database does not sign anyone in.
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    # "full" once every step is done; before that the step still owed: "totp", "enrol", "password"
    Column("stage", String(10), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("pending_totp", Text),  # a secret being enrolled (sealed), until a code proves it
    Column("source", String(64), nullable=False, default=""),
    Index("console_sessions_user", "user_id"),
)

signin_failures = Table(
    "console_signin_failures",
    metadata,
    Column("id", Seq, primary_key=True, autoincrement=True),
    Column("name_key", String(16), nullable=False),  # a keyed digest of the name typed
    Column("source", String(64), nullable=False),
    Column("at", BigInteger, nullable=False),
    Index("console_signin_failures_name", "name_key", "at"),
    Index("console_signin_failures_source", "source", "at"),
)

stash = Table(
    "console_stash",
    metadata,
    Column("stash_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("path", Text, nullable=False),  # where the form was, to return to
    Column("fields", Text, nullable=False),  # JSON [[name, value], …], passwords left out
    Column("created_at", BigInteger, nullable=False),
)

access_log = Table(
    "console_access_log",
    metadata,
    Column("id", Seq, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),  # UTC, ISO 8601
    Column("user_id", BigInteger),  # None for a sign-in attempt by an unknown name
    Column("action", String(40), nullable=False),
    Column("target", Text, nullable=False, default=""),  # record id, list filters, export kind
    Column("outcome", String(20), nullable=False),  # ok | denied | failed | throttled
    Column("source", String(64), nullable=False, default=""),
    Index("console_access_log_at", "at"),
    Index("console_access_log_user", "user_id", "at"),
)

child_notes = Table(
    "console_child_notes",
    metadata,
    # The district's own notes on a child's page (migration 0005): kept on the server only,
    # never sent to laptops.
    Column("id", Seq, primary_key=True, autoincrement=True),
    Column("child_id", String(40), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("at", String(40), nullable=False),  # UTC, ISO 8601
    Column("text", Text, nullable=False),
    Index("console_child_notes_child", "child_id", "id"),
)

TABLES = [users, sessions, signin_failures, stash, access_log, child_notes]


def create(conn: Connection) -> None:
    metadata.create_all(conn, tables=TABLES)


def add_rosters_and_notes(conn: Connection) -> None:
    """Migration 0005: partner rosters, the district's notes, TOTP secrets as TEXT (sealed
    secrets are longer than base32). A database made by 0003 from these tables has them."""
    columns = {c["name"] for c in inspect(conn).get_columns("console_users")}
    if "roster" not in columns:
        conn.execute(text("ALTER TABLE console_users ADD COLUMN roster TEXT"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE console_users ALTER COLUMN totp_secret TYPE TEXT"))
        conn.execute(text("ALTER TABLE console_sessions ALTER COLUMN pending_totp TYPE TEXT"))
    metadata.create_all(conn, tables=[child_notes])
