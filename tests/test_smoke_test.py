"""``childdesk --smoke-test`` from source, as a real process (the build runs it on the bundle)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import childdesk_executable

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the smoke test must choose offscreen itself
    env.pop("CHILDDESK_DATA_DIR", None)
    return env


def test_smoke_test_prints_ok() -> None:
    result = subprocess.run(
        [childdesk_executable(), "--smoke-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "OK\n"
    for step in ("qt-offscreen", "qt-translation", "cjk-font", "vault-create", "pdf-render"):
        assert f"smoke test: {step} ok" in result.stderr


def test_smoke_test_names_the_failed_step() -> None:
    # A bundle without its resources folder: the first step says so and nothing prints OK.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "import resources\n"
        "resources.resources_root = lambda: Path('/nonexistent/resources')\n"
        "from ui.launcher import main\n"
        "sys.exit(main(['--smoke-test']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=_env(),
        check=False,
    )
    assert result.returncode == 1
    assert "OK" not in result.stdout
    assert "smoke test FAILED at resources: FileNotFoundError" in result.stderr
