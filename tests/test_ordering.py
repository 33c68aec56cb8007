"""tests/ordering.py: the journeys spread through the run, every test handed out once."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ordering import DURATIONS, file_weights, spread

HERE = Path(__file__).resolve().parent


@dataclass
class Collected:  # what spread() reads of a pytest item
    nodeid: str

    @property
    def path(self) -> Path:
        return HERE.parent / self.nodeid.split("::")[0]


def _items() -> list[Collected]:
    items = [Collected(f"tests/cli/test_a{i}.py::test_{j}") for i in range(20) for j in range(5)]
    items += [Collected(f"tests/e2e/test_journeys.py::test_{j}") for j in range(4)]
    items += [Collected(f"tests/console/test_c.py::test_{j}@console-c") for j in range(3)]
    items += [Collected(f"tests/ui/test_u{i}.py::test_x") for i in range(20)]
    return items


def test_every_test_once_groups_first_and_journeys_spread() -> None:
    items = _items()
    ordered = spread(items, {})  # type: ignore[arg-type]
    assert sorted(i.nodeid for i in ordered) == sorted(i.nodeid for i in items)
    names = [i.nodeid for i in ordered]
    assert all("@console-c" in n for n in names[:3]), names[:3]  # the grouped module first
    places = [k for k, n in enumerate(names) if "/e2e/" in n]
    assert len(places) == 4
    gaps = [b - a for a, b in itertools.pairwise(places)]
    assert min(gaps) >= 20, places  # 127 tests, 4 journeys over 80 %: ~25 apart, not bunched
    assert places[0] >= 5 and places[-1] <= len(names) * 0.85, places  # none in the last tests


def test_file_order_is_kept_within_a_file() -> None:
    ordered = [i.nodeid for i in spread(_items(), {})]  # type: ignore[arg-type]
    cli = [n for n in ordered if "/cli/" in n]
    assert cli == sorted(cli, key=lambda n: (int(n.split("test_a")[1].split(".")[0]), n))


def test_the_table_covers_the_suite_s_heavy_files() -> None:
    weights = file_weights(DURATIONS)
    assert weights, "tests/file_durations.tsv is missing or empty"
    assert weights.get("tests/e2e/test_director_journeys.py", 0) > 5  # journeys are long


@pytest.mark.parametrize("name", ["tests/e2e/test_journeys.py", "tests/console/test_queries.py"])
def test_the_table_names_files_that_exist(name: str) -> None:
    assert name in file_weights(DURATIONS)
    assert (HERE.parent / name).exists()
