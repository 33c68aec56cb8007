"""Schema migrations run in order from a real vault file written with the older schema."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from storage.schema import KNOWN_MIGRATIONS
from storage.vault import Vault

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "vault_schema_0001"
FIXTURE_PASSWORD = "fixture-phrase-0001"


def test_older_vault_is_migrated_and_keeps_its_records(tmp_path: Path) -> None:
    vault_dir = tmp_path / "old"
    shutil.copytree(FIXTURE, vault_dir)
    conn = sqlite3.connect(vault_dir / "vault.db")
    assert [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")] == ["0001_initial"]
    conn.close()

    with Vault.unlock(vault_dir, FIXTURE_PASSWORD) as vault:
        names = sorted(r.data["name"] for r in vault.load("child").revisions)
        assert names == ["演示儿童0", "演示儿童1", "演示儿童2"]
        vault.put("child", {"name": "新儿童"}, author="演示主任")

    conn = sqlite3.connect(vault_dir / "vault.db")
    applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    columns = {r[1] for r in conn.execute("PRAGMA table_info(revisions)")}
    conn.close()
    assert applied == list(KNOWN_MIGRATIONS)
    assert "receipt_id" in columns
    # Opening again applies nothing more.
    with Vault.unlock(vault_dir, FIXTURE_PASSWORD) as vault:
        assert len(vault.load("child").revisions) == 4
