"""The order the suite is handed to pytest-xdist's workers (issue 15: suite time).

The end-to-end journeys (tests/e2e) mostly wait on the real program and X: each is 5–70 s of
wall time on little CPU. In file order they all ran at once on the four workers, leaving the
two cores half idle for about 100 s. Here they are spread evenly through the first 80 % of the
run by expected time, so the other workers keep the cores busy meanwhile. The modules that
tests/console/conftest.py keeps on one worker (its ``@group`` node ids) go first, heaviest
first, as pytest-xdist's own reordering did; then the other tests in file order. (Files of long
tests first was tried: the long ones are mostly waits too, and bunched together they left the
cores idle — 251 s against 243 s.) ``--no-loadscope-reorder`` in pyproject.toml hands this
order to the workers unchanged.

Expected times come from ``tests/file_durations.tsv`` (wall seconds per file from a
``CHILDDESK_TEST_CPU_LOG`` run: ``python -m tests.cpu_log DIR --durations``); a file not in it
counts 0.3 s per test. Only the order changes: every test runs, on the same fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
DURATIONS = _HERE / "file_durations.tsv"
_UNKNOWN = 0.3  # seconds per test of a file not in the table
SPREAD_OVER = 0.8  # the journeys go into the first 80 % of the run


def file_weights(table: Path = DURATIONS) -> dict[str, float]:
    """Seconds per test, by file path relative to the repository (``tests/...``)."""
    weights: dict[str, float] = {}
    if not table.exists():
        return weights
    for row in table.read_text(encoding="utf-8").splitlines():
        if row and not row.startswith("#"):
            name, count, wall = row.split("\t")
            weights[name] = float(wall) / max(1, int(count))
    return weights


def _unit(nodeid: str) -> str:
    """pytest-xdist's work unit (loadgroup): the group after ``@``, else the test itself."""
    return nodeid.rsplit("@", 1)[-1] if "@" in nodeid else nodeid


def spread(items: list[pytest.Item], weights: dict[str, float]) -> list[pytest.Item]:
    e2e_dir = _HERE / "e2e"
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(_unit(item.nodeid), []).append(item)

    def weight(unit: list[pytest.Item]) -> float:
        return sum(weights.get(i.nodeid.split("::")[0], _UNKNOWN) for i in unit)

    waiting = [u for u in units.values() if Path(str(u[0].path)).parent == e2e_dir]
    rest = [u for u in units.values() if Path(str(u[0].path)).parent != e2e_dir]
    grouped = sorted((u for u in rest if "@" in u[0].nodeid), key=weight, reverse=True)
    ordered = grouped + [u for u in rest if "@" not in u[0].nodeid]
    # the k-th journey goes where (k + ½)/n of SPREAD_OVER of the other tests' time has been
    # handed out: none among the last quick tests, where a long wait would end the run alone
    total = sum(weight(u) for u in ordered) * SPREAD_OVER
    result: list[pytest.Item] = []
    done = 0.0
    pending = list(waiting)
    for unit in ordered:
        while pending and done >= total * (len(waiting) - len(pending) + 0.5) / len(waiting):
            result += pending.pop(0)
        result += unit
        done += weight(unit)
    for unit in pending:
        result += unit
    return result


@pytest.hookimpl(trylast=True)  # after tests/console/conftest.py has tagged its groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items[:] = spread(items, file_weights())
