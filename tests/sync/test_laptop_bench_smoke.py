"""bench/device_sync.py stays runnable (a small run; the targets are checked by the benchmark
itself, figures in docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_device_sync_benchmark_prints_its_figures() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "device_sync.py"),
            "--children",
            "5",
            "--revisions",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["export_revisions"] == 60
    assert figures["lost"] == 0 and figures["duplicates"] == 0
    assert figures["first_sync_200_children_ms"] > 0
