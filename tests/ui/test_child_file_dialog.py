"""The child file (一人一档) editor (issue 13): a stale save shows both values and never
silently overwrites; the ID number fills birth date and gender and dates are typed; 新建档案
starts in 姓名; guardians default to the list's first relation with a phone column wide enough;
visits are edited, deleted with a reason and reprinted; files are archived and restored; 历史
lists visits and assessments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget

from app.domain.categories import ChildCategory, GuardianRelation
from app.domain.child_file import ArchiveReason, ChildFile, Gender, Guardian
from app.domain.id_number import FICTIONAL_AREA_CODE, make_id_number
from app.domain.visit import Visit, VisitForm
from app.services.caseload import Caseload
from app.services.stored import Stored
from ui.desk_services import DeskServices
from ui.views.child_file_dialog import ArchiveDialog, ChildFileDialog, ReasonDialog
from ui.views.children_page import ChildrenPage
from ui.views.guardians_tab import GuardianDialog, GuardiansTab
from ui.views.stale_dialog import StaleSaveDialog
from ui.views.visit_dialog import VisitDialog

BIRTH = date(2014, 6, 1)


def make_child(desk: DeskServices, **overrides: object) -> Stored[ChildFile]:
    values: dict[str, object] = {
        "name": "陈雨桐",
        "gender": Gender.FEMALE,
        "birth_date": BIRTH,
        "village_code": "500119104201",
        "id_number": make_id_number(FICTIONAL_AREA_CODE, BIRTH, 22),
        "categories": [ChildCategory.DE_FACTO_UNSUPPORTED],
    }
    values.update(overrides)
    return desk.children.create(ChildFile(**values))  # type: ignore[arg-type]


def when_shown(parent: QWidget, kind: type[QDialog], act: Callable[[QDialog], None]) -> list[str]:
    """Run ``act`` on the modal dialog of ``kind`` that ``parent`` is about to exec."""
    seen: list[str] = []

    def poll() -> None:
        found = [d for d in parent.findChildren(kind) if d.isVisible()]
        if not found:
            QTimer.singleShot(20, poll)
            return
        seen.append(found[0].objectName())
        act(found[0])

    QTimer.singleShot(0, poll)
    return seen


# ----- 1. a stale save ---------------------------------------------------------------------


def test_a_stale_window_shows_both_values_and_keeps_the_newer_unless_chosen(
    qtbot, desk: DeskServices
) -> None:  # type: ignore[no-untyped-def]
    child = make_child(desk)
    first = ChildFileDialog(desk, child.record_id)
    stale = ChildFileDialog(desk, child.record_id)
    qtbot.addWidget(first)
    qtbot.addWidget(stale)
    assert first.base_revision == stale.base_revision == child.revision

    first.form.school.setText("镇中心小学")
    first.form.address.setText("三组")
    first.form.edited.emit()
    first.save()
    assert desk.children.get(child.record_id).value.school == "镇中心小学"

    stale.form.address.setText("五组")
    stale.form.notes.setPlainText("冬季衣物不足")
    seen: dict[str, str] = {}

    def choose(dialog: QDialog) -> None:
        assert isinstance(dialog, StaleSaveDialog)
        labels = " ".join(label.text() for label in dialog.findChildren(QLabel))
        seen["labels"] = labels
        assert set(dialog.theirs_buttons) == {"school", "address"}
        assert dialog.theirs_buttons["address"].isChecked()  # the newer one preselected
        dialog.mine_buttons["address"].setChecked(True)  # keep my address, their school
        dialog.accept()

    shown = when_shown(stale, StaleSaveDialog, choose)
    stale.save()
    qtbot.waitUntil(lambda: bool(shown))
    qtbot.waitUntil(lambda: stale.status.text() == "已保存")
    assert "又被保存过" in seen["labels"]
    assert "三组" in seen["labels"] and "五组" in seen["labels"]
    assert "镇中心小学" in seen["labels"] and "您没有改这一项" in seen["labels"]
    saved = desk.children.get(child.record_id).value
    assert (saved.school, saved.address, saved.notes) == ("镇中心小学", "五组", "冬季衣物不足")
    first.discard_changes()
    stale.discard_changes()


def test_a_stale_save_cancelled_stores_nothing_and_keeps_the_edits(
    qtbot, desk: DeskServices
) -> None:  # type: ignore[no-untyped-def]
    child = make_child(desk)
    stale = ChildFileDialog(desk, child.record_id)
    qtbot.addWidget(stale)
    desk.children.update(child.record_id, replace(child.value, name="陈雨彤"))
    stale.form.name.setText("陈玉桐")
    stale.form.edited.emit()
    shown = when_shown(stale, StaleSaveDialog, lambda d: d.reject())
    stale.save()
    qtbot.waitUntil(lambda: bool(shown))
    assert desk.children.get(child.record_id).value.name == "陈雨彤"  # not overwritten
    assert stale.form.name.text() == "陈玉桐"  # nor were the edits lost
    assert "没有保存" in stale.status.text()
    stale.discard_changes()


def test_a_reload_does_not_overwrite_unsaved_edits(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    child = make_child(desk)
    dialog = ChildFileDialog(desk, child.record_id)
    qtbot.addWidget(dialog)
    dialog.form.school.setText("一小")
    dialog.form.edited.emit()
    dialog.reload()  # e.g. after a visit was recorded from the 走访 tab
    assert dialog.form.school.text() == "一小"
    dialog.discard_changes()


def test_a_stale_visit_edit_shows_both_values(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    child = make_child(desk)
    visit = desk.visits.record(Visit(child.record_id, date(2026, 11, 1), VisitForm.HOME))
    dialog = VisitDialog(desk, child.record_id, None, visit)
    qtbot.addWidget(dialog)
    desk.visits.update(visit.record_id, replace(visit.value, problems="屋顶漏雨"))
    dialog.problems.setPlainText("缺少冬衣")

    def choose(d: QDialog) -> None:
        assert isinstance(d, StaleSaveDialog)
        assert set(d.theirs_buttons) == {"problems"}
        d.accept()  # keep the newer text

    shown = when_shown(dialog, StaleSaveDialog, choose)
    dialog._save(print_after=False)
    qtbot.waitUntil(lambda: bool(shown))
    assert desk.visits.get(visit.record_id).value.problems == "屋顶漏雨"
    assert dialog.problems.toPlainText() == "屋顶漏雨"


# ----- 2. the ID number, typed dates ------------------------------------------------------


def test_the_id_number_fills_birth_date_and_gender_and_dates_are_typed(
    qtbot, desk: DeskServices
) -> None:  # type: ignore[no-untyped-def]
    dialog = ChildFileDialog(desk, None)
    qtbot.addWidget(dialog)
    form = dialog.form
    assert form.birth_date.value() is None  # no made-up default date
    born = date(2019, 5, 3)
    qtbot.keyClicks(form.id_number, make_id_number(FICTIONAL_AREA_CODE, born, 124))  # even: 女
    assert form.birth_date.value() == born
    assert form.gender.currentData() == "female"

    # typed on the keyboard, as a person types it
    form.birth_date.edit.clear()
    qtbot.keyClicks(form.birth_date.edit, "2019-05-04")
    assert form.birth_date.value() == date(2019, 5, 4)
    error = dialog.findChild(QLabel, "error_birth_date")
    assert error is not None and error.isVisibleTo(dialog)  # disagrees with the ID number
    assert "不一致" in error.text()
    form.gender.setCurrentIndex(form.gender.findData("male"))
    gender_error = dialog.findChild(QLabel, "error_gender")
    assert gender_error is not None and gender_error.isVisibleTo(dialog)

    # other ways people write a date
    for text in (
        "2019.5.3",
        "2019/05/03",
        "2019年5月3日",
        "20190503",
        "２０１９－０５－０３",
        "2019。5。3",
    ):
        form.birth_date.edit.clear()
        form.birth_date.edit.insert(text)  # (keyClicks types ASCII only; an input method)
        assert form.birth_date.value() == born, text
    assert not error.isVisibleTo(dialog)
    form.gender.setCurrentIndex(form.gender.findData("female"))
    assert not gender_error.isVisibleTo(dialog)

    form.name.setText("李小红")
    form.birth_date.edit.clear()
    qtbot.keyClicks(form.birth_date.edit, "2019-02-30")
    dialog.save()
    assert "没有这一天" in error.text() and error.isVisibleTo(dialog)
    assert desk.children.list_all()[0] == []
    form.birth_date.edit.clear()
    qtbot.keyClicks(form.birth_date.edit, "2019-05-03")
    dialog.save()
    assert dialog.child_id is not None
    assert desk.children.get(dialog.child_id).value.birth_date == born


# ----- 3. 新建档案 focus, guardians -----------------------------------------------------------


def test_a_new_file_starts_in_the_name(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    dialog = ChildFileDialog(desk, None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.form.name)
    qtbot.keyClicks(dialog.focusWidget(), "Li")
    assert dialog.form.name.text() == "Li"
    dialog.discard_changes()


def test_guardian_relation_defaults_to_the_first_and_the_phone_fits(
    qtbot, qapp: QApplication
) -> None:  # type: ignore[no-untyped-def]
    dialog = GuardianDialog(None)
    qtbot.addWidget(dialog)
    assert dialog.relation.currentIndex() == 0
    assert dialog.relation.currentText() == "父亲"

    font = QFont(qapp.font())
    font.setPointSizeF(font.pointSizeF() * 1.6)  # 特大
    tab = GuardiansTab()
    tab.setFont(font)
    qtbot.addWidget(tab)
    tab.resize(700, 300)
    tab.load(
        [Guardian(GuardianRelation.GRANDMOTHER, "张桂兰", phone="13812345678", is_caregiver=True)]
    )
    tab.show()
    qtbot.waitExposed(tab)
    needed = tab.table.fontMetrics().horizontalAdvance("13812345678")
    qtbot.waitUntil(lambda: tab.table.columnWidth(2) >= needed)  # follows the text size
    assert tab.table.columnWidth(3) > tab.table.columnWidth(2)  # 情况 has the room left


# ----- 4. visits corrected and removed; assessments named; archive; history ----------------------


def test_a_visit_is_edited_deleted_with_a_reason_and_reprinted(
    qtbot, desk: DeskServices, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    child = make_child(desk)
    kept = desk.visits.record(Visit(child.record_id, date(2026, 11, 1), VisitForm.HOME))
    wrong = desk.visits.record(Visit(child.record_id, date(2026, 11, 2), VisitForm.PHONE))
    dialog = ChildFileDialog(desk, child.record_id)
    qtbot.addWidget(dialog)
    assert dialog.edit_visit.text() == "修改" and dialog.delete_visit.text() == "删除"
    assert dialog.visits_list.count() == 2

    # 修改: the selected visit opens in the visit dialog
    dialog.visits_list.setCurrentRow(1)  # newest first: row 1 is 11-01
    opened: dict[str, object] = {}

    def edit(d: QDialog) -> None:
        assert isinstance(d, VisitDialog)
        opened["on"] = d.on.value()
        opened["title"] = d.windowTitle()
        d.follow_up.setText("下周回访")
        d._save(print_after=False)

    shown = when_shown(dialog, VisitDialog, edit)
    qtbot.mouseClick(dialog.edit_visit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown))
    assert opened == {"on": date(2026, 11, 1), "title": "修改走访记录"}
    assert desk.visits.get(kept.record_id).value.follow_up == "下周回访"

    # 删除: a reason is needed, then it is gone from the list, kept in 历史
    dialog.visits_list.setCurrentRow(0)

    def give_reason(d: QDialog) -> None:
        assert isinstance(d, ReasonDialog)
        assert not d.ok.isEnabled()
        d.reason_edit.setText("录错了儿童")
        assert d.ok.isEnabled()
        d.ok.click()

    shown = when_shown(dialog, ReasonDialog, give_reason)
    qtbot.mouseClick(dialog.delete_visit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown))
    assert [v.record_id for v in desk.visits.list_all(child.record_id)] == [kept.record_id]
    assert dialog.visits_list.count() == 1
    history = [dialog.history_list.item(i).text() for i in range(dialog.history_list.count())]
    assert any("删除了 2026-11-02 的走访记录（原因：录错了儿童）" in t for t in history)
    assert any("修改了 2026-11-01 的走访记录：后续跟进" in t for t in history)
    assert wrong.record_id not in {v.record_id for v in desk.visits.list_all()}

    # 打印: the selected visit's record again
    import ui.views.print_preview

    printed: list[bytes] = []
    monkeypatch.setattr(
        ui.views.print_preview, "preview_pdf", lambda _r, make, *_a: printed.append(make())
    )
    dialog.visits_list.setCurrentRow(0)
    qtbot.mouseClick(dialog.reprint_visit, Qt.MouseButton.LeftButton)
    assert printed
    dialog.discard_changes()


def test_the_assessment_list_names_the_questionnaire(qtbot, demo_desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    assessed = next(s for s in demo_desk.assessments.list_all() if s.value.status == "finished")
    dialog = ChildFileDialog(demo_desk, assessed.value.child_id)
    qtbot.addWidget(dialog)
    texts = [dialog.assessments_list.item(i).text() for i in range(dialog.assessments_list.count())]
    assert texts
    assert all("guardianship_capacity" not in t and " v1" not in t for t in texts)
    assert all("评估表（第1.1版）" in t for t in texts), texts


def test_a_file_is_archived_with_a_reason_and_restored(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    child = make_child(desk)
    other = make_child(desk, name="李小明")
    page = ChildrenPage(lambda: desk.schedule, desk.today)
    qtbot.addWidget(page)
    page.show_caseload(Caseload.build(desk.vault))
    assert page.model.rowCount() == 2

    dialog = ChildFileDialog(desk, child.record_id)
    qtbot.addWidget(dialog)

    def archive(d: QDialog) -> None:
        assert isinstance(d, ArchiveDialog)
        d.reason_box.setCurrentIndex(d.reason_box.findData(ArchiveReason.OTHER.value))
        assert not d.ok.isEnabled()  # 其他 needs a note
        d.note.setText("寄养到外地亲戚家")
        assert d.ok.isEnabled()
        d.reason_box.setCurrentIndex(d.reason_box.findData(ArchiveReason.MOVED_OUT.value))
        d.ok.click()

    shown = when_shown(dialog, ArchiveDialog, archive)
    qtbot.mouseClick(dialog.archive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown))
    stored = desk.children.get(child.record_id).value
    assert stored.archive is not None and stored.archive.reason == ArchiveReason.MOVED_OUT
    assert "已归档：迁出" in dialog.header.text()
    assert dialog.archive_button.text() == "恢复档案"
    assert any(
        "归档了档案（原因：迁出：寄养到外地亲戚家）" in dialog.history_list.item(i).text()
        for i in range(dialog.history_list.count())
    )

    caseload = Caseload.build(desk.vault)
    page.show_caseload(caseload)
    listed = {page.model.row_at(r).summary.child_id for r in range(page.model.rowCount())}
    assert listed == {other.record_id}
    assert "已归档 1 份" in page.count.text()
    due = caseload.due(desk.schedule, desk.today())
    assert child.record_id not in {i.child_id for i in due.overdue + due.due_soon}
    page.show_archived.setChecked(True)
    rows = [page.model.row_at(r) for r in range(page.model.rowCount())]
    assert {r.summary.child_id for r in rows} == {child.record_id, other.record_id}
    archived_row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r).archived)
    assert page.model.index(archived_row, 6).data() == "已归档"

    # 恢复档案 (with a confirmation)
    from PySide6.QtWidgets import QMessageBox

    def yes(d: QDialog) -> None:
        assert isinstance(d, QMessageBox)
        next(b for b in d.buttons() if b.text() == "恢复").click()

    shown = when_shown(dialog, QMessageBox, yes)
    qtbot.mouseClick(dialog.archive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown))
    assert not desk.children.get(child.record_id).value.archived
    assert dialog.archive_button.text() == "归档…"
    page.show_archived.setChecked(False)
    page.show_caseload(Caseload.build(desk.vault))
    assert page.model.rowCount() == 2


def test_a_restored_draft_is_checked_against_the_revision_it_was_typed_on(
    qtbot, desk: DeskServices
) -> None:  # type: ignore[no-untyped-def]
    child = make_child(desk)
    draft = replace(child.value, address="五组").to_json()
    desk.children.update(child.record_id, replace(child.value, address="三组"))  # meanwhile
    dialog = ChildFileDialog(desk, child.record_id, draft=draft, draft_base_revision=child.revision)
    qtbot.addWidget(dialog)
    assert dialog.base_revision == child.revision
    shown = when_shown(dialog, StaleSaveDialog, lambda d: d.reject())
    dialog.save()
    qtbot.waitUntil(lambda: bool(shown))
    assert desk.children.get(child.record_id).value.address == "三组"
    dialog.discard_changes()
