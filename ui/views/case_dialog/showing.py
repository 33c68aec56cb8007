"""Showing the case: loading it on the vault worker, the loop with the current stage, the flags
(escalated, mandatory report, closed), and for each next stage its gate as a checklist
(✓ met / ✗ the domain's own message) with its button. The gates, the next stages and the road
ahead are app/domain/case_gates.py; the kind of move, its reason and the case with the edits on
screen are app/domain/case_editing.py."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from app.domain.case import STAGE_LABELS_ZH, Case, CaseStage
from app.domain.case_editing import (
    MoveKind,
    StageMark,
    can_escalate,
    can_mark_mandatory_report,
    case_with_edits,
    move_kind,
    reason_field,
    reason_shown,
    stage_marks,
)
from app.domain.case_gates import gate_checklist, next_stages, road_ahead
from app.domain.child_file import ChildFile
from app.domain.labels_zh import CASE_KIND_ZH
from app.services.assessments import FINISHED, Assessment
from app.services.stored import Stored
from ui.theme import LEVEL_LABELS
from ui.views import messages
from ui.views.case_dialog.base import CaseDialogBase
from ui.views.todo_lists import CASE_TAB_CONFERENCE, CASE_TAB_PLAN, CASE_TAB_REPORT
from ui.views.widgets import clear_layout as _clear_layout
from ui.views.widgets import plain_label as _label

OK_MARK, NO_MARK = "✓", "✗"


class ShowingPart(CaseDialogBase):
    # loading -----------------------------------------------------------------------------------

    def _load(self) -> None:
        desk, child_id, case_id = self._desk, self._child_id, self.record_id

        def task() -> tuple[ChildFile, Stored[Case] | None, list[Stored[Assessment]]]:
            child = desk.children.get(child_id).value
            stored = desk.cases.get(case_id) if case_id else None
            finished = [
                s for s in desk.assessments.list_all(child_id) if s.value.status == FINISHED
            ]
            return child, stored, finished

        self._busy = True
        desk.runner.submit(task, self._loaded, self._load_failed)

    def _load_failed(self, err: BaseException) -> None:
        self._busy = False
        self.loading.setText(self.tr("没能打开这个个案。请关闭后重试。"))
        messages.show_error(self, err, self.tr("没能打开个案"))

    def _loaded(
        self, loaded: tuple[ChildFile, Stored[Case] | None, list[Stored[Assessment]]]
    ) -> None:
        self._busy = False
        child, stored, assessments = loaded
        self.child = child
        self._set_assessments(assessments)
        if stored is None:
            self.heading.setText(self.tr("新建个案 · {0}").format(child.name))
            self.stack.setCurrentIndex(1)
        else:
            self._show_case(stored, reset_edits=True)
        if self._draft is not None:
            self._restore(self._draft)
            self._draft = None
        if stored is not None:
            self._load_workflows()

    def _set_assessments(self, assessments: list[Stored[Assessment]]) -> None:
        self._assessments = sorted(
            assessments, key=lambda s: s.value.finished_on or s.value.started_on, reverse=True
        )
        self._filling = True
        self.assessment.clear()
        self.assessment.addItem(self.tr("（不关联）"), "")
        for stored in self._assessments:
            value = stored.value
            when = (value.finished_on or value.started_on).isoformat()
            level = LEVEL_LABELS.get(value.level or "", self.tr("未评定"))
            self.assessment.addItem(f"{when} · {level}", stored.record_id)
        self._filling = False

    # showing the case ---------------------------------------------------------------------------

    def _show_case(self, stored: Stored[Case], reset_edits: bool = False) -> None:
        self.record_id = stored.record_id
        self.base_revision = stored.revision
        case = stored.value
        self.case = case
        self._filling = True
        name = self.child.name if self.child else ""
        self.heading.setText(self.tr("个案 · {0}").format(name))
        summary = f" · {case.summary}" if case.summary else ""
        self.subheading.setText(
            self.tr("{0} · 开案于 {1}{2}").format(
                self.tr(CASE_KIND_ZH[case.kind]), case.opened_on.isoformat(), summary
            )
        )
        self.subheading.show()
        self._show_stage(case.stage)
        self._show_flags(case)
        if reset_edits or not self._link_dirty:
            index = self.assessment.findData(case.assessment_id) if case.assessment_id else 0
            self.assessment.setCurrentIndex(max(index, 0))
            self.assessment_notes.setPlainText(case.assessment_notes)
            self._link_dirty = False
        if reset_edits or not self._plan_dirty:
            self.plan_editor.set_plan(case.plan)
            self._plan_dirty = False
            self.save_plan_button.setEnabled(False)
            self.plan_status.setText("")
        self.follow_ups.clear()
        for follow_up in sorted(case.follow_ups, key=lambda f: f.on, reverse=True):
            by = f"（{follow_up.by}）" if follow_up.by else ""
            self.follow_ups.addItem(f"{follow_up.on.isoformat()}{by}：{follow_up.notes}")
        if not case.follow_ups:
            self.follow_ups.addItem(self.tr("还没有回访记录。"))
        self._filling = False
        self._build_next_steps(case)
        self.stack.setCurrentIndex(2)
        # Only a new stage moves the tabs: saving a plan must not take the user off it.
        if case.stage is not self._shown_stage:
            self._shown_stage = case.stage
            self._select_tab_for(case.stage)
        self._select_asked_tab()

    def _show_stage(self, current: CaseStage) -> None:
        for stage, mark in stage_marks(current):
            label = self._stage_labels[stage]
            if mark is StageMark.DONE:
                text, style = f"{OK_MARK} {STAGE_LABELS_ZH[stage]}", "color: #2e7d32;"
            elif mark is StageMark.CURRENT:
                text = STAGE_LABELS_ZH[stage]
                style = (
                    "background: #1565c0; color: white; border-radius: 10px;"
                    " padding: 3px 14px; font-weight: bold;"
                )
            else:
                text, style = STAGE_LABELS_ZH[stage], "color: #757575;"
            label.setText(text)
            label.setStyleSheet(f"QLabel {{ {style} }}")
            label.setProperty("current", mark is StageMark.CURRENT)
        self.stage.setText(self.tr("当前阶段：{0}").format(STAGE_LABELS_ZH[current]))

    def _show_flags(self, case: Case) -> None:
        flags = []
        if case.mandatory_report and case.mandatory_report_on:
            flags.append(self.tr("已强制报告（{0}）").format(case.mandatory_report_on.isoformat()))
        if case.escalated_on:
            flags.append(self.tr("已上报区民政局（{0}）").format(case.escalated_on.isoformat()))
        if case.stage == CaseStage.CLOSED and case.closed_on:
            flags.append(
                self.tr("已于 {0} 结案：{1}").format(
                    case.closed_on.isoformat(), case.closure_reason
                )
            )
        self.flags.setText("　".join(flags))
        self.flags.setVisible(bool(flags))
        if case.escalated_on:
            self.escalation_status.setText(
                self.tr("已于 {0} 上报：{1}").format(
                    case.escalated_on.isoformat(), case.escalation_notes or self.tr("（无说明）")
                )
            )
            self.escalate_button.setText(self.tr("再次上报"))
        else:
            self.escalation_status.setText(self.tr("尚未上报。"))
            self.escalate_button.setText(self.tr("上报区民政局"))
        self.escalate_button.setEnabled(can_escalate(case))
        if not can_mark_mandatory_report(case):
            when = case.mandatory_report_on.isoformat() if case.mandatory_report_on else ""
            self.report_status.setText(
                self.tr("已于 {0} 标记强制报告，下次同步时优先报送区民政局。").format(when)
            )
            self.report_button.setEnabled(False)
        else:
            self.report_status.setText(self.tr("尚未强制报告。"))
            self.report_button.setEnabled(True)

    def _build_next_steps(self, case: Case) -> None:
        _clear_layout(self.next_steps_layout)
        self._reason_edits.clear()
        self._gate_rows.clear()
        self._move_buttons.clear()
        for target in next_stages(case):
            box = QFrame()
            box.setObjectName(f"gate_checklist_{target.value}")
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 6)
            kind = move_kind(case, target)
            if kind is MoveKind.REOPEN:
                title = self.tr("重新开案（回到“评估”）需要：")
            elif kind is MoveKind.BACK:
                title = self.tr("需要调整方案时，可退回“{0}”：").format(STAGE_LABELS_ZH[target])
            else:
                title = self.tr("转到“{0}”需要：").format(STAGE_LABELS_ZH[target])
            box_layout.addWidget(_label(title, "title"))
            rows = QVBoxLayout()
            rows.setContentsMargins(12, 0, 0, 0)
            box_layout.addLayout(rows)
            self._gate_rows[target] = rows
            action_row = QHBoxLayout()
            action_row.setContentsMargins(12, 0, 0, 0)
            field = reason_field(case, target)
            if field is not None:
                reason = QLineEdit(reason_shown(case, target))
                reason.setObjectName(field)
                reason.setPlaceholderText(
                    self.tr("重新开案的原因，如：发现新的风险线索")
                    if kind is MoveKind.REOPEN
                    else self.tr("结案原因，如：帮扶目标已达成，监护能力恢复正常")
                )
                reason.textChanged.connect(self._update_gates)
                self._reason_edits[target] = reason
                action_row.addWidget(reason, 1)
            else:
                action_row.addStretch(1)
            text = (
                self.tr("重新开案")
                if kind is MoveKind.REOPEN
                else self.tr("退回“{0}”").format(STAGE_LABELS_ZH[target])
                if kind is MoveKind.BACK
                else self.tr("转到“{0}” →").format(STAGE_LABELS_ZH[target])
            )
            button = QPushButton(text)
            button.setObjectName(f"move_{target.value}")
            button.clicked.connect(lambda _c=False, t=target: self.move_to(t))
            self._move_buttons[target] = button
            action_row.addWidget(button)
            box_layout.addLayout(action_row)
            self.next_steps_layout.addWidget(box)
        self._preview = _label("", "hint")
        self._preview.setObjectName("gate_preview")
        self.next_steps_layout.addWidget(self._preview)
        self._update_gates()

    def candidate(self) -> Case | None:
        """The case with the edits on screen (unsaved plan, assessment, reasons)."""
        if self.case is None:
            return None
        return case_with_edits(
            self.case,
            plan=self.plan_editor.plan(),
            assessment_id=self.assessment.currentData() or "",
            assessment_notes=self.assessment_notes.toPlainText(),
            reasons={target: edit.text() for target, edit in self._reason_edits.items()},
        )

    def _update_gates(self) -> None:
        case = self.candidate()
        if case is None:
            return
        for target, rows in self._gate_rows.items():
            _clear_layout(rows)
            checklist = gate_checklist(case, target)
            for met, text in checklist:
                row = _label(f"{OK_MARK if met else NO_MARK} {text}", None)
                row.setProperty("met", met)
                row.setStyleSheet("color: #2e7d32;" if met else "color: #c62828;")
                rows.addWidget(row)
            self._move_buttons[target].setEnabled(all(met for met, _text in checklist))
        self._update_preview(case)

    def _update_preview(self, case: Case) -> None:
        text = road_ahead(case)
        self._preview.setText(text)
        self._preview.setVisible(bool(text))

    def gate_rows(self, target: CaseStage) -> list[str]:
        """The checklist rows shown for a target, e.g. '✗ 帮扶方案至少要有一个目标。'."""
        rows = self._gate_rows[target]
        texts = []
        for i in range(rows.count()):
            item = rows.itemAt(i)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QLabel):
                texts.append(widget.text())
        return texts

    def _select_asked_tab(self, *, last_chance: bool = False) -> None:
        """The tab asked for when the window opened, once it can be shown: 个案会商 appears
        only when the case's conferences have loaded (``last_chance``: they have)."""
        tab = {
            CASE_TAB_PLAN: self._plan_tab,
            CASE_TAB_REPORT: self._report_tab,
            CASE_TAB_CONFERENCE: self._conference_tab,
        }.get(self._asked_tab)
        if tab is not None and self.tabs.isTabVisible(self.tabs.indexOf(tab)):
            self.tabs.setCurrentWidget(tab)
            self._asked_tab = ""
        elif last_chance or tab is None:
            self._asked_tab = ""

    def _select_tab_for(self, stage: CaseStage) -> None:
        tab = {
            CaseStage.IDENTIFIED: 0,
            CaseStage.ASSESSED: 1,
            CaseStage.INTERVENING: 2,
            CaseStage.FOLLOWING_UP: 2,
            CaseStage.CLOSED: 0,
        }[stage]
        self.tabs.setCurrentIndex(tab)
