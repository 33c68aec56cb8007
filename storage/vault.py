"""The encrypted vault: one folder, one random 256-bit vault key kept only in wrapped form,
every record and attachment encrypted under keys derived from it.

Thread-safety: a Vault may be used from any thread, one call at a time (an internal lock
serialises calls); the GUI runs all vault work on one worker thread.

Why one file of about 800 lines: :class:`Vault` is the only holder of the vault key, the open
connection, the lock and the clock, and nothing outside this file may touch them
(tests/test_layers.py); what needs none of them lives beside it — ``vault_files`` (the folder
before opening), ``revision_log`` (the SQL of a locked session), ``records``, ``attachments``,
``header``, ``keyslots``.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlite_utils import Database

from storage import attachments
from storage import header as header_io
from storage.atomic_file import create_temporary, fsync_directory, write_atomic
from storage.crypto import DEFAULT_KDF_TARGET_MS, KEY_BYTES, calibrate_kdf, hkdf
from storage.database import (
    DatabaseFacts,
    connect,
    immediate_transaction,
    read_header_copy,
)
from storage.errors import (
    RecordDamagedError,
    RecordNotFoundError,
    VaultCorruptError,
    VaultError,
    VaultExistsError,
    VaultLockedError,
    WrongPasswordError,
    WrongRecoveryCodeError,
)
from storage.gc_pause import gc_paused
from storage.header import VaultHeader
from storage.hlc import HlcTimestamp, HybridLogicalClock
from storage.keyslots import (
    SLOT_PASSWORD,
    SLOT_RECOVERY,
    new_recovery_code,
    normalize_recovery_code,
    recovery_kdf,
    unwrap_vault_key,
    wrap_vault_key,
)
from storage.password_policy import require_acceptable_password
from storage.paths import VaultPaths
from storage.records import (
    ATTACHMENT_TYPE,
    PROFILE_TYPE,
    RECOVERY_CODE_TYPE,
    RecordCipher,
    Revision,
    RevisionMeta,
    validate_record_type,
)
from storage.revision_log import (
    REVISION_COLUMNS,
    SELECT_REVISION,
    RevisionLog,
    guarded,
    row_meta,
)
from storage.schema import migrate
from storage.thread_check import CheckedLock
from storage.vault_files import (
    PRIVATE_FOLDER_MODE,
    check_database_matches,
    database_facts_before_open,
    make_private,
    read_header,
    remove_partial_vault,
)

logger = logging.getLogger("childdesk.storage")

# The file copy of the header follows the sequence mark at most this often during a burst of
# saves (each rewrite is a rename); the database copy follows every commit.
MARK_FILE_INTERVAL_S = 1.0


@dataclass(frozen=True)
class LoadResult:
    """Current revisions of one record type; damaged ones are listed, never hide the rest."""

    revisions: list[Revision]
    damaged_ids: list[str]


@dataclass(frozen=True)
class CreatedVault:
    vault: Vault
    recovery_code: str  # shown once, never stored


@dataclass(frozen=True)
class _Keys:
    records: bytes
    attachments: bytes
    header_mac: bytes

    @classmethod
    def derive(cls, vault_key: bytes) -> _Keys:
        return cls(
            records=hkdf(vault_key, b"childdesk-v1 records"),
            attachments=hkdf(vault_key, b"childdesk-v1 attachments"),
            header_mac=hkdf(vault_key, b"childdesk-v1 header-mac"),
        )


def _unwrap(header: VaultHeader, slot_id: str, secret: str) -> bytes | None:
    """The vault key from the header's ``slot_id`` slot, or None when ``secret`` is wrong."""
    slot = header.slot(slot_id)
    if slot is None:
        what = "password" if slot_id == SLOT_PASSWORD else "recovery-code"
        raise VaultCorruptError(f"the vault header has no {what} slot")
    return unwrap_vault_key(slot, secret.encode(), vault_id=header.vault_id)


class Vault:
    """An unlocked vault: :meth:`create` one, open it with :meth:`unlock` or :meth:`recover`."""

    def __init__(
        self, paths: VaultPaths, header: VaultHeader, vault_key: bytes, conn: sqlite3.Connection
    ) -> None:
        self.paths = paths
        self._header = header
        self._vault_key = bytearray(vault_key)
        self._keys: _Keys | None = _Keys.derive(vault_key)
        self._cipher: RecordCipher | None = RecordCipher(self._keys.records, header.vault_id)
        self._conn: sqlite3.Connection | None = conn
        self._lock = CheckedLock()  # optionally refuses threads other than the vault's own
        self.repairs: list[str] = []  # what opening fixed (e.g. a stale header copy)
        # header copies that were damaged (not merely stale) when opened: (copy, what)
        self.damaged_at_open: list[tuple[str, str]] = []
        self._mark_pending: bytes | None = None  # a header the file copy has not caught up to
        self._mark_written_at = float("-inf")
        last = conn.execute("SELECT value FROM meta WHERE key = 'hlc'").fetchone()
        self._clock = HybridLogicalClock(
            header.device_id, HlcTimestamp.decode(last[0]) if last else None
        )

    # ----- opening and closing -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        data_dir: Path,
        password: str,
        *,
        director_name: str = "",
        village_code: str = "",
        kdf_target_ms: float = DEFAULT_KDF_TARGET_MS,
    ) -> CreatedVault:
        paths = VaultPaths(Path(data_dir))
        if paths.exists():
            raise VaultExistsError(f"a vault already exists in {paths.root}")
        require_acceptable_password(password, director_name=director_name)

        def make_folder() -> None:
            paths.root.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER_MODE)
            paths.attachments.mkdir(exist_ok=True, mode=PRIVATE_FOLDER_MODE)
            make_private(paths)

        guarded(make_folder)
        vault_key = secrets.token_bytes(KEY_BYTES)
        vault_id = secrets.token_hex(16)
        recovery_code = new_recovery_code()
        password_slot = wrap_vault_key(
            vault_key,
            password.encode(),
            vault_id=vault_id,
            slot_id=SLOT_PASSWORD,
            slot_type=SLOT_PASSWORD,
            kdf=calibrate_kdf(kdf_target_ms),
        )
        recovery_slot = wrap_vault_key(
            vault_key,
            (normalize_recovery_code(recovery_code) or "").encode(),
            vault_id=vault_id,
            slot_id=SLOT_RECOVERY,
            slot_type=SLOT_RECOVERY,
            kdf=recovery_kdf(),
        )
        header = VaultHeader(
            vault_id=vault_id,
            device_id=secrets.token_hex(8),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            generation=1,
            slots=(password_slot, recovery_slot),
            database_id=secrets.token_hex(16),
        )

        def build() -> Vault:
            # SQLite creates -wal and -shm with the database file's permissions.
            os.close(os.open(paths.database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            conn = connect(paths.database)
            try:
                migrate(Database(conn))
            except BaseException:
                conn.close()
                raise
            vault = cls(paths, header, vault_key, conn)
            vault._store_database_id(header.database_id)
            vault._store_header(header)
            # Kept encrypted so 设置 can show it again after the password is re-entered.
            vault.put(RECOVERY_CODE_TYPE, {"code": recovery_code}, author=director_name)
            vault.put(
                PROFILE_TYPE,
                {"name": director_name, "village_code": village_code},
                author=director_name,
            )
            return vault

        try:
            vault = guarded(build)
        except BaseException:
            remove_partial_vault(paths)
            raise
        logger.info("created vault %s", vault_id)
        return CreatedVault(vault, recovery_code)

    @classmethod
    def unlock(cls, data_dir: Path, password: str) -> Vault:
        """Open with the password. Writes nothing unless the password is right."""
        paths = VaultPaths(Path(data_dir))
        header = read_header(paths)
        vault_key = _unwrap(header, SLOT_PASSWORD, password)
        if vault_key is None:
            raise WrongPasswordError("wrong password")
        return cls._open(paths, header, vault_key)

    @classmethod
    def recover(cls, data_dir: Path, recovery_code: str, new_password: str) -> Vault:
        """Open with the recovery code and set a new password."""
        paths = VaultPaths(Path(data_dir))
        header = read_header(paths)
        digits = normalize_recovery_code(recovery_code)
        if digits is None:
            raise WrongRecoveryCodeError(
                "a recovery code is 32 digits (8 groups of 4)",
                "恢复码应为 32 位数字（8 组，每组 4 位），请核对后重新输入。",
            )
        vault_key = _unwrap(header, SLOT_RECOVERY, digits)
        if vault_key is None:
            raise WrongRecoveryCodeError("wrong recovery code")
        return cls._open(paths, header, vault_key, new_password=new_password)

    @classmethod
    def open_with_key(
        cls, data_dir: Path, vault_key: bytes, *, new_password: str | None = None
    ) -> Vault:
        """Open with the raw vault key (:meth:`export_key`): a district recovery grant, which
        also sets ``new_password``, or a copy of a vault whose key the caller kept. No key
        derivation; a wrong key fails the header's authentication and nothing is written."""
        paths = VaultPaths(Path(data_dir))
        return cls._open(paths, read_header(paths), vault_key, new_password=new_password)

    @classmethod
    def _open(
        cls,
        paths: VaultPaths,
        header: VaultHeader,
        vault_key: bytes,
        *,
        new_password: str | None = None,
    ) -> Vault:
        """What every way of opening shares once it holds the key (and, for a recovery, the
        new password to set)."""
        vault = cls._open_database(paths, header, vault_key)
        if new_password is not None:
            try:
                vault._set_password(new_password)
            except BaseException:
                vault.lock()
                raise
        return vault

    @classmethod
    def _open_database(cls, paths: VaultPaths, header: VaultHeader, vault_key: bytes) -> Vault:
        keys = _Keys.derive(vault_key)
        if not header_io.mac_is_valid(header, keys.header_mac):
            raise VaultCorruptError("the vault header was altered (authentication failed)")
        facts = database_facts_before_open(paths)
        if facts is not None:
            check_database_matches(header, facts)  # before anything is written

        def open_db() -> Vault:
            conn = connect(paths.database)
            try:
                applied = migrate(Database(conn))
            except BaseException:
                conn.close()
                raise
            if applied:
                logger.info("applied schema migrations: %s", ", ".join(applied))
            vault = cls(paths, header, vault_key, conn)
            try:
                vault._reconcile_header_copies()
                if not header.knows_database:
                    vault._upgrade_header(facts.database_id if facts else None)
            except BaseException:
                vault.lock()
                raise
            make_private(paths)
            return vault

        return guarded(open_db)

    def lock(self) -> None:
        """Close the database and drop the keys (best effort: Python cannot wipe all copies)."""
        with self._lock:
            if self._conn is not None:
                self.flush_header_mark()
                self._conn.close()
            self._conn = None
            self._cipher = None
            self._keys = None
            for i in range(len(self._vault_key)):
                self._vault_key[i] = 0

    @property
    def is_locked(self) -> bool:
        return self._conn is None

    @property
    def header(self) -> VaultHeader:
        return self._header

    @property
    def device_id(self) -> str:
        return self._header.device_id

    @property
    def clock(self) -> HybridLogicalClock:
        """The clock that dates this vault's revisions (tests replace its time source)."""
        return self._clock

    def export_key(self) -> bytes:
        """The raw vault key: escrowed to the district at enrollment (it leaves the laptop only
        age-encrypted, sync/recovery.py), or kept to reopen a copy with :meth:`open_with_key`."""
        with self._lock:
            self._live()
            return bytes(self._vault_key)

    @contextmanager
    def session(self) -> Iterator[RevisionLog]:
        """The revision log, with this vault's lock held until the block ends."""
        with self._lock:
            yield self._revision_log()

    @contextmanager
    def try_session(self) -> Iterator[RevisionLog | None]:
        """Like :meth:`session`, but None at once instead of waiting while another thread is
        using the vault (for a caller on the GUI thread, which must never block on it)."""
        if not self._lock.acquire(blocking=False):
            yield None
            return
        try:
            yield self._revision_log()
        finally:
            self._lock.release()

    def _revision_log(self) -> RevisionLog:
        conn, cipher, _keys = self._live()
        return RevisionLog(
            conn, cipher, self._clock, write_transaction=lambda: self._write_transaction(conn)
        )

    @contextmanager
    def _write_transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        """One immediate transaction (joining an enclosing one); the outermost one stages the
        sequence mark in the database copy of the header and publishes it after the commit."""
        outermost = not conn.in_transaction
        staged = None
        with immediate_transaction(conn):
            yield
            if outermost:
                staged = self._stage_mark(conn)
        self._publish_mark(staged)

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.lock()

    # ----- header and password -------------------------------------------------------------

    def _live(self) -> tuple[sqlite3.Connection, RecordCipher, _Keys]:
        if self._conn is None or self._cipher is None or self._keys is None:
            raise VaultLockedError("the vault is locked")
        return self._conn, self._cipher, self._keys

    def _store_header(self, header: VaultHeader) -> None:
        """Database copy first (transactional), then the file (atomic replace)."""
        conn, _cipher, keys = self._live()
        header = replace(header, mac=header_io.compute_mac(header, keys.header_mac))
        raw = header_io.encode_header(header, keys.header_mac)

        def write() -> None:
            with immediate_transaction(conn):
                conn.execute(
                    "INSERT INTO header (id, generation, body) VALUES (1, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, "
                    "body = excluded.body",
                    (header.generation, raw),
                )
            write_atomic(self.paths.header, raw)

        guarded(write)
        self._header = header
        self._mark_pending = None

    def _store_database_id(self, database_id: str) -> None:
        conn, _cipher, _keys = self._live()

        def write() -> None:
            with immediate_transaction(conn):
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('database_id', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (database_id,),
                )

        guarded(write)

    def _upgrade_header(self, database_id: str | None) -> None:
        """A version 1 header (no database identity): give the database one (or take the one
        it has) and write a current header naming it and the newest revision."""
        conn, _cipher, _keys = self._live()
        database_id = database_id or secrets.token_hex(16)
        self._store_database_id(database_id)
        last = guarded(lambda: conn.execute("SELECT MAX(seq) FROM revisions").fetchone())
        upgraded = replace(
            self._header,
            version=header_io.FORMAT_VERSION,
            database_id=database_id,
            last_seq=int(last[0] or 0),
            generation=self._header.generation + 1,
            mac=b"",
        )
        self._store_header(upgraded)
        logger.info("vault header upgraded to format %d", header_io.FORMAT_VERSION)

    # The sequence mark: after each commit the header copies learn the newest revision, so a
    # database emptied, replaced or rolled back later is recognised at unlock. The database copy
    # is updated inside the commit's transaction (durable with it: one small row). The file copy
    # follows right after, replaced atomically but without fsync (a rename, against two fsyncs
    # for a durable write), and during a burst of saves at most once per MARK_FILE_INTERVAL_S;
    # lock() brings it up to date durably. After a crash it may lag behind, which only makes the
    # check looser (the database copy is the newer one and wins); a torn file copy is rewritten
    # from the database copy at the next unlock.

    def _stage_mark(self, conn: sqlite3.Connection) -> tuple[VaultHeader, bytes] | None:
        """Inside the outermost transaction: the header with the newest sequence number, written
        to the database copy (None when the mark is already there)."""
        keys = self._keys
        if keys is None or not self._header.knows_database:
            return None
        last = int(conn.execute("SELECT MAX(seq) FROM revisions").fetchone()[0] or 0)
        current = self._header
        row = conn.execute("SELECT generation, body FROM header WHERE id = 1").fetchone()
        if row is not None and row[0] != current.generation:
            # another process changed the header (a new password): build on its copy
            with suppress(VaultError):
                theirs = header_io.decode_header(row[1])
                if theirs.vault_id == current.vault_id and header_io.mac_is_valid(
                    theirs, keys.header_mac
                ):
                    current = max(current, theirs, key=VaultHeader.order)
        if last <= current.last_seq and current is self._header:
            return None
        marked = replace(current, last_seq=max(last, current.last_seq), mac=b"")
        marked = replace(marked, mac=header_io.compute_mac(marked, keys.header_mac))
        raw = header_io.encode_header(marked, keys.header_mac)
        conn.execute(
            "UPDATE header SET generation = ?, body = ? WHERE id = 1", (marked.generation, raw)
        )
        return marked, raw

    def _publish_mark(self, staged: tuple[VaultHeader, bytes] | None) -> None:
        """After the commit: the new mark is the header; the file copy follows, best effort
        (the change is saved whatever happens here)."""
        if staged is None:
            return
        self._header, self._mark_pending = staged
        if time.monotonic() - self._mark_written_at >= MARK_FILE_INTERVAL_S:
            self._write_mark_file(durable=False)

    def _write_mark_file(self, *, durable: bool) -> None:
        raw = self._mark_pending
        if raw is None:
            return
        try:
            write_atomic(self.paths.header, raw, durable=durable)
        except OSError as err:
            logger.warning("vault.header not brought up to date (%s)", type(err).__name__)
            return
        self._mark_pending = None
        self._mark_written_at = time.monotonic()

    def flush_header_mark(self) -> None:
        """Bring the file copy of the header up to the newest mark now (durably)."""
        with self._lock:
            self._write_mark_file(durable=True)

    def _reconcile_header_copies(self) -> None:
        """After a crash between the two header writes, bring the stale copy up to date; a
        copy that was damaged (not merely older) is rewritten too and noted for ``verify``."""
        _conn, _cipher, keys = self._live()
        expected = header_io.encode_header(self._header, keys.header_mac)
        try:
            on_file: bytes | None = self.paths.header.read_bytes()
        except FileNotFoundError:
            on_file = None
        stale = []
        for name, copy in (
            ("vault.header", on_file),
            ("vault.db header copy", read_header_copy(self.paths.database)),
        ):
            if copy == expected:
                continue
            stale.append(name)
            if copy is None:
                self.damaged_at_open.append((name, "missing"))
                continue
            try:
                header_io.decode_header(copy)
            except VaultError as err:
                self.damaged_at_open.append((name, str(err)))
        if stale:
            logger.warning("repairing stale or damaged vault header copies: %s", ", ".join(stale))
            self._store_header(self._header)
            self.repairs.extend(f"rewrote {name}" for name in stale)

    def profile(self) -> dict[str, Any]:
        """The director's name and village code, stored encrypted like any record."""
        profiles = self.load(PROFILE_TYPE).revisions
        return profiles[0].data if profiles else {}

    def _set_password(self, new_password: str) -> None:
        profile = self.profile()
        require_acceptable_password(
            new_password,
            director_name=str(profile.get("name", "")),
            id_number=str(profile.get("id_number", "")),
        )
        current = self._header.slot(SLOT_PASSWORD)
        kdf = current.kdf.with_new_salt() if current else calibrate_kdf()
        slot = wrap_vault_key(
            bytes(self._vault_key),
            new_password.encode(),
            vault_id=self._header.vault_id,
            slot_id=SLOT_PASSWORD,
            slot_type=SLOT_PASSWORD,
            kdf=kdf,
        )
        self._store_header(self._header.with_slot(slot))

    def _is_password(self, password: str) -> bool:
        slot = self._header.slot(SLOT_PASSWORD)
        return (
            slot is not None
            and unwrap_vault_key(slot, password.encode(), vault_id=self._header.vault_id)
            is not None
        )

    def recovery_code(self, password: str) -> str:
        """The recovery code, for a director who re-entered the password (设置)."""
        with self._lock:
            self._live()
            if not self._is_password(password):
                raise WrongPasswordError("wrong password")
            stored = self.load(RECOVERY_CODE_TYPE).revisions
            if not stored:
                raise RecordNotFoundError("this vault keeps no copy of its recovery code")
            return str(stored[0].data["code"])

    def change_password(self, old_password: str, new_password: str) -> None:
        """Re-wrap the vault key under a new password; no record is re-encrypted."""
        with self._lock:
            self._live()
            if not self._is_password(old_password):
                raise WrongPasswordError("the current password is wrong")
            self._set_password(new_password)

    # ----- records -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes into one transaction (one user action)."""
        with self.session() as log, log.transaction():
            yield

    def put(
        self,
        record_type: str,
        data: dict[str, Any],
        *,
        author: str,
        record_id: str | None = None,
        deleted: bool = False,
    ) -> Revision:
        """Write a new revision of a record (a new record when ``record_id`` is None)."""
        validate_record_type(record_type)
        with self.session() as log, log.transaction():
            rid = record_id or secrets.token_hex(16)
            head = log.head(rid)
            if head is None and record_id is not None:
                raise RecordNotFoundError(f"record {rid} does not exist")
            if head is not None and head[1] != record_type:
                raise ValueError(f"record {rid} is a {head[1]}, not a {record_type}")
            number = (head[0] + 1) if head else 1
            meta = RevisionMeta(rid, record_type, number, log.tick(), self.device_id, deleted)
            return log.append(meta, author, data)

    def delete(self, record_id: str, *, author: str) -> Revision:
        """A tombstone revision; earlier revisions stay in the history."""
        current = self.get(record_id, include_deleted=True)
        return self.put(current.record_type, {}, author=author, record_id=record_id, deleted=True)

    def get(self, record_id: str, *, include_deleted: bool = False) -> Revision:
        with self.session() as log:
            row = log.row(SELECT_REVISION + "WHERE record_id = ? AND is_head = 1", (record_id,))
            if row is None or (row[5] and not include_deleted):
                raise RecordNotFoundError(f"record {record_id} does not exist")
            revision = log.decode(row)
            if revision is None:
                raise RecordDamagedError(f"record {record_id} is damaged")
            return revision

    def load(self, record_type: str, *, include_deleted: bool = False) -> LoadResult:
        """Every current (not deleted, unless asked) record of a type, decrypted."""
        alive = "" if include_deleted else " AND deleted = 0"
        with self.session() as log:
            rows = log.rows(
                SELECT_REVISION + "WHERE record_type = ? AND is_head = 1" + alive, (record_type,)
            )
            revisions: list[Revision] = []
            damaged: list[str] = []
            with gc_paused():
                for row in rows:
                    revision = log.decode(row)
                    if revision is None:
                        damaged.append(row[0])
                    else:
                        revisions.append(revision)
            if damaged:
                logger.warning("%d damaged %s records", len(damaged), record_type)
            return LoadResult(revisions, damaged)

    def iter_current(self, record_type: str, batch: int = 500) -> Iterator[Revision]:
        """Like :meth:`load` but streamed in batches, so memory stays bounded for 100,000+
        records (damaged ones are skipped here; ``verify`` and ``load`` report them)."""
        with self.session() as log:
            for rows in log.batches(
                SELECT_REVISION + "WHERE record_type = ? AND is_head = 1 AND deleted = 0",
                (record_type,),
                batch,
            ):
                with gc_paused():
                    decoded = [log.decode(row) for row in rows]
                yield from (r for r in decoded if r is not None)

    def history(self, record_id: str) -> list[Revision]:
        """Every revision of a record, oldest first; damaged revisions raise."""
        with self.session() as log:
            rows = log.rows(SELECT_REVISION + "WHERE record_id = ? ORDER BY revision", (record_id,))
            if not rows:
                raise RecordNotFoundError(f"record {record_id} does not exist")
            result = []
            for row in rows:
                revision = log.decode(row)
                if revision is None:
                    raise RecordDamagedError(f"record {record_id} revision {row[2]} is damaged")
                result.append(revision)
            return result

    def iter_all_revisions(
        self,
    ) -> Iterator[tuple[int, RevisionMeta | None, Revision | None]]:
        """Every stored revision as (local sequence, plaintext columns, decryption), for
        verification: the columns are None when the row cannot be read or holds values of the
        wrong type, the decryption None when it does not authenticate. A row that fails to
        read does not stop the others."""
        with self.session() as log:
            seqs = [r[0] for r in log.rows("SELECT seq FROM revisions")]
            for seq in seqs:
                try:
                    row = log.row(SELECT_REVISION + "WHERE seq = ?", (seq,))
                except VaultError:
                    row = None
                yield seq, row_meta(row), log.decode(row)

    def last_seq(self) -> int:
        """The local sequence number of the newest revision (0 for none)."""
        with self.session() as log:
            row = log.row("SELECT MAX(seq) FROM revisions")
            return int(row[0] or 0) if row else 0

    def revisions_after(self, seq: int) -> list[tuple[int, Revision]]:
        """Revisions written after local sequence ``seq``, oldest first (damaged ones skipped:
        ``verify`` reports them). Used to bring derived indexes up to date."""
        with self.session() as log:
            rows = log.rows(
                f"SELECT seq, {REVISION_COLUMNS} FROM revisions WHERE seq > ? ORDER BY seq",  # noqa: S608
                (seq,),
            )
            found = []
            with gc_paused():
                for row in rows:
                    revision = log.decode(row[1:])
                    if revision is not None:
                        found.append((int(row[0]), revision))
            return found

    def subkey(self, purpose: str) -> bytes:
        """A key derived from the vault key for a local purpose (e.g. an encrypted cache)."""
        with self._lock:
            self._live()
            return hkdf(bytes(self._vault_key), b"childdesk-v1 local " + purpose.encode())

    # ----- attachments ---------------------------------------------------------------------

    def add_attachment(
        self, source: BinaryIO, *, owner_id: str, filename: str, mime: str, author: str
    ) -> Revision:
        """Encrypt a stream into a new blob (temp → fsync → rename), then record it."""
        with self._lock:
            blob_id = secrets.token_hex(16)
            info = self.write_blob(blob_id, source)
            try:
                return self.put(
                    ATTACHMENT_TYPE,
                    {
                        "owner_id": owner_id,
                        "filename": filename,
                        "mime": mime,
                        "size": info.size,
                        "sha256": info.sha256,
                        "blob_id": blob_id,
                    },
                    author=author,
                )
            except BaseException:
                with suppress(FileNotFoundError):
                    self.paths.attachment_blob(blob_id).unlink()
                raise

    def write_blob(self, blob_id: str, source: BinaryIO) -> attachments.BlobInfo:
        """Encrypt a stream into blob file ``blob_id`` (temp → fsync → rename); the attachment
        record naming it is written separately. Used for new attachments and for attachments
        pulled from the district (which keep the blob id their record names)."""
        with self._lock:
            _conn, _cipher, keys = self._live()
            target = self.paths.attachment_blob(blob_id)

            def write() -> attachments.BlobInfo:
                target.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER_MODE)
                fd, tmp = create_temporary(target)  # random name, exclusive, 0600
                try:
                    with os.fdopen(fd, "wb") as dst:
                        info = attachments.encrypt_stream(source, dst, keys.attachments, blob_id)
                        dst.flush()
                        os.fsync(dst.fileno())
                    tmp.replace(target)
                except BaseException:
                    with suppress(FileNotFoundError):
                        tmp.unlink()
                    raise
                fsync_directory(target.parent)
                return info

            return guarded(write)

    def check_blob(self, blob_id: str, expected: attachments.BlobInfo) -> None:
        """Decrypt and hash blob ``blob_id``; raises AttachmentDamagedError when it is missing,
        damaged or not the expected content."""
        with self._lock:
            _conn, _cipher, keys = self._live()
            try:
                with self.paths.attachment_blob(blob_id).open("rb") as src:
                    for _chunk in attachments.checked_stream(
                        src, keys.attachments, blob_id, expected
                    ):
                        pass
            except FileNotFoundError:
                raise attachments.missing_blob(blob_id) from None

    def read_attachment(self, attachment_id: str) -> Iterator[bytes]:
        """Plaintext chunks of an attachment; raises AttachmentDamagedError at the first bad
        chunk or, after the last chunk, if the content hash does not match."""
        record = self.get(attachment_id)
        _conn, _cipher, keys = self._live()
        blob_id = str(record.data["blob_id"])
        expected = attachments.BlobInfo(int(record.data["size"]), str(record.data["sha256"]))
        try:
            with self.paths.attachment_blob(blob_id).open("rb") as src:
                yield from attachments.checked_stream(src, keys.attachments, blob_id, expected)
        except FileNotFoundError:
            raise attachments.missing_blob(blob_id) from None

    def verify_attachment(self, record: Revision) -> None:
        expected = attachments.BlobInfo(int(record.data["size"]), str(record.data["sha256"]))
        self.check_blob(str(record.data["blob_id"]), expected)

    def database_integrity(self) -> list[str]:
        """Problems SQLite itself finds in the file (empty when healthy)."""
        with self.session() as log:
            return [str(r[0]) for r in log.rows("PRAGMA integrity_check") if r[0] != "ok"]

    def database_facts(self) -> DatabaseFacts:
        """What the open database states about itself (:meth:`RevisionLog.database_facts`)."""
        with self.session() as log:
            return log.database_facts()
