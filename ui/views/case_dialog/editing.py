"""Edits on screen and the session's editor contract (ui/editor_contract.py): what is unsaved,
the whole unsaved input as a draft kept across an auto-lock and put back after, reloading the
stored case, and asking before closing with unsaved edits."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtWidgets import QWidget

from app.domain.case import Plan
from ui.views import messages
from ui.views.case_dialog.base import CaseDialogBase
from ui.views.mandatory_report_dialog import MandatoryReportDialog
from ui.views.unsaved import ask_save


def ask_unsaved(parent: QWidget) -> str:
    """'save', 'discard' or 'cancel' when closing with unsaved edits."""
    return ask_save(parent, "帮扶方案或评估情况改过了，还没有保存。要保存吗？")


class EditingPart(CaseDialogBase):
    def unsaved_draft(self) -> dict[str, Any] | None:
        """The unsaved input: a new case's kind and summary, or an open case's plan and
        assessment link, with the revision they were typed on; and a 强制报告 being written
        from this case (``"report"``: the report window's own draft)."""
        draft = self._case_draft()
        report = self.report_dialog
        report_draft = (
            report.unsaved_draft()
            if isinstance(report, MandatoryReportDialog) and shiboken6.isValid(report)
            else None
        )
        if report_draft is None or self.record_id is None:
            return draft
        if draft is None:
            draft = {
                "kind": "case",
                "child_id": self._child_id,
                "case_id": self.record_id,
                "base_revision": self.base_revision,
            }
        draft["report"] = report_draft
        return draft

    def _case_draft(self) -> dict[str, Any] | None:
        if self.record_id is None:
            summary = self.summary.toPlainText()
            if not summary.strip():
                return None
            return {
                "kind": "case",
                "child_id": self._child_id,
                "case_id": None,
                "new_case": {"case_kind": self.kind.currentData(), "summary": summary},
            }
        if not self.has_unsaved_changes:
            return None
        draft: dict[str, Any] = {
            "kind": "case",
            "child_id": self._child_id,
            "case_id": self.record_id,
            "base_revision": self.base_revision,
        }
        if self._plan_dirty:
            draft["plan"] = self.plan_editor.plan().to_json()
        if self._link_dirty:
            draft["link"] = {
                "assessment_id": self.assessment.currentData() or "",
                "notes": self.assessment_notes.toPlainText(),
            }
        return draft

    def _restore(self, draft: dict[str, Any]) -> None:
        """Put kept input back on screen, unsaved, and say so."""
        new_case = draft.get("new_case")
        if self.record_id is None and isinstance(new_case, dict):
            index = self.kind.findData(new_case.get("case_kind"))
            if index >= 0:
                self.kind.setCurrentIndex(index)
            self.summary.setPlainText(str(new_case.get("summary", "")))
            self.new_case_message.setText(self.tr("上次没有保存的内容已恢复，请检查后开案。"))
            return
        if self.record_id is None:
            return
        report = draft.get("report")
        if isinstance(report, dict):
            self._open_report_dialog(draft=report)  # the report being written, back on screen
        newer = draft.get("base_revision") not in (None, self.base_revision)
        plan = draft.get("plan")
        if isinstance(plan, dict):
            self._filling = True
            self.plan_editor.set_plan(Plan.from_json(plan))
            self._filling = False
            self._plan_edited()
            self.tabs.setCurrentWidget(self._plan_tab)  # show what came back
            self.plan_status.setText(
                self.tr("上次没有保存的方案改动已恢复，请检查后保存。")
                + (self.tr("注意：这个个案之后又被修改过，请核对。") if newer else "")
            )
        link = draft.get("link")
        if isinstance(link, dict):
            self._filling = True
            index = self.assessment.findData(link.get("assessment_id") or "")
            self.assessment.setCurrentIndex(max(index, 0))
            self.assessment_notes.setPlainText(str(link.get("notes", "")))
            self._filling = False
            self._link_edited()

    def reload(self) -> None:
        """Show the stored case again (unsaved edits stay on screen), with its conferences and
        reports (a sync may have brought the district's)."""
        self._reload_case()
        self._load_workflows()

    def _plan_edited(self) -> None:
        if self._filling:
            return
        self._plan_dirty = True
        self.edited.emit()
        self.save_plan_button.setEnabled(True)
        self.plan_status.setText(self.tr("方案有改动，还没有保存。"))
        self._update_gates()

    def _link_edited(self) -> None:
        if self._filling:
            return
        self._link_dirty = True
        self.edited.emit()
        self._update_gates()

    @property
    def has_unsaved_changes(self) -> bool:
        return self._plan_dirty or self._link_dirty

    def discard_changes(self) -> None:
        self._plan_dirty = False
        self._link_dirty = False
        report = self.report_dialog
        if isinstance(report, MandatoryReportDialog) and shiboken6.isValid(report):
            report.discard_changes()

    def _unopened_summary(self) -> bool:
        """A new case's summary typed and the case not yet opened."""
        return self.record_id is None and bool(self.summary.toPlainText().strip())

    def reject(self) -> None:
        """Close; with unsaved edits, ask first. 保存 closes once the edits are stored (a failed
        save shows why and keeps the dialog, edits and all). A new case with its summary
        typed asks too: 保存 opens the case (开案), then closes."""
        if self._unopened_summary() and not self._busy:
            choice = ask_save(
                self, self.tr("新个案还没有开案，写的情况概述还没有保存。要保存并开案吗？")
            )
            if choice == "cancel":
                return
            if choice == "save":
                self.open_case(after=self._close_when_opened)
                return
            self.summary.clear()  # thrown away: nothing left to keep as a draft
        if self.has_unsaved_changes and self.record_id is not None:
            choice = ask_unsaved(self)
            if choice == "cancel":
                return
            if choice == "save":
                self._save_then_close()
                return
            self.discard_changes()
        super().reject()

    def _close_when_opened(self) -> None:
        super().reject()

    def _save_then_close(self) -> None:
        saves = self._pending_saves()

        def task() -> None:
            for call in saves:
                call()

        self._busy = True
        self.setEnabled(False)
        # bound methods: a result for a window deleted meanwhile is dropped (ui/tasks.py)
        self._desk.runner.submit(task, self._saved_before_closing, self._save_before_closing_failed)

    def _saved_before_closing(self, _result: object) -> None:
        self._busy = False
        self.setEnabled(True)
        self.discard_changes()
        self.case_changed.emit()
        super().reject()

    def _save_before_closing_failed(self, err: BaseException) -> None:
        self._busy = False
        self.setEnabled(True)
        messages.show_error(self, err)
