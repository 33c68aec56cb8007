"""Archiving at 18 from the 待办 list (issue 19): the 已满18岁 entry leads to the transition plan;
保存并归档 is refused in words until the hand-over is recorded, then the file is archived with
reason 年满18 and leaves the list."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.child_file import ArchiveReason
from tests.ui.test_todo_page import add_child, make_page
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.theme import apply_text_scale
from ui.views.todo_lists import OPEN_TRANSITION
from ui.views.todo_page import TRANSITIONS
from ui.views.transition_plan_dialog import TransitionPlanDialog


def test_the_turned_18_entry_leads_to_the_plan_and_archives_after_the_hand_over(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    adult = add_child(desk, "周强", birth=date(2008, 10, 1))
    page = make_page(qtbot, desk, store)
    (entry,) = [e for e in page.entries(TRANSITIONS) if e.child_id == adult]
    assert entry.opens == OPEN_TRANSITION and "交接" in entry.detail

    dialog = TransitionPlanDialog(desk, adult, "周强")
    qtbot.addWidget(dialog)
    assert not dialog.archive_button.isHidden()  # 18: the button is offered
    dialog.referred_on.setDate(QDate(2026, 11, 2))
    dialog.archive_button.click()
    qtbot.waitUntil(lambda: "交接" in dialog.error.text())
    assert desk.transition_plans.for_child(adult) is None  # nothing saved when refused
    assert not desk.children.get(adult).value.archived

    dialog.handed_over_on.setDate(QDate(2026, 11, 10))
    with qtbot.waitSignal(dialog.saved):
        dialog.archive_button.click()
    archive = desk.children.get(adult).value.archive
    assert archive is not None and archive.reason == ArchiveReason.TURNED_18
    assert "2026-11-10" in archive.note
    page.show()
    store.refresh()
    qtbot.waitUntil(lambda: adult not in [e.child_id for e in page.entries(TRANSITIONS)])


def test_no_archive_button_before_18(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    soon = add_child(desk, "吴敏", birth=date(2009, 2, 1))
    dialog = TransitionPlanDialog(desk, soon, "吴敏")
    qtbot.addWidget(dialog)
    assert dialog.archive_button.isHidden()


def test_the_plan_fits_at_large_text(
    qtbot: QtBot, qapp: QApplication, desk: DeskServices, store: CaseloadStore
) -> None:
    """特大 text: the subsidy check boxes keep their height (they were squeezed over each other
    in a fixed 560×560 window); the form scrolls instead."""
    font, sheet = qapp.font(), qapp.styleSheet()
    try:
        apply_text_scale(qapp, 1.5)
        adult = add_child(desk, "周强", birth=date(2008, 10, 1))
        dialog = TransitionPlanDialog(desk, adult, "周强")
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        for box in dialog.subsidies:
            assert box.height() >= box.sizeHint().height(), box.text()
        screen = dialog.screen().availableGeometry()
        assert dialog.frameGeometry().height() <= screen.height()
    finally:
        qapp.setFont(font)
        qapp.setStyleSheet(sheet)
        qapp.processEvents()


def test_an_empty_date_opens_its_calendar_on_this_month(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    """The hand-over date is 未填写 until set; its calendar opened on January 2000 (the empty
    value), 26 years of clicking away."""
    adult = add_child(desk, "周强", birth=date(2008, 10, 1))
    dialog = TransitionPlanDialog(desk, adult, "周强")
    qtbot.addWidget(dialog)
    assert dialog.handed_over_on.text() == "未填写" and dialog.handed_over_on.value() is None
    calendar = dialog.handed_over_on.calendarWidget()
    QApplication.sendEvent(calendar, QShowEvent())  # what opening the popup sends
    today = desk.today()
    assert (calendar.yearShown(), calendar.monthShown()) == (today.year, today.month)
    assert dialog.handed_over_on.value() is None  # showing the month picks nothing
