"""Printing benchmark: prints one JSON object.

Fills a vault with the demo caseload, then times (median of R runs, fonts already
registered) one 入户走访记录表 from the vault — read the visit, child and assessments, lay out,
embed the font subsets — and one 月度工作报表 for a month holding at least 500 visits: read
every record, compute the figures, lay out every page. Targets (issue: printed records):
visit_pdf_p50_ms <= 100, monthly_500_visits_ms <= 3000.

    python bench/printing.py [--children N] [--repeat R] [--out FILE]
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
from app.printing import (
    load_visit_record,
    monthly_report_pdf,
    register_fonts,
    render_visit_record,
    visit_record_pdf,
)
from app.services.monthly_report import CaseloadRecords, ReportMonth, monthly_figures
from storage.vault import Vault

TODAY = date(2026, 11, 22)
MONTH = ReportMonth(2026, 10)  # the last complete month before TODAY


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--children", type=int, default=450)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="childdesk-bench-") as tmp:
        vault = Vault.create(
            Path(tmp) / "vault",
            "benchmark-phrase-2026",
            kdf_target_ms=0,
            director_name="演示主任",
            village_code="500119104201",
        ).vault
        fill_vault(
            vault,
            children=args.children,
            seed=1,
            village_code="500119104201",
            today=TODAY,
            author="演示主任",
        )
        start = time.perf_counter()
        register_fonts()
        fonts_ms = (time.perf_counter() - start) * 1000
        visit_ids = [r.record_id for r in vault.load("visit").revisions[: args.repeat]]
        start = time.perf_counter()
        first = visit_record_pdf(vault, visit_ids[0], printed_on=TODAY)
        first_visit_ms = (time.perf_counter() - start) * 1000
        visit_times = []
        for visit_id in visit_ids:
            start = time.perf_counter()
            visit_record_pdf(vault, visit_id, printed_on=TODAY)
            visit_times.append(time.perf_counter() - start)
        render_times = []
        for visit_id in visit_ids:
            data = load_visit_record(vault, visit_id)
            start = time.perf_counter()
            render_visit_record(data, printed_on=TODAY)
            render_times.append(time.perf_counter() - start)
        figures = monthly_figures(
            CaseloadRecords.from_vault(vault), MONTH, today=TODAY, village_code="500119104201"
        )
        monthly_times = []
        pdf = b""
        for _ in range(max(3, args.repeat // 3)):
            start = time.perf_counter()
            pdf = monthly_report_pdf(vault, MONTH, today=TODAY)
            monthly_times.append(time.perf_counter() - start)
        vault.lock()

    result: dict[str, Any] = {
        "children": args.children,
        "font_registration_ms": round(fonts_ms, 1),
        "first_visit_pdf_ms": round(first_visit_ms, 1),
        "visit_pdf_p50_ms": round(statistics.median(visit_times) * 1000, 1),
        "visit_render_p50_ms": round(statistics.median(render_times) * 1000, 1),
        "visit_pdf_bytes": len(first),
        "month": str(MONTH),
        "month_visits": figures.visit_count,
        "month_due": figures.due_count,
        "monthly_500_visits_ms": round(statistics.median(monthly_times) * 1000, 1),
        "monthly_pdf_pages": pdf.count(b"/Type /Page\n"),
        "monthly_pdf_bytes": len(pdf),
    }
    result["meets_targets"] = (
        result["visit_pdf_p50_ms"] <= 100
        and result["monthly_500_visits_ms"] <= 3000
        and figures.visit_count >= 500
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
