"""个案: a case along the loop 识别 → 评估 → 介入 → 跟踪 → 结案.

The stage is shown along the loop; for each stage the case can move to, its gate is a checklist
(✓ met / ✗ with the domain's own Chinese message). The plan editor (goals; actions with what,
who, by when), follow-ups, closure and reopening reasons, escalation to the district (上报区民政局)
and mandatory reporting (强制报告) — the last two each after a confirmation. Every change goes
through the serial runner and is a new revision of the case record.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, QEventLoop, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.case import STAGE_LABELS_ZH, Case, CaseKind, CaseStage, Plan, PlanAction
from app.domain.case_gates import (
    LOOP,
    gate_checklist,
    is_backwards,
    is_reopening,
    next_stages,
    road_ahead,
)
from app.domain.child_file import ChildFile
from app.domain.labels_zh import CASE_KIND_ZH
from app.services.assessments import FINISHED, Assessment
from app.services.stored import Stored
from ui.desk_services import DeskServices
from ui.theme import LEVEL_LABELS
from ui.views.assessment_wizard import AssessmentWizard
from ui.views.messages import confirm, show_error
from ui.views.widgets import OptionalDateEdit
from ui.views.widgets import clear_layout as _clear_layout
from ui.views.widgets import plain_label as _label
from ui.views.widgets import run_and_wait as _run_sync
from ui.window_fit import fit_window, scrolling

OK_MARK, NO_MARK = "✓", "✗"


def ask_unsaved(parent: QWidget) -> str:
    """'save', 'discard' or 'cancel' when closing with unsaved edits."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "还没有保存",
        "帮扶方案或评估情况改过了，还没有保存。要保存吗？",
        parent=parent,
    )
    save = box.addButton("保存", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("不保存", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(save)
    box.exec()
    clicked = box.clickedButton()
    return "save" if clicked is save else "discard" if clicked is discard else "cancel"


class PlanEditor(QWidget):
    """个性化帮扶方案: goals, and actions with what / who / by when."""

    changed = Signal()

    def __init__(self, today: date) -> None:
        super().__init__()
        self.setObjectName("plan_editor")
        self._today = today
        self._goals: list[QLineEdit] = []
        self._actions: list[tuple[QLineEdit, QLineEdit, OptionalDateEdit]] = []
        self.goals_layout = QVBoxLayout()
        self.actions_grid = QGridLayout()
        self.actions_grid.setHorizontalSpacing(8)
        add_goal = QPushButton(self.tr("＋ 添加目标"))
        add_goal.setObjectName("add_goal")
        add_goal.clicked.connect(lambda: self._add_goal("", focus=True))
        add_action = QPushButton(self.tr("＋ 添加措施"))
        add_action.setObjectName("add_action")
        add_action.clicked.connect(lambda: self._add_action(None, focus=True))
        layout = QVBoxLayout(self)
        layout.addWidget(_label(self.tr("帮扶目标"), "title"))
        layout.addWidget(
            _label(self.tr("希望达到的结果，如“落实兜底监护”“监护人能按时送孩子上学”。"), "hint")
        )
        layout.addLayout(self.goals_layout)
        layout.addWidget(add_goal, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(8)
        layout.addWidget(_label(self.tr("帮扶措施"), "title"))
        layout.addLayout(self.actions_grid)
        layout.addWidget(add_action, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def set_plan(self, plan: Plan) -> None:
        _clear_layout(self.goals_layout)
        _clear_layout(self.actions_grid)
        self._goals.clear()
        self._actions.clear()
        for column, text in enumerate((self.tr("做什么"), self.tr("谁负责"), self.tr("完成时间"))):
            self.actions_grid.addWidget(_label(text, "hint", wrap=False), 0, column)
        self.actions_grid.setColumnStretch(0, 3)
        self.actions_grid.setColumnStretch(1, 2)
        for goal in plan.goals or [""]:
            self._add_goal(goal)
        actions: list[PlanAction | None] = list(plan.actions) or [None]
        for action in actions:
            self._add_action(action)

    def _add_goal(self, text: str, focus: bool = False) -> None:
        index = len(self._goals)
        edit = QLineEdit(text)
        edit.setObjectName(f"goal_{index}")
        edit.setPlaceholderText(self.tr("目标 {0}").format(index + 1))
        edit.textChanged.connect(self.changed)
        remove = QPushButton(self.tr("删除"))
        remove.setObjectName(f"remove_goal_{index}")
        remove.clicked.connect(lambda: self._remove_row(goal=index))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(remove)
        self.goals_layout.addLayout(row)
        self._goals.append(edit)
        if focus:
            edit.setFocus()
            self.changed.emit()

    def _add_action(self, action: PlanAction | None, focus: bool = False) -> None:
        index = len(self._actions)
        row = index + 1
        what = QLineEdit(action.what if action else "")
        what.setObjectName(f"action_{index}_what")
        what.setPlaceholderText(self.tr("如：联系爱心妈妈一对一结对"))
        who = QLineEdit(action.who if action else "")
        who.setObjectName(f"action_{index}_who")
        who.setPlaceholderText(self.tr("如：村儿童主任"))
        by_when = OptionalDateEdit(self._today, self.tr("请选择"))
        by_when.setObjectName(f"action_{index}_by_when")
        by_when.set_value(action.by_when if action else None)
        for signal in (what.textChanged, who.textChanged, by_when.dateChanged):
            signal.connect(self.changed)
        self.actions_grid.addWidget(what, row, 0)
        self.actions_grid.addWidget(who, row, 1)
        self.actions_grid.addWidget(by_when, row, 2)
        remove = QPushButton(self.tr("删除"))
        remove.setObjectName(f"remove_action_{index}")
        remove.clicked.connect(lambda: self._remove_row(action=index))
        self.actions_grid.addWidget(remove, row, 3)
        self._actions.append((what, who, by_when))
        if focus:
            what.setFocus()
            self.changed.emit()

    def _remove_row(self, goal: int | None = None, action: int | None = None) -> None:
        goals = [e.text() for e in self._goals]
        actions = [
            PlanAction(what.text(), who.text(), by_when.value())
            for what, who, by_when in self._actions
        ]
        if goal is not None and goal < len(goals):
            del goals[goal]
        if action is not None and action < len(actions):
            del actions[action]
        self.set_plan(Plan(goals=goals, actions=actions))
        self.changed.emit()

    def plan(self) -> Plan:
        goals = [e.text().strip() for e in self._goals if e.text().strip()]
        actions = [
            PlanAction(what.text().strip(), who.text().strip(), by_when.value())
            for what, who, by_when in self._actions
            if what.text().strip() or who.text().strip() or by_when.value() is not None
        ]
        return Plan(goals=goals, actions=actions)

    def set_action(self, index: int, what: str, who: str, by_when: date | None) -> None:
        """Fill an action row as if typed (tests, demos); adds rows as needed."""
        while len(self._actions) <= index:
            self._add_action(None)
        what_edit, who_edit, date_edit = self._actions[index]
        what_edit.setText(what)
        who_edit.setText(who)
        date_edit.set_value(by_when)

    def set_goal(self, index: int, text: str) -> None:
        while len(self._goals) <= index:
            self._add_goal("")
        self._goals[index].setText(text)


class CaseDialog(QDialog):
    """Open a new case for a child (kind, summary), or follow an existing one."""

    case_changed = Signal()
    edited = Signal()  # unsaved input changed (the session keeps it as a draft)

    def __init__(
        self,
        desk: DeskServices,
        child_id: str,
        case_id: str | None = None,
        parent: QWidget | None = None,
        draft: dict[str, Any] | None = None,
    ) -> None:
        """``draft``: unsaved input kept across a lock or crash (see unsaved_draft), put back
        once the case is loaded."""
        super().__init__(parent)
        self.setObjectName("case_dialog")
        self.setWindowTitle(self.tr("个案"))
        self._desk = desk
        self._child_id = child_id
        self.record_id: str | None = case_id
        self.base_revision: int | None = None  # the revision on screen
        self._draft = draft
        self.case: Case | None = None
        self._shown_stage: CaseStage | None = None  # the stage whose tab was chosen
        self.child: ChildFile | None = None
        self._assessments: list[Stored[Assessment]] = []
        self._plan_dirty = False
        self._link_dirty = False
        self._filling = False
        self._busy = False
        self._reason_edits: dict[CaseStage, QLineEdit] = {}
        self._gate_rows: dict[CaseStage, QVBoxLayout] = {}
        self._move_buttons: dict[CaseStage, QPushButton] = {}

        self.heading = _label(self.tr("个案"), "title")
        self.heading.setObjectName("heading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.heading.setFont(font)
        self.subheading = _label("", "hint")
        self.subheading.setObjectName("subheading")
        self.subheading.hide()
        self.stack = QStackedWidget()
        self.loading = _label(self.tr("正在打开……"), "hint")
        self.stack.addWidget(self.loading)
        self.stack.addWidget(self._build_new_case_page())
        self.stack.addWidget(self._build_case_page())
        self.close_button = QPushButton(self.tr("关闭"))
        self.close_button.setObjectName("close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.subheading)
        layout.addWidget(scrolling(self.stack), 1)  # 特大 text on a small screen
        layout.addLayout(buttons)
        fit_window(self, 980, 760)
        self._load()

    # layout ------------------------------------------------------------------------------------

    def _build_new_case_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("new_case_page")
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        for kind, text in CASE_KIND_ZH.items():
            self.kind.addItem(self.tr(text), kind.value)
        self.summary = QPlainTextEdit()
        self.summary.setObjectName("summary")
        self.summary.setPlaceholderText(
            self.tr(
                "简要写明发现了什么情况、从哪里得知，如：走访发现儿童独自在家，父母外出务工失联。"
            )
        )
        self.summary.setMaximumHeight(self.fontMetrics().height() * 6)
        self.summary.textChanged.connect(self.edited)
        self.kind.currentIndexChanged.connect(lambda _i: self.edited.emit())
        self.new_case_message = _label("", "error")
        self.new_case_message.setObjectName("new_case_message")
        self.open_button = QPushButton(self.tr("开案"))
        self.open_button.setObjectName("open_case")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_case)
        form = QFormLayout()
        form.addRow(self.tr("个案类型"), self.kind)
        form.addRow(self.tr("情况概述"), self.summary)
        layout = QVBoxLayout(page)
        layout.addWidget(
            _label(
                self.tr(
                    "发现监护侵害、监护缺失或监护不当等情况时开个案，按“识别 → 评估 → 介入 → 跟踪 → 结案”跟进。"
                ),
                "hint",
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.new_case_message)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _build_case_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("case_page")
        # the loop
        strip = QFrame()
        strip.setObjectName("stage_strip")
        strip_layout = QHBoxLayout(strip)
        strip_layout.setContentsMargins(0, 4, 0, 4)
        self._stage_labels: dict[CaseStage, QLabel] = {}
        for index, stage in enumerate(LOOP):
            if index:
                arrow = QLabel("→")
                arrow.setProperty("role", "hint")
                strip_layout.addWidget(arrow)
            label = QLabel(STAGE_LABELS_ZH[stage])
            label.setObjectName(f"stage_{stage.value}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._stage_labels[stage] = label
            strip_layout.addWidget(label)
        strip_layout.addStretch(1)
        self.stage = QLabel("")
        self.stage.setObjectName("stage")
        strip_layout.addWidget(self.stage)
        self.flags = _label("", "error")
        self.flags.setObjectName("flags")
        self.flags.hide()

        # the next step(s) and their gates
        self.next_steps = QGroupBox(self.tr("下一步"))
        self.next_steps.setObjectName("gate_checklist")
        self.next_steps_layout = QVBoxLayout(self.next_steps)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.addTab(self._build_assessment_tab(), self.tr("评估"))
        self.tabs.addTab(self._build_plan_tab(), self.tr("帮扶方案"))
        self.tabs.addTab(self._build_follow_up_tab(), self.tr("跟踪回访"))
        self.tabs.addTab(self._build_report_tab(), self.tr("上报与强制报告"))

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(strip)
        layout.addWidget(self.flags)
        layout.addWidget(self.next_steps)
        layout.addWidget(self.tabs, 1)
        return page

    def _build_assessment_tab(self) -> QWidget:
        tab = QWidget()
        self.assessment = QComboBox()
        self.assessment.setObjectName("assessment")
        self.assessment.currentIndexChanged.connect(self._link_edited)
        self.assessment_notes = QPlainTextEdit()
        self.assessment_notes.setObjectName("assessment_notes")
        self.assessment_notes.setPlaceholderText(
            self.tr("没有做评估表时，写下入户了解到的情况，如：监护人外出务工失联，祖母年迈多病。")
        )
        self.assessment_notes.textChanged.connect(self._link_edited)
        self.new_assessment = QPushButton(self.tr("进行监护能力评估"))
        self.new_assessment.setObjectName("new_assessment")
        self.new_assessment.clicked.connect(self._start_assessment)
        self.save_assessment = QPushButton(self.tr("保存评估情况"))
        self.save_assessment.setObjectName("save_assessment")
        self.save_assessment.clicked.connect(self.save_link)
        form = QFormLayout()
        form.addRow(self.tr("关联的评估"), self.assessment)
        form.addRow(self.tr("评估情况"), self.assessment_notes)
        row = QHBoxLayout()
        row.addWidget(self.new_assessment)
        row.addStretch(1)
        row.addWidget(self.save_assessment)
        layout = QVBoxLayout(tab)
        layout.addLayout(form)
        layout.addLayout(row)
        return tab

    def _build_plan_tab(self) -> QWidget:
        tab = self._plan_tab = QWidget()
        self.plan_editor = PlanEditor(self._desk.today())
        self.plan_editor.changed.connect(self._plan_edited)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.plan_editor)
        self.save_plan_button = QPushButton(self.tr("保存方案"))
        self.save_plan_button.setObjectName("save_plan")
        self.save_plan_button.setEnabled(False)
        self.save_plan_button.clicked.connect(self.save_plan)
        row = QHBoxLayout()
        self.plan_status = _label("", "hint")
        self.plan_status.setObjectName("plan_status")
        row.addWidget(self.plan_status, 1)
        row.addWidget(self.save_plan_button)
        layout = QVBoxLayout(tab)
        layout.addWidget(scroll, 1)
        layout.addLayout(row)
        return tab

    def _build_follow_up_tab(self) -> QWidget:
        tab = QWidget()
        self.follow_ups = QListWidget()
        self.follow_ups.setObjectName("follow_ups")
        self.follow_ups.setWordWrap(True)
        self.follow_up_date = QDateEdit()
        self.follow_up_date.setObjectName("follow_up_date")
        self.follow_up_date.setCalendarPopup(True)
        self.follow_up_date.setDisplayFormat("yyyy-MM-dd")
        today = self._desk.today()
        self.follow_up_date.setMaximumDate(QDate(today.year, today.month, today.day))
        self.follow_up_date.setDate(QDate(today.year, today.month, today.day))
        self.follow_up_notes = QLineEdit()
        self.follow_up_notes.setObjectName("follow_up_notes")
        self.follow_up_notes.setPlaceholderText(self.tr("回访看到的情况、措施落实得怎样"))
        self.follow_up_notes.returnPressed.connect(self.add_follow_up)
        self.add_follow_up_button = QPushButton(self.tr("添加回访"))
        self.add_follow_up_button.setObjectName("add_follow_up")
        self.add_follow_up_button.clicked.connect(self.add_follow_up)
        row = QHBoxLayout()
        row.addWidget(self.follow_up_date)
        row.addWidget(self.follow_up_notes, 1)
        row.addWidget(self.add_follow_up_button)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.follow_ups, 1)
        layout.addLayout(row)
        return tab

    def _build_report_tab(self) -> QWidget:
        tab = QWidget()
        self.escalation_status = _label("", None)
        self.escalation_status.setObjectName("escalation_status")
        self.escalation_notes = QLineEdit()
        self.escalation_notes.setObjectName("escalation_notes")
        self.escalation_notes.setPlaceholderText(self.tr("上报说明：发生了什么、需要区里协调什么"))
        self.escalation_message = _label("", "error")
        self.escalation_message.setObjectName("escalation_message")
        self.escalation_message.hide()
        self.escalate_button = QPushButton(self.tr("上报区民政局"))
        self.escalate_button.setObjectName("escalate")
        self.escalate_button.clicked.connect(self.escalate)
        self.report_status = _label("", None)
        self.report_status.setObjectName("mandatory_report_status")
        self.report_button = QPushButton(self.tr("强制报告"))
        self.report_button.setObjectName("mandatory_report")
        self.report_button.clicked.connect(self.mark_mandatory_report)

        escalation = QGroupBox(self.tr("上报区民政局"))
        e_layout = QVBoxLayout(escalation)
        e_layout.addWidget(
            _label(
                self.tr("监护侵害、监护缺失等重大个案上报区民政局，由区里召集多部门会商。"), "hint"
            )
        )
        e_layout.addWidget(self.escalation_status)
        e_row = QHBoxLayout()
        e_row.addWidget(self.escalation_notes, 1)
        e_row.addWidget(self.escalate_button)
        e_layout.addLayout(e_row)
        e_layout.addWidget(self.escalation_message)

        report = QGroupBox(self.tr("强制报告"))
        r_layout = QVBoxLayout(report)
        r_layout.addWidget(
            _label(
                self.tr(
                    "发现儿童遭受或疑似遭受侵害、面临危险时，须依法强制报告。情况紧急请先拨打 110。"
                ),
                "hint",
            )
        )
        r_row = QHBoxLayout()
        r_row.addWidget(self.report_status, 1)
        r_row.addWidget(self.report_button)
        r_layout.addLayout(r_row)

        layout = QVBoxLayout(tab)
        layout.addWidget(escalation)
        layout.addWidget(report)
        layout.addStretch(1)
        return tab

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
        show_error(self, err, self.tr("没能打开个案"))

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

    # unsaved input across a lock (the session's editor contract) -------------------------------

    def unsaved_draft(self) -> dict[str, Any] | None:
        """The unsaved input: a new case's kind and summary, or an open case's plan and
        assessment link, with the revision they were typed on."""
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
        """Show the stored case again (unsaved edits stay on screen)."""
        self._reload_case()

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

    def _show_stage(self, current: CaseStage) -> None:
        position = LOOP.index(current)
        for index, stage in enumerate(LOOP):
            label = self._stage_labels[stage]
            if index < position:
                text, style = f"{OK_MARK} {STAGE_LABELS_ZH[stage]}", "color: #2e7d32;"
            elif index == position:
                text = STAGE_LABELS_ZH[stage]
                style = (
                    "background: #1565c0; color: white; border-radius: 10px;"
                    " padding: 3px 14px; font-weight: bold;"
                )
            else:
                text, style = STAGE_LABELS_ZH[stage], "color: #757575;"
            label.setText(text)
            label.setStyleSheet(f"QLabel {{ {style} }}")
            label.setProperty("current", index == position)
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
        self.escalate_button.setEnabled(case.is_open)
        if case.mandatory_report:
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
            reopening = is_reopening(case)
            backwards = is_backwards(case, target)
            if reopening:
                title = self.tr("重新开案（回到“评估”）需要：")
            elif backwards:
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
            if target == CaseStage.CLOSED or reopening:
                reason = QLineEdit(case.closure_reason if not reopening else case.reopen_reason)
                if reopening:
                    reason.setText("")
                reason.setObjectName("reopen_reason" if reopening else "closure_reason")
                reason.setPlaceholderText(
                    self.tr("重新开案的原因，如：发现新的风险线索")
                    if reopening
                    else self.tr("结案原因，如：帮扶目标已达成，监护能力恢复正常")
                )
                reason.textChanged.connect(self._update_gates)
                self._reason_edits[target] = reason
                action_row.addWidget(reason, 1)
            else:
                action_row.addStretch(1)
            text = (
                self.tr("重新开案")
                if reopening
                else self.tr("退回“{0}”").format(STAGE_LABELS_ZH[target])
                if backwards
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
        case = replace(
            self.case,
            plan=self.plan_editor.plan(),
            assessment_id=self.assessment.currentData() or self.case.assessment_id,
            assessment_notes=self.assessment_notes.toPlainText().strip()
            or self.case.assessment_notes,
        )
        if CaseStage.CLOSED in self._reason_edits:
            case = replace(case, closure_reason=self._reason_edits[CaseStage.CLOSED].text().strip())
        if self.case.stage == CaseStage.CLOSED and CaseStage.ASSESSED in self._reason_edits:
            case = replace(
                case, reopen_reason=self._reason_edits[CaseStage.ASSESSED].text().strip()
            )
        return case

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

    def _select_tab_for(self, stage: CaseStage) -> None:
        tab = {
            CaseStage.IDENTIFIED: 0,
            CaseStage.ASSESSED: 1,
            CaseStage.INTERVENING: 2,
            CaseStage.FOLLOWING_UP: 2,
            CaseStage.CLOSED: 0,
        }[stage]
        self.tabs.setCurrentIndex(tab)

    # edits -------------------------------------------------------------------------------------

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

    # actions -----------------------------------------------------------------------------------

    def _submit(self, task: Any, after: Any = None) -> None:
        """Run a case change on the vault worker; show the stored case and tell the caller."""
        self._busy = True

        def done(stored: Stored[Case]) -> None:
            self._busy = False
            if after is not None:
                after()
            self._show_case(stored)
            self.case_changed.emit()

        def failed(err: BaseException) -> None:
            self._busy = False
            show_error(self, err)
            self._reload_case()

        self._desk.runner.submit(task, done, failed)

    def _reload_case(self) -> None:
        if self.record_id is None:
            return
        record_id, cases = self.record_id, self._desk.cases
        self._desk.runner.submit(
            lambda: cases.get(record_id),
            lambda stored: self._show_case(stored),
            lambda err: show_error(self, err),
        )

    def open_case(self) -> None:
        summary = self.summary.toPlainText().strip()
        if not summary:
            self.new_case_message.setText(self.tr("请简要写明情况，方便以后跟进和上报。"))
            return
        self.new_case_message.setText("")
        kind = CaseKind(self.kind.currentData())
        cases, child_id = self._desk.cases, self._child_id
        self._submit(lambda: cases.open(child_id, kind, summary))

    def _pending_saves(self) -> list[Any]:
        """Unsaved edits as calls to make before a move (run on the worker)."""
        calls: list[Any] = []
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
        closure = self._reason_edits.get(CaseStage.CLOSED)
        reopen = (
            self._reason_edits.get(CaseStage.ASSESSED)
            if self.case.stage == CaseStage.CLOSED
            else None
        )
        closure_reason = closure.text().strip() if closure is not None else ""
        reopen_reason = reopen.text().strip() if reopen is not None else ""
        if target == CaseStage.CLOSED and not confirm(
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
        if not notes:
            self.escalation_message.setText(
                self.tr("请先写上报说明：发生了什么、需要区里协调什么。")
            )
            self.escalation_message.show()
            return
        self.escalation_message.hide()
        if not confirm(
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
        if not confirm(
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
        wizard.exec()

    def _assessment_finished(self, assessment_id: str) -> None:
        desk, child_id = self._desk, self._child_id

        def task() -> list[Stored[Assessment]]:
            return [s for s in desk.assessments.list_all(child_id) if s.value.status == FINISHED]

        def loaded(assessments: list[Stored[Assessment]]) -> None:
            self._set_assessments(assessments)
            index = self.assessment.findData(assessment_id)
            if index >= 0:
                self.assessment.setCurrentIndex(index)  # linked when saved or on the move

        desk.runner.submit(task, loaded, lambda err: show_error(self, err))

    def discard_changes(self) -> None:
        self._plan_dirty = False
        self._link_dirty = False

    def reject(self) -> None:
        if self.has_unsaved_changes and self.record_id is not None:
            choice = ask_unsaved(self)
            if choice == "cancel":
                return
            if choice == "save":
                saves = self._pending_saves()

                def task() -> None:
                    for call in saves:
                        call()

                self._desk.runner.submit(
                    task, lambda _r: self.case_changed.emit(), lambda err: show_error(self, err)
                )
            self.discard_changes()
        super().reject()


# --- factory for the screenshot tool ----------------------------------------------------------


def demo_case_dialog(desk: DeskServices) -> CaseDialog:
    """A demo case in 介入 with a plan, its gate checklist showing (made if the caseload has
    none in that stage)."""

    def task() -> tuple[str, str]:
        for stored in desk.cases.list_all():
            if stored.value.stage == CaseStage.INTERVENING and stored.value.plan.actions:
                return stored.value.child_id, stored.record_id
        children, _damaged = desk.children.list_all()
        if not children:
            raise LookupError("no children in the vault")
        child_id = children[0].record_id
        today = desk.today()
        case = desk.cases.open(
            child_id, CaseKind.IMPROPER, "走访发现父母外出务工，祖母年迈多病，照料不足。"
        )
        record_id = case.record_id
        desk.cases.link_assessment(record_id, notes="入户评估：监护人照料能力不足。")
        desk.cases.move(record_id, CaseStage.ASSESSED)
        desk.cases.update_plan(
            record_id,
            Plan(
                goals=["提升监护人照料能力", "儿童按时上学"],
                actions=[
                    PlanAction("联系爱心妈妈一对一结对", "村儿童主任", today + timedelta(days=30)),
                    PlanAction("申请临时救助", "镇社会事务办", today + timedelta(days=20)),
                ],
            ),
        )
        desk.cases.move(record_id, CaseStage.INTERVENING)
        return child_id, record_id

    child_id, case_id = _run_sync(desk, task)
    dialog = CaseDialog(desk, child_id, case_id)
    loop = QEventLoop()
    while dialog.case is None and dialog._busy:  # a threaded runner delivers later
        QTimer.singleShot(20, loop.quit)
        loop.exec()
    dialog.tabs.setCurrentIndex(1)  # the plan
    return dialog
