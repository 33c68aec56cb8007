"""What the director does with a case, each on the vault worker as a new revision of the case
record: open it, save the plan or the assessment link, move it along the loop (saving what was
edited first; the service checks the gate again), add a follow-up, escalate to the district and
mark a mandatory report (each after a confirmation), start an assessment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from app.domain.case import Case, CaseKind, CaseStage
from app.domain.case_editing import (
    CLOSURE_REASON,
    REOPEN_REASON,
    escalation_problems,
    new_case_problems,
    reason_field,
)
from app.services.assessments import FINISHED, Assessment
from app.services.stored import Stored
from ui.views import messages
from ui.views.assessment_wizard import AssessmentWizard
from ui.views.case_dialog.base import CaseDialogBase


class ActionsPart(CaseDialogBase):
    def _submit(
        self, task: Callable[[], Stored[Case]], after: Callable[[], None] | None = None
    ) -> None:
        """Run a case change on the vault worker; show the stored case and tell the caller.

        The callbacks are bound methods, so a result for a dialog closed (and deleted)
        meanwhile is dropped (ui/tasks.py); the runner is serial, so results come back in the
        order of the calls and ``after`` waits in a queue."""
        self._busy = True
        self._after.append(after)
        self._desk.runner.submit(task, self._submitted, self._submit_failed)

    def _submitted(self, stored: Stored[Case]) -> None:
        self._busy = False
        after = self._after.popleft() if self._after else None
        if after is not None:
            after()
        self._show_case(stored)
        self.case_changed.emit()

    def _submit_failed(self, err: BaseException) -> None:
        self._busy = False
        if self._after:
            self._after.popleft()
        messages.show_error(self, err)
        self._reload_case()

    def _reload_case(self) -> None:
        if self.record_id is None:
            return
        record_id, cases = self.record_id, self._desk.cases
        self._desk.runner.submit(lambda: cases.get(record_id), self._show_case, self._show_error)

    def _show_error(self, err: BaseException) -> None:
        messages.show_error(self, err)

    def open_case(self, *_clicked: object, after: Callable[[], None] | None = None) -> None:
        """开案 (``after``: called once it is stored, e.g. closing the dialog; not called when
        the summary is refused, which is said on the page)."""
        summary = self.summary.toPlainText().strip()
        problems = new_case_problems(summary)
        self.new_case_message.setText("\n".join(self.tr(p.message_zh) for p in problems))
        if problems:
            return
        kind = CaseKind(self.kind.currentData())
        cases, child_id = self._desk.cases, self._child_id
        self._submit(lambda: cases.open(child_id, kind, summary), after)

    def _pending_saves(self) -> list[Callable[[], object]]:
        """Unsaved edits as calls to make before a move (run on the worker)."""
        calls: list[Callable[[], object]] = []
        if self.record_id is None:
            return calls
        record_id, cases = self.record_id, self._desk.cases
        if self._plan_dirty:
            plan = self.plan_editor.plan()
            calls.append(lambda: cases.update_plan(record_id, plan))
        if self._link_dirty:
            assessment_id = self.assessment.currentData() or ""
            notes = self.assessment_notes.toPlainText().strip()
            calls.append(
                lambda: cases.link_assessment(record_id, assessment_id=assessment_id, notes=notes)
            )
        return calls

    def _edits_saved(self) -> None:
        self._plan_dirty = False
        self._link_dirty = False

    def save_plan(self) -> None:
        if self.record_id is None:
            return
        record_id, cases, plan = self.record_id, self._desk.cases, self.plan_editor.plan()

        def saved() -> None:
            self._plan_dirty = False

        self._submit(lambda: cases.update_plan(record_id, plan), saved)

    def save_link(self) -> None:
        if self.record_id is None:
            return
        record_id, cases = self.record_id, self._desk.cases
        assessment_id = self.assessment.currentData() or ""
        notes = self.assessment_notes.toPlainText().strip()

        def saved() -> None:
            self._link_dirty = False

        self._submit(
            lambda: cases.link_assessment(record_id, assessment_id=assessment_id, notes=notes),
            saved,
        )

    def move_to(self, target: CaseStage) -> None:
        """Save what was edited, then move along the loop (the service checks the gate again)."""
        if self.record_id is None or self.case is None or self._busy:
            return
        reasons = {
            reason_field(self.case, stage): edit.text().strip()
            for stage, edit in self._reason_edits.items()
        }
        closure_reason = reasons.get(CLOSURE_REASON, "")
        reopen_reason = reasons.get(REOPEN_REASON, "")
        if target == CaseStage.CLOSED and not messages.confirm(
            self,
            self.tr("结案"),
            self.tr("确定结案吗？结案后如有新情况，可以重新开案。"),
            self.tr("结案"),
        ):
            return
        record_id, cases, saves = self.record_id, self._desk.cases, self._pending_saves()

        def task() -> Stored[Case]:
            for call in saves:
                call()
            return cases.move(
                record_id, target, closure_reason=closure_reason, reopen_reason=reopen_reason
            )

        self._submit(task, self._edits_saved)

    def add_follow_up(self) -> None:
        if self.record_id is None:
            return
        notes = self.follow_up_notes.text().strip()
        picked = self.follow_up_date.date()
        on = date(picked.year(), picked.month(), picked.day())
        record_id, cases = self.record_id, self._desk.cases

        def added() -> None:
            self.follow_up_notes.clear()

        self._submit(lambda: cases.add_follow_up(record_id, notes, on), added)

    def escalate(self) -> None:
        if self.record_id is None:
            return
        notes = self.escalation_notes.text().strip()
        problems = escalation_problems(notes)
        if problems:
            self.escalation_message.setText("\n".join(self.tr(p.message_zh) for p in problems))
            self.escalation_message.show()
            return
        self.escalation_message.hide()
        if not messages.confirm(
            self,
            self.tr("上报区民政局"),
            self.tr(
                "将这个个案上报区民政局，由区里召集多部门会商。\n\n上报说明：{0}\n\n确定上报吗？"
            ).format(notes),
            self.tr("上报"),
        ):
            return
        record_id, cases = self.record_id, self._desk.cases

        def done() -> None:
            self.escalation_notes.clear()

        self._submit(lambda: cases.escalate(record_id, notes), done)

    def mark_mandatory_report(self) -> None:
        if self.record_id is None:
            return
        if not messages.confirm(
            self,
            self.tr("强制报告"),
            self.tr(
                "发现儿童遭受或疑似遭受侵害、面临危险时，须依法强制报告。\n\n"
                "确认后，这名儿童会被标记为紧急，下次同步时优先报送区民政局。"
                "情况紧急时请同时拨打 110 报警。\n\n确定标记为强制报告吗？"
            ),
            self.tr("强制报告"),
        ):
            return
        record_id, cases = self.record_id, self._desk.cases
        self._submit(lambda: cases.mark_mandatory_report(record_id))

    def _start_assessment(self) -> None:
        wizard = AssessmentWizard(self._desk, self._child_id, parent=self)
        wizard.assessment_finished.connect(self._assessment_finished)
        demanded: list[str] = []  # 填写强制报告 from the result: the assessment's id
        if self.record_id is not None:

            def file_report(*_args: object, assessment_id: str = "", **_kw: object) -> None:
                demanded.append(assessment_id)
                wizard.done(0)  # the report window below takes over from the finished result

            wizard.open_report = file_report
        wizard.exec()
        if demanded:
            # this case's report window: its input kept with the case's draft across a lock
            # (editing.py), as the session keeps a report opened anywhere else
            self._open_report_dialog(assessment_id=demanded[0])

    def _assessment_finished(self, assessment_id: str) -> None:
        desk, child_id = self._desk, self._child_id
        self._finished_assessment = assessment_id

        def task() -> list[Stored[Assessment]]:
            return [s for s in desk.assessments.list_all(child_id) if s.value.status == FINISHED]

        desk.runner.submit(task, self._finished_assessments_loaded, self._show_error)

    def _finished_assessments_loaded(self, assessments: list[Stored[Assessment]]) -> None:
        self._set_assessments(assessments)
        index = self.assessment.findData(self._finished_assessment)
        if index >= 0:
            self.assessment.setCurrentIndex(index)  # linked when saved or on the move
