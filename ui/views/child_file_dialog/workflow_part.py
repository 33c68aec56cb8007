"""The 报告与申请 tab's windows: a new or filed 强制报告, the 事实无人抚养 recognition application.

Through the session when there is one (``open_workflow``: one window per record, kept across
an auto-lock like the other editors); alone (tests, a file opened without a session), the
windows open here and the tab is read again when they save."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from ui.views.child_file_dialog.base import ChildFileBase

if TYPE_CHECKING:
    from ui.views.mandatory_report_dialog import MandatoryReportDialog
    from ui.views.recognition_application_dialog import RecognitionApplicationDialog


class WorkflowPart(ChildFileBase):
    def _open_report(self, report_id: str) -> None:
        """填写强制报告 (``report_id`` ""), or a filed report."""
        if self.child_id is None:
            return
        if self.open_workflow is not None:
            self.open_workflow("report", self.child_id, self.child_name, report_id)
            return
        from ui.views.mandatory_report_dialog import MandatoryReportDialog

        dialog = MandatoryReportDialog(
            self.desk, self.child_id, self.child_name, report_id=report_id or None, parent=self
        )
        self._show_workflow_dialog(dialog)

    def _open_application(self, application_id: str) -> None:
        """申请事实无人抚养认定 (``application_id`` "": a new one), or an application."""
        if self.child_id is None:
            return
        if self.open_workflow is not None:
            self.open_workflow("application", self.child_id, self.child_name, application_id)
            return
        from ui.views.recognition_application_dialog import RecognitionApplicationDialog

        dialog = RecognitionApplicationDialog(
            self.desk,
            self.child_id,
            self.child_name,
            application_id=application_id or None,
            parent=self,
        )
        self._show_workflow_dialog(dialog)

    def _show_workflow_dialog(
        self, dialog: MandatoryReportDialog | RecognitionApplicationDialog
    ) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.saved.connect(self._changed)
        self.workflow_dialog = dialog  # the one open (tests reach it here)
        dialog.show()
