"""Damaged files: one bad record never hides the others; a broken file gives a clear reason."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest

from storage.errors import VaultCorruptError
from storage.vault import Vault
from storage.verify import verify_vault
from tests.conftest import DIRECTOR, PASSWORD


def _flip_ciphertext_byte_on_disk(vault_dir: Path, record_id: str) -> None:
    conn = sqlite3.connect(vault_dir / "vault.db")
    (ciphertext,) = conn.execute(
        "SELECT ciphertext FROM revisions WHERE record_id = ? AND is_head = 1", (record_id,)
    ).fetchone()
    conn.close()
    raw = bytearray((vault_dir / "vault.db").read_bytes())
    offset = raw.find(ciphertext)
    assert offset > 0
    raw[offset + len(ciphertext) // 2] ^= 0x40
    (vault_dir / "vault.db").write_bytes(bytes(raw))


def _fill(vault: Vault, n: int = 20) -> list[str]:
    return [
        vault.put("child", {"name": f"儿童{i}", "i": i}, author=DIRECTOR).record_id
        for i in range(n)
    ]


def test_one_flipped_byte_damages_one_record_only(vault: Vault, vault_dir: Path) -> None:
    ids = _fill(vault)
    vault.lock()
    _flip_ciphertext_byte_on_disk(vault_dir, ids[7])
    with Vault.unlock(vault_dir, PASSWORD) as reopened:
        loaded = reopened.load("child")
        assert loaded.damaged_ids == [ids[7]]
        assert len(loaded.revisions) == 19
        report = verify_vault(reopened)
    assert not report.healthy
    assert [(d.kind, d.item_id) for d in report.damaged] == [("record", ids[7])]


def test_damaged_attachment_is_listed(vault: Vault, vault_dir: Path) -> None:
    _fill(vault, 3)
    rec = vault.add_attachment(
        io.BytesIO(os.urandom(200_000)),
        owner_id="c",
        filename="x",
        mime="image/png",
        author=DIRECTOR,
    )
    blob = vault.paths.attachment_blob(rec.data["blob_id"])
    data = bytearray(blob.read_bytes())
    data[100_000] ^= 1
    blob.write_bytes(bytes(data))
    report = verify_vault(vault)
    assert [(d.kind, d.item_id) for d in report.damaged] == [("attachment", rec.record_id)]
    assert report.attachments_checked == 1


def test_healthy_vault_verifies_clean(vault: Vault) -> None:
    _fill(vault, 5)
    vault.add_attachment(
        io.BytesIO(b"scan"), owner_id="c", filename="x", mime="image/png", author=DIRECTOR
    )
    report = verify_vault(vault)
    assert report.healthy, report.damaged
    assert report.records_checked == 8  # profile, recovery code, 5 children, attachment
    assert report.attachments_checked == 1


@pytest.mark.parametrize("how", ["truncate", "garbage", "zero_header_page"])
def test_broken_database_file_gives_a_clear_error(vault: Vault, vault_dir: Path, how: str) -> None:
    _fill(vault, 200)
    vault.lock()
    db = vault_dir / "vault.db"
    data = db.read_bytes()
    if how == "truncate":
        db.write_bytes(data[: len(data) // 3])
    elif how == "garbage":
        db.write_bytes(os.urandom(len(data)))
    else:
        db.write_bytes(b"\x00" * 4096 + data[4096:])
    try:
        with Vault.unlock(vault_dir, PASSWORD) as reopened:
            report = verify_vault(reopened)
            assert not report.healthy  # opened from the header file, damage is listed
    except VaultCorruptError as err:
        assert "damaged" in str(err)
        assert err.message_zh
