"""强制报告: file a mandatory report for a child (from a case, from an assessment whose rules
demand one, or straight from the child's file), or follow one filed before — its status
(待送达 → 已送达 → 已签收 → 处理中 → 已办结), the district's steps with who and when, and
further information the director adds.

Every vault call runs on the desk's runner (the vault worker). The dialog is an editor
(ui/editor_contract.py): what is typed and not yet filed is kept as an encrypted draft across
an auto-lock (``{"kind": "mandatory_report", ...}``) and put back with ``draft=``.

Why one long file: the form, the status and steps of a filed report and its draft across a
lock are one window whose parts read each other's fields; the rules are in
app/domain/mandatory_report.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import mandatory_report as mr
from app.services.workflows import WorkflowService
from ui.tasks import Runner
from ui.views import messages
from ui.views.widgets import plain_label
from ui.views.workflow_common import (
    StepsTable,
    actor_text,
    china_time,
    error_text,
    message_label,
    paged_window,
    show_load_failure,
    state_label,
)

DRAFT_KIND = "mandatory_report"

URGENT_ZH = (
    "儿童正面临紧迫危险时，请立即拨打 110 报警，并电话报告区民政局（或乡镇），不要等同步。"
    "本报告在下次同步时排在所有记录之前，优先报送区民政局。"
)
DANGER_NOW_ZH = "有紧迫危险：请现在就拨打 110，并电话告知区民政局。填写本报告不能代替电话报警。"


class ReportDesk(Protocol):
    @property
    def runner(self) -> Runner: ...
    @property
    def today(self) -> Any: ...
    @property
    def workflows(self) -> WorkflowService: ...


Loaded = tuple[dict[str, Any], mr.ReportStatus]


class MandatoryReportDialog(QDialog):
    saved = Signal()  # a report was filed or information added
    edited = Signal()  # unsaved input changed (the session keeps it as a draft)

    def __init__(
        self,
        desk: ReportDesk,
        child_id: str,
        child_name: str,
        *,
        case_id: str | None = None,
        assessment_id: str | None = None,
        report_id: str | None = None,
        parent: QWidget | None = None,
        draft: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mandatory_report_dialog")
        self.setWindowTitle(self.tr("强制报告 — {0}").format(child_name))
        self._desk = desk
        self._child_id = child_id
        self._child_name = child_name
        self._case_id = case_id
        self._assessment_id = assessment_id
        self.report_id = report_id
        self._draft = draft
        self._dirty = False
        self._filling = False
        self._busy = False

        pages = [self._build_form(), self._build_status()]
        self.stack, self.loading, self.close_button = paged_window(
            self, pages, size=(820, 720), buttons=[self.file_button]
        )
        self._start()

    # ----- layout --------------------------------------------------------------------------

    def _build_form(self) -> QWidget:
        page = QWidget()
        page.setObjectName("report_form")
        warning = plain_label(self.tr(URGENT_ZH), "error")
        warning.setObjectName("urgent_warning")
        warning.setStyleSheet(
            "QLabel { color: #b71c1c; background: #ffebee; border: 1px solid #e57373;"
            " border-radius: 4px; padding: 8px; font-weight: bold; }"
        )
        self.source_text = plain_label("", "hint")
        self.source_text.setObjectName("report_source")
        self.concern = QComboBox()
        self.concern.setObjectName("report_concern")
        for key, text in mr.CONCERNS.items():
            self.concern.addItem(self.tr(text), key)
        self.seen = QPlainTextEdit()
        self.seen.setObjectName("report_seen")
        self.seen.setPlaceholderText(
            self.tr("看到或听到了什么，如：儿童身上有多处新伤，说是被父亲打的。")
        )
        self.seen.setMinimumHeight(self.fontMetrics().height() * 4)
        self.seen.setMaximumHeight(self.fontMetrics().height() * 6)
        self.seen_at = QLineEdit()
        self.seen_at.setObjectName("report_seen_at")
        self.seen_at.setPlaceholderText(self.tr("如：2026-11-20 傍晚"))
        self.at_risk = QLineEdit()
        self.at_risk.setObjectName("report_at_risk")
        self.at_risk.setPlaceholderText(self.tr("谁处于危险之中，如：本人及其妹妹（6岁）"))
        self.danger_yes = QRadioButton(self.tr("是，儿童现在就有危险"))
        self.danger_yes.setObjectName("report_danger_yes")
        self.danger_no = QRadioButton(self.tr("否"))
        self.danger_no.setObjectName("report_danger_no")
        self._danger = QButtonGroup(self)
        self._danger.addButton(self.danger_yes)
        self._danger.addButton(self.danger_no)
        danger_row = QHBoxLayout()
        danger_row.addWidget(self.danger_yes)
        danger_row.addWidget(self.danger_no)
        danger_row.addStretch(1)
        self.danger_now = plain_label(self.tr(DANGER_NOW_ZH), "error")
        self.danger_now.setObjectName("danger_now")
        self.danger_now.setStyleSheet("QLabel { color: #b71c1c; font-weight: bold; }")
        self.danger_now.hide()
        self.told: dict[str, QCheckBox] = {}
        told_row = QHBoxLayout()
        for key, text in mr.TOLD.items():
            box = QCheckBox(self.tr(text))
            box.setObjectName(f"report_told_{key}")
            self.told[key] = box
            told_row.addWidget(box)
        told_row.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("情形"), self.concern)
        form.addRow(self.tr("看到或听到了什么"), self.seen)
        form.addRow(self.tr("什么时候发现的"), self.seen_at)
        form.addRow(self.tr("谁处于危险之中"), self.at_risk)
        form.addRow(self.tr("是否有紧迫危险"), danger_row)
        form.addRow("", self.danger_now)
        form.addRow(self.tr("已告知"), told_row)
        self.form_message = message_label("report_message")
        self.file_button = QPushButton(self.tr("提交强制报告"))
        self.file_button.setObjectName("file_report")
        self.file_button.setDefault(True)
        self.file_button.clicked.connect(self.file)
        self.file_button.hide()  # in the bottom row, always in sight, once the form shows
        layout = QVBoxLayout(page)
        layout.addWidget(warning)
        layout.addWidget(self.source_text)
        layout.addLayout(form)
        layout.addWidget(self.form_message)
        layout.addStretch(1)
        self.seen.textChanged.connect(self._edited)
        self.seen_at.textChanged.connect(self._edited)
        self.at_risk.textChanged.connect(self._edited)
        self.concern.currentIndexChanged.connect(self._edited)
        self._danger.buttonToggled.connect(self._danger_toggled)
        for box in self.told.values():
            box.toggled.connect(self._edited)
        return page

    def _build_status(self) -> QWidget:
        page = QWidget()
        page.setObjectName("report_status_page")
        self.state = state_label("report_state")
        self.state_hint = plain_label("", "hint")
        self.state_hint.setObjectName("report_state_hint")
        self.summary = plain_label("", None)
        self.summary.setObjectName("report_summary")
        self.steps = StepsTable("report_steps")
        self.steps.setMinimumHeight(self.fontMetrics().height() * 8)
        self.info = QPlainTextEdit()
        self.info.setObjectName("report_info")
        self.info.setPlaceholderText(
            self.tr("补充的新情况，如：今天儿童没有上学，家中无人。区里和乡镇会看到。")
        )
        self.info.setMaximumHeight(self.fontMetrics().height() * 4)
        self.info.textChanged.connect(self._edited)
        self.info_button = QPushButton(self.tr("补充情况"))
        self.info_button.setObjectName("add_info")
        self.info_button.clicked.connect(self.add_info)
        self.info_message = message_label("info_message")
        steps_box = QGroupBox(self.tr("办理经过"))
        steps_layout = QVBoxLayout(steps_box)
        steps_layout.addWidget(self.steps)
        info_box = QGroupBox(self.tr("补充情况"))
        self._info_box = info_box
        info_layout = QVBoxLayout(info_box)
        info_layout.addWidget(self.info)
        info_row = QHBoxLayout()
        info_row.addWidget(self.info_message, 1)
        info_row.addStretch(1)
        info_row.addWidget(self.info_button)
        info_layout.addLayout(info_row)
        warning = plain_label(self.tr("情况紧急时请立即拨打 110，并电话报告区民政局。"), "hint")
        layout = QVBoxLayout(page)
        layout.addWidget(self.state)
        layout.addWidget(self.state_hint)
        layout.addWidget(self.summary)
        layout.addWidget(steps_box, 1)
        layout.addWidget(info_box)
        layout.addWidget(warning)
        return page

    # ----- loading ---------------------------------------------------------------------------

    def _start(self) -> None:
        if self.report_id is not None:
            self._load_report()
            return
        workflows, case_id, assessment_id = (
            self._desk.workflows,
            self._case_id,
            self._assessment_id,
        )
        if case_id is None and assessment_id is None:
            self._show_form(None)
            return
        self._busy = True
        self._desk.runner.submit(
            lambda: workflows.report_draft(assessment_id=assessment_id, case_id=case_id),
            self._show_form,
            self._draft_failed,
        )

    def _draft_failed(self, err: BaseException) -> None:
        self._busy = False
        self._show_form(None)
        self._say(self.form_message, error_text(err))

    def _show_form(self, prefill: dict[str, Any] | None) -> None:
        self._busy = False
        self._filling = True
        if self._assessment_id and prefill and prefill.get("source") == "screening":
            source = self.tr("依据：心理状况筛查结果要求强制报告。")
        elif self._assessment_id:
            source = self.tr("依据：监护能力评估结果要求强制报告。")
        elif self._case_id:
            source = self.tr("依据：个案。")
        else:
            source = self.tr("从儿童档案直接报告。")
        self.source_text.setText(source)
        self.at_risk.setText(self._child_name)
        today = self._desk.today()
        self.seen_at.setText(today.isoformat() if isinstance(today, date) else "")
        if prefill:
            self.seen.setPlainText(str(prefill.get("seen") or ""))
            if prefill.get("seen_at"):
                self.seen_at.setText(str(prefill["seen_at"]))
            index = self.concern.findData(prefill.get("concern") or "other")
            self.concern.setCurrentIndex(max(index, 0))
        self._filling = False
        self.stack.setCurrentIndex(1)
        self.file_button.show()
        if self._draft is not None:
            self._restore(self._draft)
            self._draft = None

    def _load_report(self) -> None:
        workflows, child_id, report_id = self._desk.workflows, self._child_id, self.report_id

        def task() -> Loaded:
            for data, status in workflows.reports(child_id):
                if status.report_id == report_id:
                    return data, status
            raise LookupError(report_id)

        self._busy = True
        self._desk.runner.submit(task, self._show_report, self._load_failed)

    def _load_failed(self, err: BaseException) -> None:
        self._busy = False
        show_load_failure(
            self,
            self.stack,
            self.loading,
            err,
            page_text=self.tr("没能打开这份强制报告。请关闭后重试。"),
            title=self.tr("没能打开强制报告"),
        )

    def _show_report(self, loaded: Loaded) -> None:
        self._busy = False
        data, status = loaded
        self.state.setText(self.tr("状态：{0}").format(status.state_zh))
        hints = {
            mr.FILED: self.tr(
                "还在这台电脑上，下次同步时优先报送区民政局。情况紧急请直接电话报告。"
            ),
            mr.DELIVERED: self.tr("区民政局已收到，等待乡镇或区里签收。"),
            mr.ACKNOWLEDGED: self.tr("已签收，等待交办处置。"),
            mr.IN_PROGRESS: self.tr("正在处置。"),
            mr.CLOSED: self.tr("已办结：{0}").format(status.outcome or ""),
        }
        extra = []
        if status.assignee:
            extra.append(self.tr("交办给：{0}").format(status.assignee))
        self.state_hint.setText("　".join([hints.get(status.state, ""), *extra]))
        told = "、".join(text for key, text in mr.TOLD.items() if (data.get("told") or {}).get(key))
        lines = [
            self.tr("情形：{0}").format(mr.CONCERNS.get(str(data.get("concern")), "其他")),
            self.tr("看到或听到：{0}").format(data.get("seen", "")),
            self.tr("发现时间：{0}").format(data.get("seen_at", "")),
            self.tr("处于危险之中：{0}").format(data.get("at_risk", "")),
            self.tr("紧迫危险：{0}").format(
                self.tr("是") if data.get("immediate_danger") else self.tr("否")
            ),
            self.tr("已告知：{0}").format(told or self.tr("无")),
            self.tr("报告时间：{0}（{1}）").format(
                china_time(str(data.get("filed_at", ""))), data.get("filed_by", "")
            ),
        ]
        self.summary.setText("\n".join(lines))
        self.steps.set_rows(
            [
                (
                    china_time(step.at),
                    actor_text(step),
                    mr.ACTION_ZH.get(step.action, step.action),
                    _step_note(step),
                )
                for step in status.folded.effective
                if step.action != mr.DELIVER or step.at
            ]
            or [("", "", self.tr("（还没有办理记录）"), "")]
        )
        open_ = status.state != mr.CLOSED
        self._info_box.setEnabled(open_)
        if not open_:
            self.info.setPlaceholderText(self.tr("已办结，不能再补充。"))
        self.stack.setCurrentIndex(2)
        self.file_button.hide()
        if self._draft is not None:
            self._restore(self._draft)
            self._draft = None

    # ----- actions ---------------------------------------------------------------------------

    def _say(self, label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))

    def form_values(self) -> dict[str, Any]:
        danger: bool | None = None
        if self.danger_yes.isChecked():
            danger = True
        elif self.danger_no.isChecked():
            danger = False
        return {
            "concern": self.concern.currentData(),
            "seen": self.seen.toPlainText(),
            "seen_at": self.seen_at.text(),
            "at_risk": self.at_risk.text(),
            "immediate_danger": danger,
            "told": {key: box.isChecked() for key, box in self.told.items()},
        }

    def file(self) -> None:
        if self._busy or self.report_id is not None:
            return
        values = self.form_values()
        source = "assessment" if self._assessment_id else "case" if self._case_id else "child_file"
        source_id = self._assessment_id or self._case_id
        problems = mr.report_problems(
            {**values, "child_id": self._child_id, "source": source, "source_id": source_id}
        )
        if problems:
            self._say(self.form_message, "\n".join(self.tr(p) for p in problems))
            return
        self._say(self.form_message, "")
        workflows, child_id = self._desk.workflows, self._child_id

        def task() -> Loaded:
            report_id = workflows.file_report(
                child_id,
                source=source,
                source_id=source_id,
                seen=values["seen"],
                seen_at=values["seen_at"],
                at_risk=values["at_risk"],
                immediate_danger=bool(values["immediate_danger"]),
                told=values["told"],
                concern=values["concern"],
            )
            for data, status in workflows.reports(child_id):
                if status.report_id == report_id:
                    return data, status
            raise LookupError(report_id)

        self._busy = True
        self.file_button.setEnabled(False)
        self._desk.runner.submit(task, self._filed, self._file_failed)

    def _filed(self, loaded: Loaded) -> None:
        self._dirty = False
        self.file_button.setEnabled(True)
        self.report_id = loaded[1].report_id
        self._show_report(loaded)
        self.saved.emit()

    def _file_failed(self, err: BaseException) -> None:
        self._busy = False
        self.file_button.setEnabled(True)
        self._say(self.form_message, error_text(err))

    def add_info(self) -> None:
        if self._busy or self.report_id is None:
            return
        text = self.info.toPlainText().strip()
        if not text:
            self._say(self.info_message, self.tr("请写下要补充的情况。"))
            return
        self._say(self.info_message, "")
        workflows, child_id, report_id = self._desk.workflows, self._child_id, self.report_id

        def task() -> Loaded:
            workflows.add_report_info(report_id, text)
            for data, status in workflows.reports(child_id):
                if status.report_id == report_id:
                    return data, status
            raise LookupError(report_id)

        self._busy = True
        self.info_button.setEnabled(False)
        self._desk.runner.submit(task, self._info_added, self._info_failed)

    def _info_added(self, loaded: Loaded) -> None:
        self.info_button.setEnabled(True)
        self._filling = True
        self.info.clear()
        self._filling = False
        self._dirty = False
        self._show_report(loaded)
        self.saved.emit()

    def _info_failed(self, err: BaseException) -> None:
        self._busy = False
        self.info_button.setEnabled(True)
        self._say(self.info_message, error_text(err))

    # ----- editor contract (ui/editor_contract.py) ---------------------------------------------

    def _danger_toggled(self, *_args: object) -> None:
        self.danger_now.setVisible(self.danger_yes.isChecked())
        self._edited()

    def _edited(self, *_args: object) -> None:
        if self._filling:
            return
        self._dirty = True
        self.edited.emit()

    @property
    def has_unsaved_changes(self) -> bool:
        return self._dirty

    def unsaved_draft(self) -> dict[str, Any] | None:
        if not self._dirty:
            return None
        draft: dict[str, Any] = {
            "kind": DRAFT_KIND,
            "child_id": self._child_id,
            "child_name": self._child_name,
            "case_id": self._case_id,
            "assessment_id": self._assessment_id,
            "report_id": self.report_id,
        }
        if self.report_id is None:
            draft["form"] = self.form_values()
        else:
            draft["info"] = self.info.toPlainText()
        return draft

    def _restore(self, draft: dict[str, Any]) -> None:
        form = draft.get("form")
        if self.report_id is None and isinstance(form, dict):
            self._filling = True
            index = self.concern.findData(form.get("concern"))
            if index >= 0:
                self.concern.setCurrentIndex(index)
            self.seen.setPlainText(str(form.get("seen") or ""))
            self.seen_at.setText(str(form.get("seen_at") or ""))
            self.at_risk.setText(str(form.get("at_risk") or ""))
            danger = form.get("immediate_danger")
            if danger is True:
                self.danger_yes.setChecked(True)
            elif danger is False:
                self.danger_no.setChecked(True)
            told_value = form.get("told")
            told: dict[str, Any] = told_value if isinstance(told_value, dict) else {}
            for key, box in self.told.items():
                box.setChecked(bool(told.get(key)))
            self._filling = False
            self._dirty = True
            self._say(self.form_message, self.tr("上次没有提交的内容已恢复，请检查后提交。"))
        elif self.report_id is not None and draft.get("info"):
            self._filling = True
            self.info.setPlainText(str(draft["info"]))
            self._filling = False
            self._dirty = True
            self._say(self.info_message, self.tr("上次没有提交的补充情况已恢复，请检查后提交。"))

    def discard_changes(self) -> None:
        self._dirty = False

    def reload(self) -> None:
        """Show the stored report again (a sync brought the district's steps)."""
        if self.report_id is not None and not self._busy:
            self._load_report()

    def reject(self) -> None:
        if self._dirty and not messages.confirm(
            self,
            self.tr("强制报告"),
            self.tr("填写的内容还没有提交，关闭后不会保存。确定关闭吗？"),
            self.tr("关闭"),
        ):
            return
        self._dirty = False
        super().reject()


def _step_note(step: Any) -> str:
    parts = []
    if step.action == mr.ASSIGN:
        kind = mr.ASSIGNEE_KINDS.get(str(step.details.get("assignee_kind")), "")
        parts.append(f"交办给{kind}：{step.details.get('assignee', '')}")
    if step.reason:
        parts.append(step.reason)
    return "；".join(parts)
