"""The child file's layout: the header, the tabs, the buttons and what they are connected to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.case import Case
from app.domain.child_file import (
    FIELD_LABELS_ZH,
    ChildFile,
)
from app.domain.visit import Visit
from app.services.assessments import Assessment
from app.services.child_history import TimelineEntry
from app.services.stored import Stored
from storage.records import Revision
from ui.desk_services import DeskServices
from ui.views.child_file_dialog.workflows_tab import WorkflowRows, WorkflowsTab
from ui.views.child_form import ChildForm
from ui.views.guardians_tab import GuardiansTab
from ui.views.level_badge import LevelBadge
from ui.window_fit import fit_window

FIELD_NAMES_ZH = FIELD_LABELS_ZH  # (the stored fields as people call them)


@dataclass(frozen=True)
class Loaded:
    child: Stored[ChildFile] | None
    assessments: list[Stored[Assessment]]
    visits: list[Stored[Visit]]
    cases: list[Stored[Case]]
    attachments: list[Revision]
    history: list[TimelineEntry]
    assessment_labels: dict[str, str]  # record id -> 困境儿童家庭监护能力评估表（第1版）
    workflows: WorkflowRows | None = None  # 报告与申请 (issue 17)


class ChildFileBase(QDialog):
    """The tabs, the buttons and what they are connected to (see dialog.py)."""

    child_saved = Signal(str)  # record id: the caseload should refresh

    def __init__(
        self,
        desk: DeskServices,
        child_id: str | None = None,
        parent: QWidget | None = None,
        draft: dict[str, Any] | None = None,
        draft_base_revision: int | None = None,
    ) -> None:
        """``draft_base_revision``: the revision a restored ``draft`` was typed on (the
        dialog's ``base_revision`` when the draft was taken), so saving it cannot silently
        undo a revision written since."""
        super().__init__(parent)
        self.setObjectName("child_file_dialog")
        self.setWindowTitle(self.tr("儿童档案") if child_id else self.tr("新建儿童档案"))
        self.desk = desk
        self.child_id = child_id
        self.base_revision: int | None = None  # the revision the form was loaded from
        # Set by the session: assessments and cases then open through it (one window per
        # record, whichever list they are opened from); alone (tests), they open modal here.
        self.open_editor: Callable[[str, str, str], None] | None = None
        # Set by the session: 强制报告 and 认定申请 windows open through it, registered with the
        # auto-lock draft keeper (kind "report" or "application", child id, name, record id or
        # ""; for "report" a record id "" is a new report).
        self.open_workflow: Callable[[str, str, str, str], None] | None = None
        self.child_name = ""
        self.workflow_dialog: QDialog | None = None  # a report or application opened alone
        self.archived = False
        self._dirty = False
        self._level: str | None = None

        self.header = QLabel("")
        self.header.setObjectName("child_header")
        self.header.setProperty("role", "title")
        self.badge = LevelBadge(None)
        self.form = ChildForm(desk.today(), desk.village_code)
        self.guardians = GuardiansTab()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("child_tabs")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        self.tabs.addTab(scroll, self.tr("基本信息"))
        self.tabs.addTab(self.guardians, self.tr("监护人"))
        self.assessments_list = self._list("assessments_list")
        self.level_trend = QLabel("")
        self.level_trend.setObjectName("level_trend")
        self.visits_list = self._list("visits_list")
        self.cases_list = self._list("cases_list")
        self.attachments_list = self._list("attachments_list")
        self.history_list = self._list("history_list")
        # 历史's entries wrap rather than run off to the right (long ones at 特大 text)
        self.history_list.setWordWrap(True)
        self.history_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.new_assessment = QPushButton(self.tr("新建评估"))
        self.new_assessment.setObjectName("new_assessment")
        self.correct_assessment = QPushButton(self.tr("更正选中的评估"))
        self.correct_assessment.setObjectName("correct_assessment")
        self.correct_assessment.setToolTip(
            self.tr("已完成的评估不能修改；更正会新建一次评估，带入原来的答案。")
        )
        self.print_assessment = QPushButton(self.tr("打印评估报告"))
        self.print_assessment.setObjectName("print_assessment")
        self.print_blank = QPushButton(self.tr("打印空白评估表"))
        self.print_blank.setObjectName("print_blank_questionnaire")
        self.print_blank.setToolTip(self.tr("不带电脑入户时，可在纸上填写，回来后再录入。"))
        self.new_visit = QPushButton(self.tr("记录走访"))
        self.new_visit.setObjectName("new_visit")
        self.edit_visit = QPushButton(self.tr("修改"))
        self.edit_visit.setObjectName("edit_visit")
        self.edit_visit.setToolTip(self.tr("修改选中的走访记录（也可以双击记录）"))
        self.delete_visit = QPushButton(self.tr("删除"))
        self.delete_visit.setObjectName("delete_visit")
        self.reprint_visit = QPushButton(self.tr("打印"))
        self.reprint_visit.setObjectName("reprint_visit")
        visit_buttons = QWidget()
        visit_row = QHBoxLayout(visit_buttons)
        visit_row.setContentsMargins(0, 0, 0, 0)
        for button in (self.edit_visit, self.delete_visit, self.reprint_visit):
            visit_row.addWidget(button)
        self.new_case = QPushButton(self.tr("新建个案"))
        self.new_case.setObjectName("new_case")
        self.add_attachment = QPushButton(self.tr("添加照片或扫描件"))
        self.add_attachment.setObjectName("add_attachment")
        assessment_buttons = QWidget()
        row = QHBoxLayout(assessment_buttons)
        row.setContentsMargins(0, 0, 0, 0)
        for button in (
            self.new_assessment,
            self.correct_assessment,
            self.print_assessment,
            self.print_blank,
        ):
            row.addWidget(button)
        self.tabs.addTab(
            self._tab(self.assessments_list, extra=assessment_buttons, below=self.level_trend),
            self.tr("评估"),
        )
        self.tabs.addTab(
            self._tab(self.visits_list, self.new_visit, extra=visit_buttons), self.tr("走访")
        )
        self.tabs.addTab(self._tab(self.cases_list, self.new_case), self.tr("个案"))
        self.workflows_tab = WorkflowsTab()
        self.tabs.addTab(self.workflows_tab, self.tr("报告与申请"))
        self.tabs.addTab(self._tab(self.attachments_list, self.add_attachment), self.tr("附件"))
        self.tabs.addTab(self._tab(self.history_list), self.tr("历史"))

        self.save_button = QPushButton(self.tr("保存"))
        self.save_button.setObjectName("save_child")
        self.save_button.setDefault(True)
        close = QPushButton(self.tr("关闭"))
        close.setObjectName("close_child")
        self.print_button = QPushButton(self.tr("打印档案表"))
        self.print_button.setObjectName("print_child")
        self.archive_button = QPushButton(self.tr("归档…"))
        self.archive_button.setObjectName("archive_child")
        self.archive_button.setToolTip(
            self.tr("迁出、年满18周岁、重复建档、死亡等：档案不再出现在名单和待办中，可以恢复")
        )
        self.archive_button.setVisible(child_id is not None)  # shown once the file is saved
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.status.setWordWrap(True)  # a long message wraps; it never widens the window
        top = QHBoxLayout()
        top.addWidget(self.header)
        top.addWidget(self.badge)
        top.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.archive_button)
        bottom.addWidget(self.print_button)
        bottom.addWidget(self.save_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        fit_window(self, 1000, 720)

        self.save_button.clicked.connect(self.save)
        self.print_button.clicked.connect(self.print_sheet)
        close.clicked.connect(self.close)
        self.form.edited.connect(self._mark_dirty)
        self.guardians.edited.connect(self._mark_dirty)
        self.new_visit.clicked.connect(lambda: self._open_visit(None))
        self.edit_visit.clicked.connect(lambda: self._open_visit(self._selected(self.visits_list)))
        self.delete_visit.clicked.connect(self._delete_visit)
        self.reprint_visit.clicked.connect(self._reprint_visit)
        self.archive_button.clicked.connect(self._archive_or_restore)
        self.visits_list.itemActivated.connect(
            lambda item: self._open_visit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.new_assessment.clicked.connect(self._new_assessment)
        self._finished_ids: set[str] = set()  # the finished assessments in the list
        self.assessments_list.currentItemChanged.connect(self._assessment_selected)
        self.assessments_list.itemActivated.connect(
            lambda item: self._open_assessment(item.data(Qt.ItemDataRole.UserRole))
        )
        self.correct_assessment.clicked.connect(self._correct_assessment)
        self.print_assessment.clicked.connect(self._print_assessment)
        self.print_blank.clicked.connect(self._print_blank)
        self.new_case.clicked.connect(lambda: self._open_case(None))
        self.cases_list.itemActivated.connect(
            lambda item: self._open_case(item.data(Qt.ItemDataRole.UserRole))
        )
        self.add_attachment.clicked.connect(self._add_attachment)
        self.workflows_tab.new_report.connect(lambda: self._open_report(""))
        self.workflows_tab.open_report.connect(self._open_report)
        self.workflows_tab.new_application.connect(self._open_application)
        self.workflows_tab.open_application.connect(self._open_application)
        self.workflows_tab.open_case.connect(self._open_case)
        self.attachments_list.itemActivated.connect(self._view_attachment)
        self._set_saved_tabs_enabled(child_id is not None)
        self._draft = draft
        self._draft_base = draft_base_revision
        self.reload()
        if child_id is None:  # 新建档案: type the name straight away
            self.form.name.setFocus()
            QTimer.singleShot(0, self.form.name, self.form.name.setFocus)

    # what one part calls in another, declared for the type checker (each implemented in
    # the module named; at run time the class put together from the parts has them all)
    if TYPE_CHECKING:

        def reload(self) -> None: ...  # showing.py
        def save(self) -> None: ...  # saving.py
        def print_sheet(self) -> None: ...  # tabs.py
        def _open_visit(self, record_id: str | None) -> None: ...  # tabs.py
        @staticmethod
        def _selected(widget: QListWidget) -> str: ...  # tabs.py
        def _delete_visit(self) -> None: ...  # tabs.py
        def _reprint_visit(self) -> None: ...  # tabs.py
        def _archive_or_restore(self) -> None: ...  # tabs.py
        def _new_assessment(self) -> None: ...  # tabs.py
        def _assessment_selected(
            self, item: QListWidgetItem | None, _previous: object
        ) -> None: ...  # tabs.py
        def _open_assessment(self, record_id: str | None) -> None: ...  # tabs.py
        def _correct_assessment(self) -> None: ...  # tabs.py
        def _print_assessment(self) -> None: ...  # tabs.py
        def _print_blank(self) -> None: ...  # tabs.py
        def _open_case(self, record_id: str | None) -> None: ...  # tabs.py
        def _add_attachment(self) -> None: ...  # tabs.py
        def _view_attachment(self, item: QListWidgetItem) -> None: ...  # tabs.py
        def _changed(self) -> None: ...  # tabs.py
        def _open_report(self, report_id: str) -> None: ...  # workflow_part.py
        def _open_application(self, application_id: str) -> None: ...  # workflow_part.py

    # ----- layout helpers -------------------------------------------------------------------

    def _list(self, name: str) -> QListWidget:
        widget = QListWidget()
        widget.setObjectName(name)
        widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        widget.setAlternatingRowColors(True)
        return widget

    def _tab(
        self,
        body: QWidget,
        button: QPushButton | None = None,
        extra: QWidget | None = None,
        below: QWidget | None = None,
    ) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        if button is not None:
            row.addWidget(button)
        if extra is not None:
            row.addWidget(extra)
        row.addStretch(1)
        layout.addLayout(row)
        if below is not None:
            layout.addWidget(below)
        layout.addWidget(body, 1)
        return page

    def _set_saved_tabs_enabled(self, enabled: bool) -> None:
        for index in range(2, self.tabs.count()):
            self.tabs.setTabEnabled(index, enabled)

    def _mark_dirty(self) -> None:
        self._dirty = True
        self.status.setText(self.tr("有未保存的修改"))
