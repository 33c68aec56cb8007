"""The 报表 screen's 导出表格 window fits a 1366×768 screen (with a taskbar) and smaller ones,
at the default and the largest text, with no clipped button (the checks of
tests/ui/test_window_fit.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from app.services.monthly_report import ReportMonth, monthly_figures
from tests.ui.test_window_fit import text_scale, walk  # noqa: F401 - fixture
from ui.desk_services import DeskServices
from ui.ui_settings import UiSettings
from ui.views.report_export import MonthlyExportDialog


def test_the_monthly_export_window_fits(
    qtbot,
    demo_desk: DeskServices,
    tmp_path: Path,
    text_scale: float,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    records = demo_desk.reports.records()
    today = demo_desk.today()
    month = ReportMonth(today.year, today.month)
    figures = monthly_figures(records, month, today=today, village_code=demo_desk.village_code)
    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    problems = walk(
        lambda: MonthlyExportDialog(
            demo_desk.runner, figures, records, demo_desk.village_code, settings=settings
        )
    )
    assert problems == [], "\n".join(problems)
