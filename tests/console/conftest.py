"""Console fixtures: a real ``childdesk-district serve`` on loopback (tests/console/site.py).

Console passwords are hashed with the test-only cheap Argon2id parameters, here (accounts made
and checked in the test process) and in the servers the tests start (``serving``): with the
real ones every account added, every sign-in and every password change costs ~0.25 CPU-s in
each process. tests/console/test_password_hash.py keeps checking the real parameters.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.server.console.accounts import TEST_FAST_HASH_ENV
from tests.console.site import Site, running_site
from tests.sync.test_district_cli import PASSPHRASE, district_cli

os.environ[TEST_FAST_HASH_ENV] = "1"

_INITIALISED: list[Path] = []


def _district_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of a folder ``childdesk-district init`` made once per test session."""
    if not _INITIALISED:
        made = tmp_path_factory.mktemp("console-init") / "district"
        result = district_cli("init", "--passphrase-stdin", data_dir=made, stdin=f"{PASSPHRASE}\n")
        assert result.returncode == 0, result.stderr
        _INITIALISED.append(made)
    data_dir = tmp_path_factory.mktemp("console") / "district"
    shutil.copytree(_INITIALISED[0], data_dir)
    return data_dir


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server per test module; tests add their own accounts (unique names)."""
    with running_site(_district_folder(tmp_path_factory)) as running:
        yield running


@pytest.fixture
def fresh_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server of this test's own."""
    with running_site(_district_folder(tmp_path_factory)) as running:
        yield running
