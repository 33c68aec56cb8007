"""A full disk and a read-only data folder, on real (tmpfs) filesystems."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest

from storage.errors import DiskFullError, ReadOnlyLocationError
from storage.vault import Vault
from tests.conftest import DIRECTOR, PASSWORD, VaultCopies, create_vault, run_cli_in_process


def _fill_disk(folder: Path) -> Path:
    ballast = folder / "ballast.bin"
    with ballast.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return ballast


def test_full_disk_refuses_the_change_and_keeps_everything_saved(
    small_disk: Path, vault_copies: VaultCopies
) -> None:
    vault_dir = small_disk / "vault"
    vault = vault_copies.open(vault_dir).vault
    saved = [vault.put("child", {"name": f"儿童{i}"}, author=DIRECTOR).record_id for i in range(20)]
    ballast = _fill_disk(small_disk)

    with pytest.raises(DiskFullError) as err:
        for i in range(500):  # the WAL grows until the disk is full
            vault.put("visit", {"notes": "走访" * 2000, "i": i}, author=DIRECTOR)
    assert "磁盘空间已满" in err.value.message_zh
    with pytest.raises(DiskFullError):
        vault.add_attachment(
            io.BytesIO(os.urandom(2_000_000)),
            owner_id=saved[0],
            filename="x",
            mime="image/jpeg",
            author=DIRECTOR,
        )
    assert not list(vault.paths.attachments.rglob("*.tmp"))  # no partial blob left behind

    ballast.unlink()  # the user frees space: the same session carries on
    vault.put("child", {"name": "空间清理后"}, author=DIRECTOR)
    vault.lock()
    with Vault.unlock(vault_dir, PASSWORD) as reopened:
        names = {r.record_id for r in reopened.load("child").revisions}
        assert set(saved) <= names and len(names) == 21


def test_creating_a_vault_on_a_full_disk_fails_clearly(small_disk: Path) -> None:
    ballast = _fill_disk(small_disk)
    with pytest.raises(DiskFullError):
        create_vault(small_disk / "vault")
    ballast.unlink()
    create_vault(small_disk / "vault").vault.lock()  # no half-made vault blocks a retry


def test_read_only_data_folder(small_disk: Path, vault_copies: VaultCopies) -> None:
    vault_dir = small_disk / "vault"
    vault_copies.open(vault_dir).vault.lock()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(ReadOnlyLocationError) as err:
        Vault.unlock(vault_dir, PASSWORD)
    assert "只读" in err.value.message_zh
    result = run_cli_in_process(
        "verify", "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert result.returncode == 2
    assert "cannot be written" in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(ReadOnlyLocationError):
        create_vault(small_disk / "another")
