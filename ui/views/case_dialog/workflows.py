"""The case's part of the cross-level workflows (issue 17), each read and written on the vault
worker: the mandatory reports filed from this case (填写强制报告 opens the report dialog with
the case; a report filed also marks the case as reported), and the district's 个案会商 on this
case, shown as the plan to carry out with the director's follow-up on each action."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem

from app.domain import case_conference as cc
from app.domain import mandatory_report as mr
from app.domain.case_editing import can_mark_mandatory_report
from ui.views import messages
from ui.views.case_dialog.base import CaseDialogBase
from ui.views.mandatory_report_dialog import MandatoryReportDialog
from ui.views.workflow_common import china_time, error_text

Reports = list[tuple[dict[str, Any], mr.ReportStatus]]
Conferences = list[tuple[dict[str, Any], cc.ConferenceStatus]]


class WorkflowsPart(CaseDialogBase):
    def _load_workflows(self) -> None:
        case_id = self.record_id
        if case_id is None:
            return
        workflows, child_id = self._desk.workflows, self._child_id

        def task() -> tuple[Reports, Conferences]:
            reports = [
                (data, status)
                for data, status in workflows.reports(child_id)
                if data.get("source") == "case" and data.get("source_id") == case_id
            ]
            conferences = [
                (data, status)
                for data, status in workflows.conferences(child_id)
                if data.get("case_id") == case_id
            ]
            return reports, conferences

        self._desk.runner.submit(task, self._workflows_loaded, self._workflows_failed)

    def _workflows_failed(self, err: BaseException) -> None:
        messages.show_error(self, err)

    def _workflows_loaded(self, loaded: tuple[Reports, Conferences]) -> None:
        reports, conferences = loaded
        self.case_reports.clear()
        for data, status in reports:
            item = QListWidgetItem(
                self.tr("{0} 报告 · {1}").format(
                    china_time(str(data.get("filed_at", ""))), status.state_zh
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, status.report_id)
            self.case_reports.addItem(item)
        self.case_reports.setVisible(bool(reports))
        self.conference_panel.set_conferences(conferences, self._desk.today())
        index = self.tabs.indexOf(self._conference_tab)
        self.tabs.setTabVisible(index, bool(conferences))
        if self._asked_tab and self.case is not None:
            self._select_asked_tab(last_chance=True)
        # room for a conference's table and its follow-up row (the dialog scrolls at 特大);
        # none asked for while there is no conference, so the other tabs keep their size
        lines = 12 if conferences else 0
        self._conference_tab.setMinimumHeight(self.fontMetrics().height() * lines)
        open_actions = sum(
            1
            for _d, s in conferences
            if s.state == cc.RECORDED
            for a in s.actions
            if a.state == "open"
        )
        self.tabs.setTabText(
            index,
            self.tr("个案会商（{0}项待落实）").format(open_actions)
            if open_actions
            else self.tr("个案会商"),
        )

    # ----- 强制报告 ----------------------------------------------------------------------------

    def _child_name(self) -> str:
        return self.child.name if self.child is not None else ""

    def file_report(self) -> None:
        self._open_report_dialog()

    def _open_report_dialog(
        self, draft: dict[str, Any] | None = None, assessment_id: str = ""
    ) -> None:
        """The report window for this case (``assessment_id``: demanded by an assessment
        finished from this case); what is typed there is kept with the case's own draft across
        an auto-lock (editing.py) and comes back with ``draft``."""
        if self.record_id is None:
            return
        report_id = str(draft.get("report_id") or "") if draft else ""
        assessment_id = assessment_id or (str(draft.get("assessment_id") or "") if draft else "")
        dialog = MandatoryReportDialog(
            self._desk,
            self._child_id,
            self._child_name(),
            case_id=self.record_id,
            assessment_id=assessment_id or None,
            report_id=report_id or None,
            parent=self,
            draft=draft,
        )
        dialog.saved.connect(self._report_filed)
        dialog.edited.connect(self.edited)
        self.report_dialog = dialog
        dialog.show()

    def _report_filed(self) -> None:
        """A report from this case also marks the case (urgent, sent first)."""
        self._load_workflows()
        if self.record_id is None or self.case is None:
            return
        if can_mark_mandatory_report(self.case):
            record_id, cases = self.record_id, self._desk.cases
            self._submit(lambda: cases.mark_mandatory_report(record_id))

    def _open_report(self, item: QListWidgetItem) -> None:
        report_id = item.data(Qt.ItemDataRole.UserRole)
        if report_id:
            self._open_report_dialog({"report_id": str(report_id)})

    # ----- 个案会商 ----------------------------------------------------------------------------

    def _conference_follow_up(
        self, conference_id: str, action_id: str, text: str, done: bool
    ) -> None:
        if done and not messages.confirm(
            self,
            self.tr("会商事项"),
            self.tr("确定这项会商事项已经完成吗？完成后区里会看到。"),
            self.tr("已完成"),
        ):
            return
        workflows = self._desk.workflows
        self._following_up = conference_id

        def task() -> None:
            workflows.conference_follow_up(conference_id, action_id, text, done=done)

        # bound methods: a result for a dialog closed meanwhile is dropped (ui/tasks.py)
        self._desk.runner.submit(task, self._followed_up, self._follow_up_failed)

    def _followed_up(self, _result: object) -> None:
        self._load_workflows()
        self.case_changed.emit()

    def _follow_up_failed(self, err: BaseException) -> None:
        box = self.conference_panel.box(self._following_up)
        if box is not None:
            box.say(error_text(err))
        else:
            messages.show_error(self, err)
