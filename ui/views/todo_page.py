"""待办: what needs doing now — overdue and due visits, assessments to do or finish, case
follow-ups (强制报告 first), reports, applications and case-conference actions (issue 17), open
referrals of psychological screening (issue 19) and children approaching or past 18. Each line
opens the child, the case, the report, the application or the child's screenings and referrals.

The lists are worked out on the vault worker (cases and assessment drafts are read there) and
only the finished lists come back to the GUI thread (the lists are ui/views/todo_lists.py; this
module shows them). While the page is hidden a change in the
caseload only marks it stale; it is brought up to date when shown again.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QMetaMethod,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.assessments import DRAFT
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.theme import OVERDUE_COLOUR, level_word
from ui.views.children_model import LEVEL_ROLE
from ui.views.level_badge import LevelBadgeDelegate
from ui.views.messages import show_error
from ui.views.todo_lists import (
    ASSESSMENTS,
    CASES,
    DUE_SOON,
    OPEN_APPLICATION,
    OPEN_CASE,
    OPEN_DRAFT,
    OPEN_NEW_REPORT,
    OPEN_REFERRALS,
    OPEN_REPORT,
    OPEN_TRANSITION,
    OVERDUE,
    SECTIONS,
    TRANSITIONS,
    WORKFLOWS,
    TodoEntry,
    TodoLists,
    build_todo_lists,
)
from ui.views.widgets import ReloadWhenShown, plain_label

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 10
SECTION_ROLE = Qt.ItemDataRole.UserRole + 11
COLUMNS = ("姓名", "等级", "情况", "说明")
HEADER_BACKGROUND = QColor("#eef2f6")
ALERT_COLOUR = OVERDUE_COLOUR


class TodoPage(ReloadWhenShown, QWidget):
    open_child = Signal(str)  # child id
    open_case = Signal(str, str, str)  # child id, case id, the tab (TodoEntry.case_tab)
    # An unfinished assessment; when nothing listens, the child's file is opened instead.
    resume_assessment = Signal(str, str)  # child id, assessment id
    # A youth approaching 18: the transition plan; when nothing listens, the child's file.
    open_transition = Signal(str, str)  # child id, name
    # Workflows (issue 17); when nothing listens, the child's file.
    open_report = Signal(str, str, str)  # child id, name, report id
    new_report = Signal(str, str, str)  # child id, name, assessment id (its rules demand one)
    open_application = Signal(str, str, str)  # child id, name, application id
    # An open referral (issue 19): the child's 心理状况筛查与转介; when nothing listens, the file.
    open_referrals = Signal(str, str)  # child id, referral id

    def __init__(self, desk: DeskServices, store: CaseloadStore) -> None:
        super().__init__()
        self.setObjectName("todo_page")
        self._desk = desk
        self._store = store
        self._stale = True
        self._loaded_once = False
        self._refit_pending = False
        self.lists: TodoLists | None = None
        self.section_items: dict[str, QTreeWidgetItem] = {}

        title = QLabel(self.tr("待办"))
        title.setObjectName("todo_title")
        title.setProperty("role", "title")
        self.summary = QLabel(self.tr("正在读取档案…"))
        self.summary.setObjectName("todo_summary")
        self.summary.setWordWrap(True)

        self.tree = QTreeWidget()
        self.tree.setObjectName("todo_tree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([self.tr(c) for c in COLUMNS])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setWordWrap(True)
        self.tree.setItemDelegateForColumn(1, LevelBadgeDelegate(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._fit_columns()

        # The selected entry's full explanation: the list itself keeps one line per entry.
        self.detail = QLabel("")
        self.detail.setObjectName("todo_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setStyleSheet(
            "QLabel#todo_detail { background: #f7f9fb; border: 1px solid #dde3ea;"
            " border-radius: 4px; padding: 6px 8px; }"
        )
        hint = plain_label(
            self.tr("双击一行（或选中后按回车）打开儿童档案、个案、强制报告、认定申请或转介记录。"),
            "hint",
        )
        self.open_button = QPushButton(self.tr("打开"))
        self.open_button.setObjectName("open_selected")
        self.open_button.setEnabled(False)
        self.reload_button = QPushButton(self.tr("刷新"))
        self.reload_button.setObjectName("reload")

        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(self.reload_button)
        bottom.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        layout.addLayout(bottom)

        self.tree.itemActivated.connect(self._activated)
        self.tree.currentItemChanged.connect(self._selection_changed)
        self.open_button.clicked.connect(self._open_current)
        self.reload_button.clicked.connect(self.reload)
        store.changed.connect(self._caseload_changed)
        if store.caseload is not None:
            self._caseload_changed(store.caseload)

    def _fit_columns(self) -> None:
        unit = self.fontMetrics().height() / 17
        for column, width in enumerate((130, 70, 170)):
            self.tree.setColumnWidth(column, round(width * unit))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and not self._refit_pending:
            # 设置 → 字体大小: rebuild at the new size once the children have their new font.
            self._refit_pending = True
            QTimer.singleShot(0, self, self._refit)

    def _refit(self) -> None:
        self._refit_pending = False
        self._fit_columns()
        if self.lists is not None:
            self._show_lists(self.lists)

    # ----- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        caseload = self._store.caseload
        if caseload is None:
            self._store.load()
            return
        desk = self._desk
        self._stale = False
        self._loaded_once = True
        self.reload_button.setEnabled(False)

        def work() -> TodoLists:
            cases = desk.cases.list_all()
            drafts = [a for a in desk.assessments.list_all() if a.value.status == DRAFT]
            return build_todo_lists(
                caseload,
                cases,
                drafts,
                desk.schedule,
                desk.today(),
                workflow_items=desk.workflows.todo(),
                plans=desk.transition_plans.statuses(),
            )

        self._desk.runner.submit(work, self._show_lists, self._load_failed)

    def _load_failed(self, err: BaseException) -> None:
        self.reload_button.setEnabled(True)
        self._stale = True
        self.summary.setText(self.tr("待办没有读取出来，请点“刷新”再试。"))
        show_error(self, err, self.tr("待办没有读取出来"))

    # ----- showing ---------------------------------------------------------------------------

    def _section_title(self, section: str, lists: TodoLists) -> str:
        days = lists.due_soon_days
        titles = {
            OVERDUE: self.tr("走访已逾期"),
            DUE_SOON: self.tr("一周内应走访")
            if days == 7
            else self.tr("{0} 天内应走访").format(days),
            ASSESSMENTS: self.tr("需要评估"),
            CASES: self.tr("个案跟进"),
            WORKFLOWS: self.tr("强制报告、认定申请、会商事项与转介"),
            TRANSITIONS: self.tr("即将年满18岁 / 已满18岁"),
        }
        return self.tr("{0}（{1}）").format(titles[section], lists.count(section))

    def _show_lists(self, lists: TodoLists) -> None:
        self.reload_button.setEnabled(True)
        self.lists = lists
        tree = self.tree
        tree.setUpdatesEnabled(False)
        tree.clear()
        self.section_items = {}
        bold = QFont(tree.font())
        bold.setBold(True)
        for section in SECTIONS:
            header = QTreeWidgetItem([self._section_title(section, lists)])
            header.setData(0, SECTION_ROLE, section)
            header.setFont(0, bold)
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for column in range(len(COLUMNS)):
                header.setBackground(column, QBrush(HEADER_BACKGROUND))
            tree.addTopLevelItem(header)
            header.setFirstColumnSpanned(True)  # only takes effect once in the tree
            self.section_items[section] = header
            entries = lists.entries(section)
            for entry in entries:
                header.addChild(self._entry_item(entry))
            if not entries:
                empty = QTreeWidgetItem([self.tr("暂无")])
                empty.setData(0, SECTION_ROLE, "empty")
                empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
                empty.setForeground(0, QBrush(QColor("#757575")))
                header.addChild(empty)
                empty.setFirstColumnSpanned(True)
            header.setExpanded(True)
        tree.setUpdatesEnabled(True)
        self.summary.setText(self._summary_text(lists))
        self.open_button.setEnabled(False)
        self._show_detail(None)

    def _entry_item(self, entry: TodoEntry) -> QTreeWidgetItem:
        item = QTreeWidgetItem([entry.name, level_word(entry.level), entry.status, entry.detail])
        item.setData(0, ENTRY_ROLE, entry)
        item.setData(1, LEVEL_ROLE, entry.level)
        item.setToolTip(3, entry.detail)
        if entry.alert:
            item.setForeground(2, QBrush(ALERT_COLOUR))
            bold = QFont(self.tree.font())
            bold.setBold(True)
            item.setFont(2, bold)
        return item

    def _summary_text(self, lists: TodoLists) -> str:
        today = lists.today
        parts = []
        if lists.count(OVERDUE):
            parts.append(self.tr("{0} 名儿童走访已逾期").format(lists.count(OVERDUE)))
        if lists.count(DUE_SOON):
            parts.append(self.tr("{0} 名近期应走访").format(lists.count(DUE_SOON)))
        if lists.count(ASSESSMENTS):
            parts.append(self.tr("{0} 项评估要做").format(lists.count(ASSESSMENTS)))
        if lists.count(CASES):
            parts.append(self.tr("{0} 个个案要跟进").format(lists.count(CASES)))
        if lists.count(WORKFLOWS):
            urgent = sum(1 for e in lists.entries(WORKFLOWS) if e.alert)
            parts.append(
                self.tr("{0} 项报告、申请、会商或转介事项（{1} 项紧急）").format(
                    lists.count(WORKFLOWS), urgent
                )
                if urgent
                else self.tr("{0} 项报告、申请、会商或转介事项").format(lists.count(WORKFLOWS))
            )
        if lists.count(TRANSITIONS):
            parts.append(self.tr("{0} 名儿童满18岁或即将满18岁").format(lists.count(TRANSITIONS)))
        day = self.tr("今天是 {0}年{1}月{2}日").format(today.year, today.month, today.day)
        if not parts:
            return day + self.tr("，没有待办事项。")
        return day + "：" + "，".join(parts) + "。"

    # ----- activation ------------------------------------------------------------------------

    def entries(self, section: str) -> list[TodoEntry]:
        """The entries shown in a section, in order (for tests and the main window)."""
        header = self.section_items.get(section)
        if header is None:
            return []
        found = []
        for row in range(header.childCount()):
            child = header.child(row)
            entry = child.data(0, ENTRY_ROLE) if child is not None else None
            if isinstance(entry, TodoEntry):
                found.append(entry)
        return found

    def entry_item(self, section: str, row: int) -> QTreeWidgetItem:
        item = self.section_items[section].child(row)
        if item is None:
            raise IndexError(f"no row {row} in {section}")
        return item

    def _selection_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        entry = current.data(0, ENTRY_ROLE) if current is not None else None
        is_entry = isinstance(entry, TodoEntry)
        self.open_button.setEnabled(is_entry)
        self._show_detail(entry if is_entry else None)

    def _show_detail(self, entry: TodoEntry | None) -> None:
        if entry is None:
            self.detail.setText(self.tr("选中一行，这里会显示详细说明。"))
            return
        self.detail.setText(f"{entry.name}（{entry.status}）：{entry.detail}")

    def _open_current(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self._activated(item, 0)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        entry = item.data(0, ENTRY_ROLE)
        if isinstance(entry, TodoEntry):
            self.activate(entry)

    def _listened(self, signal: object) -> bool:
        return self.isSignalConnected(QMetaMethod.fromSignal(signal))  # type: ignore[arg-type]

    def activate(self, entry: TodoEntry) -> None:
        if entry.opens == OPEN_REPORT and self._listened(self.open_report):
            self.open_report.emit(entry.child_id, entry.name, entry.record_id)
        elif entry.opens == OPEN_NEW_REPORT and self._listened(self.new_report):
            self.new_report.emit(entry.child_id, entry.name, entry.assessment_id)
        elif entry.opens == OPEN_APPLICATION and self._listened(self.open_application):
            self.open_application.emit(entry.child_id, entry.name, entry.record_id)
        elif entry.opens == OPEN_REFERRALS and self._listened(self.open_referrals):
            self.open_referrals.emit(entry.child_id, entry.record_id)
        elif entry.opens == OPEN_CASE:
            self.open_case.emit(entry.child_id, entry.case_id, entry.case_tab)
        elif entry.opens == OPEN_DRAFT and self.isSignalConnected(
            QMetaMethod.fromSignal(self.resume_assessment)
        ):
            self.resume_assessment.emit(entry.child_id, entry.assessment_id)
        elif entry.opens == OPEN_TRANSITION and self.isSignalConnected(
            QMetaMethod.fromSignal(self.open_transition)
        ):
            self.open_transition.emit(entry.child_id, entry.name)
        else:
            self.open_child.emit(entry.child_id)
