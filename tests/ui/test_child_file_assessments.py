"""The child file's 评估 tab: 新建评估 offers to continue the child's unfinished draft instead
of starting a second one (same-day drafts used to pile up); 更正选中的评估 and 打印评估报告 are
disabled while a draft is selected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.domain.categories import ChildCategory
from app.domain.child_file import ChildFile, Gender
from app.services.assessments import FINISHED
from ui.desk_services import DeskServices
from ui.views.assessment_wizard import AssessmentWizard
from ui.views.child_file_dialog import ChildFileDialog


def add_child(desk: DeskServices) -> str:
    child = ChildFile(
        name="李明",
        gender=Gender.MALE,
        birth_date=date(2015, 3, 1),
        village_code=desk.village_code,
        categories=[ChildCategory.LEFT_BEHIND],
    )
    return desk.children.create(child).record_id


def when_shown(parent: QWidget, kind: type[QDialog], act: Callable[[QDialog], None]) -> list[str]:
    """Run ``act`` on the modal dialog of ``kind`` that ``parent`` is about to exec; after 5 s
    without one, whatever modal dialog is open instead is closed (so a failure cannot hang)."""
    seen: list[str] = []
    tries = [250]

    def poll() -> None:
        found = [d for d in parent.findChildren(kind) if d.isVisible()]
        if found:
            seen.append(found[0].objectName())
            act(found[0])
            return
        tries[0] -= 1
        if tries[0] > 0:
            QTimer.singleShot(20, poll)
            return
        seen.append("not shown")
        other = QApplication.activeModalWidget()
        if isinstance(other, QDialog):
            other.reject()

    QTimer.singleShot(0, poll)
    return seen


def close_wizard(opened: list[str]) -> Callable[[QDialog], None]:
    def act(dialog: QDialog) -> None:
        assert isinstance(dialog, AssessmentWizard)
        opened.append(dialog._requested_id or "")  # which record it opened
        QTimer.singleShot(0, dialog.reject)

    return act


def drafts_of(desk: DeskServices, child_id: str) -> list[str]:
    return [s.record_id for s in desk.assessments.list_all(child_id) if s.value.status != FINISHED]


def test_new_assessment_offers_the_unfinished_draft(qtbot: QtBot, desk: DeskServices) -> None:
    child_id = add_child(desk)
    draft = desk.assessments.start(child_id, desk.definition, ["王秀英"])
    dialog = ChildFileDialog(desk, child_id)
    qtbot.addWidget(dialog)

    # 取消: nothing opens, nothing is started
    texts: list[str] = []

    def cancel(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        texts.append(box.text())
        next(b for b in box.buttons() if b.text() == "取消").click()

    shown = when_shown(dialog, QMessageBox, cancel)
    qtbot.mouseClick(dialog.new_assessment, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown))
    assert shown == ["draft_exists"]
    assert draft.value.started_on.isoformat() in texts[0]
    assert drafts_of(desk, child_id) == [draft.record_id]

    # 继续填写: the existing draft opens; still one draft
    opened: list[str] = []

    def go_on(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        when_shown(dialog, AssessmentWizard, close_wizard(opened))
        next(b for b in box.buttons() if b.text() == "继续填写").click()

    when_shown(dialog, QMessageBox, go_on)
    qtbot.mouseClick(dialog.new_assessment, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(opened))
    assert opened == [draft.record_id]
    assert drafts_of(desk, child_id) == [draft.record_id]


def test_new_assessment_without_a_draft_starts_one(qtbot: QtBot, desk: DeskServices) -> None:
    child_id = add_child(desk)
    dialog = ChildFileDialog(desk, child_id)
    qtbot.addWidget(dialog)
    opened: list[str] = []
    when_shown(dialog, AssessmentWizard, close_wizard(opened))
    qtbot.mouseClick(dialog.new_assessment, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(opened))
    assert opened == [""]  # a new one
    assert len(drafts_of(desk, child_id)) == 1


def test_correct_is_disabled_for_a_selected_draft(qtbot: QtBot, desk: DeskServices) -> None:
    child_id = add_child(desk)
    draft = desk.assessments.start(child_id, desk.definition, ["王秀英"])
    finished = desk.assessments.start(child_id, desk.definition, ["王秀英"])
    desk.vault.put(
        "assessment",
        {
            **finished.value.to_json(),
            "status": FINISHED,
            "finished_on": "2026-11-01",
            "result": {"level": "green"},
        },
        author="t",
        record_id=finished.record_id,
    )
    dialog = ChildFileDialog(desk, child_id)
    qtbot.addWidget(dialog)
    items = dialog.assessments_list
    qtbot.waitUntil(lambda: items.count() == 2)
    row = {items.item(r).data(Qt.ItemDataRole.UserRole): r for r in range(items.count())}
    items.setCurrentRow(row[draft.record_id])
    assert not dialog.correct_assessment.isEnabled()
    assert not dialog.print_assessment.isEnabled()
    items.setCurrentRow(row[finished.record_id])
    assert dialog.correct_assessment.isEnabled() and dialog.print_assessment.isEnabled()
