"""The benchmarks stay runnable: a small run of each prints the JSON figures it promises.
(Timing targets are checked by running the benchmarks themselves, not here.) The vault benchmark
runs as ``__main__`` in the test process (its work, without a new interpreter's start); the sync
load benchmark, which starts servers of its own, as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_script_in_process

ROOT = Path(__file__).resolve().parents[1]


def test_vault_benchmark_prints_its_figures() -> None:
    output = run_script_in_process(
        ROOT / "bench" / "vault.py",
        *("--children", "300", "--visits", "600", "--attachment-mb", "2", "--repeat", "2"),
    )
    figures = json.loads(output)
    for key in (
        "kdf_ms",
        "load_children_ms",
        "load_ratio_vs_plain",
        "save_p50_ms",
        "attachment_mb_per_s",
    ):
        assert figures[key] > 0, key
    assert figures["children"] == 300


def test_sync_load_benchmark_counts_nothing_lost() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "sync_load.py"),
            *("--devices", "12", "--revisions", "20", "--workers", "2"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["revisions_per_s"] > 0 and figures["p95_batch_ms"] > 0
    assert figures["lost"] == figures["duplicates"] == figures["failed_batches"] == 0
    assert figures["accepted_in_receipts"] == 12 * 20
    assert figures["server_workers"] == 2
