"""措施完成 in the case dialog's plan editor, offscreen on a real vault: a 完成日期 per action
(未完成 when empty, no later than today), a done action greyed with a ✓, saved and still done
when the case is opened again — and its 措施已过期 line leaves 待办."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from app.domain.case import CaseKind, CaseStage, Plan, PlanAction
from app.domain.categories import ChildCategory
from app.domain.child_file import ChildFile, Gender
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views import messages
from ui.views.case_dialog import CaseDialog
from ui.views.messages import user_message
from ui.views.todo_page import CASES, TodoPage
from ui.views.widgets import OptionalDateEdit

TODAY = date(2026, 11, 22)  # the desk fixtures' fixed today (tests/ui/conftest.py)


@pytest.fixture(autouse=True)
def no_error_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_parent: object, err: BaseException, _title: str = "") -> None:
        raise AssertionError(f"error shown to the user: {user_message(err)}")

    monkeypatch.setattr(messages, "show_error", fail)


def a_case_with_overdue_actions(desk: DeskServices) -> tuple[str, str]:
    child = ChildFile(
        name="陈雨桐",
        gender=Gender.FEMALE,
        birth_date=date(2015, 3, 1),
        village_code=desk.village_code,
        categories=[ChildCategory.LEFT_BEHIND],
    )
    child_id = desk.children.create(child).record_id
    case = desk.cases.open(child_id, CaseKind.IMPROPER, "监护不当")
    desk.cases.link_assessment(case.record_id, notes="已入户核实")
    desk.cases.move(case.record_id, CaseStage.ASSESSED)
    plan = Plan(
        ["孩子按时上学"],
        [
            PlanAction("联系学校", "班主任", TODAY - timedelta(days=2)),
            PlanAction("申请临时救助", "镇社会事务办", TODAY - timedelta(days=1)),
        ],
    )
    desk.cases.update_plan(case.record_id, plan)
    desk.cases.move(case.record_id, CaseStage.INTERVENING)
    return child_id, case.record_id


def open_dialog(qtbot: QtBot, desk: DeskServices, child_id: str, case_id: str) -> CaseDialog:
    dialog = CaseDialog(desk, child_id, case_id)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentIndex(1)  # 帮扶方案
    return dialog


def done_edit(dialog: CaseDialog, index: int) -> OptionalDateEdit:
    edit = dialog.findChild(OptionalDateEdit, f"action_{index}_done_on")
    assert edit is not None
    return edit


def save(qtbot: QtBot, dialog: CaseDialog) -> None:
    button = dialog.findChild(QPushButton, "save_plan")
    assert button is not None and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_done_action_saved_shown_and_gone_from_todo(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    child_id, case_id = a_case_with_overdue_actions(desk)
    page = TodoPage(desk, store)
    qtbot.addWidget(page)
    store.load()
    page.show()
    [entry] = page.entries(CASES)
    assert (entry.case_id, entry.status) == (case_id, "措施已过期 2 天")
    assert "联系学校" in entry.detail and "另有 1 项" in entry.detail

    dialog = open_dialog(qtbot, desk, child_id, entry.case_id)
    first = done_edit(dialog, 0)
    assert first.value() is None and first.text() == "未完成"
    assert first.maximumDate() == QDate(TODAY.year, TODAY.month, TODAY.day)
    assert not dialog.plan_editor.is_done_shown(0)
    first.setDate(QDate(TODAY.year, TODAY.month, TODAY.day))  # picked in the calendar
    assert dialog.plan_editor.is_done_shown(0)
    mark = dialog.findChild(QLabel, "action_0_done_mark")
    assert mark is not None and mark.text() == "✓"
    what = dialog.findChild(QLineEdit, "action_0_what")
    assert what is not None and "color" in what.styleSheet()  # greyed
    assert dialog.has_unsaved_changes
    save(qtbot, dialog)
    assert not dialog.has_unsaved_changes
    stored = desk.cases.get(case_id).value.plan.actions
    assert [a.done_on for a in stored] == [TODAY, None]
    store.refresh()
    [entry] = page.entries(CASES)  # the other action is still overdue
    assert entry.status == "措施已过期 1 天" and "申请临时救助" in entry.detail
    assert "联系学校" not in entry.detail
    dialog.close()

    again = open_dialog(qtbot, desk, child_id, case_id)
    assert done_edit(again, 0).value() == TODAY and again.plan_editor.is_done_shown(0)
    assert done_edit(again, 1).value() is None and not again.plan_editor.is_done_shown(1)
    done_edit(again, 1).setDate(QDate(TODAY.year, TODAY.month, TODAY.day))
    save(qtbot, again)
    store.refresh()
    assert page.entries(CASES) == []  # every action done: nothing overdue
    assert page.section_items[CASES].text(0) == "个案跟进（0）"

    # clearing a done date (back to 未完成) brings the line back
    done_edit(again, 1).set_value(None)
    assert not again.plan_editor.is_done_shown(1)
    save(qtbot, again)
    store.refresh()
    [entry] = page.entries(CASES)
    assert entry.status == "措施已过期 1 天"


def test_removing_a_row_keeps_the_others_done(qtbot: QtBot, desk: DeskServices) -> None:
    child_id, case_id = a_case_with_overdue_actions(desk)
    dialog = open_dialog(qtbot, desk, child_id, case_id)
    dialog.plan_editor.set_done(1, TODAY)
    remove = dialog.findChild(QPushButton, "remove_action_0")
    assert remove is not None
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    [action] = dialog.plan_editor.plan().actions
    assert (action.what, action.done_on) == ("申请临时救助", TODAY)
    assert dialog.plan_editor.is_done_shown(0)
    save(qtbot, dialog)  # nothing left unsaved (closing would ask)
    assert [a.done_on for a in desk.cases.get(case_id).value.plan.actions] == [TODAY]
