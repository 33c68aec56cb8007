"""The end-to-end suite: the real program in a real X window (Xvfb 1366×768, openbox, a tint2
taskbar), its real worker threads, faulthandler on, strict vault threading; input as real X
events. setup.sh installs the tools; without them the suite fails rather than hiding."""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage.vault import Vault
from tests.conftest import VaultCopies
from tests.e2e.harness import Display, missing_tools

SHOTS = Path(__file__).resolve().parents[2] / ".e2e-shots"  # kept for looking at afterwards
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each journey file carries an ``xdist_group`` mark; pytest-xdist 3.8 with pytest 9.2 does
    not honour it outside tests/console (see that conftest), so the journeys are scheduled one
    by one and spread through the run by tests/ordering.py — each worker that gets one starts
    its own display (below) once."""
    for item in items:
        path = Path(str(item.fspath))
        if path.parent == HERE:
            item.add_marker(pytest.mark.xdist_group(f"e2e-{path.stem}"))


@pytest.fixture(scope="session")
def display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Display]:
    if missing := missing_tools():
        pytest.fail(f"end-to-end tools missing: {' '.join(missing)} (run ./setup.sh as root)")
    # One display per test process: parallel workers (pytest-xdist) and other runs on this
    # machine take turns choosing a free display number and starting Xvfb on it.
    lock_path = Path(tempfile.gettempdir()) / "childdesk-e2e-display.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            shown = Display().start(tmp_path_factory.mktemp("display"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    yield shown
    shown.stop()


@pytest.fixture
def workdir(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    yield tmp_path
    shots = tmp_path / "shots"
    if shots.exists():  # every screenshot a journey took, by test name
        target = SHOTS / request.node.name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(shots, target)


def locked_copy(
    copies: VaultCopies, folder: Path, name: str, fill: Callable[[Vault], None]
) -> Path:
    """A locked vault in ``folder`` (password ``PASSWORD``, floor key-derivation parameters)
    holding what ``fill`` puts in: a copy of a vault filled once per test process under
    ``name`` (tests/conftest.py's templates), not filled again for each journey — generating
    the demo caseload's answer sets cost each journey more than a second of CPU. The journeys
    are about the program, which unlocks the copy with the password as any vault."""
    copies.open(folder, fill=(name, fill)).vault.lock()
    return folder
