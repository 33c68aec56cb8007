"""tests/conftest.py's ``run_cli_in_process`` gives what the real ``childdesk`` process gives
(``run_cli``): exit code, standard output and standard error — including a usage error (argparse's
``SystemExit``) and a log warning (Python's last-resort handler writes it to standard error in a
program without logging set-up; under pytest the root logger has the test run's handlers)."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, VaultCopies, run_cli, run_cli_in_process


def _same(real: object, in_process: object, *replace: tuple[str, str]) -> None:
    def seen(result: object) -> tuple[int, str, str]:
        out, err = result.stdout, result.stderr  # type: ignore[attr-defined]
        for old, new in replace:
            out, err = out.replace(old, new), err.replace(old, new)
        return result.returncode, out, err  # type: ignore[attr-defined]

    assert seen(in_process) == seen(real)


def test_a_usage_error(tmp_path: Path) -> None:
    args = ("questionnaire", "score", "@default", "x.json", "--today", "2026-13-01")
    real, in_process = run_cli(*args), run_cli_in_process(*args)
    assert real.returncode == 2 and "YYYY-MM-DD" in real.stderr
    _same(real, in_process)


def test_a_repair_logged_while_verifying(
    tmp_path: Path, vault_copies: VaultCopies, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # the test run's handler on the root logger, as in CI
    first, second = tmp_path / "a", tmp_path / "b"
    vault = vault_copies.open(first).vault
    vault.put("child", {"name": "儿童"}, author="王")
    vault.lock()
    conn = sqlite3.connect(first / "vault.db")
    conn.execute("UPDATE header SET body = 42 WHERE id = 1")  # repaired (and logged) on open
    conn.commit()
    conn.close()
    shutil.copytree(first, second)
    stdin = PASSWORD + "\n"
    real = run_cli("verify", "--password-stdin", stdin=stdin, data_dir=first)
    in_process = run_cli_in_process("verify", "--password-stdin", stdin=stdin, data_dir=second)
    assert real.returncode == 1 and "repairing stale or damaged" in real.stderr
    _same(real, in_process, (str(first), "VAULT"), (str(second), "VAULT"))
    assert logging.getLogger().handlers  # the test run's handlers are back
