"""活动 (issue 19): an activity corrected in the window (title, a child unticked, attendance after
a planned day), deleted with a reason (a blank reason refused in words), and the children's check
boxes sized to the text (特大), not the style's fixed 13 px."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.activity import Activity, ActivityKind
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.theme import apply_text_scale, indicator_size
from ui.views.activities_page import ActivitiesPage


def _page(qtbot: QtBot, desk: DeskServices) -> ActivitiesPage:
    store = CaseloadStore(desk.vault, desk.runner)
    store.load()
    page = ActivitiesPage(desk, store)
    qtbot.addWidget(page)
    page.show()
    return page


def _ticked(dialog: object) -> list[str]:
    return dialog.checked_children()  # type: ignore[attr-defined,no-any-return]


def test_edit_a_planned_activity_after_the_day_and_delete_one(
    qtbot: QtBot, demo_desk: DeskServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = demo_desk.today()
    page = _page(qtbot, demo_desk)
    planned = page.new_activity()
    planned.title_edit.setText("家长课堂：亲子沟通")
    planned.kind.setCurrentIndex(planned.kind.findData(ActivityKind.PARENT_CLASS.value))
    ahead = today + timedelta(days=3)
    planned.on.setDate(QDate(ahead.year, ahead.month, ahead.day))
    for row in range(4):
        planned.children_list.item(row).setCheckState(Qt.CheckState.Checked)
    invited = _ticked(planned)
    with qtbot.waitSignal(page.changed):
        planned.save_button.click()
    stored = demo_desk.activities.list_all()[0]
    assert stored.value.invited == invited and stored.value.attended == []

    # nothing selected: told, nothing opened
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: told.append(a[2]))
    page.table.clearSelection()
    assert page.edit_activity() is None and told == ["请先在列表中选中一次活动。"]

    # the day came (the date moved to today): one child did not come
    page.table.selectRow(0)
    edit = page.edit_activity()
    assert edit is not None and edit.windowTitle() == "修改活动"
    assert edit.title_edit.text() == "家长课堂：亲子沟通" and _ticked(edit) == invited
    edit.on.setDate(QDate(today.year, today.month, today.day))
    first = next(
        edit.children_list.item(r)
        for r in range(edit.children_list.count())
        if edit.children_list.item(r).data(Qt.ItemDataRole.UserRole) == invited[0]
    )
    first.setCheckState(Qt.CheckState.Unchecked)
    edit.others.setValue(3)
    with qtbot.waitSignal(page.changed):
        edit.save_button.click()
    (after,) = demo_desk.activities.list_all()
    assert after.record_id == stored.record_id and after.revision == stored.revision + 1
    assert after.value.invited == invited  # the 签到表's list stays on record
    assert after.value.attended == invited[1:]
    assert page.table.item(0, 4).text() == "3人" and page.table.item(0, 5).text() == "6"

    # a second activity, deleted: a blank reason is refused, a real one removes it
    demo_desk.activities.record(
        Activity(today, ActivityKind.THEMED, "误登记", after.value.village_code)
    )
    page.reload()
    qtbot.waitUntil(lambda: page.table.rowCount() == 2)
    wrong = next(s for s in demo_desk.activities.list_all() if s.value.title == "误登记")
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: errors.append(a[2]))
    page.delete_with_reason(wrong.record_id, "  ")
    assert errors == ["请写明删除的原因。"]
    with qtbot.waitSignal(page.changed):
        page.delete_with_reason(wrong.record_id, "重复登记")
    assert [s.value.title for s in demo_desk.activities.list_all()] == ["家长课堂：亲子沟通"]
    qtbot.waitUntil(lambda: page.table.rowCount() == 1)


def test_the_check_boxes_grow_with_the_text(
    qtbot: QtBot, qapp: QApplication, demo_desk: DeskServices
) -> None:
    font, sheet = qapp.font(), qapp.styleSheet()
    try:
        apply_text_scale(qapp, 1.5)  # 特大
        page = _page(qtbot, demo_desk)
        dialog = page.new_activity()
        side = indicator_size(dialog.font())
        assert side >= 18  # the style's own box is 13 px
        assert f"width: {side}px" in dialog.children_list.styleSheet()
        # the row is tall enough for the box and the name
        rect = dialog.children_list.visualItemRect(dialog.children_list.item(0))
        assert rect.height() >= side
        dialog.reject()
    finally:
        qapp.setFont(font)
        qapp.setStyleSheet(sheet)
        qapp.processEvents()
