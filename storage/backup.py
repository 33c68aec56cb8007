"""Backup of a vault to one file (e.g. on a USB stick) and restore from it.

For a laptop not enrolled with the district the laptop holds the only copy, so the director
copies the vault to a stick. The vault is already encrypted at rest (docs/vault-format.md), so a
backup is a consistent copy of its *ciphertext* files in one zip file (``*.cdbackup``)::

    manifest.json     format, version, vault id, when, and each file's size and SHA-256
    vault.db          a consistent snapshot (SQLite online backup API), no -wal/-shm
    vault.header      the header file (key slots: the backup opens with the password it had)
    attachments/…     encrypted attachment blobs, as they are
    district-escrow.json, sync-outgoing/…   when present (encrypted to the district)

The manifest holds only ids, counts, sizes and checksums — no personal data.

Writing: the snapshot is taken while the vault's write lock is held (``vault.transaction()``),
on the thread that owns the vault (the GUI's vault worker); the file is written under a
temporary name in the target folder, fsynced, renamed, the folder fsynced, then read back and
every checksum compared. A stick pulled or full mid-write leaves at most the temporary file and
raises :class:`BackupWriteError` / :class:`BackupDiskFullError`; the vault is only read.

Restoring: the file is checked first (:func:`read_backup`); a vault already in the data folder
is replaced only with ``replace=True`` (the caller asked the user, shown
:class:`RestoreConflictError`'s comparison); the backup is unpacked into a staging folder beside
the data folder and opened there with the backup's password before anything is moved; the
current vault is then renamed aside (``<folder>.before-restore-<time>``), the restored one moved
into place and opened. If that fails, the current vault is put back.

Why one long file: writing (:func:`write_backup`), checking (:func:`read_backup`) and restoring
(:func:`restore_backup`) share one archive format — the manifest, the member names, the
checksums — and one family of errors; keeping them together defines the format in one place,
and each half would otherwise import most of the other.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import sqlite3
import zipfile
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from storage import header as header_io
from storage.atomic_file import fsync_directory
from storage.database import connect_readonly
from storage.errors import (
    DiskFullError,
    ReadOnlyLocationError,
    VaultError,
    VaultTooNewError,
    WrongPasswordError,
)
from storage.paths import VaultPaths
from storage.vault import Vault

BACKUP_SUFFIX = ".cdbackup"
FORMAT_NAME = "childdesk-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "vault.db"
HEADER = "vault.header"
EXTRA_FILES = ("district-escrow.json",)
EXTRA_FOLDERS = ("attachments", "sync-outgoing")
_CHUNK = 1 << 20
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


class BackupError(VaultError):
    message_zh = "备份或恢复没有成功。"


class BackupNotFoundError(BackupError):
    message_zh = "找不到这个备份文件，请检查U盘是否插好、文件是否还在。"


class BackupDamagedError(BackupError):
    message_zh = (
        "这个备份文件不完整或已损坏（可能写入时U盘被拔出），不能用来恢复。"
        "电脑上的资料没有任何改动。请换一个备份文件。"
    )


class BackupTooNewError(BackupError):
    message_zh = "这个备份是由更新版本的儿童主任工作台做的，请先升级本程序再恢复。"


class BackupWriteError(BackupError):
    message_zh = (
        "备份没有写好（可能U盘被拔出或已损坏）。电脑上的资料没有任何改动。请重新插好U盘再备份一次。"
    )


class BackupDiskFullError(BackupError):
    message_zh = "U盘空间不够，备份没有写好。请删掉U盘上不要的文件，或换一个U盘再备份。"


class BackupReadOnlyError(BackupError):
    message_zh = "这个U盘或文件夹不能写入（可能有写保护开关）。请换一个位置再备份。"


class RestoreConflictError(BackupError):
    """The data folder already holds a vault; restoring needs the user's clear confirmation."""

    message_zh = "这台电脑上已经有资料了，恢复会把它换成备份里的资料。"

    def __init__(self, current: VaultSummary, backup: BackupInfo) -> None:
        self.current = current
        self.backup = backup
        if current.vault_id != backup.vault_id:
            english = "the data folder holds a different vault than the backup"
            chinese = (
                "这台电脑上的资料和备份不是同一份（可能是另一位儿童主任的，或重新设置过）。"
                "恢复后，电脑上现在的资料会改名放在旁边，不会删除。"
            )
        elif current.newer_than(backup):
            english = "the vault in the data folder has changes newer than the backup"
            chinese = (
                f"这台电脑上的资料比备份新：备份有 {backup.revisions} 条修改，"
                f"电脑上有 {current.revisions} 条。恢复后备份之后的修改就看不到了"
                "（电脑上现在的资料会改名放在旁边，不会删除）。"
            )
        else:
            english = "the data folder already holds this vault"
            chinese = "这台电脑上已经有这份资料。恢复后，电脑上现在的资料会改名放在旁边，不会删除。"
        super().__init__(f"{english}; restore with replace=True (--replace) to go on", chinese)


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds (read from its checked manifest): ids and counts only."""

    path: Path
    vault_id: str
    created: str  # UTC, ISO 8601
    header_generation: int
    revisions: int
    last_hlc: str
    attachments: int
    files: dict[str, tuple[int, str]]  # name → (size, sha256)

    @property
    def size(self) -> int:
        return sum(size for size, _sha in self.files.values())


@dataclass(frozen=True)
class VaultSummary:
    """The vault now in a data folder, read without its key: id and counts."""

    vault_id: str
    revisions: int
    last_hlc: str

    def newer_than(self, backup: BackupInfo) -> bool:
        return self.revisions > backup.revisions or self.last_hlc > backup.last_hlc


@dataclass(frozen=True)
class RestoreResult:
    vault: Vault  # the restored vault, unlocked
    set_aside: Path | None  # where the vault that was in the data folder now is
    backup: BackupInfo


def backup_file_name(now: datetime | None = None) -> str:
    """``儿童主任工作台备份-2026-12-02-1730.cdbackup`` (no names: the stick may be lost)."""
    when = (now or datetime.now()).strftime("%Y-%m-%d-%H%M")
    return f"儿童主任工作台备份-{when}{BACKUP_SUFFIX}"


def _free_name(folder: Path, now: datetime | None) -> Path:
    """A dated name in ``folder`` that no file has yet: another laptop's backup made the same
    minute on a shared stick is never replaced."""
    name = backup_file_name(now)
    candidate = folder / name
    number = 2
    while candidate.exists():
        candidate = folder / name.replace(BACKUP_SUFFIX, f"-{number}{BACKUP_SUFFIX}")
        number += 1
    return candidate


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _write_failure(err: OSError) -> BackupError:
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return BackupDiskFullError(f"not enough space for the backup ({err.strerror})")
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return BackupReadOnlyError(f"the backup folder cannot be written ({err.strerror})")
    return BackupWriteError(f"the backup could not be written ({err.strerror or err})")


def _files_to_copy(root: Path) -> list[tuple[str, Path]]:
    """(name in the backup, file) of the ciphertext files besides the database and header."""
    found: list[tuple[str, Path]] = []
    for name in EXTRA_FILES:
        if (root / name).is_file():
            found.append((name, root / name))
    for folder in EXTRA_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if not path.is_file() or ".tmp" in path.name or path.name.startswith("."):
                continue  # half-written blobs and temporary files are not part of the vault
            found.append((path.relative_to(root).as_posix(), path))
    return found


def _snapshot_database(database: Path) -> tuple[bytes, int, str]:
    """A consistent copy of the database (SQLite online backup API), in memory, with its
    revision count and newest clock value."""
    source = connect_readonly(database)
    target = sqlite3.connect(":memory:")
    try:
        revisions, last_hlc = _summary_of(source)
        source.backup(target)
        return bytes(target.serialize()), revisions, last_hlc
    finally:
        target.close()
        source.close()


def _summary_of(database: sqlite3.Connection) -> tuple[int, str]:
    row = database.execute("SELECT count(*), coalesce(max(hlc), '') FROM revisions").fetchone()
    return int(row[0]), str(row[1])


def write_backup(vault: Vault, target: Path, *, now: datetime | None = None) -> BackupInfo:
    """Write a backup of ``vault`` to ``target`` (a folder, or a ``*.cdbackup`` file name),
    then read it back and check it. Run it on the thread that owns the vault."""
    target = Path(target)
    final = target if target.suffix == BACKUP_SUFFIX else _free_name(target, now)
    if vault.paths.root.resolve() in final.resolve().parents:
        raise BackupError(
            "a backup inside the vault's own folder protects nothing",
            "不能把备份放在资料文件夹里面，请选U盘或别的文件夹。",
        )
    paths = vault.paths
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    with vault.transaction():  # nobody writes while the copy is taken
        try:
            database, revisions, last_hlc = _snapshot_database(paths.database)
            header_bytes = paths.header.read_bytes() if paths.header.exists() else b""
            others = _files_to_copy(paths.root)
        except sqlite3.Error as err:
            raise BackupError(f"the vault database could not be read ({err})") from err
        except OSError as err:
            raise BackupError(f"the vault could not be read ({err.strerror or err})") from err
        manifest: dict[str, Any] = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "vault_id": vault.header.vault_id,
            "header_generation": vault.header.generation,
            "created": _utc_now(),
            "revisions": revisions,
            "last_hlc": last_hlc,
        }
        files = _write_zip(tmp, manifest, database, header_bytes, others)
    try:
        # read back what reached the stick before it gets its real name
        checked = read_backup(tmp)
        if checked.files != files:
            raise _damaged("the files read back differ")
        tmp.replace(final)
        fsync_directory(final.parent)
    except (BackupError, OSError) as err:
        with suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError):
            raise _write_failure(err) from err
        raise BackupWriteError(f"the backup did not read back intact ({err})") from err
    return BackupInfo(**{**checked.__dict__, "path": final})


def _write_zip(
    tmp: Path,
    manifest: dict[str, Any],
    database: bytes,
    header_bytes: bytes,
    others: list[tuple[str, Path]],
) -> dict[str, tuple[int, str]]:
    """Write the zip through one open file (a file that vanishes is not silently recreated),
    the manifest last, then fsync."""
    files: dict[str, tuple[int, str]] = {}
    try:
        with tmp.open("xb") as fh:
            with zipfile.ZipFile(fh, "w", allowZip64=True) as archive:
                archive.writestr(DATABASE, database, compress_type=zipfile.ZIP_DEFLATED)
                files[DATABASE] = (len(database), hashlib.sha256(database).hexdigest())
                if header_bytes:
                    archive.writestr(HEADER, header_bytes, compress_type=zipfile.ZIP_DEFLATED)
                    files[HEADER] = (len(header_bytes), hashlib.sha256(header_bytes).hexdigest())
                for name, path in others:  # ciphertext: storing beats compressing
                    files[name] = _copy_into(archive, name, path)
                listed = {
                    name: {"size": size, "sha256": sha} for name, (size, sha) in files.items()
                }
                manifest = {
                    **manifest,
                    "attachments": sum(1 for name in files if name.startswith("attachments/")),
                    "files": listed,
                }
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as err:
        with suppress(OSError):
            tmp.unlink()
        raise _write_failure(err) from err
    return files


def _copy_into(archive: zipfile.ZipFile, name: str, path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    with path.open("rb") as src, archive.open(info, "w", force_zip64=True) as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    return size, digest.hexdigest()


def _safe_member(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and all(_SAFE_NAME.match(p) for p in parts)


def _damaged(why: str) -> BackupDamagedError:
    return BackupDamagedError(f"the backup file is incomplete or damaged ({why})")


def _unreadable(err: OSError) -> BackupError:
    return BackupError(
        f"the backup file could not be read ({err.strerror or err})",
        "读不出这个备份文件（可能U盘被拔出或已损坏）。电脑上的资料没有任何改动。",
    )


def _open_archive(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupNotFoundError(f"no backup file at {path}") from None
    except (zipfile.BadZipFile, EOFError) as err:
        raise _damaged(str(err)) from None
    except OSError as err:
        raise _unreadable(err) from err


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise _damaged("no manifest: not a finished backup") from None
    except (zipfile.BadZipFile, ValueError, EOFError) as err:
        raise _damaged(f"manifest unreadable: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise _damaged("not a childdesk backup")
    if int(manifest.get("version", 0)) > FORMAT_VERSION:
        raise BackupTooNewError("the backup was made by a newer version of childdesk")
    return manifest


def _stream_member(archive: zipfile.ZipFile, name: str, sink: IO[bytes] | None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with archive.open(name) as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if sink is not None:
                sink.write(chunk)
    return size, digest.hexdigest()


def _checked_files(
    archive: zipfile.ZipFile, manifest: dict[str, Any]
) -> dict[str, tuple[int, str]]:
    listed = manifest.get("files")
    if not isinstance(listed, dict) or DATABASE not in listed:
        raise _damaged("the manifest lists no database")
    files: dict[str, tuple[int, str]] = {}
    for name, entry in listed.items():
        if not _safe_member(str(name)):
            raise _damaged(f"unexpected file name {name!r}")
        files[str(name)] = (int(entry["size"]), str(entry["sha256"]))
    return files


def read_backup(path: Path) -> BackupInfo:
    """Open a backup file and check every file in it against the manifest (sizes, SHA-256)
    and the header's own checksum. Raises a :class:`BackupError` when it cannot be used."""
    archive = _open_archive(Path(path))
    with archive:
        manifest = _read_manifest(archive)
        files = _checked_files(archive, manifest)
        try:
            for name, expected in files.items():
                if _stream_member(archive, name, None) != expected:
                    raise _damaged(f"{name} does not match its checksum")
            header_raw = archive.read(HEADER) if HEADER in files else None
        except KeyError as err:
            raise _damaged(f"missing file {err}") from None
        except (zipfile.BadZipFile, EOFError, ValueError) as err:
            raise _damaged(str(err)) from None
        except OSError as err:
            raise _unreadable(err) from err
    vault_id = str(manifest.get("vault_id", ""))
    if header_raw is not None:
        try:
            header = header_io.decode_header(header_raw)
        except VaultTooNewError:
            raise BackupTooNewError("the backed-up vault is from a newer version") from None
        except VaultError:
            raise _damaged("the header copy is damaged") from None
        if header.vault_id != vault_id:
            raise _damaged("the header belongs to another vault")
    return BackupInfo(
        path=Path(path),
        vault_id=vault_id,
        created=str(manifest.get("created", "")),
        header_generation=int(manifest.get("header_generation", 0)),
        revisions=int(manifest.get("revisions", 0)),
        last_hlc=str(manifest.get("last_hlc", "")),
        attachments=int(manifest.get("attachments", 0)),
        files=files,
    )


def summarize_vault(data_dir: Path) -> VaultSummary | None:
    """The vault in ``data_dir`` (None when there is none), read-only and without its key.
    A vault too damaged to read is summarised as an unknown one."""
    paths = VaultPaths(Path(data_dir))
    if not paths.exists():
        return None
    vault_id = ""
    with suppress(VaultError, OSError, sqlite3.Error):
        copies = [paths.header.read_bytes() if paths.header.exists() else None]
        vault_id = header_io.newest_intact(copies).vault_id
    revisions, last_hlc = 0, ""
    if paths.database.exists():
        with suppress(sqlite3.Error):
            conn = connect_readonly(paths.database)
            try:
                revisions, last_hlc = _summary_of(conn)
                if not vault_id:
                    row = conn.execute("SELECT body FROM header WHERE id = 1").fetchone()
                    body = row[0] if row else None
                    # A damaged copy can hold the header as text (or NULL): not a vault id then.
                    if isinstance(body, bytes):
                        vault_id = header_io.decode_header(body).vault_id
            except VaultError:
                pass
            finally:
                conn.close()
    return VaultSummary(vault_id, revisions, last_hlc)


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now()).strftime("%Y%m%d-%H%M%S")


def _unpack(archive_path: Path, info: BackupInfo, staging: Path) -> None:
    """Unpack into ``staging`` (a new folder), checking each file again as it is written."""
    staging.mkdir(parents=True)
    with _open_archive(archive_path) as archive:
        for name, expected in info.files.items():
            target = staging.joinpath(*PurePosixPath(name).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as sink:
                try:
                    got = _stream_member(archive, name, sink)
                except (zipfile.BadZipFile, EOFError, KeyError) as err:
                    raise _damaged(str(err)) from None
                sink.flush()
                os.fsync(sink.fileno())
            if got != expected:
                raise _damaged(f"{name} changed while it was restored")
    for folder in sorted({p.parent for p in staging.rglob("*")} | {staging}, reverse=True):
        fsync_directory(folder)


def restore_backup(
    backup: Path,
    data_dir: Path,
    password: str,
    *,
    replace: bool = False,
    now: datetime | None = None,
) -> RestoreResult:
    """Restore ``backup`` into ``data_dir`` and open it with the backup's ``password``.

    Raises :class:`WrongPasswordError` when the password does not open the backup, then
    :class:`RestoreConflictError` when ``data_dir`` holds a vault and ``replace`` is False (the
    password is checked first, so the user is not asked to confirm in vain);
    :class:`BackupError` for a damaged or unreadable file. Nothing is changed by any of them.
    """
    data_dir = Path(data_dir)
    info = read_backup(Path(backup))
    stamp = _stamp(now)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = data_dir.with_name(f".{data_dir.name}.restoring-{stamp}")
    try:
        _unpack(Path(backup), info, staging)
        Vault.unlock(staging, password).lock()  # the password is checked before anything moves
    except WrongPasswordError:
        shutil.rmtree(staging, ignore_errors=True)
        raise WrongPasswordError(
            "wrong password for this backup",
            "密码不正确。请输入做这个备份时用的密码（不一定是现在的密码）。",
        ) from None
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise DiskFullError("the disk is full; nothing was restored") from err
        if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise ReadOnlyLocationError("the data folder cannot be written") from err
        raise BackupError(f"the backup could not be restored ({err.strerror or err})") from err
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    current = summarize_vault(data_dir)  # asked only once the password is known to be right
    if current is not None and not replace:
        shutil.rmtree(staging, ignore_errors=True)
        raise RestoreConflictError(current, info)
    aside: Path | None = None
    try:
        if data_dir.exists():
            aside = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}")
            data_dir.rename(aside)
        staging.rename(data_dir)
        fsync_directory(data_dir.parent)
        vault = Vault.unlock(data_dir, password)
    except BaseException:
        if aside is not None and aside.exists():  # put the vault that was there back
            if data_dir.exists():
                with suppress(OSError):
                    data_dir.rename(data_dir.with_name(f".{data_dir.name}.failed-restore-{stamp}"))
            with suppress(OSError):
                aside.rename(data_dir)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoreResult(vault=vault, set_aside=aside, backup=info)
