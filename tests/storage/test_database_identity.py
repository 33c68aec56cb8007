"""An emptied, replaced or older ``vault.db`` is recognised (issue 14): the header names its
database and the newest revision it saw, so unlock refuses such a file — writing nothing — and
``verify`` lists it as damage, instead of a vault that opens empty and is "healthy"."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from storage import header as header_io
from storage.backup import restore_backup, write_backup
from storage.header import DatabaseMismatchError
from storage.vault import MARK_FILE_INTERVAL_S, Vault
from storage.verify import verify_vault
from tests.conftest import DIRECTOR, PASSWORD, VaultCopies, run_cli_in_process

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "vault_schema_0001"
FIXTURE_PASSWORD = "fixture-phrase-0001"


def _fill(vault: Vault, n: int) -> None:
    for i in range(n):
        vault.put("child", {"name": f"儿童{i}"}, author=DIRECTOR)


def _file_header(vault_dir: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((vault_dir / "vault.header").read_text())
    return data


def _files(vault_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(vault_dir.iterdir()) if p.is_file()}


def _verify_cli(vault_dir: Path) -> tuple[int, str]:
    result = run_cli_in_process(
        "verify", "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    return result.returncode, result.stdout + result.stderr


def test_emptied_database_is_refused_and_nothing_is_written(vault: Vault, vault_dir: Path) -> None:
    _fill(vault, 5)
    vault.lock()
    (vault_dir / "vault.db").write_bytes(b"")
    before = _files(vault_dir)
    with pytest.raises(DatabaseMismatchError) as err:
        Vault.unlock(vault_dir, PASSWORD)
    assert "empty" in str(err.value)
    assert "空的" in err.value.message_zh and "备份" in err.value.message_zh
    assert _files(vault_dir) == before  # not "repaired" into a new empty vault
    assert (vault_dir / "vault.db").stat().st_size == 0

    code, out = _verify_cli(vault_dir)
    assert code == 1, out
    assert "DAMAGE FOUND" in out and "vault.db is empty" in out and "healthy" not in out
    assert _files(vault_dir) == before


def test_older_copy_of_the_database_is_refused(vault: Vault, vault_dir: Path) -> None:
    _fill(vault, 3)
    vault.lock()
    old = (vault_dir / "vault.db").read_bytes()
    with Vault.unlock(vault_dir, PASSWORD) as reopened:
        _fill(reopened, 4)  # four more changes after the copy was taken
    (vault_dir / "vault.db").write_bytes(old)
    with pytest.raises(DatabaseMismatchError, match=r"older copy.*\(4 missing\)") as err:
        Vault.unlock(vault_dir, PASSWORD)
    assert "旧的副本" in err.value.message_zh and "4 条" in err.value.message_zh
    code, out = _verify_cli(vault_dir)
    assert code == 1 and "older copy" in out, out


def test_database_of_another_vault_is_refused(tmp_path: Path, vault_copies: VaultCopies) -> None:
    ours = vault_copies.open(tmp_path / "ours").vault
    theirs = vault_copies.open(tmp_path / "theirs").vault  # same password, other vault
    _fill(theirs, 8)
    ours.lock()
    theirs.lock()
    shutil.copyfile(tmp_path / "theirs" / "vault.db", tmp_path / "ours" / "vault.db")
    header_before = (tmp_path / "ours" / "vault.header").read_bytes()
    with pytest.raises(DatabaseMismatchError, match="another vault"):
        Vault.unlock(tmp_path / "ours", PASSWORD)
    # the other vault's header copy did not win and was not written over ours
    assert (tmp_path / "ours" / "vault.header").read_bytes() == header_before
    code, out = _verify_cli(tmp_path / "ours")
    assert code == 1 and "DAMAGE FOUND" in out, out


def test_database_with_another_identity_is_refused(vault: Vault, vault_dir: Path) -> None:
    vault.lock()
    conn = sqlite3.connect(vault_dir / "vault.db")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'database_id'", ("0" * 32,))
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseMismatchError, match="not this vault's database"):
        Vault.unlock(vault_dir, PASSWORD)


def test_header_follows_every_commit(vault: Vault, vault_dir: Path) -> None:
    def newest_seq() -> int:
        conn = sqlite3.connect(vault_dir / "vault.db")
        try:
            return int(conn.execute("SELECT max(seq) FROM revisions").fetchone()[0])
        finally:
            conn.close()

    def database_copy() -> header_io.VaultHeader:
        conn = sqlite3.connect(vault_dir / "vault.db")
        try:
            return header_io.decode_header(
                conn.execute("SELECT body FROM header WHERE id = 1").fetchone()[0]
            )
        finally:
            conn.close()

    time.sleep(MARK_FILE_INTERVAL_S)
    vault.put("child", {"name": "甲"}, author=DIRECTOR)  # the first save after a pause
    assert _file_header(vault_dir)["last_seq"] == newest_seq() == vault.header.last_seq
    for _ in range(3):  # a burst: the database copy follows each commit
        with vault.transaction():
            _fill(vault, 2)
        assert database_copy().last_seq == newest_seq() == vault.header.last_seq
    assert database_copy().database_id == vault.header.database_id
    vault.lock()  # and the file copy is up to date once the vault is locked
    assert _file_header(vault_dir)["last_seq"] == newest_seq()


def test_the_mark_costs_little_per_commit(vault: Vault) -> None:
    """The mark is one small row update in the commit plus a rename without fsync: a save
    stays within a few milliseconds (a durable header write alone costs two fsyncs)."""
    _fill(vault, 5)
    started = time.perf_counter()
    _fill(vault, 50)
    per_save = (time.perf_counter() - started) / 50
    assert per_save < 0.05, per_save


def test_a_lagging_header_file_after_a_crash_is_not_a_false_alarm(
    vault: Vault, vault_dir: Path
) -> None:
    _fill(vault, 2)
    lagging = (vault_dir / "vault.header").read_bytes()
    _fill(vault, 3)
    vault.lock()
    (vault_dir / "vault.header").write_bytes(lagging)  # the last file writes never landed
    with Vault.unlock(vault_dir, PASSWORD) as reopened:
        assert reopened.repairs == ["rewrote vault.header"]
        assert verify_vault(reopened).healthy
        assert len(reopened.load("child").revisions) == 5


def test_header_changed_by_another_process_is_kept(vault: Vault, vault_dir: Path) -> None:
    other = Vault.unlock(vault_dir, PASSWORD)
    other.change_password(PASSWORD, "a-new-phrase-for-this")
    other.lock()
    _fill(vault, 2)  # this one still holds the old header in memory
    vault.lock()
    with Vault.unlock(vault_dir, "a-new-phrase-for-this") as reopened:
        assert len(reopened.load("child").revisions) == 2


def test_version_1_vault_opens_and_is_upgraded(tmp_path: Path) -> None:
    vault_dir = tmp_path / "old"
    shutil.copytree(FIXTURE, vault_dir)
    assert _file_header(vault_dir)["version"] == 1
    with Vault.unlock(vault_dir, FIXTURE_PASSWORD) as vault:
        assert vault.header.version == header_io.FORMAT_VERSION
        assert len(vault.load("child").revisions) == 3
        assert verify_vault(vault).healthy
    upgraded = _file_header(vault_dir)
    assert upgraded["version"] == 2 and len(str(upgraded["database_id"])) == 32
    conn = sqlite3.connect(vault_dir / "vault.db")
    (stored,) = conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()
    conn.close()
    assert stored == upgraded["database_id"]
    with Vault.unlock(vault_dir, FIXTURE_PASSWORD) as vault:  # and it opens again
        assert len(vault.load("child").revisions) == 3


def test_emptied_database_of_a_version_1_vault_is_refused(tmp_path: Path) -> None:
    vault_dir = tmp_path / "old"
    shutil.copytree(FIXTURE, vault_dir)
    (vault_dir / "vault.db").write_bytes(b"")
    with pytest.raises(DatabaseMismatchError, match="empty"):
        Vault.unlock(vault_dir, FIXTURE_PASSWORD)
    assert (vault_dir / "vault.db").stat().st_size == 0


def test_restoring_an_older_backup_still_works(
    vault: Vault, vault_dir: Path, tmp_path: Path
) -> None:
    """A restore replaces the database on purpose, with the header that belongs to it."""
    _fill(vault, 2)
    (tmp_path / "stick").mkdir()
    info = write_backup(vault, tmp_path / "stick")
    _fill(vault, 5)
    vault.lock()
    result = restore_backup(info.path, vault_dir, PASSWORD, replace=True)
    with result.vault as restored:
        assert len(restored.load("child").revisions) == 2
        restored.put("child", {"name": "乙"}, author=DIRECTOR)
    with Vault.unlock(vault_dir, PASSWORD) as reopened:
        assert len(reopened.load("child").revisions) == 3
        assert verify_vault(reopened).healthy
