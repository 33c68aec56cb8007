"""bench/registers.py stays runnable: a small run prints the figures it promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_register_benchmark_prints_its_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "registers.py"), "--small"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)
    for key in ("preview_s", "commit_s", "export_s", "export_encrypted_s"):
        assert figures[key] > 0, key
    counts = figures["counts"]
    assert counts["problem"] == figures["bad_rows_made"] == 5
    assert counts["create"] + counts["update"] + counts["unchanged"] == 95
    assert figures["written"]["left_out"] == 5
