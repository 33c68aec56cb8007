"""Where the suite's CPU goes (issue 15): with ``CHILDDESK_TEST_CPU_LOG=DIR`` set, every test
process appends one line per test to ``DIR/<pid>.tsv`` — node id, CPU seconds of the test
process itself, CPU seconds of the programs it started and waited for (command-line runs, the
end-to-end program, servers stopped within the test), wall seconds; setup and teardown
included. Wall time on 2 shared cores says little; CPU time is what four workers compete for.

``python -m tests.cpu_log DIR`` sums it per file and per folder, heaviest first;
``python -m tests.cpu_log DIR --durations`` prints the table tests/ordering.py orders the suite by
(tests and wall seconds per file: ``> tests/file_durations.tsv``).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "CHILDDESK_TEST_CPU_LOG"


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def pytest_configure(config: pytest.Config) -> None:
    if folder := os.environ.get(ENV):
        Path(folder).mkdir(parents=True, exist_ok=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    folder = os.environ.get(ENV)
    if not folder:
        return (yield)
    own, children = _cpu()
    wall = time.monotonic()
    try:
        return (yield)
    finally:
        own_after, children_after = _cpu()
        line = (
            f"{item.nodeid}\t{own_after - own:.3f}\t{children_after - children:.3f}"
            f"\t{time.monotonic() - wall:.3f}\n"
        )
        with (Path(folder) / f"{os.getpid()}.tsv").open("a", encoding="utf-8") as log:
            log.write(line)


def report(folder: Path, top: int = 40) -> str:
    per_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for tsv in folder.glob("*.tsv"):
        for row in tsv.read_text(encoding="utf-8").splitlines():
            nodeid, own, children, _wall = row.split("\t")
            entry = per_file[nodeid.split("::")[0]]
            entry[0] += float(own) + float(children)
            entry[1] += 1
            entry[2] += float(children)
    per_folder: dict[str, float] = defaultdict(float)
    for name, (cpu, _n, _c) in per_file.items():
        per_folder[str(Path(name).parent)] += cpu
    total = sum(cpu for cpu, _n, _c in per_file.values())
    lines = [f"total {total:.0f} CPU-s in {sum(n for _c, n, _x in per_file.values()):.0f} tests"]
    lines += [
        f"{cpu:8.1f}  {name}" for name, cpu in sorted(per_folder.items(), key=lambda x: -x[1])
    ]
    lines.append("")
    heaviest = sorted(per_file.items(), key=lambda x: -x[1][0])[:top]
    lines += [
        f"{cpu:8.1f} {n:4.0f} tests ({c:6.1f} in programs)  {name}"
        for name, (cpu, n, c) in heaviest
    ]
    return "\n".join(lines)


def durations(folder: Path) -> str:
    per_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for tsv in folder.glob("*.tsv"):
        for row in tsv.read_text(encoding="utf-8").splitlines():
            nodeid, _own, _children, wall = row.split("\t")
            if not nodeid.startswith("tests/"):  # e.g. the PostgreSQL server's own line
                continue
            entry = per_file[nodeid.split("::")[0]]
            entry[0] += 1
            entry[1] += float(wall)
    lines = ["# file\ttests\twall seconds (python -m tests.cpu_log DIR --durations)"]
    lines += [f"{name}\t{n:.0f}\t{wall:.1f}" for name, (n, wall) in sorted(per_file.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    if "--durations" in sys.argv:
        print(durations(Path(sys.argv[1])))
    else:
        print(report(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 40))
