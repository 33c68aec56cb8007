"""The vault's command line: ``init``/``verify``/``passwd``/``recover`` in-process (the
console script's ``main``, as :func:`run_cli_in_process` runs it); the real ``childdesk``
console script for ``--version``, a run set up through the environment (``CHILDDESK_DATA_DIR``,
a real ``init``) and the desktop app without a display. tests/cli/test_laptop_edges_cli.py runs
``verify``/``passwd``/``recover`` as real processes too."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.conftest import run_cli, run_cli_in_process

PASSWORD = "green-hills-far-away"
CODE_RE = re.compile(r"\b(\d{4}(?:-\d{4}){7})\b")


def _init(vault_dir: Path, *extra: str) -> str:
    result = run_cli_in_process(
        "init",
        "--password-stdin",
        "--name",
        "王秀英",
        "--village",
        "500119104201",
        *extra,
        stdin=PASSWORD + "\n",
        data_dir=vault_dir,
    )
    assert result.returncode == 0, result.stderr
    match = CODE_RE.search(result.stdout)
    assert match, result.stdout
    return match.group(1)


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("childdesk ")


def test_init_verify_passwd_recover(tmp_path: Path) -> None:
    vault_dir = tmp_path / "v"
    code = _init(vault_dir)
    ok = run_cli_in_process("verify", "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir)
    assert ok.returncode == 0 and "healthy" in ok.stdout

    changed = run_cli_in_process(
        "passwd", stdin=f"{PASSWORD}\nsecond-phrase-here\n", data_dir=vault_dir
    )
    assert changed.returncode == 0, changed.stderr
    old = run_cli_in_process(
        "verify", "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert old.returncode == 2 and "wrong password" in old.stderr

    recovered = run_cli_in_process(
        "recover", stdin=f"{code}\nthird-phrase-here\n", data_dir=vault_dir
    )
    assert recovered.returncode == 0, recovered.stderr
    ok = run_cli_in_process(
        "verify", "--password-stdin", stdin="third-phrase-here\n", data_dir=vault_dir
    )
    assert ok.returncode == 0


def test_data_dir_from_environment(tmp_path: Path) -> None:
    import os
    import subprocess

    from tests.conftest import childdesk_executable

    env = {**os.environ, "CHILDDESK_DATA_DIR": str(tmp_path / "env-vault")}
    result = subprocess.run(
        [childdesk_executable(), "init", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env-vault" / "vault.header").exists()


def test_bad_input_messages(tmp_path: Path) -> None:
    vault_dir = tmp_path / "v"
    cases = [
        (("init", "--password-stdin"), "short\n", 1, "too short"),
        (("init", "--password-stdin", "--name", "王秀英"), "wangxiuying1980\n", 1, "own name"),
        (("init", "--password-stdin", "--village", "5001"), PASSWORD + "\n", 1, "12-digit"),
        (("init", "--password-stdin"), "", 1, "standard input"),
        (("verify", "--password-stdin"), PASSWORD + "\n", 2, "no vault"),
        (("recover",), "1234\nnew-phrase-good\n", 2, "no vault"),
    ]
    for args, stdin, code, fragment in cases:
        result = run_cli_in_process(*args, stdin=stdin, data_dir=vault_dir)
        assert result.returncode == code, (args, result.stderr)
        assert fragment in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    _init(vault_dir)
    again = run_cli_in_process(
        "init", "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    wrong_code = run_cli_in_process(
        "recover", stdin="1234-5678\nnew-phrase-good\n", data_dir=vault_dir
    )
    assert wrong_code.returncode == 2 and "32 digits" in wrong_code.stderr
    weak = run_cli_in_process("passwd", stdin=f"{PASSWORD}\n11111111\n", data_dir=vault_dir)
    assert weak.returncode == 1 and "single character" in weak.stderr


def test_password_is_not_accepted_as_an_argument(tmp_path: Path) -> None:
    result = run_cli_in_process("init", "--password", PASSWORD, data_dir=tmp_path / "v")
    assert result.returncode == 2  # argparse usage error: there is no such option


def test_verify_exit_codes_for_damage(tmp_path: Path) -> None:
    vault_dir = tmp_path / "v"
    _init(vault_dir)
    conn = sqlite3.connect(vault_dir / "vault.db")
    (ciphertext, record_id) = conn.execute("SELECT ciphertext, record_id FROM revisions").fetchone()
    conn.close()
    raw = bytearray((vault_dir / "vault.db").read_bytes())
    raw[raw.find(ciphertext) + 3] ^= 1
    (vault_dir / "vault.db").write_bytes(bytes(raw))
    damaged = run_cli_in_process(
        "verify", "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert damaged.returncode == 1
    assert f"record {record_id}" in damaged.stdout

    (vault_dir / "vault.db").write_bytes(b"not a database at all" * 100)
    broken = run_cli_in_process(
        "verify", "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert broken.returncode == 2
    assert len(broken.stderr.strip().splitlines()) == 1  # one-line reason
    assert "damaged" in broken.stderr and "Traceback" not in broken.stderr


def test_desktop_app_without_a_display_says_what_to_do() -> None:
    import os
    import subprocess

    from tests.conftest import childdesk_executable

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [childdesk_executable(), "--demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "xvfb-run" in result.stderr and "Traceback" not in result.stderr
