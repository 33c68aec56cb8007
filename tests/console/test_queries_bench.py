"""bench/console.py stays runnable: its --small run prints every figure it promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_console_benchmark_small_run_prints_its_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "console.py"), "--small"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["children"] == 240 and figures["villages"] == 12
    assert figures["visits"] > 1000 and figures["export_rows"] == 240
    for key in (
        "reindex_s",
        "overview_p95_ms",
        "overview_town_p95_ms",
        "register_filter_p95_ms",
        "pinyin_search_p95_ms",
        "child_page_p95_ms",
        "villages_p95_ms",
        "export_s",
        "export_peak_mb",
        "activities_district_p95_ms",
        "activities_town_p95_ms",
        "activity_page_p95_ms",
        "activity_photo_p95_ms",
    ):
        assert figures[key] > 0, key
    # a year of 12 activities per village, each listed for the district
    assert figures["activities_added"] == figures["activities_listed"] == 12 * 12
