"""The vault's folder is 0700 and its files 0600 (issue 14: they were 0644), for new vaults and
for vaults made before, which are tightened when unlocked."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from storage.vault import Vault
from tests.conftest import DIRECTOR, PASSWORD, VaultCopies, create_vault

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(vault_dir: Path) -> dict[str, int]:
    return {
        str(p.relative_to(vault_dir)): _mode(p)
        for p in [vault_dir, *vault_dir.rglob("*")]
        if p.is_file() or p.is_dir()
    }


def test_new_vault_is_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask, which made 0644 files
    try:
        vault_dir = tmp_path / "v"
        vault = create_vault(vault_dir).vault
        vault.put("child", {"name": "甲"}, author=DIRECTOR)
        vault.add_attachment(
            io.BytesIO(b"scan"), owner_id="c", filename="x", mime="image/png", author=DIRECTOR
        )
        while_open = _modes(vault_dir)  # -wal and -shm exist now
        vault.lock()
    finally:
        os.umask(old_umask)
    assert "vault.db-wal" in while_open
    for name, mode in {**while_open, **_modes(vault_dir)}.items():
        is_dir = (vault_dir / name).is_dir() if name != "." else True
        assert mode == (0o700 if is_dir else 0o600), (name, oct(mode))


def test_existing_vault_is_tightened_on_unlock(tmp_path: Path, vault_copies: VaultCopies) -> None:
    vault_dir = tmp_path / "v"
    vault_copies.open(vault_dir).vault.lock()
    vault_dir.chmod(0o755)
    (vault_dir / "attachments").chmod(0o755)
    for name in ("vault.db", "vault.header"):
        (vault_dir / name).chmod(0o644)
    with Vault.unlock(vault_dir, PASSWORD):
        pass
    assert _mode(vault_dir) == 0o700
    assert _mode(vault_dir / "attachments") == 0o700
    assert _mode(vault_dir / "vault.db") == 0o600
    assert _mode(vault_dir / "vault.header") == 0o600


def test_a_wrong_password_changes_no_permission(tmp_path: Path, vault_copies: VaultCopies) -> None:
    vault_dir = tmp_path / "v"
    vault_copies.open(vault_dir).vault.lock()
    (vault_dir / "vault.db").chmod(0o644)
    with pytest.raises(Exception, match="wrong password"):
        Vault.unlock(vault_dir, "not-the-password-at-all")
    assert _mode(vault_dir / "vault.db") == 0o644  # a failed unlock writes nothing
