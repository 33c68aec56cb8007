"""Session-wide test setup: fast vault creation helpers and real temporary data folders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from storage.vault import CreatedVault, Vault

PASSWORD = "river-bridge-lantern-42"
DIRECTOR = "王秀英"


def create_vault(path: Path, password: str = PASSWORD, **kwargs: object) -> CreatedVault:
    """A real vault with the floor KDF parameters (64 MiB, 3 passes) to keep tests quick."""
    kwargs.setdefault("director_name", DIRECTOR)
    kwargs.setdefault("village_code", "500119104201")
    return Vault.create(path, password, kdf_target_ms=0, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def created(vault_dir: Path) -> Iterator[CreatedVault]:
    created = create_vault(vault_dir)
    yield created
    created.vault.lock()


@pytest.fixture
def vault(created: CreatedVault) -> Vault:
    return created.vault


def childdesk_executable() -> str:
    exe = Path(sys.executable).with_name("childdesk")
    if exe.exists():
        return str(exe)
    found = shutil.which("childdesk")
    assert found, "the childdesk console script is not installed (run ./setup.sh)"
    return found


def run_cli(
    *args: str, stdin: str = "", data_dir: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    argv = [childdesk_executable()]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    return subprocess.run(
        [*argv, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MiB filesystem (tmpfs) to fill up; needs root, as CI and the dev machines have."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
