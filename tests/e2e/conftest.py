"""The end-to-end suite: the real program in a real X window (Xvfb 1366×768, openbox, a tint2
taskbar), its real worker threads, faulthandler on, strict vault threading; input as real X
events. setup.sh installs the tools; without them the suite fails rather than hiding."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Display, missing_tools

SHOTS = Path(__file__).resolve().parents[2] / ".e2e-shots"  # kept for looking at afterwards


@pytest.fixture(scope="session")
def display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Display]:
    if missing := missing_tools():
        pytest.fail(f"end-to-end tools missing: {' '.join(missing)} (run ./setup.sh as root)")
    shown = Display().start(tmp_path_factory.mktemp("display"))
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
