"""Records: revisions, history, tombstones, transactions, the clock and ciphertext binding."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.errors import (
    RecordDamagedError,
    RecordNotFoundError,
    VaultLockedError,
)
from storage.hlc import HlcTimestamp, HybridLogicalClock
from storage.vault import Vault
from tests.conftest import DIRECTOR, PASSWORD


def test_put_get_and_history(vault: Vault) -> None:
    first = vault.put("child", {"name": "李小明", "grade": 3}, author=DIRECTOR)
    assert first.revision == 1
    second = vault.put(
        "child", {"name": "李小明", "grade": 4}, author="督导员", record_id=first.record_id
    )
    assert second.revision == 2
    assert vault.get(first.record_id).data == {"name": "李小明", "grade": 4}
    history = vault.history(first.record_id)
    assert [(r.revision, r.author, r.data["grade"]) for r in history] == [
        (1, DIRECTOR, 3),
        (2, "督导员", 4),
    ]
    assert HlcTimestamp.decode(history[0].meta.hlc) < HlcTimestamp.decode(history[1].meta.hlc)
    assert history[0].meta.device_id == vault.device_id


def test_delete_is_a_tombstone_keeping_history(vault: Vault) -> None:
    child = vault.put("child", {"name": "赵六"}, author=DIRECTOR)
    vault.delete(child.record_id, author=DIRECTOR)
    with pytest.raises(RecordNotFoundError):
        vault.get(child.record_id)
    assert vault.get(child.record_id, include_deleted=True).deleted
    assert [r.deleted for r in vault.history(child.record_id)] == [False, True]
    assert vault.history(child.record_id)[0].data == {"name": "赵六"}
    assert child.record_id not in {r.record_id for r in vault.load("child").revisions}


def test_load_lists_current_records_of_one_type(vault: Vault) -> None:
    ids = {vault.put("child", {"n": i}, author=DIRECTOR).record_id for i in range(5)}
    vault.put("visit", {"child": "x"}, author=DIRECTOR)
    loaded = vault.load("child")
    assert {r.record_id for r in loaded.revisions} == ids
    assert loaded.damaged_ids == []


def test_updating_unknown_record_or_changing_type_is_refused(vault: Vault) -> None:
    with pytest.raises(RecordNotFoundError):
        vault.put("child", {}, author=DIRECTOR, record_id="0" * 32)
    child = vault.put("child", {}, author=DIRECTOR)
    with pytest.raises(ValueError, match="is a child"):
        vault.put("visit", {}, author=DIRECTOR, record_id=child.record_id)
    with pytest.raises(ValueError, match="invalid record type"):
        vault.put("Child; DROP", {}, author=DIRECTOR)


def test_one_user_action_is_one_transaction(vault: Vault) -> None:
    before = len(vault.load("visit").revisions)
    with pytest.raises(RuntimeError), vault.transaction():
        vault.put("visit", {"a": 1}, author=DIRECTOR)
        vault.put("visit", {"a": 2}, author=DIRECTOR)
        raise RuntimeError("the user's action failed half way")
    assert len(vault.load("visit").revisions) == before
    with vault.transaction():
        vault.put("visit", {"a": 1}, author=DIRECTOR)
        vault.put("visit", {"a": 2}, author=DIRECTOR)
    assert len(vault.load("visit").revisions) == before + 2


def test_ciphertext_swapped_between_rows_fails_authentication(
    vault: Vault, vault_dir: Path
) -> None:
    a = vault.put("child", {"name": "甲"}, author=DIRECTOR)
    b = vault.put("child", {"name": "乙"}, author=DIRECTOR)
    vault.lock()
    conn = sqlite3.connect(vault_dir / "vault.db")
    rows = dict(
        conn.execute(
            "SELECT record_id, ciphertext FROM revisions WHERE record_id IN (?, ?)",
            (a.record_id, b.record_id),
        ).fetchall()
    )
    nonces = dict(
        conn.execute(
            "SELECT record_id, nonce FROM revisions WHERE record_id IN (?, ?)",
            (a.record_id, b.record_id),
        ).fetchall()
    )
    conn.execute(
        "UPDATE revisions SET ciphertext = ?, nonce = ? WHERE record_id = ?",
        (rows[b.record_id], nonces[b.record_id], a.record_id),
    )
    conn.commit()
    conn.close()
    reopened = Vault.unlock(vault_dir, PASSWORD)
    with pytest.raises(RecordDamagedError):
        reopened.get(a.record_id)
    loaded = reopened.load("child")
    assert loaded.damaged_ids == [a.record_id]
    assert [r.data["name"] for r in loaded.revisions] == ["乙"]
    reopened.lock()


def test_clock_stays_monotonic_across_reopen_even_if_wall_clock_goes_back(
    vault: Vault, vault_dir: Path
) -> None:
    last = vault.put("child", {}, author=DIRECTOR)
    vault.lock()
    reopened = Vault.unlock(vault_dir, PASSWORD)
    reopened.clock.now_ms = lambda: 0  # the laptop's clock was reset to 1970
    later = reopened.put("child", {}, author=DIRECTOR)
    assert HlcTimestamp.decode(later.meta.hlc) > HlcTimestamp.decode(last.meta.hlc)
    reopened.lock()


def test_hlc_observe_moves_past_remote_time() -> None:
    clock = HybridLogicalClock("aa", now_ms=lambda: 1000)
    remote = HlcTimestamp(5000, 7, "bb")
    observed = clock.observe(remote)
    assert observed > remote
    assert clock.tick() > observed


def test_locked_vault_refuses_work_and_drops_the_key(vault: Vault) -> None:
    child = vault.put("child", {"name": "甲"}, author=DIRECTOR)
    vault.lock()
    assert vault.is_locked
    assert set(vault._vault_key) == {0}
    with pytest.raises(VaultLockedError):
        vault.get(child.record_id)
    with pytest.raises(VaultLockedError):
        vault.put("child", {}, author=DIRECTOR)
