"""The case dialog's frame and state: the heading, the new-case page, the case page (the loop,
the next steps, the tabs 评估 / 帮扶方案 / 跟踪回访 / 上报与强制报告) and the attributes every
part shares; and the calls one part makes into another (each implemented in its own module:
showing.py, editing.py, actions.py)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.case import STAGE_LABELS_ZH, Case, CaseStage
from app.domain.case_gates import LOOP
from app.domain.child_file import ChildFile
from app.domain.labels_zh import CASE_KIND_ZH
from app.services.assessments import Assessment
from app.services.stored import Stored
from ui.desk_services import DeskServices
from ui.views.case_dialog.conference import ConferencePanel
from ui.views.case_dialog.plan_editor import PlanEditor
from ui.views.widgets import plain_label as _label
from ui.views.workflow_common import paged_window


class CaseDialogBase(QDialog):
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
        tab: str = "",
    ) -> None:
        """``draft``: unsaved input kept across a lock or crash (see unsaved_draft), put back
        once the case is loaded. ``tab``: the tab to open on ("plan", "report", "conference":
        ui/views/todo_lists.py's CASE_TAB_*) instead of the one for the case's stage."""
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
        self._asked_tab = tab  # chosen once the case is shown, then the stage's as before
        self.child: ChildFile | None = None
        self._assessments: list[Stored[Assessment]] = []
        self._plan_dirty = False
        self._link_dirty = False
        self._filling = False
        self._busy = False
        self._reason_edits: dict[CaseStage, QLineEdit] = {}
        self._gate_rows: dict[CaseStage, QVBoxLayout] = {}
        self._move_buttons: dict[CaseStage, QPushButton] = {}
        self._after: deque[Callable[[], None] | None] = deque()  # see actions._submit
        self._finished_assessment = ""  # the assessment the wizard just finished
        self._following_up = ""  # the conference a follow-up is being stored for
        self.report_dialog: QDialog | None = None  # the 强制报告 window opened from here

        self.heading = _label(self.tr("个案"), "title")
        self.heading.setObjectName("heading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.heading.setFont(font)
        self.subheading = _label("", "hint")
        self.subheading.setObjectName("subheading")
        self.subheading.hide()
        pages = [self._build_new_case_page(), self._build_case_page()]
        self.stack, self.loading, self.close_button = paged_window(
            self, pages, size=(980, 760), header=[self.heading, self.subheading]
        )
        self._load()

    # what one part calls in another, declared for the type checker (each implemented in
    # the module named; at run time the class put together from the parts has them all)
    if TYPE_CHECKING:

        def _load(self) -> None: ...  # showing.py
        def _show_case(
            self, stored: Stored[Case], reset_edits: bool = False
        ) -> None: ...  # showing.py
        def _set_assessments(self, assessments: list[Stored[Assessment]]) -> None: ...  # showing.py
        def _update_gates(self) -> None: ...  # showing.py
        def _select_asked_tab(self, *, last_chance: bool = False) -> None: ...  # showing.py
        def _restore(self, draft: dict[str, Any]) -> None: ...  # editing.py
        def _plan_edited(self) -> None: ...  # editing.py
        def _link_edited(self) -> None: ...  # editing.py
        def _reload_case(self) -> None: ...  # actions.py
        def _pending_saves(self) -> list[Callable[[], object]]: ...  # actions.py
        def open_case(
            self, *_clicked: object, after: Callable[[], None] | None = None
        ) -> None: ...  # actions.py
        def save_plan(self) -> None: ...  # actions.py
        def save_link(self) -> None: ...  # actions.py
        def move_to(self, target: CaseStage) -> None: ...  # actions.py
        def add_follow_up(self) -> None: ...  # actions.py
        def escalate(self) -> None: ...  # actions.py
        def mark_mandatory_report(self) -> None: ...  # actions.py
        def _start_assessment(self) -> None: ...  # actions.py
        def _submit(
            self, task: Callable[[], Stored[Case]], after: Callable[[], None] | None = None
        ) -> None: ...  # actions.py
        def _load_workflows(self) -> None: ...  # workflows.py
        def file_report(self) -> None: ...  # workflows.py
        def _open_report_dialog(
            self, draft: dict[str, Any] | None = None, assessment_id: str = ""
        ) -> None: ...  # workflows.py
        def _open_report(self, item: QListWidgetItem) -> None: ...  # workflows.py
        def _conference_follow_up(
            self, conference_id: str, action_id: str, text: str, done: bool
        ) -> None: ...  # workflows.py

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
        self.conference_panel = ConferencePanel()
        self.conference_panel.follow_up.connect(self._conference_follow_up)
        self._conference_tab = QScrollArea()
        self._conference_tab.setObjectName("conference_tab")
        self._conference_tab.setWidgetResizable(True)
        self._conference_tab.setFrameShape(QFrame.Shape.NoFrame)
        self._conference_tab.setWidget(self.conference_panel)
        self.tabs.addTab(self._conference_tab, self.tr("个案会商"))
        self.tabs.setTabVisible(self.tabs.indexOf(self._conference_tab), False)  # until one comes

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
        tab = self._report_tab = QWidget()
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
        self.report_button = QPushButton(self.tr("标记为强制报告"))
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
        self.file_report_button = QPushButton(self.tr("填写强制报告"))
        self.file_report_button.setObjectName("file_mandatory_report")
        self.file_report_button.setToolTip(
            self.tr("写明看到了什么、谁有危险，报送区民政局并跟踪办理情况")
        )
        self.file_report_button.clicked.connect(self.file_report)
        r_row = QHBoxLayout()
        r_row.addWidget(self.report_status, 1)
        r_row.addWidget(self.file_report_button)
        r_row.addWidget(self.report_button)
        r_layout.addLayout(r_row)
        self.case_reports = QListWidget()
        self.case_reports.setObjectName("case_reports")
        self.case_reports.setWordWrap(True)
        self.case_reports.setMaximumHeight(self.fontMetrics().height() * 5)
        self.case_reports.itemActivated.connect(self._open_report)
        self.case_reports.hide()
        r_layout.addWidget(self.case_reports)

        layout = QVBoxLayout(tab)
        layout.addWidget(escalation)
        layout.addWidget(report)
        layout.addStretch(1)
        return tab
