"""报表: the month's figures on screen are those of app.services.monthly_report; the chart's
bars carry their words; the month picker and the print signal."""

from __future__ import annotations

from datetime import date

from pytestqt.qtbot import QtBot

from app.services.monthly_report import CaseloadRecords, ReportMonth, monthly_figures
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.reports_page import ReportsPage

TODAY = date(2026, 11, 22)  # the desk fixtures' fixed today (tests/ui/conftest.py)


def make_page(qtbot: QtBot, desk: DeskServices, store: CaseloadStore) -> ReportsPage:
    page = ReportsPage(desk, store)
    qtbot.addWidget(page)
    store.load()
    return page


def expected(desk: DeskServices, month: str):  # type: ignore[no-untyped-def]
    return monthly_figures(
        CaseloadRecords.from_vault(desk.vault),
        ReportMonth.parse(month),
        today=TODAY,
        village_code=desk.village_code,
        schedule=desk.schedule,
    )


def test_current_month_figures_and_chart(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, demo_desk, store)
    assert page.month.currentText() == "2026年11月"
    assert not page.next_month.isEnabled()  # no future months
    want = expected(demo_desk, "2026-11")
    got = page.figures
    assert got is not None
    assert (got.due_count, got.done_count, got.overdue_count, got.pending_count) == (
        want.due_count,
        want.done_count,
        want.overdue_count,
        want.pending_count,
    )
    assert got.levels_at_end == want.levels_at_end
    assert want.due_count > 0 and want.children_followed == 40

    values = page.values
    assert values["children_followed"].text() == "40 人"
    assert values["due"].text().startswith(f"{want.due_count} 人")
    assert values["done"].text().startswith(f"{want.done_count} 人")
    assert values["overdue"].text().startswith(f"{want.overdue_count} 人")
    for late in want.overdue:
        assert late.name in values["overdue"].text()
    assert values["rate"].text() == f"{round(100 * want.done_count / want.due_count)}%"
    assert values["visits"].text().startswith(f"{want.visit_count} 次")
    assert "本月尚未结束" in page.period.text()

    (level_title, level_bars), (visit_title, visit_bars) = page.chart.panels()
    assert "等级" in level_title and "走访" in visit_title
    # Every bar has its word: never colour alone.
    assert [b.label for b in level_bars] == ["红", "橙", "黄", "绿", "未评估"]
    assert [b.value for b in level_bars] == [
        want.levels_at_end[level] for level in ("red", "orange", "yellow", "green", "none")
    ]
    assert {b.label: b.value for b in visit_bars} == {
        "应走访": want.due_count,
        "已走访": want.done_count,
        "逾期未走访": want.overdue_count,
        "待走访": want.pending_count,
    }
    assert "红 " in page.chart.accessibleDescription()
    page.resize(1000, 700)
    assert not page.grab().isNull()


def test_choosing_an_earlier_month(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, demo_desk, store)
    page.previous_month.click()
    assert page.month.currentText() == "2026年10月"
    assert page.next_month.isEnabled()
    want = expected(demo_desk, "2026-10")
    assert page.figures is not None and page.figures.month == ReportMonth(2026, 10)
    assert page.figures.done_count == want.done_count
    assert page.figures.complete
    assert "本月尚未结束" not in page.period.text()
    _levels, (_title, visit_bars) = page.chart.panels()
    assert [b.label for b in visit_bars] == ["应走访", "已走访", "逾期未走访"]  # no 待走访

    page.select_month("2025-12")
    assert page.figures.month == ReportMonth(2025, 12)


def test_print_button_emits_the_month(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, demo_desk, store)
    with qtbot.waitSignal(page.print_monthly) as printed:
        page.print_button.click()
    assert printed.args == ["2026-11"]
    page.select_month("2026-09")
    with qtbot.waitSignal(page.print_monthly) as printed:
        page.print_button.click()
    assert printed.args == ["2026-09"]


def test_empty_vault_shows_zeroes(qtbot: QtBot, desk: DeskServices, store: CaseloadStore) -> None:
    page = make_page(qtbot, desk, store)
    assert page.values["children_followed"].text() == "0 人"
    assert page.values["rate"].text() == "—"
    assert all(b.value == 0 for _t, bars in page.chart.panels() for b in bars)
    page.resize(800, 600)
    assert not page.grab().isNull()
