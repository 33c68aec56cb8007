"""The vault's revision log inside one locked session: the one way to read, append and decode
revisions (issue 15, "A public storage API").

Get one from an unlocked vault, which holds its lock for as long as the session lasts::

    with vault.session() as log, log.transaction():
        head = log.head(record_id)
        log.append(meta, author, data)

:class:`storage.vault.Vault` itself and the storage modules beside it (``outbox``,
``sync_store``, ``definitions_store``) all go through it: there is one SQL statement that appends
a revision (:meth:`RevisionLog.append`), one that decodes a stored row
(:meth:`RevisionLog.decode`), and one place that turns SQLite and OS failures into the
:class:`~storage.errors.VaultError` a user can act on (:func:`guarded`). Nothing here ever
deletes or rewrites a revision's content.

A session is only valid inside its ``with`` block (the vault may be locked after it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from storage.database import DatabaseFacts, read_database_facts, translate_error
from storage.errors import VaultError
from storage.hlc import HlcTimestamp, HybridLogicalClock
from storage.records import RecordCipher, Revision, RevisionMeta

_T = TypeVar("_T")

# The columns :meth:`RevisionLog.decode` reads, in its order.
REVISION_COLUMNS = "record_id, record_type, revision, hlc, device_id, deleted, nonce, ciphertext"
SELECT_REVISION = f"SELECT {REVISION_COLUMNS} FROM revisions "  # noqa: S608 (constant)

Params = tuple[Any, ...]


def guarded(func: Callable[[], _T]) -> _T:
    """Run storage work, turning sqlite/OS failures into user-facing VaultErrors."""
    try:
        return func()
    except VaultError:
        raise
    except (sqlite3.Error, OSError) as err:
        raise translate_error(err) from err


def row_meta(row: tuple[Any, ...] | None) -> RevisionMeta | None:
    """The plaintext columns of a stored revision row (:data:`REVISION_COLUMNS`), or None when
    they are not the types the schema promises (a damaged page can hand back NULLs, numbers for
    text, …)."""
    if row is None or len(row) < 8:
        return None
    record_id, record_type, revision, hlc, device_id, deleted = row[:6]
    if not (
        isinstance(record_id, str)
        and isinstance(record_type, str)
        and isinstance(revision, int)
        and isinstance(hlc, str)
        and isinstance(device_id, str)
        and isinstance(deleted, int)
    ):
        return None
    return RevisionMeta(record_id, record_type, revision, hlc, device_id, bool(deleted))


class RevisionLog:
    """The revisions table, the record cipher and the clock of one unlocked vault, used while
    the vault's lock is held (obtain it with :meth:`storage.vault.Vault.session`)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        cipher: RecordCipher,
        clock: HybridLogicalClock,
        *,
        write_transaction: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self._conn = conn
        self._cipher = cipher
        self._clock = clock
        self._write_transaction = write_transaction

    @property
    def device_id(self) -> str:
        """This vault's device: the one that writes its own revisions."""
        return self._clock.device_id

    # ----- plain SQL on the vault's tables (errors translated) ------------------------------

    def row(self, sql: str, params: Params = ()) -> tuple[Any, ...] | None:
        found: tuple[Any, ...] | None = guarded(lambda: self._conn.execute(sql, params).fetchone())
        return found

    def rows(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return guarded(lambda: self._conn.execute(sql, params).fetchall())

    def batches(self, sql: str, params: Params = (), size: int = 500) -> Iterator[list[Any]]:
        """The result in lists of at most ``size`` rows, read as they are needed."""
        cursor = guarded(lambda: self._conn.execute(sql, params))
        while rows := guarded(lambda: cursor.fetchmany(size)):
            yield rows

    def execute(self, sql: str, params: Params = ()) -> int:
        """A write (inside :meth:`transaction`); returns the number of rows it changed."""
        return guarded(lambda: self._conn.execute(sql, params).rowcount)

    def transaction(self) -> AbstractContextManager[None]:
        """One immediate transaction (joins an enclosing one): everything in it is saved
        together or not at all; at the outermost commit the vault's header learns the newest
        revision (its sequence mark)."""
        return self._write_transaction()

    def database_facts(self) -> DatabaseFacts:
        """Identity and newest revision as the database states them. Raises sqlite3.Error,
        untranslated, when the file cannot be read (``verify`` lists it as such)."""
        return read_database_facts(self._conn)

    # ----- revisions -------------------------------------------------------------------------

    def decode(self, row: tuple[Any, ...] | None) -> Revision | None:
        """A stored row (:data:`REVISION_COLUMNS`) decrypted, or None when anything about it is
        damaged (a value of the wrong type from a damaged page, a ciphertext that does not
        authenticate)."""
        meta = row_meta(row)
        if meta is None or row is None:
            return None
        nonce, ciphertext = row[6], row[7]
        if not isinstance(nonce, bytes) or not isinstance(ciphertext, bytes):
            return None
        try:
            return self._cipher.open(meta, nonce, ciphertext)
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            return None

    def head(self, record_id: str) -> tuple[int, str] | None:
        """The current revision number and record type of a record (None for no record)."""
        row = self.row(
            "SELECT revision, record_type FROM revisions WHERE record_id = ? AND is_head = 1",
            (record_id,),
        )
        return None if row is None else (int(row[0]), str(row[1]))

    def has_revision(self, record_id: str, hlc: str) -> bool:
        return (
            self.row("SELECT 1 FROM revisions WHERE record_id = ? AND hlc = ?", (record_id, hlc))
            is not None
        )

    def append(
        self,
        meta: RevisionMeta,
        author: str,
        data: dict[str, Any],
        *,
        head: bool = True,
        receipt_id: str | None = None,
    ) -> Revision:
        """Encrypt and store one revision (inside :meth:`transaction`). The record's current head
        stops being its head; the new revision becomes it unless ``head`` is False (a pulled
        revision a merged one is written on top of). ``receipt_id`` None: unsent."""
        nonce, sealed = self._cipher.seal(meta, author, data)

        def write() -> None:
            self._conn.execute(
                "UPDATE revisions SET is_head = 0 WHERE record_id = ? AND is_head = 1",
                (meta.record_id,),
            )
            self._conn.execute(
                "INSERT INTO revisions (record_id, record_type, revision, hlc, device_id, "
                "deleted, is_head, nonce, ciphertext, receipt_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    meta.record_id,
                    meta.record_type,
                    meta.revision,
                    meta.hlc,
                    meta.device_id,
                    int(meta.deleted),
                    int(head),
                    nonce,
                    sealed,
                    receipt_id,
                ),
            )

        guarded(write)
        return Revision(meta, author, data)

    # ----- the clock and plaintext counters --------------------------------------------------

    def tick(self) -> str:
        """The clock's next timestamp for a change made here, saved (inside
        :meth:`transaction`) so it never runs backwards after a reopen."""
        stamp = self._clock.tick().encode()
        self.set_meta("hlc", stamp)
        return stamp

    def observe(self, hlc: str) -> str:
        """Move the clock past a timestamp from another device (saved like :meth:`tick`)."""
        stamp = self._clock.observe(HlcTimestamp.decode(hlc)).encode()
        self.set_meta("hlc", stamp)
        return stamp

    def get_meta(self, key: str) -> str | None:
        """A plaintext value of the ``meta`` table (never personal data)."""
        row = self.row("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
