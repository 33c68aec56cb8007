"""The year-end summary's windows (年度总结, 典型案例) fit a laptop screen at the default and the
largest (特大) text, as every window does (tests/ui/test_window_fit.py's checks)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.ui.test_window_fit import text_scale as text_scale  # the fixture, both scales
from tests.ui.test_window_fit import walk
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices


def test_year_summary_windows_fit(qtbot: QtBot, demo_desk: DeskServices, text_scale: float) -> None:
    from ui.views.year_summary_dialog import TypicalCaseDialog, YearSummaryDialog

    store = CaseloadStore(demo_desk.vault, demo_desk.runner)
    store.refresh()
    problems = walk(lambda: YearSummaryDialog(demo_desk, store.caseload))
    problems += walk(lambda: TypicalCaseDialog(demo_desk, store.caseload))
    assert problems == [], "\n".join(problems)
