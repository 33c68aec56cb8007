"""bench/registers.py stays runnable: a small run prints the figures it promises (run as
``__main__`` in the test process: the benchmark's work, without a new interpreter's start)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_script_in_process

ROOT = Path(__file__).resolve().parents[2]


def test_register_benchmark_prints_its_figures() -> None:
    figures = json.loads(run_script_in_process(ROOT / "bench" / "registers.py", "--small"))
    for key in ("preview_s", "commit_s", "export_s", "export_encrypted_s"):
        assert figures[key] > 0, key
    counts = figures["counts"]
    assert counts["problem"] == figures["bad_rows_made"] == 5
    assert counts["create"] + counts["update"] + counts["unchanged"] == 95
    assert figures["written"]["left_out"] == 5
