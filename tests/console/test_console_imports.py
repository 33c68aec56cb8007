"""Starting the district server does not load the PDF renderer (reportlab and PIL, about half a
second per process): only the routes that print import app.printing, when they print. Nor the
laptop's vault (sqlite-utils), the questionnaire engine (jsonschema, lark) or the workbook writer:
the server names their types and constants, and loads them when a request needs them."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import importlib, pkgutil, sys
import sync.server.console as package
from sync.server.app import create_app
for info in pkgutil.iter_modules(package.__path__):
    if info.name.startswith("routes_"):
        importlib.import_module(f"sync.server.console.{info.name}")
print(" ".join(sorted(m for m in NOT_AT_START if m in sys.modules)))
"""
NOT_AT_START = (
    "reportlab",
    "PIL",
    "app.printing",
    "storage.vault",
    "sqlite_utils",
    "app.questionnaire.engine",
    "app.questionnaire.model",
    "jsonschema",
    "lark",
    "xlsxwriter",
)


def test_the_console_routes_load_without_the_pdf_renderer_vault_or_engine() -> None:
    shown = subprocess.run(
        [sys.executable, "-c", f"NOT_AT_START = {NOT_AT_START!r}\n{_PROBE}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == "", shown


def test_the_summary_page_still_has_its_words() -> None:
    from app.domain.labels_zh import SCREENING_ZH
    from app.printing import year_summary
    from sync.server.console import routes_summary

    assert routes_summary.SCREENING_ZH is SCREENING_ZH is year_summary.SCREENING_ZH
    assert SCREENING_ZH["flagged"] == "建议关注"
