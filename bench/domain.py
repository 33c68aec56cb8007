"""Domain benchmark: prints one JSON object.

Fills a vault with the demo caseload (10,000 children with a year of visits, assessments and
cases), builds the caseload index from the vault, then times the due lists (overdue and due
soon) over every child. Target (issue: child files, visits, schedule and cases):
due_list_ms <= 200; the demo fill of 10,000 children must finish in under a minute.

    python bench/domain.py [--children N] [--repeat R] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.demo_caseload import fill_vault
from app.domain.schedule import load_schedule
from app.services.caseload import Caseload
from storage.vault import Vault

TODAY = date(2026, 11, 22)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="childdesk-bench-") as tmp:
        vault = Vault.create(Path(tmp) / "vault", "benchmark-phrase-2026", kdf_target_ms=0).vault
        start = time.perf_counter()
        summary = fill_vault(
            vault,
            children=args.children,
            seed=1,
            village_code="500119104201",
            today=TODAY,
            author="演示主任",
        )
        fill_s = time.perf_counter() - start
        start = time.perf_counter()
        caseload = Caseload.build(vault)
        build_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        Caseload.open(vault)  # from the encrypted cache the build wrote
        cached_ms = (time.perf_counter() - start) * 1000
        schedule = load_schedule()
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            lists = caseload.due(schedule, TODAY)
            times.append(time.perf_counter() - start)
        vault.lock()

    result: dict[str, Any] = {
        "children": args.children,
        "visits": summary.visits,
        "assessments": summary.assessments,
        "cases": summary.cases,
        "demo_fill_s": round(fill_s, 1),
        "caseload_build_ms": round(build_ms, 1),
        "caseload_open_cached_ms": round(cached_ms, 1),
        "due_list_ms": round(statistics.median(times) * 1000, 2),
        "overdue": len(lists.overdue),
        "due_soon": len(lists.due_soon),
    }
    result["meets_targets"] = result["due_list_ms"] <= 200 and (
        args.children < 10_000 or fill_s < 60
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
