"""Backup of the vault to one file (a USB stick) and restore from it, with real files: a
stick pulled mid-write (truncated or vanished file), a full stick, a wrong password, a
different or newer vault in the data folder. Nothing already on the laptop is ever lost."""

from __future__ import annotations

import io
import os
import threading
import time
import zipfile
from pathlib import Path

import pytest

from storage.backup import (
    BACKUP_SUFFIX,
    BackupDamagedError,
    BackupDiskFullError,
    BackupNotFoundError,
    BackupWriteError,
    RestoreConflictError,
    read_backup,
    restore_backup,
    write_backup,
)
from storage.errors import WrongPasswordError
from storage.vault import Vault
from tests.conftest import PASSWORD, VaultCopies

CHILD = "李小花"


def _fill(vault: Vault, photo: bytes = b"photo-bytes" * 1000) -> str:
    child = vault.put("child", {"name": CHILD, "id_number": "500119201001011234"}, author="王")
    vault.add_attachment(
        io.BytesIO(photo),
        owner_id=child.record_id,
        filename="照片.jpg",
        mime="image/jpeg",
        author="王",
    )
    return child.record_id


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file's bytes (not SQLite's shared-memory index, which readers touch)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.endswith("-shm")
    }


def test_backup_and_restore_on_a_new_laptop(vault: Vault, tmp_path: Path) -> None:
    child_id = _fill(vault)
    stick = tmp_path / "stick"
    stick.mkdir()
    info = write_backup(vault, stick)
    assert info.path.parent == stick and info.path.suffix == BACKUP_SUFFIX
    assert [p.name for p in stick.iterdir()] == [info.path.name]  # no temporary file left
    assert info.vault_id == vault.header.vault_id and info.attachments == 1
    # ciphertext only: no name, ID number or file name in any file of the backup
    with zipfile.ZipFile(info.path) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            for secret in (CHILD, "500119201001011234", "照片", "王秀英"):
                assert secret.encode() not in data, (name, secret)

    new_laptop = tmp_path / "new" / "childdesk"
    result = restore_backup(info.path, new_laptop, PASSWORD)
    assert result.set_aside is None
    with result.vault as restored:
        assert restored.get(child_id).data["name"] == CHILD
        attachment = restored.load("attachment").revisions[0]
        assert b"".join(restored.read_attachment(attachment.record_id)) == b"photo-bytes" * 1000
    assert not any(p.name.startswith(".") for p in new_laptop.parent.iterdir())


def test_a_truncated_or_missing_backup_is_refused_and_changes_nothing(
    vault: Vault, tmp_path: Path, vault_copies: VaultCopies
) -> None:
    _fill(vault, os.urandom(300_000))
    info = write_backup(vault, tmp_path)
    whole = info.path.read_bytes()
    other = vault_copies.open(tmp_path / "other", "another-long-password-7").vault
    other.lock()
    before = _tree(tmp_path / "other")
    for keep in (0, 100, len(whole) // 3, len(whole) // 2, len(whole) - 30):
        pulled = tmp_path / f"pulled-{keep}{BACKUP_SUFFIX}"
        pulled.write_bytes(whole[:keep])
        with pytest.raises(BackupDamagedError) as caught:
            read_backup(pulled)
        assert "不完整" in caught.value.message_zh
        with pytest.raises(BackupDamagedError):
            restore_backup(pulled, tmp_path / "other", "another-long-password-7", replace=True)
        assert _tree(tmp_path / "other") == before
    flipped = bytearray(whole)
    flipped[len(whole) // 2] ^= 0xFF  # a bad sector in the middle
    (tmp_path / f"flipped{BACKUP_SUFFIX}").write_bytes(bytes(flipped))
    with pytest.raises(BackupDamagedError):
        read_backup(tmp_path / f"flipped{BACKUP_SUFFIX}")
    with pytest.raises(BackupNotFoundError):
        restore_backup(tmp_path / f"gone{BACKUP_SUFFIX}", tmp_path / "other", "x", replace=True)
    assert _tree(tmp_path / "other") == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_stick_pulled_mid_write_gives_a_clear_error_and_no_backup_file(
    vault: Vault, tmp_path: Path
) -> None:
    _fill(vault, os.urandom(8_000_000))
    stick = tmp_path / "stick"
    stick.mkdir()
    before = _tree(vault.paths.root)
    stop = threading.Event()

    def pull() -> None:  # the temporary file disappears while it is written
        while not stop.is_set():
            for leftover in stick.glob(".*.tmp-*"):
                leftover.unlink(missing_ok=True)
                return
            time.sleep(0.0005)

    puller = threading.Thread(target=pull)
    puller.start()
    try:
        with pytest.raises(BackupWriteError) as caught:
            write_backup(vault, stick)
    finally:
        stop.set()
        puller.join()
    assert "U盘" in caught.value.message_zh
    assert list(stick.iterdir()) == []
    assert _tree(vault.paths.root) == before  # the vault was only read
    assert vault.load("child").revisions  # and still works


def test_a_full_stick_says_so_and_leaves_nothing(vault: Vault, small_disk: Path) -> None:
    _fill(vault, os.urandom(4_000_000))  # more than the 3 MiB stick holds
    with pytest.raises(BackupDiskFullError) as caught:
        write_backup(vault, small_disk)
    assert "空间不够" in caught.value.message_zh
    assert list(small_disk.iterdir()) == []


def test_wrong_password_restores_nothing(vault: Vault, tmp_path: Path) -> None:
    _fill(vault)
    info = write_backup(vault, tmp_path)
    target = tmp_path / "laptop"
    with pytest.raises(WrongPasswordError) as caught:
        restore_backup(info.path, target, "not-the-password-1")
    assert "做这个备份时用的密码" in caught.value.message_zh
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_different_vault_is_replaced_only_when_confirmed_and_kept_aside(
    vault: Vault, tmp_path: Path, vault_copies: VaultCopies
) -> None:
    child_id = _fill(vault)
    info = write_backup(vault, tmp_path)
    laptop = tmp_path / "laptop"
    other = vault_copies.open(laptop, "another-long-password-7").vault
    other_id = other.put("child", {"name": "别人"}, author="赵").record_id
    other.lock()
    before = _tree(laptop)
    with pytest.raises(RestoreConflictError) as caught:
        restore_backup(info.path, laptop, PASSWORD)
    assert "不是同一份" in caught.value.message_zh
    assert _tree(laptop) == before
    result = restore_backup(info.path, laptop, PASSWORD, replace=True)
    with result.vault as restored:
        assert restored.get(child_id).data["name"] == CHILD
    assert result.set_aside is not None and result.set_aside.parent == tmp_path
    with Vault.unlock(result.set_aside, "another-long-password-7") as kept:
        assert kept.get(other_id).data["name"] == "别人"


def test_a_newer_vault_is_named_as_newer(vault: Vault, tmp_path: Path) -> None:
    _fill(vault)
    (tmp_path / "stick").mkdir()
    info = write_backup(vault, tmp_path / "stick" / f"mine{BACKUP_SUFFIX}")
    later = vault.put("child", {"name": "后来的"}, author="王").record_id
    data_dir = vault.paths.root
    vault.lock()
    with pytest.raises(RestoreConflictError) as caught:
        restore_backup(info.path, data_dir, PASSWORD)
    assert "比备份新" in caught.value.message_zh
    result = restore_backup(info.path, data_dir, PASSWORD, replace=True)
    with result.vault as restored:
        assert [r.record_id for r in restored.load("child").revisions if r.record_id == later] == []
    assert result.set_aside is not None
    with Vault.unlock(result.set_aside, PASSWORD) as kept:
        assert kept.get(later).data["name"] == "后来的"


def test_a_wrong_password_is_said_before_any_question_about_replacing(
    vault: Vault, tmp_path: Path
) -> None:
    _fill(vault)
    info = write_backup(vault, tmp_path)
    with pytest.raises(WrongPasswordError):  # not RestoreConflictError: the vault is there
        restore_backup(info.path, vault.paths.root, "not-the-password-1")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_two_backups_in_one_minute_do_not_replace_each_other(vault: Vault, tmp_path: Path) -> None:
    from datetime import datetime

    when = datetime(2026, 12, 2, 17, 30)
    first = write_backup(vault, tmp_path, now=when)
    second = write_backup(vault, tmp_path, now=when)
    assert first.path.name == "儿童主任工作台备份-2026-12-02-1730.cdbackup"
    assert second.path.name == "儿童主任工作台备份-2026-12-02-1730-2.cdbackup"
    assert read_backup(first.path).vault_id == read_backup(second.path).vault_id


@pytest.mark.parametrize("body", ["not a header", None, 12])
def test_a_vault_whose_header_is_damaged_is_summarised_as_unknown(
    vault: Vault, body: object, tmp_path: Path
) -> None:
    """Restoring onto a damaged vault asks what to do with it; summarising it must not crash
    when the header file is gone and the database's copy is not bytes."""
    import sqlite3

    from storage.backup import summarize_vault

    _fill(vault)
    data_dir = vault.paths.root
    vault.lock()
    for header in data_dir.glob("vault.header*"):
        header.unlink()
    conn = sqlite3.connect(data_dir / "vault.db")
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute("DROP TABLE header")
    conn.execute("CREATE TABLE header (id INTEGER PRIMARY KEY, generation INTEGER, body)")
    conn.execute("INSERT INTO header VALUES (1, 1, ?)", (body,))
    conn.commit()
    conn.close()
    summary = summarize_vault(data_dir)
    assert summary is not None
    assert summary.vault_id == ""
    assert summary.revisions > 0
