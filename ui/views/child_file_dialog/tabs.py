"""The other tabs: visits (open, delete with a reason, reprint), assessments (new, resume a draft,
correct, print), cases, attachments; archiving and restoring; printing the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
)

from app.domain.child_file import (
    ChildFile,
)
from app.domain.visit import Visit
from app.services.assessments import FINISHED, Assessment
from app.services.stored import Stored
from storage.records import Revision
from ui.views.child_file_dialog.base import ChildFileBase
from ui.views.child_file_dialog.reasons import ArchiveDialog, ReasonDialog
from ui.views.messages import confirm, show_error
from ui.window_fit import client_limit

if TYPE_CHECKING:
    from ui.views.visit_dialog import VisitDialog


class TabsPart(ChildFileBase):
    visit_dialog: VisitDialog | None = None  # the 走访记录 window open on this file
    # Set by the session: a visit being typed changed, or its window closed, so what this file
    # keeps as a draft across an auto-lock changed (the visit's input is inside the file's
    # draft, saving.py). A callback, not a signal: a signal declared on this part (not on
    # ChildFileBase) broke the connections made before it was connected to (PySide 6.12).
    visit_draft_changed: Callable[[], None] | None = None

    # ----- the other tabs ---------------------------------------------------------------------

    def open_visit_dialog(
        self, stored: Stored[Visit] | None, draft: dict[str, Any] | None = None
    ) -> None:
        """The visit window, modal to this file (not blocking: a lock, or a restore of
        several drafts, carries on); ``draft``: its input kept across a lock."""
        from ui.views.visit_dialog import VisitDialog

        child_id = self.child_id
        if child_id is None:
            return
        dialog = VisitDialog(self.desk, child_id, self._level, stored, self, draft=draft)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.visit_saved.connect(lambda _rid: self._changed())
        dialog.print_requested.connect(self.print_visit)
        dialog.edited.connect(lambda: self._visit_draft_changed())
        dialog.finished.connect(lambda _code: self._visit_draft_changed())
        self.visit_dialog = dialog
        dialog.open()

    def _visit_draft_changed(self) -> None:
        if self.visit_draft_changed is not None:
            self.visit_draft_changed()

    def restore_visit(self, draft: dict[str, Any]) -> None:
        """Reopen the visit typed before a lock, once the file is shown (the runner is serial:
        this comes after the file's own load)."""
        self.desk.runner.submit(
            lambda: None,
            lambda _none: self.open_visit_dialog(None, draft),
            lambda err: show_error(self, err),
        )

    def visit_draft(self) -> dict[str, Any] | None:
        """The open visit window's unsaved input, or None."""
        dialog = self.visit_dialog
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.isVisible():
            return None
        return dialog.unsaved_draft()

    def _open_visit(self, record_id: str | None) -> None:
        child_id = self.child_id
        if child_id is None:
            return

        if record_id == "":  # 修改 with nothing selected
            QMessageBox.information(
                self, self.tr("修改走访记录"), self.tr("请先在列表中选中一条走访记录。")
            )
            return
        visits = self.desk.visits

        def find() -> Stored[Visit] | None:
            return None if record_id is None else visits.get(record_id)

        self.desk.runner.submit(find, self.open_visit_dialog, lambda err: show_error(self, err))

    @staticmethod
    def _selected(widget: QListWidget) -> str:
        item = widget.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def _delete_visit(self) -> None:
        item = self.visits_list.currentItem()
        if item is None:
            QMessageBox.information(
                self, self.tr("删除走访记录"), self.tr("请先在列表中选中要删除的走访记录。")
            )
            return
        record_id = str(item.data(Qt.ItemDataRole.UserRole))
        dialog = ReasonDialog(
            self.tr("删除走访记录"),
            self.tr(
                "确定要删除这条走访记录吗？\n{0}\n删除后它不再出现在列表中，但仍保留在历史记录里。"
            ).format(item.text()),
            self.tr("删除的原因（必填）："),
            self.tr("删除"),
            self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        reason = dialog.reason()
        visits = self.desk.visits
        self.desk.runner.submit(
            lambda: visits.delete(record_id, reason=reason),
            lambda _none: self._changed(),
            lambda err: show_error(self, err),
        )

    def _reprint_visit(self) -> None:
        record_id = self._selected(self.visits_list)
        if not record_id:
            QMessageBox.information(
                self, self.tr("打印走访记录"), self.tr("请先在列表中选中要打印的走访记录。")
            )
            return
        self.print_visit(record_id)

    def _archive_or_restore(self) -> None:
        child_id = self.child_id
        if child_id is None:
            return
        if self._dirty:
            QMessageBox.information(
                self,
                self.tr("归档"),
                self.tr("档案有修改还没有保存。请先保存（或关闭时不保存），再归档或恢复。"),
            )
            return
        children = self.desk.children
        if self.archived:
            if not confirm(
                self,
                self.tr("恢复档案"),
                self.tr("恢复后，这份档案重新出现在儿童名单和待办中。确定恢复吗？"),
                self.tr("恢复"),
            ):
                return
            task = lambda: children.restore(child_id)  # noqa: E731
        else:
            dialog = ArchiveDialog(self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            reason, note = dialog.value()
            task = lambda: children.archive(child_id, reason, note=note)  # noqa: E731

        def done(stored: Stored[ChildFile]) -> None:
            self.base_revision = stored.revision
            self.status.setText(
                self.tr("已恢复") if not stored.value.archived else self.tr("已归档")
            )
            self._changed()

        self.desk.runner.submit(task, done, lambda err: show_error(self, err))

    def _open_assessment(self, record_id: str | None) -> None:
        if self.child_id is None:
            return
        if self.open_editor is not None:  # the session: one window per record, non-modal
            self.open_editor("assessment", self.child_id, record_id or "")
            return
        from ui.views.assessment_wizard import AssessmentWizard

        wizard = AssessmentWizard(self.desk, self.child_id, record_id, self)
        wizard.assessment_finished.connect(lambda _rid: self._changed())
        wizard.exec()
        self._changed()

    def _assessment_selected(self, item: QListWidgetItem | None, _previous: object) -> None:
        """更正 and 打印评估报告 are for finished assessments: a draft is continued instead."""
        draft = item is not None and item.data(Qt.ItemDataRole.UserRole) not in self._finished_ids
        self.correct_assessment.setEnabled(not draft)
        self.print_assessment.setEnabled(not draft)

    def _new_assessment(self) -> None:
        """新建评估: when the child has an unfinished assessment, offer to continue it rather
        than start another (drafts would pile up); the vault is asked, not the list shown."""
        if self.child_id is None:
            return
        child_id, service = self.child_id, self.desk.assessments

        def drafts() -> list[Stored[Assessment]]:
            return [s for s in service.list_all(child_id) if s.value.status != FINISHED]

        self.desk.runner.submit(drafts, self._offer_draft, lambda err: show_error(self, err))

    def _offer_draft(self, drafts: list[Stored[Assessment]]) -> None:
        if not drafts:
            self._open_assessment(None)
            return
        newest = max(drafts, key=lambda s: (s.value.started_on, s.hlc))
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("新建评估"),
            self.tr(
                "这个孩子有一份 {0} 开始、还没有填完的评估。\n请接着填写这一份，不必新建。"
            ).format(newest.value.started_on.isoformat()),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("draft_exists")
        go_on = box.addButton(self.tr("继续填写"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(go_on)
        box.exec()
        chosen = box.clickedButton() is go_on
        box.deleteLater()
        if chosen:
            self._open_assessment(newest.record_id)

    def _print_assessment(self) -> None:
        from ui.views.print_preview import preview_pdf

        item = self.assessments_list.currentItem()
        if item is None:
            QMessageBox.information(
                self, self.tr("打印评估报告"), self.tr("请先在列表中选中一次已完成的评估。")
            )
            return
        assessment_id = item.data(Qt.ItemDataRole.UserRole)
        printouts, today = self.desk.printouts, self.desk.today()
        definitions = self.desk.definitions.questionnaires()  # every version known here
        schedule = self.desk.schedule  # the advised visit frequency follows the rules in force
        preview_pdf(
            self.desk.runner,
            lambda: printouts.assessment_report(
                assessment_id, printed_on=today, definitions=definitions, schedule=schedule
            ),
            self.tr("监护能力评估报告"),
            f"评估报告-{today.isoformat()}.pdf",
            self,
        )

    def _print_blank(self) -> None:
        from ui.views.print_preview import preview_pdf

        printouts, today, definition = self.desk.printouts, self.desk.today(), self.desk.definition
        preview_pdf(
            self.desk.runner,
            lambda: printouts.blank_questionnaire(definition, printed_on=today),
            self.tr("空白评估表"),
            "空白评估表.pdf",
            self,
        )

    def _correct_assessment(self) -> None:
        item = self.assessments_list.currentItem()
        if item is None:
            QMessageBox.information(
                self, self.tr("更正评估"), self.tr("请先在列表中选中要更正的已完成评估。")
            )
            return
        finished_id = item.data(Qt.ItemDataRole.UserRole)
        self.desk.runner.submit(
            lambda: self.desk.assessments.start_correction(finished_id),
            lambda stored: self._open_assessment(stored.record_id),
            lambda err: show_error(self, err),
        )

    def _open_case(self, record_id: str | None) -> None:
        if self.child_id is None:
            return
        if self.open_editor is not None:
            self.open_editor("case", self.child_id, record_id or "")
            return
        from ui.views.case_dialog import CaseDialog

        dialog = CaseDialog(self.desk, self.child_id, record_id, self)
        dialog.case_changed.connect(self._changed)
        dialog.exec()
        self._changed()

    def _changed(self) -> None:
        if self.child_id is not None:
            self.child_saved.emit(self.child_id)
        self.reload()

    def print_visit(self, visit_id: str) -> None:
        from ui.views.print_preview import preview_pdf

        printouts, today = self.desk.printouts, self.desk.today()
        preview_pdf(
            self.desk.runner,
            lambda: printouts.visit_record(visit_id, printed_on=today),
            self.tr("入户走访记录表"),
            f"走访记录-{today.isoformat()}.pdf",
            self,
        )

    def print_sheet(self) -> None:
        from ui.views.print_preview import preview_pdf

        child_id = self.child_id
        if child_id is None:
            return
        printouts, today, schedule = self.desk.printouts, self.desk.today(), self.desk.schedule
        preview_pdf(
            self.desk.runner,
            lambda: printouts.child_sheet(child_id, printed_on=today, schedule=schedule),
            self.tr("儿童档案表"),
            f"儿童档案-{today.isoformat()}.pdf",
            self,
        )

    def _add_attachment(self) -> None:
        if self.child_id is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("选择照片或扫描件"),
            "",
            self.tr("图片或PDF (*.jpg *.jpeg *.png *.pdf *.tif *.tiff)"),
        )
        if path:
            self.attach_file(Path(path))

    def attach_file(self, path: Path) -> None:
        child_id = self.child_id
        if child_id is None:
            return
        mime = {
            ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg",
            ".png": "image/png",
            ".pdf": "application/pdf",
        }.get(path.suffix.lower(), "application/octet-stream")

        def add() -> Revision:
            with path.open("rb") as source:  # streamed and encrypted chunk by chunk
                return self.desk.children.add_attachment(
                    child_id, source, filename=path.name, mime=mime
                )

        self.desk.runner.submit(add, lambda _r: self._changed(), lambda err: show_error(self, err))

    def _view_attachment(self, item: QListWidgetItem) -> None:
        attachment_id = item.data(Qt.ItemDataRole.UserRole)

        def read() -> bytes:  # decrypted into memory only, never to a plaintext file
            return self.desk.reading.attachment(attachment_id)

        def show(data: bytes) -> None:
            pixmap = QPixmap()
            if not pixmap.loadFromData(data):
                QMessageBox.information(
                    self, self.tr("附件"), self.tr("这个附件不是图片，暂时不能在这里预览。")
                )
                return
            viewer = QDialog(self)
            viewer.setWindowTitle(item.text())
            label = QLabel()
            label.setPixmap(
                pixmap.scaled(
                    min(900, client_limit(viewer).width() - 24),  # within a small screen
                    min(650, client_limit(viewer).height() - 24),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            QVBoxLayout(viewer).addWidget(label)
            viewer.exec()

        self.desk.runner.submit(read, show, lambda err: show_error(self, err))
