"""The public storage API (issue 15): a vault's revision log inside a locked session, and the
raw-key pair (``export_key`` / ``open_with_key``) the district escrow and the test templates use."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from storage.errors import VaultCorruptError, VaultLockedError, WeakPasswordError
from storage.records import RevisionMeta
from storage.revision_log import SELECT_REVISION
from storage.vault import Vault
from tests.conftest import DIRECTOR, PASSWORD

NEW_PASSWORD = "another-long-password-7"


def files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_session_appends_reads_and_decodes_like_put(vault: Vault) -> None:
    first = vault.put("child", {"name": "甲"}, author=DIRECTOR)
    with vault.session() as log, log.transaction():
        head = log.head(first.record_id)
        assert head == (1, "child")
        meta = RevisionMeta(first.record_id, "child", 2, log.tick(), log.device_id, False)
        log.append(meta, DIRECTOR, {"name": "乙"})
    assert vault.get(first.record_id).data == {"name": "乙"}
    assert [r.revision for r in vault.history(first.record_id)] == [1, 2]
    with vault.session() as log:
        row = log.row(SELECT_REVISION + "WHERE record_id = ? AND revision = 1", (first.record_id,))
        assert row is not None
        decoded = log.decode(row)
        assert decoded is not None and decoded.data == {"name": "甲"}
        assert log.decode((*row[:7], b"not the ciphertext")) is None
    # the header learned the newest revision at the session's commit, like after put
    assert vault.header.last_seq == vault.last_seq()


def test_a_session_that_fails_keeps_nothing(vault: Vault) -> None:
    before = vault.last_seq()
    with pytest.raises(RuntimeError), vault.session() as log, log.transaction():
        meta = RevisionMeta("ab" * 16, "child", 1, log.tick(), log.device_id, False)
        log.append(meta, DIRECTOR, {"name": "丙"})
        raise RuntimeError("the user action failed half-way")
    assert vault.last_seq() == before
    assert vault.load("child").revisions == []


def test_try_session_does_not_wait_for_another_thread(vault: Vault) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with vault.session():
            holding.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert holding.wait(10)
        with vault.try_session() as log:
            assert log is None
    finally:
        release.set()
        other.join(10)
    with vault.try_session() as log:
        assert log is not None and log.device_id == vault.device_id


def test_the_exported_key_opens_the_vault_and_a_wrong_key_changes_nothing(
    vault: Vault, vault_dir: Path
) -> None:
    child = vault.put("child", {"name": "丁"}, author=DIRECTOR)
    key = vault.export_key()
    vault.lock()
    with pytest.raises(VaultLockedError):
        vault.export_key()
    before = files(vault_dir)
    with pytest.raises(VaultCorruptError):
        Vault.open_with_key(vault_dir, bytes(32))
    assert files(vault_dir) == before
    with Vault.open_with_key(vault_dir, key) as again:
        assert again.get(child.record_id).data == {"name": "丁"}
    Vault.unlock(vault_dir, PASSWORD).lock()  # the password is unchanged


def test_opening_with_the_key_and_a_new_password_is_a_recovery(
    vault: Vault, vault_dir: Path
) -> None:
    key = vault.export_key()
    vault.lock()
    with pytest.raises(WeakPasswordError):
        Vault.open_with_key(vault_dir, key, new_password="123")
    Vault.unlock(vault_dir, PASSWORD).lock()  # a refused password changed nothing
    Vault.open_with_key(vault_dir, key, new_password=NEW_PASSWORD).lock()
    Vault.unlock(vault_dir, NEW_PASSWORD).lock()
