"""``childdesk`` sync commands through the real executable, against the real server on loopback:
enroll, sync, sync-status --json, export-batch, import-response; bad input exits without a
traceback. Enroll, sync and a wrong password run as processes; the others in the test process
(issue 15: ``run_cli_in_process``, the console script's ``main`` with a process's streams)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from app.demo_caseload import fill_vault
from sync.server.district import District
from tests.conftest import PASSWORD, VaultCopies, childdesk_executable, run_cli_in_process
from tests.sync.conftest import VILLAGE_A, ServerThread
from tests.sync.test_district_core import TODAY


def childdesk(*args: str, stdin: str = PASSWORD + "\n") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [childdesk_executable(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def in_process(*args: str, stdin: str = PASSWORD + "\n") -> subprocess.CompletedProcess[str]:
    return run_cli_in_process(*args, stdin=stdin, timeout=120)


def test_enroll_sync_status_export_import(
    server: ServerThread, sqlite_district: District, tmp_path: Path, vault_copies: VaultCopies
) -> None:
    vault_dir = tmp_path / "laptop"
    vault = vault_copies.open(vault_dir).vault
    fill_vault(vault, children=2, seed=3, village_code=VILLAGE_A, today=TODAY, author="王")
    vault.lock()
    d = ["--data-dir", str(vault_dir)]
    code = sqlite_district.create_enroll_code([VILLAGE_A], 3600)
    result = childdesk(
        *d, "enroll", "--server", server.url, "--password-stdin", stdin=f"{PASSWORD}\n{code}\n"
    )
    assert result.returncode == 0, result.stderr
    assert sqlite_district.district_id in result.stdout
    status = json.loads(in_process(*d, "sync-status", "--json", "--password-stdin").stdout)
    assert status["enrolled"] and status["pending"] > 0
    pending = status["pending"]
    result = childdesk(*d, "sync", "--password-stdin")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accepted"] == pending
    assert (
        json.loads(in_process(*d, "sync-status", "--json", "--password-stdin").stdout)["pending"]
        == 0
    )
    # USB commands: nothing to export now; an empty stick imports nothing
    stick = tmp_path / "stick"
    stick.mkdir()
    result = in_process(*d, "export-batch", "--to", str(stick), "--password-stdin")
    assert result.returncode == 0 and "0 batch files" in result.stdout
    result = in_process(*d, "import-response", str(stick), "--password-stdin")
    assert result.returncode == 0 and json.loads(result.stdout)["pulled"] == 0
    # wrong password, missing code: one line, no traceback
    bad = childdesk(*d, "sync", "--password-stdin", stdin="wrong\n")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    again = in_process(*d, "enroll", "--server", server.url, "--password-stdin")
    assert again.returncode == 1 and "Traceback" not in again.stderr
    # recovery request needs only the escrow written at enrollment
    result = in_process(*d, "recovery-request", "--to", str(stick), stdin="")
    assert result.returncode == 0 and "check code" in result.stdout
