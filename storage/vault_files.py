"""The vault's folder on disk before and around opening: the newest intact header copy, what
the database states about itself (read-only, before anything is written) and whether it is the
database the header describes, private permissions, and removing a half-made vault.

Plain functions on :class:`storage.paths.VaultPaths`; no key is needed for any of them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from contextlib import suppress

from storage import header as header_io
from storage.atomic_file import PRIVATE_FILE_MODE
from storage.database import (
    DatabaseFacts,
    connect_readonly,
    read_database_facts,
    read_header_copy,
    translate_error,
)
from storage.errors import VaultCorruptError, VaultNotFoundError
from storage.header import DatabaseMismatchError, VaultHeader
from storage.paths import VaultPaths

log = logging.getLogger("childdesk.storage")

PRIVATE_FOLDER_MODE = 0o700


def read_header(paths: VaultPaths) -> VaultHeader:
    if not paths.exists():
        raise VaultNotFoundError(f"no vault in {paths.root}")
    if not paths.database.exists():
        raise VaultCorruptError("the vault database file is missing; restore it from a backup")
    try:
        file_copy: bytes | None = paths.header.read_bytes()
    except FileNotFoundError:
        file_copy = None
    except OSError as err:
        raise translate_error(err) from err
    return header_io.newest_intact([file_copy, read_header_copy(paths.database)])


def database_facts_before_open(paths: VaultPaths) -> DatabaseFacts | None:
    """Read before anything is written (a read-only connection). None when SQLite cannot read
    them (a damaged page, not a database at all): opening then goes on as it always did, so
    the damage is reported by opening itself, or listed by ``verify`` with what it affects,
    rather than one bad page making the whole vault unopenable."""
    try:
        conn = connect_readonly(paths.database)
        try:
            return read_database_facts(conn)
        finally:
            conn.close()
    except sqlite3.Error as err:
        log.info("the vault database could not be checked before opening (%s)", err)
        return None


def check_database_matches(header: VaultHeader, facts: DatabaseFacts) -> None:
    """Raise :class:`DatabaseMismatchError` when ``vault.db`` is not the database ``header``
    describes: emptied, replaced, or older than the last change the header saw. Every vault
    holds at least its profile and recovery-code records, so even a version 1 header (which
    names no database) recognises an empty one."""
    saved = header.last_seq
    if not facts.has_tables or facts.revisions == 0:
        changes = (
            f"the changes saved in it (up to number {saved}) are"
            if saved
            else "every saved change is"
        )
        raise DatabaseMismatchError(
            f"vault.db is empty: {changes} missing (the file was emptied or replaced); "
            "nothing was opened or changed — keep every file and restore from a backup",
            "数据文件（vault.db）是空的，保存过的资料都不在里面了（文件被清空或被换掉）。"
            "程序没有打开它，也没有改动任何文件。请不要删除任何文件，联系区里的技术人员从备份恢复。",
        )
    if not header.knows_database:
        return  # a version 1 header: upgraded after unlock
    if facts.database_id != header.database_id:
        raise DatabaseMismatchError(
            "vault.db is not this vault's database (it was replaced by another file); "
            "nothing was opened or changed — keep every file and restore from a backup",
            "数据文件（vault.db）不是这个保险库的（被换成了别的文件）。"
            "程序没有打开它，也没有改动任何文件。请不要删除任何文件，联系区里的技术人员从备份恢复。",
        )
    if facts.last_seq < saved:
        raise DatabaseMismatchError(
            f"vault.db is an older copy: changes were saved up to number {saved}, the file "
            f"ends at {facts.last_seq} ({saved - facts.last_seq} missing); nothing was opened "
            "or changed — keep every file and restore from a backup",
            f"数据文件（vault.db）是旧的副本：比最后一次保存时少了 "
            f"{saved - facts.last_seq} 条修改。"
            "程序没有打开它，也没有改动任何文件。请不要删除任何文件，联系区里的技术人员从备份恢复。",
        )


def make_private(paths: VaultPaths) -> None:
    """Folder 0700, files 0600 (vaults made before this was done are tightened on unlock).
    Best effort: a folder on a stick without permissions keeps whatever it has."""
    wanted = [(paths.root, PRIVATE_FOLDER_MODE), (paths.attachments, PRIVATE_FOLDER_MODE)]
    wanted += [
        (path, PRIVATE_FILE_MODE)
        for path in (
            paths.header,
            paths.database,
            paths.database.with_name(paths.database.name + "-wal"),
            paths.database.with_name(paths.database.name + "-shm"),
        )
    ]
    for path, mode in wanted:
        with suppress(OSError):
            info = os.lstat(path)
            if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) != mode:
                path.chmod(mode)


def remove_partial_vault(paths: VaultPaths) -> None:
    """A creation that failed (full disk, say) must not leave a half-made vault behind that
    would block the next attempt; it held no user data yet."""
    for leftover in (
        paths.header,
        paths.database,
        paths.database.with_name(paths.database.name + "-wal"),
        paths.database.with_name(paths.database.name + "-shm"),
    ):
        with suppress(OSError):
            leftover.unlink()
    with suppress(OSError):
        paths.attachments.rmdir()
