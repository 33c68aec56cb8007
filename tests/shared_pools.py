"""The demo's answer pools drawn once per test run, not once per worker (issue 15: suite time).

``app.demo_caseload.answer_pools`` remembers the pools it drew for a generator state in its
process (``_DRAWN``); the five pytest-xdist workers each drew the same ones again — 81 drawings
of 34 different pools in a run, ~0.3 CPU-s each. Here a worker writes each pool it drew to the
run's temporary folder, and before each test takes in the ones other workers wrote, so the memo
finds them. The memo's own test (tests/test_answer_pools_memo.py) checks that what it gives is
the real drawing; ``draw_answer_pools`` itself is never replaced. Files are keyed by the bundled
definition's bytes, so an edited questionnaire is never served old pools.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from app import demo_caseload
from app.questionnaire.loader import bundled_definition_path

_SEEN: set[str] = set()  # file names this process has read or written
_HELD: set[int] = set()  # ids of the memo's entries already read or written (cheap to test)
_FOLDER: list[Path] = []


def _folder(config: pytest.Config) -> Path:
    if not _FOLDER:
        base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
        # a worker's folder is popen-gwN inside the run's own: share the run's
        run_root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
        definition = hashlib.sha256(bundled_definition_path().read_bytes()).hexdigest()[:16]
        folder = run_root / f"answer-pools-{definition}"
        folder.mkdir(exist_ok=True)
        _FOLDER.append(folder)
    return _FOLDER[0]


def _name(key: tuple[Any, ...]) -> str:
    return hashlib.sha256(pickle.dumps(key)).hexdigest()[:32] + ".pickle"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    folder = _folder(item.config)
    for path in folder.glob("*.pickle"):
        if path.name in _SEEN or len(demo_caseload._DRAWN) >= demo_caseload._DRAWN_MAX:
            continue
        _SEEN.add(path.name)
        key, value = pickle.loads(path.read_bytes())
        _HELD.add(id(demo_caseload._DRAWN.setdefault(key, value)))


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    folder = _folder(item.config)
    for key, value in list(demo_caseload._DRAWN.items()):
        if id(value) in _HELD:
            continue
        _HELD.add(id(value))
        name = _name(key)
        if name in _SEEN:
            continue
        _SEEN.add(name)
        partial = folder / f".{name}.{os.getpid()}"
        partial.write_bytes(pickle.dumps((key, value)))
        partial.replace(folder / name)  # whole or not there: another worker may be reading
