"""活动 page (issue 19): record an activity by ticking children in the dialog, see it listed with
the year's figures, the attending child's 历史 shows it, and 打印签到表 asks for a selection."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.services.child_history import ACTIVITY, child_timeline
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.activities_page import ActivitiesPage


def test_record_an_activity_and_see_it_listed(qtbot, demo_desk: DeskServices, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = CaseloadStore(demo_desk.vault, demo_desk.runner)
    store.load()
    page = ActivitiesPage(demo_desk, store)
    qtbot.addWidget(page)
    page.show()
    assert "合计：0场" in page.figures.text()
    dialog = page.new_activity()
    dialog.title_edit.setText("团体辅导：认识情绪")
    dialog.kind.setCurrentIndex(0)  # 团体辅导
    dialog.place.setText("村委会")
    ticked = []
    for row in range(3):
        item = dialog.children_list.item(row)
        item.setCheckState(Qt.CheckState.Checked)
        ticked.append(item.data(Qt.ItemDataRole.UserRole))
    assert dialog.ticked_count.text() == "已勾选 3 名儿童"
    first_name = dialog.children_list.item(0).text().split("　")[0]
    dialog.search.setText(first_name)
    shown = [
        dialog.children_list.item(r)
        for r in range(dialog.children_list.count())
        if not dialog.children_list.item(r).isHidden()
    ]
    assert shown and all(first_name in i.text() for i in shown)
    dialog.search.setText("")
    dialog.guardians.setText("张某，李某")
    dialog.others.setValue(2)
    with qtbot.waitSignal(page.changed, timeout=5000):
        dialog.save_button.click()
    assert page.table.rowCount() == 1
    assert page.table.item(0, 2).text() == "团体辅导：认识情绪"
    assert page.table.item(0, 4).text() == "3人"
    assert page.table.item(0, 5).text() == "7"  # 3 children + 2 guardians + 2 others
    assert "团体辅导：1场，儿童3人次（3名儿童），共7人次" in page.figures.text()
    entries = child_timeline(demo_desk.vault, ticked[0])
    assert [e for e in entries if e.kind == ACTIVITY]
    # an empty title is refused in the dialog, nothing stored
    dialog = page.new_activity()
    dialog.save_button.click()
    assert "活动名称" in dialog.error.text()
    dialog.reject()
    assert len(demo_desk.activities.list_all()) == 1
    # 打印签到表 with nothing selected explains itself
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: told.append(a[2]))
    page.table.clearSelection()
    page.print_sign_in()
    assert told == ["请先在列表中选中一次活动。"]
