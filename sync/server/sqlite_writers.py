"""SQLite as the district database with several writers (threads, and server processes).

- Writers queue on a file lock next to the database (``file_lock``): SQLite itself makes a
  blocked writer poll, sleeping up to 100 ms between tries, while a blocking ``flock`` wakes the
  next writer as soon as the lock is free.
- The WAL is copied into the database file by a background thread (``after_commit`` wakes it)
  instead of inside whichever commit crosses SQLite's automatic checkpoint threshold: that
  commit would otherwise hold the write lock while it copies and syncs megabytes.

Neither changes what is durable: a commit is durable once its WAL frames are synced
(synchronous=FULL), checkpoint or not.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

try:
    import fcntl
except ImportError:  # Windows: one server process; SQLite's own locking is enough
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("childdesk.district.sqlite")

CHECKPOINT_BYTES = 8 * 1024 * 1024  # copy the WAL back once it is this large
CHECKPOINT_IDLE_S = 5.0  # and look at least this often


def _database(engine: Engine) -> str | None:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    return database if database and database != ":memory:" else None


@contextmanager
def file_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's writer lock (a blocking ``flock``) for one write transaction.

    Each transaction opens the lock file itself: every open file is its own lock, so threads
    of one process exclude each other as processes do, and a descriptor inherited through fork
    can never be shared. Closing the file releases the lock.
    """
    database = _database(engine)
    if fcntl is None or database is None:
        yield
        return
    fd = os.open(database + "-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Checkpointer:
    """One per database and process (a thread does not survive fork): a daemon thread that
    runs ``PRAGMA wal_checkpoint(PASSIVE)`` when the WAL has grown. PASSIVE never blocks
    writers or readers; what it cannot copy yet is copied next time."""

    def __init__(self, engine: Engine, database: str) -> None:
        self.engine = weakref.ref(engine)  # the thread ends when the engine is gone
        self.wal = Path(database + "-wal")
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            self.wake.wait(CHECKPOINT_IDLE_S)
            self.wake.clear()
            if self.engine() is None:
                return
            try:
                if self.wal.stat().st_size < CHECKPOINT_BYTES:
                    continue
            except FileNotFoundError:
                continue
            self.checkpoint()

    def checkpoint(self) -> None:
        engine = self.engine()
        if engine is None:
            return
        try:
            raw = engine.raw_connection()  # autocommit: no BEGIN around the pragma
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                raw.close()
        except Exception as err:  # noqa: BLE001 - a failed checkpoint is retried later
            log.warning("WAL checkpoint failed: %s", type(err).__name__)


_CHECKPOINTERS: dict[tuple[int, int], Checkpointer] = {}
_GUARD = threading.Lock()


def after_commit(engine: Engine) -> None:
    """Wake this process's checkpointer for the engine's database (started on first use)."""
    database = _database(engine)
    if database is None:
        return
    key = (os.getpid(), id(engine))
    with _GUARD:
        checkpointer = _CHECKPOINTERS.get(key)
        if checkpointer is None or checkpointer.engine() is not engine:
            checkpointer = _CHECKPOINTERS[key] = Checkpointer(engine, database)
    checkpointer.wake.set()
