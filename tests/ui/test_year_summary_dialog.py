"""年度总结 from the 报表 page (issue 19): the period chooser, the figures, a typical case written
in the window (with the child's real name), ticked out and in, and the print — whose text holds
the story but not the child's name."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytest import MonkeyPatch
from pytestqt.qtbot import QtBot

import ui.views.print_preview
from tests.printing.helpers import flat, pdf_text
from tests.ui.test_todo_page import add_child
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.reports_page import ReportsPage
from ui.views.year_summary_dialog import TypicalCaseDialog, YearSummaryDialog


def test_write_a_typical_case_and_print_the_summary(
    qtbot: QtBot, demo_desk: DeskServices, monkeypatch: MonkeyPatch
) -> None:
    store = CaseloadStore(demo_desk.vault, demo_desk.runner)
    store.refresh()
    child_id = add_child(demo_desk, "宋佳怡")
    store.refresh()
    page = ReportsPage(demo_desk, store)
    qtbot.addWidget(page)
    dialog = page.open_year_summary()
    assert isinstance(dialog, YearSummaryDialog)
    qtbot.addWidget(dialog)
    assert dialog.period().label_zh == "2026年1月至2026年11月"
    qtbot.waitUntil(lambda: dialog.summary is not None)
    assert "期末" in dialog.figures.text() and "活动" in dialog.figures.text()
    assert not dialog.edit_case.isEnabled()  # no case yet

    writer = dialog._new_case()
    assert isinstance(writer, TypicalCaseDialog)
    qtbot.addWidget(writer)
    writer.child.setEditText("没有这个人")  # typed, matching no child: refused in words
    writer.title.setText("x")
    writer.texts["situation"].setPlainText("x")
    writer.texts["actions"].setPlainText("x")
    writer.save_button.click()
    qtbot.waitUntil(lambda: "请选择案例中的儿童" in writer.error.text())
    writer.child.setCurrentIndex(writer.child.findData(child_id))
    writer.title.setText("宋佳怡重返校园")
    writer.texts["situation"].setPlainText("宋佳怡父母外出务工，奶奶年迈。")
    writer.texts["actions"].setPlainText("联系学校和爱心妈妈，每周走访。")
    writer.texts["outcome"].setPlainText("佳怡按时上学，成绩稳定，姐姐王小芳和李建国老师常鼓励她。")
    writer.other_names.setText("王小芳 芳")  # a one-character name cannot be replaced: asked
    writer.save_button.click()
    qtbot.waitUntil(lambda: "请写全名（至少两个字）：芳" in writer.error.text())
    writer.other_names.setText("王小芳、李建国")
    with qtbot.waitSignal(writer.saved):
        writer.save_button.click()
    qtbot.waitUntil(lambda: len(dialog.cases) == 1)
    assert dialog.cases[0].value.other_names == ["王小芳", "李建国"]
    again = TypicalCaseDialog(demo_desk, store.caseload, dialog.cases[0])
    qtbot.addWidget(again)
    assert again.other_names.text() == "王小芳、李建国"  # shown again for correcting
    assert dialog.case_list.item(0).text().endswith("宋佳怡重返校园")  # the director's own list

    printed: list[bytes] = []
    monkeypatch.setattr(
        ui.views.print_preview, "preview_pdf", lambda _r, make, *_a: printed.append(make())
    )
    dialog.print_summary()
    text = flat(pdf_text(printed[0]))
    assert "年度工作总结" in text and "某某重返校园" in text and "某某按时上学" in text
    assert "宋佳怡" not in text and "佳怡" not in text and "宋佳" not in text
    assert "姐姐某某和某某老师常鼓励她" in text  # the sister and the teacher as well
    assert not [n for n in ("王小芳", "小芳", "李建国", "建国") if n in text]

    # ticked out: the next print leaves it out
    item = dialog.case_list.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: not dialog.cases[0].value.in_summary)
    dialog.print_summary()
    assert "某某重返校园" not in flat(pdf_text(printed[1]))
    # deleted with a reason
    dialog.case_list.setCurrentRow(0)
    dialog.delete_with_reason(dialog.cases[0].record_id, "重复")
    qtbot.waitUntil(lambda: dialog.cases == [])
    # a reversed period is told, not printed
    dialog.end.setCurrentIndex(dialog.end.count() - 1)
    assert "早于" in dialog.figures.text() and not dialog.print_button.isEnabled()
