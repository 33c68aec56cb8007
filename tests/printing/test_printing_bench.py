"""bench/printing.py stays runnable and prints the figures docs/performance.md records (run as
``__main__`` in the test process: the benchmark's work, without a new interpreter's start)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_script_in_process

ROOT = Path(__file__).resolve().parents[2]


def test_printing_benchmark_prints_its_figures() -> None:
    output = run_script_in_process(
        ROOT / "bench" / "printing.py", "--children", "60", "--repeat", "2"
    )
    figures = json.loads(output)
    for key in ("visit_pdf_p50_ms", "visit_render_p50_ms", "monthly_500_visits_ms", "month_visits"):
        assert isinstance(figures[key], int | float), key
    assert figures["monthly_pdf_pages"] >= 1
