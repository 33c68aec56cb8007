"""The questionnaire benchmark stays runnable and prints the figures it promises
(the 2,000 per second target is checked by running the benchmark itself, not here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_questionnaire_benchmark_prints_its_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "questionnaire.py"), "--sets", "30", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["benchmark"] == "questionnaire"
    assert report["answer_sets"] == 30
    assert report["score_per_s"] > 0
    assert sum(report["levels"].values()) == 30
    assert {"green", "red"} <= set(report["levels"])  # the best and the worst case are in
