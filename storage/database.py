"""Opening the vault's SQLite file and translating its failures into user-facing errors."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from storage.errors import (
    DiskFullError,
    ReadOnlyLocationError,
    VaultCorruptError,
    VaultError,
)

_CORRUPT_MARKERS = ("file is not a database", "malformed", "database disk image", "corrupt")
_READONLY_MARKERS = ("readonly", "read-only", "unable to open database file", "permission denied")


def translate_error(err: BaseException) -> VaultError:
    """Map a sqlite3/OS failure to the error a user can act on."""
    if isinstance(err, VaultError):
        return err
    text = str(err).lower()
    if isinstance(err, OSError):
        if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return DiskFullError("the disk is full; the change was not saved")
        if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return ReadOnlyLocationError(
                f"the data folder cannot be written ({err.strerror}); nothing was saved"
            )
    if "disk is full" in text or "database or disk is full" in text:
        return DiskFullError("the disk is full; the change was not saved")
    if any(marker in text for marker in _READONLY_MARKERS):
        return ReadOnlyLocationError(
            "the data folder cannot be written (read-only or no permission)"
        )
    if any(marker in text for marker in _CORRUPT_MARKERS):
        return VaultCorruptError(
            "the vault database is damaged (truncated or corrupted file); "
            "keep every file and restore from a backup"
        )
    return VaultError(f"the vault could not be used ({type(err).__name__})")


def connect(path: Path) -> sqlite3.Connection:
    """Read-write connection with the durability the vault promises."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it is reported; a power cut loses nothing committed.
        conn.execute("PRAGMA synchronous=FULL")
        # Sorts and temp tables stay in memory: no temp files next to the vault.
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        conn.close()
        raise
    return conn


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Read-only connection used before unlock, so a failed unlock writes nothing.

    After a clean close there is no ``-wal`` file and the main file is complete: open it as
    immutable, which creates no ``-shm``/``-wal`` files. If a ``-wal`` is present (a crash,
    or another process has the vault open) committed data may live there, so open it
    read-only the normal way, which may create the shared-memory index but writes no data.
    """
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    uri = f"{path.resolve().as_uri()}?{mode}"
    return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)


def read_header_copy(path: Path) -> object | None:
    """The header copy kept in the database as stored (bytes, unless damage stored another
    type: :func:`storage.header.decode_header` refuses those), or None when it cannot be read."""
    if not path.exists():
        return None
    try:
        conn = connect_readonly(path)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT body FROM header WHERE id = 1").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return row[0] if row else None


@dataclass(frozen=True)
class DatabaseFacts:
    """What the database says about itself, read without the key: whether it has the vault's
    tables at all, its identity, and its newest revision."""

    has_tables: bool
    database_id: str | None
    revisions: int  # 0 or 1: whether it holds any revision at all
    last_seq: int


def read_database_facts(conn: sqlite3.Connection) -> DatabaseFacts:
    """Raises sqlite3.Error when the file is not a readable database."""
    tables = {
        str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if not {"revisions", "meta"} <= tables:
        return DatabaseFacts(False, None, 0, 0)
    row = conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()
    database_id = row[0] if row and isinstance(row[0], str) else None
    # Both read a few pages only (the rowid tree's first and last leaves): a damaged page
    # elsewhere is left to ``verify``, which lists what it affects.
    any_row = conn.execute("SELECT 1 FROM revisions LIMIT 1").fetchone()
    (last,) = conn.execute("SELECT max(seq) FROM revisions").fetchone()
    return DatabaseFacts(True, database_id, 1 if any_row else 0, int(last or 0))


@contextmanager
def immediate_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One user action = one transaction; joins an enclosing one if there is one."""
    if conn.in_transaction:
        yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as err:
        raise translate_error(err) from err
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as err:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(err, sqlite3.Error | OSError):
            raise translate_error(err) from err
        raise
