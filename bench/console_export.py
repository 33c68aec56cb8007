"""The district console's two register exports at city scale, side by side.

    python bench/console_export.py [--children 300000] [--towns 40] [--villages 30] [--postgres]

bench/console.py measures every console query on a full database (a year of visits,
assessments, cases: an hour to generate at 300,000 children on a loaded machine). The exports
read only the children — the query tables' rows and the merged child records — so this builds
just those: ``synthetic_child`` files (app/demo_caseload) written as merged ``child`` records,
then ``query_tables.rebuild``. It times, on the same database and in alternating order:

- ``register``: the query tables' register (queries_export.write_register, 15 columns);
- ``children``: the 登记表 export (queries_export.child_files + write_child_files: every
  record decoded with the laptop's ``ChildFile.from_json`` and written in its register
  layout, 26 columns) — and the reading and decoding alone;

each untraced with the process's peak resident memory (Linux: ``VmHWM``, reset before each
export through ``/proc/self/clear_refs``; the whole process, database driver included), and
with ``--traced`` once more under tracemalloc for the peak traced Python memory (several
times slower). Prints one JSON object. Target (issue 16): 300,000 rows ≤ 60 s in ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import tracemalloc
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _city import (  # noqa: E402
    TODAY,
    add_size_arguments,
    build_and_measure,
    insert_records,
    record_row,
)
from sqlalchemy import Engine  # noqa: E402

from app.demo_caseload import LEVEL_WEIGHTS, synthetic_child  # noqa: E402
from sync.server.console import queries as q  # noqa: E402
from sync.server.console import queries_export as qx  # noqa: E402
from sync.server.console.scope import Scope  # noqa: E402


class ChildrenOnly:
    """Writes a village's ``synthetic_child`` files as merged ``child`` records, nothing else."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.levels = list(LEVEL_WEIGHTS)
        self.weights = [LEVEL_WEIGHTS[lv] for lv in self.levels]
        self.seq = 0
        self.counts = {"children": 0}

    def village(self, code: str, children: int) -> None:
        rng = self.rng
        rows: list[tuple[Any, ...]] = []
        for _ in range(children):
            self.seq += 1
            child = synthetic_child(rng, code, TODAY, rng.choices(self.levels, self.weights)[0])
            child_id = f"{rng.getrandbits(128):032x}"
            rows.append(record_row(self.seq, child_id, "child", child_id, code, child.to_json()))
        insert_records(self.engine, rows)
        self.counts["children"] += children


def _register(conn: Any, scope: Scope, path: Path, work: Path) -> int:
    rows = q.register_rows(conn, scope, q.RegisterFilter(), TODAY)
    return qx.write_register(rows, path, work)


def _children(conn: Any, scope: Scope, path: Path, work: Path) -> int:
    children = qx.child_files(conn, scope, q.RegisterFilter(), TODAY)
    return qx.write_child_files(children, path, work)


def _reset_peak() -> None:
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def measure(engine: Engine, rounds: int, traced: bool) -> dict[str, Any]:
    district = Scope("district", (), 1)
    work = qx.new_work_dir(qx.work_root(engine))
    times: dict[str, list[float]] = {"register": [], "children": [], "decode": []}
    out: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            kinds = [("register", _register), ("children", _children)]
            for r in range(rounds):
                for kind, fn in kinds if r % 2 == 0 else kinds[::-1]:
                    path = work / f"{kind}.xlsx"
                    _reset_peak()
                    began = time.perf_counter()
                    out[f"{kind}_rows"] = fn(conn, district, path, work)
                    times[kind].append(time.perf_counter() - began)
                    out[f"{kind}_peak_rss_mb"] = _peak_mb()
                    out[f"{kind}_file_mb"] = round(path.stat().st_size / 2**20, 1)
                began = time.perf_counter()
                sum(1 for _ in qx.child_files(conn, district, q.RegisterFilter(), TODAY))
                times["decode"].append(time.perf_counter() - began)
            for kind, fn in kinds if traced else []:
                tracemalloc.start()
                fn(conn, district, work / f"{kind}.xlsx", work)
                out[f"{kind}_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
                tracemalloc.stop()
    finally:
        qx.remove_work_dir(work)
    for kind, samples in times.items():
        out[f"{kind}_s"] = [round(s, 1) for s in samples]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    add_size_arguments(parser, children=300_000, towns=40, villages=30)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--traced", action="store_true", help="also the traced Python peak")
    parser.add_argument("--postgres", action="store_true", help="start a temporary PostgreSQL")
    args = parser.parse_args()
    result = build_and_measure(
        args,
        "childdesk-console-export-bench-",
        lambda engine: ChildrenOnly(engine, args.seed),
        lambda engine, _codes: measure(engine, args.rounds, args.traced),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
