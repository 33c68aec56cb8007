"""bench/printing.py stays runnable and prints the figures docs/performance.md records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_printing_benchmark_prints_its_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "printing.py"), "--children", "60", "--repeat", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)
    for key in ("visit_pdf_p50_ms", "visit_render_p50_ms", "monthly_500_visits_ms", "month_visits"):
        assert isinstance(figures[key], int | float), key
    assert figures["monthly_pdf_pages"] >= 1
