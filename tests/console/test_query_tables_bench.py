"""bench/sync_load.py --compare --in-process (issue 16's ingest cost of the query tables) runs
and reports the hook's own CPU next to the with / without series, and the catch-up of the
pending children after the load (the work moved out of ingest, not removed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_in_process_compare_reports_the_hooks_cpu() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "sync_load.py"),
            *("--compare", "1", "--in-process", "--devices", "4", "--revisions", "10"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["lost"] == figures["duplicates"] == figures["failed_batches"] == 0
    (hook,) = figures["hook_cpu_ms_per_1000_revisions"]
    (with_tables,) = figures["server_cpu_ms_per_1000_revisions_with_query_tables"]
    assert 0 < hook < with_tables
    series = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    baseline = [s for s in series if not s["query_tables"]]
    assert baseline and all(s["hook_cpu_ms_per_1000_revisions"] == 0 for s in baseline)
    assert all(s["query_table_children"] == 0 for s in baseline)
    assert all(s["query_tables_catch_up_s"] is None for s in baseline)
    (caught,) = [s for s in series if s["query_tables"]]
    assert caught["query_table_children"] == 40  # every child, after the catch-up
    (catch_up_cpu,) = figures["query_tables_catch_up_cpu_s"]
    (catch_up_s,) = figures["query_tables_catch_up_s"]
    assert catch_up_cpu > 0 and catch_up_s > 0
    assert figures["catch_up_cpu_ms_per_1000_revisions"][0] > 0
