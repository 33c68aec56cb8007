"""The district database (SQLAlchemy Core): SQLite by default, PostgreSQL for a city or province.

Schema changes are named migrations recorded in ``district_migrations``; add new ones at the end
with explicit DDL and never edit an applied one. A database that records a migration this
program does not know was written by a newer version and is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ClauseElement,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
    text,
)

from sync.errors import SyncError
from sync.server import sqlite_writers

metadata = MetaData()
# SQLite autoincrements only INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit counter.
Seq = BigInteger().with_variant(Integer(), "sqlite")

migrations_table = Table(
    "district_migrations",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(16), primary_key=True),
    Column("label", Text, nullable=False, default=""),
    Column("villages", Text, nullable=False),  # JSON list of village codes
    Column("signing_public", LargeBinary, nullable=False),
    Column("age_recipient", Text, nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("enrollment", LargeBinary, nullable=False),  # the signed enrollment document
    Column("enrolled_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("last_contact", String(40)),
    Column("last_sequence", Integer, nullable=False, default=0),
    Column("reported_cursor", String(100), nullable=False, default=""),
)

enroll_codes = Table(
    "enroll_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("villages", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
    Column("used_by", String(16)),
)

enroll_failures = Table(
    "enroll_failures",
    metadata,
    Column("id", Seq, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("code_key", String(8), nullable=True),  # 0002: failures per code
    Index("enroll_failures_at", "at"),
)

batches = Table(
    "batches",
    metadata,
    Column("batch_id", String(32), primary_key=True),
    Column("device_id", String(16), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("via", String(10), nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("receipt", LargeBinary, nullable=False),
    UniqueConstraint("device_id", "sequence", name="batches_device_sequence"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("record_id", String(32), nullable=False),
    Column("hlc", String(64), nullable=False),
    Column("record_type", String(40), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("device_id", String(16), nullable=False),
    Column("author", Text, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("base_hlc", String(64)),
    Column("data", Text, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("batch_id", String(32)),
    UniqueConstraint("record_id", "hlc", name="revisions_record_hlc"),
)

records = Table(
    "records",
    metadata,
    Column("record_id", String(32), primary_key=True),
    Column("record_type", String(40), nullable=False),
    Column("child_id", String(32)),  # the child this record belongs to (itself for a child)
    Column("village_code", String(12)),
    Column("transfer_to", String(12)),
    Column("scope_seq", BigInteger, nullable=False, default=0),
    Column("head_hlc", String(64), nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("data", Text, nullable=False),  # the merged current state
    # {field: [hlc, revision id, base hlc]}, or "" for a record whose only revision was written
    # from nothing (every field stamped by it): sync/server/store.py _stamps.
    Column("fields", Text, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
    Index("records_village", "village_code"),
    Index("records_transfer", "transfer_to"),
    Index("records_child", "child_id"),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Seq, primary_key=True, autoincrement=True),
    Column("record_id", String(32), nullable=False),
    Column("field", Text, nullable=False),
    Column("losing_revision", String(120), nullable=False),
    Column("losing_value", Text, nullable=False),  # {"present": bool, "value": …}
    Column("winning_revision", String(120), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("conflicts_record", "record_id"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("device_id", String(16), nullable=False),
)

rejections = Table(
    "rejections",
    metadata,
    Column("id", Seq, primary_key=True, autoincrement=True),
    Column("batch_id", String(32), nullable=False),
    Column("device_id", String(16), nullable=False),
    Column("item_id", Text, nullable=False),
    Column("reason", String(40), nullable=False),
    Column("at", String(40), nullable=False),
)

published = Table(
    "published",
    metadata,
    Column("pub_seq", Seq, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("name", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("published_at", String(40), nullable=False),
)

notices = Table(
    "notices",
    metadata,
    Column("id", Seq, primary_key=True, autoincrement=True),
    Column("device_id", String(16), nullable=False),
    Column("notice", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("document", LargeBinary, nullable=False),
)

_INITIAL = [
    devices,
    enroll_codes,
    enroll_failures,
    batches,
    revisions,
    records,
    conflicts,
    blobs,
    rejections,
    published,
    notices,
]


def _initial(conn: Connection) -> None:
    metadata.create_all(conn, tables=_INITIAL)


def _enroll_failures_per_code(conn: Connection) -> None:
    # A database created by 0001 from this program's tables already has the column.
    columns = {c["name"] for c in inspect(conn).get_columns("enroll_failures")}
    if "code_key" not in columns:
        conn.execute(text("ALTER TABLE enroll_failures ADD COLUMN code_key VARCHAR(8)"))
    conn.execute(
        text("CREATE INDEX IF NOT EXISTS enroll_failures_code ON enroll_failures (code_key, at)")
    )
    conn.execute(
        text("CREATE INDEX IF NOT EXISTS enroll_failures_source ON enroll_failures (source, at)")
    )


def _console_query_tables(conn: Connection) -> None:
    from sync.server.console import query_tables  # the console's query tables (issue 16)

    query_tables.create(conn)


def _console_accounts(conn: Connection) -> None:
    from sync.server.console import tables  # the console's accounts and access log (issue 16)

    tables.create(conn)


def _console_rosters_notes(conn: Connection) -> None:
    from sync.server.console import tables  # partner rosters, district notes (issue 16)

    tables.add_rosters_and_notes(conn)


def _console_due_counts(conn: Connection) -> None:
    from sync.server.console import query_tables  # due dates per village and day / month

    query_tables.create_due_counts(conn)


def _console_pending(conn: Connection) -> None:
    from sync.server.console import query_tables  # children waiting for the console's catch-up

    query_tables.create_pending(conn)


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_initial", _initial),
    ("0002_enroll_failures_per_code", _enroll_failures_per_code),
    ("0003_console_accounts", _console_accounts),
    ("0004_console_query_tables", _console_query_tables),
    ("0005_console_rosters_notes", _console_rosters_notes),
    ("0006_console_due_counts", _console_due_counts),
    ("0007_console_pending", _console_pending),
]


class DatabaseTooNewError(SyncError):
    code = "database_too_new"


WRITER_OPTION = "childdesk_writer"


def make_engine(url: str) -> Engine:
    """An engine with the durability the receipts promise."""
    if url.startswith("sqlite"):
        # A small pool: closing a WAL connection checkpoints, which is slow to do per request.
        engine = create_engine(
            url, pool_size=4, max_overflow=8, connect_args={"check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Checkpoints run in the background (sqlite_writers), never inside a commit.
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # Writers: IMMEDIATE takes the write lock at the start, so two writers never
            # deadlock. Readers: a deferred BEGIN, so (WAL) they never wait for a writer.
            writer = conn.get_execution_options().get(WRITER_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine
    return create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction in which this process is the only writer of sync state.

    SQLite: BEGIN IMMEDIATE. PostgreSQL: a transaction-level advisory lock, so revision sequence
    numbers become visible in order and the changes cursor never skips a late commit.
    """
    with sqlite_writers.file_lock(engine), engine.connect() as conn:
        conn.execution_options(**{WRITER_OPTION: True})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(7007001)"))
            yield conn
    sqlite_writers.after_commit(engine)


def executemany(conn: Connection, statement: ClauseElement, rows: Sequence[dict[str, Any]]) -> None:
    """:func:`executemany_rows` for rows as dicts (every row with the same keys)."""
    if rows:
        columns = tuple(rows[0])
        executemany_rows(conn, statement, columns, [tuple(r[c] for c in columns) for r in rows])


def executemany_rows(
    conn: Connection,
    statement: ClauseElement,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Run an INSERT or UPDATE once per row (values in ``columns`` order), handing the rows
    straight to the driver.

    For thousands of rows SQLAlchemy's per-row parameter processing costs more than the
    statement itself; the driver's own executemany does not need it for the plain text,
    integer, boolean and bytes values written here. ``statement`` must be a module-level
    constant (its compiled form is kept).
    """
    if not rows:
        return
    cache_key = (conn.dialect.name, statement, columns)
    cached = _COMPILED.get(cache_key)
    if cached is None:
        compiled = statement.compile(dialect=conn.dialect, column_keys=list(columns))
        positions = getattr(compiled, "positiontup", None)  # set for positional paramstyles
        index = tuple(columns.index(name) for name in positions) if positions else None
        cached = _COMPILED[cache_key] = (str(compiled), index)
    sql, index = cached
    if index is None:  # named parameters (psycopg)
        conn.exec_driver_sql(sql, [dict(zip(columns, row, strict=True)) for row in rows])
    elif index == tuple(range(len(columns))):  # positional, already in order (sqlite3)
        conn.exec_driver_sql(sql, list(rows))
    else:
        conn.exec_driver_sql(sql, [tuple(row[i] for i in index) for row in rows])


_COMPILED: dict[tuple[str, ClauseElement, tuple[str, ...]], tuple[str, tuple[int, ...] | None]] = {}


def migrate(engine: Engine) -> list[str]:
    """Apply pending migrations; refuse a database made by a newer version."""
    from sync.wire import utc_now

    known = [name for name, _ in MIGRATIONS]
    with write_transaction(engine) as conn:
        if not inspect(conn).has_table("district_migrations"):
            migrations_table.create(conn)
        applied = {row[0] for row in conn.execute(select(migrations_table.c.name))}
        unknown = sorted(applied - set(known))
        if unknown:
            raise DatabaseTooNewError(
                "the district database was upgraded by a newer version "
                f"(unknown schema steps: {', '.join(unknown)}); please update the program"
            )
        done = []
        for name, step in MIGRATIONS:
            if name not in applied:
                step(conn)
                conn.execute(migrations_table.insert().values(name=name, applied_at=utc_now()))
                done.append(name)
        return done
