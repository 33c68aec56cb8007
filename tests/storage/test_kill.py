"""A process killed at any moment (kill -9) leaves a vault that opens with every committed
change present. Real processes, real SIGKILL, at random moments."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.errors import WrongPasswordError
from storage.vault import Vault
from storage.verify import verify_vault
from tests.conftest import PASSWORD, VaultCopies

WORKER = Path(__file__).with_name("kill_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def _run_and_kill(
    vault_dir: Path, password: str, mode: str, delay_s: float, after_lines: int = 0
) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(vault_dir), password, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    # Let some changes commit first (slow machines too), then kill at a random moment.
    confirmed = [proc.stdout.readline().strip() for _ in range(after_lines)]
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    return [line for line in [*confirmed, *out.splitlines()] if line]


@pytest.mark.slow
def test_kill_during_writes_loses_no_committed_change(
    tmp_path: Path, vault_copies: VaultCopies
) -> None:
    rng = random.Random(9)
    vault_dir = tmp_path / "vault"
    vault = vault_copies.open(vault_dir).vault
    key = "key:" + vault.export_key().hex()  # the worker opens the vault with it
    vault.lock()
    confirmed: dict[str, int] = {}
    attachments: set[str] = set()
    for _ in range(6):
        for line in _run_and_kill(vault_dir, key, "records", rng.uniform(0.05, 0.6)):
            _word, kind, record_id, n = line.split()
            if kind == "attachment":
                attachments.add(record_id)
            else:
                confirmed[record_id] = int(n)
        with Vault.unlock(vault_dir, PASSWORD) as vault:
            report = verify_vault(vault)
            assert report.healthy, report.damaged
            children = {r.record_id: r.data["n"] for r in vault.load("child").revisions}
            visits = {r.data["child"] for r in vault.load("visit").revisions}
            stored_attachments = {r.record_id for r in vault.load("attachment").revisions}
        for record_id, n in confirmed.items():
            assert children.get(record_id) == n
        assert set(children) <= visits  # a child and its visit were one transaction
        assert attachments <= stored_attachments
    assert len(confirmed) > 20  # the kills really happened mid-stream


@pytest.mark.slow
def test_kill_during_password_changes_never_locks_the_user_out(
    tmp_path: Path, vault_copies: VaultCopies
) -> None:
    rng = random.Random(4)
    vault_dir = tmp_path / "vault"
    vault_copies.open(vault_dir).vault.lock()
    passwords = [PASSWORD, "second-kill-phrase-b"]
    current = PASSWORD
    changes = 0
    for _ in range(5):
        lines = _run_and_kill(
            vault_dir, current, "passwd", rng.uniform(0.0, 0.5), after_lines=rng.randint(1, 2)
        )
        changes += len(lines)
        if lines:
            current = lines[-1].split()[1]
        other = passwords[1 - passwords.index(current)]
        # The last confirmed password works, or the change in flight had committed.
        try:
            Vault.unlock(vault_dir, current).lock()
        except WrongPasswordError:
            Vault.unlock(vault_dir, other).lock()
            current = other
    assert changes >= 5  # password changes were really under way when killed
