"""Under CI (``.ci/run`` exports CI=1) a test whose real setup cannot be made fails instead of
skipping silently: here the full-disk test on a machine that cannot mount its small tmpfs (a user
namespace without the right to mount, as an unprivileged container would be)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FULL_DISK_TEST = (
    "tests/storage/test_disk_faults.py::test_creating_a_vault_on_a_full_disk_fails_clearly"
)


def _pytest_without_mount_rights(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    return subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",  # root inside, but no right to mount on the host's filesystems
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",  # one process (the project's options may ask for several)
            f"--basetemp={tmp_path / 'run'}",
            FULL_DISK_TEST,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_full_disk_test_fails_under_ci_when_it_cannot_mount(tmp_path: Path) -> None:
    result = _pytest_without_mount_rights(tmp_path, CI="1")
    output = result.stdout + result.stderr
    if "Operation not permitted" in output and "unshare" in output:
        pytest.skip("user namespaces are not available here")
    assert result.returncode == 1, output
    assert "cannot mount a small tmpfs here" in output
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("1 error in "), summary  # fails in its setup, nothing skipped


def test_the_venv_is_made_from_the_distributions_python_when_there_is_one() -> None:
    """setup.sh's choice (README): the distribution's /usr/bin/python3 when it is 3.11 or newer
    and has venv's ensurepip — Debian's is built with PGO and LTO, and on pyenv's source build
    the suite took ~15 % more CPU (docs/performance.md) — unless ``PYTHON`` chose another."""
    made_from = ROOT / ".venv" / ".childdesk-interpreter"
    if not made_from.exists() or os.environ.get("PYTHON"):
        pytest.skip("this .venv was not made by setup.sh's own choice")
    system = Path("/usr/bin/python3")
    usable = system.exists() and (
        subprocess.run(
            [str(system), "-c", "import sys, ensurepip; sys.exit(sys.version_info < (3, 11))"],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    if not usable:
        pytest.skip("no distribution Python 3.11+ with venv here")
    assert made_from.read_text().strip() == str(system.resolve())
    assert Path(sys._base_executable).resolve() == system.resolve()  # type: ignore[attr-defined]
