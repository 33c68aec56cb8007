"""childdesk backup / restore (the backup run as the installed command, the restores in-process
as :func:`run_cli_in_process` runs the console script's ``main``): a checked backup on a stick,
restored on a new laptop; a vault already there is replaced only with --replace and kept aside;
a truncated backup and a wrong password change nothing."""

from __future__ import annotations

from pathlib import Path

from storage.vault import Vault
from tests.conftest import PASSWORD, VaultCopies, run_cli, run_cli_in_process


def test_backup_then_restore_from_the_command_line(
    tmp_path: Path, vault_copies: VaultCopies
) -> None:
    laptop = tmp_path / "laptop"
    vault = vault_copies.open(laptop).vault
    child = vault.put("child", {"name": "李小花"}, author="王").record_id
    vault.lock()
    stick = tmp_path / "stick"
    stick.mkdir()
    made = run_cli(
        "backup", "--to", str(stick), "--password-stdin", stdin=PASSWORD + "\n", data_dir=laptop
    )
    assert made.returncode == 0, made.stderr
    assert "backup written and checked" in made.stdout
    (backup,) = stick.glob("*.cdbackup")

    new_laptop = tmp_path / "new-laptop"
    wrong = run_cli_in_process(
        "restore",
        "--from",
        str(backup),
        "--password-stdin",
        stdin="wrong-password-1\n",
        data_dir=new_laptop,
    )
    assert wrong.returncode == 2 and "nothing was changed" in wrong.stderr
    assert not new_laptop.exists()

    pulled = stick / "pulled.cdbackup"
    pulled.write_bytes(backup.read_bytes()[:1000])
    damaged = run_cli_in_process(
        "restore",
        "--from",
        str(pulled),
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=new_laptop,
    )
    assert damaged.returncode == 1 and "damaged" in damaged.stderr
    assert "Traceback" not in damaged.stderr

    done = run_cli_in_process(
        "restore",
        "--from",
        str(backup),
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=new_laptop,
    )
    assert done.returncode == 0, done.stderr
    with Vault.unlock(new_laptop, PASSWORD) as restored:
        assert restored.get(child).data["name"] == "李小花"

    again = run_cli_in_process(
        "restore",
        "--from",
        str(backup),
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=new_laptop,
    )
    assert again.returncode == 1 and "--replace" in again.stderr
    replaced = run_cli_in_process(
        "restore",
        "--from",
        str(backup),
        "--replace",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=new_laptop,
    )
    assert replaced.returncode == 0, replaced.stderr
    assert "kept at" in replaced.stdout
    assert len(list(tmp_path.glob("new-laptop.before-restore-*"))) == 1
