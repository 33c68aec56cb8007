"""Saving the child file (a stale revision is resolved field by field), keeping an unsaved draft
across auto-lock, and asking before closing with unsaved changes."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QMessageBox,
)

from app.domain.child_file import (
    FIELD_LABELS_ZH,
    ChildFile,
    field_text_zh,
)
from app.services.stale import StaleRevisionError, resolve
from app.services.stored import Stored
from ui.views.child_file_dialog.base import ChildFileBase
from ui.views.messages import show_error, user_message

if TYPE_CHECKING:
    from ui.views.visit_dialog import VisitDialog


class SavingPart(ChildFileBase):
    if TYPE_CHECKING:
        visit_dialog: VisitDialog | None  # tabs.py

        def visit_draft(self) -> dict[str, Any] | None: ...  # tabs.py

    # ----- saving ---------------------------------------------------------------------------

    def current_value(self) -> ChildFile:
        return replace(self.form.value(), guardians=list(self.guardians.guardians))

    def save(self) -> None:
        child = self.current_value()
        child_id = self.child_id
        base_revision = self.base_revision
        desk = self.desk
        typed = self.form.identity_problems()  # a date not typed in full, ID disagreements
        if typed:
            identity = {"birth_date", "gender", "id_number"}
            others = [p for p in child.problems(desk.today()) if p.field not in identity]
            self.form.show_problems(typed + others)
            self.tabs.setCurrentIndex(0)
            self.status.setText(self.tr("没有保存：请按红字提示修改后再保存"))
            return

        def save() -> Stored[ChildFile]:
            if child_id is None:
                return desk.children.create(child)
            return desk.children.update(child_id, child, base_revision=base_revision)

        self.status.setText(self.tr("正在保存…"))
        desk.runner.submit(save, self._saved, self._save_failed)

    def _saved(self, stored: Stored[ChildFile]) -> None:
        self.child_id = stored.record_id
        self.base_revision = stored.revision
        self._dirty = False
        self.status.setText(self.tr("已保存"))
        self.setWindowTitle(self.tr("儿童档案"))
        self._set_saved_tabs_enabled(True)
        self.form.show_problems(stored.value.problems(self.desk.today()))
        self.form.show_recognition(stored.value)
        self.child_saved.emit(stored.record_id)
        self.reload()

    def _save_failed(self, err: BaseException) -> None:
        if isinstance(err, StaleRevisionError):
            self._resolve_stale(err)
            return
        problems = getattr(err, "problems", None)
        if problems is not None and hasattr(err, "message_zh"):
            self.form.show_problems(problems)
            self.tabs.setCurrentIndex(0)
            self.status.setText(self.tr("没有保存：请按红字提示修改后再保存"))
        else:
            self.status.setText(user_message(err))
            show_error(self, err)

    def _resolve_stale(self, err: StaleRevisionError) -> None:
        """Someone saved this file after it was opened here: show both values per field, the
        person chooses, and the choice is saved on top of the newer revision."""
        from ui.views.stale_dialog import StaleSaveDialog

        self.status.setText(self.tr("没有保存：档案在别处又被保存过"))
        dialog = StaleSaveDialog(
            err,
            what=self.tr("档案"),
            label=lambda name: FIELD_LABELS_ZH.get(name, name),
            text=field_text_zh,
            parent=self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            self.status.setText(self.tr("没有保存：您的修改还在，请核对后再保存"))
            return
        merged = ChildFile.from_json(
            resolve(self.current_value().to_json(), err, dialog.take_theirs())
        )
        self.form.load(merged)
        self.guardians.load(merged.guardians)
        self.base_revision = err.current_revision
        self.save()

    def draft(self) -> dict[str, Any] | None:
        """Unsaved input, to keep encrypted across an auto-lock."""
        return self.current_value().to_json() if self._dirty else None

    def unsaved_draft(self) -> dict[str, Any] | None:
        """The draft with the revision it was typed on (so saving it later cannot silently
        undo a newer save); a visit being typed in its window over this file comes with it
        (``"visit"``; ``"data"`` is None when the file itself has no unsaved edits)."""
        data = self.draft()
        visit = self.visit_draft()
        if data is None and visit is None:
            return None
        draft: dict[str, Any] = {
            "kind": "child",
            "child_id": self.child_id,
            "base_revision": self.base_revision,
            "data": data,
        }
        if visit is not None:
            draft["visit"] = visit
        return draft

    def discard_changes(self) -> None:
        self._dirty = False
        visit = self.visit_dialog
        if visit is not None and shiboken6.isValid(visit):
            visit.discard_changes()

    def reject(self) -> None:
        """Esc: the same question as 关闭 and the title bar's × (unsaved input is never
        dropped without asking)."""
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        visit = self.visit_dialog
        open_visit = visit is not None and shiboken6.isValid(visit) and visit.isVisible()
        # closed from elsewhere (the main window quitting): the visit's window asks first
        if open_visit and visit is not None and not visit.close():
            event.ignore()
            return
        if self._dirty:
            answer = QMessageBox.question(
                self,
                self.tr("有未保存的修改"),
                self.tr("档案有修改还没有保存。要保存吗？"),
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save:
                self.save()
                event.ignore()
                return
        event.accept()
