"""儿童档案: the children list — search as you type (name, pinyin initials, full pinyin, ID
number), filters by level, category and overdue, sorting, the level badge with its word.

The 下次应访 column follows the visit schedule in force: the page asks for it (``lambda:
desk.schedule``) each time it fills the list, so rules a sync installs while the window is open
are used at the next caseload change, or when the page is shown again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import CATEGORY_LABELS_ZH
from app.domain.labels_zh import LEVEL_WORDS_ZH, LEVELS, NOT_ASSESSED
from app.domain.schedule import VisitSchedule
from app.services.caseload import Caseload
from storage.gc_pause import gc_paused
from ui.views.children_model import CHILD_ID_ROLE, ChildrenModel, Filters, make_rows
from ui.views.level_badge import LevelBadgeDelegate

# The widest usual text of each column but the last (which stretches): widths follow the font.
COLUMN_SAMPLES = (
    "欧阳思思",
    "17岁",
    "男",
    "孤儿（社会散居）、低保",
    "未评",
    "2026-12-30",
    "已逾期 2026-12-30",
)


class ChildrenPage(QWidget):
    open_child = Signal(str)
    new_child = Signal()
    import_register = Signal()  # 导入台账 (ui/views/register_import_dialog.py)
    export_rows = Signal(list)  # 导出表格: the child ids of the rows shown, in their order
    # 心理状况筛查 (issue 19, right click on a child): child id, "new" (a screening) or "list"
    screening_requested = Signal(str, str)

    def __init__(
        self,
        schedule: Callable[[], VisitSchedule] | VisitSchedule,
        today: Callable[[], date],
    ) -> None:
        """``schedule``: a function giving the schedule in force (or one fixed schedule)."""
        super().__init__()
        self.setObjectName("children_page")
        self._schedule: Callable[[], VisitSchedule] = (
            schedule if callable(schedule) else (lambda: schedule)
        )
        self._today = today
        self._caseload: Caseload | None = None
        self._shown_with: VisitSchedule | None = None  # the schedule the rows were made with
        self.model = ChildrenModel()

        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(
            self.tr("搜索：姓名、拼音首字母（如 zs）、全拼或身份证号  (Ctrl+F)")
        )
        self.search.setClearButtonEnabled(True)
        self.level_filter = QComboBox()
        self.level_filter.setObjectName("level_filter")
        self.level_filter.addItem(self.tr("全部等级"), None)
        for level in LEVELS:
            self.level_filter.addItem(self.tr(LEVEL_WORDS_ZH[level]), level)
        self.level_filter.addItem(self.tr(NOT_ASSESSED), "none")
        self.category_filter = QComboBox()
        self.category_filter.setObjectName("category_filter")
        self.category_filter.addItem(self.tr("全部类别"), None)
        for category, label in CATEGORY_LABELS_ZH.items():
            self.category_filter.addItem(label, category.value)
        self.overdue_only = QCheckBox(self.tr("只看逾期"))
        self.overdue_only.setObjectName("overdue_only")
        self.show_archived = QCheckBox(self.tr("显示已归档"))
        self.show_archived.setObjectName("show_archived")
        self.show_archived.setToolTip(
            self.tr("已归档的档案（迁出、年满18周岁、重复建档等）也列出，可打开后恢复")
        )
        self.add_button = QPushButton(self.tr("＋ 新建档案"))
        self.add_button.setObjectName("new_child")
        self.count = QLabel("")
        self.count.setObjectName("count")

        self.table = QTableView()
        self.table.setObjectName("children_table")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(4, LevelBadgeDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(6, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 14)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._fit_columns()
        self.table.setAlternatingRowColors(True)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.level_filter)
        filters.addWidget(self.category_filter)
        filters.addWidget(self.overdue_only)
        filters.addWidget(self.show_archived)
        filters.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        self.import_button = QPushButton(self.tr("导入台账…"))
        self.import_button.setObjectName("import_register")
        self.export_button = QPushButton(self.tr("导出表格…"))
        self.export_button.setObjectName("export_rows")
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.export_button)
        layout.addLayout(bottom)
        self.import_button.clicked.connect(self.import_register)
        self.export_button.clicked.connect(
            lambda: self.export_rows.emit(
                [
                    self.model.data(self.model.index(r, 0), CHILD_ID_ROLE)
                    for r in range(self.model.rowCount())
                ]
            )
        )

        self.search.textChanged.connect(self._filters_changed)
        self.level_filter.currentIndexChanged.connect(self._filters_changed)
        self.category_filter.currentIndexChanged.connect(self._filters_changed)
        self.overdue_only.toggled.connect(self._filters_changed)
        self.show_archived.toggled.connect(self._filters_changed)
        self.table.doubleClicked.connect(self._open_selected)
        self.table.activated.connect(self._open_selected)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.add_button.clicked.connect(self.new_child)
        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_search)

    def _fit_columns(self) -> None:
        """Column widths measured in the current font, so 特大 text shows whole dates."""
        metrics = self.table.fontMetrics()
        line = metrics.height()
        self.table.verticalHeader().setDefaultSectionSize(line + 14)
        for column, sample in enumerate(COLUMN_SAMPLES):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            cell = metrics.horizontalAdvance(sample) + line // 2 + 8  # the cell's margins
            header = metrics.horizontalAdvance(title) + line + 8  # and the sort arrow
            self.table.setColumnWidth(column, max(cell, header))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # 设置 → 字体大小, once children follow
            QTimer.singleShot(0, self, self._fit_columns)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def show_caseload(self, caseload: Caseload) -> None:
        schedule = self._schedule()
        with gc_paused():  # 10,000 rows of small objects: no collector passes meanwhile
            rows = make_rows(caseload.summaries.values(), schedule, self._today())
        self._caseload, self._shown_with = caseload, schedule
        self.model.set_rows(rows)
        self._update_count()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._caseload is not None and self._schedule() is not self._shown_with:
            self.show_caseload(self._caseload)  # new schedule rules since the list was made

    def _filters_changed(self) -> None:
        self.model.set_filters(
            Filters(
                text=self.search.text().strip().lower(),
                level=self.level_filter.currentData(),
                category=self.category_filter.currentData(),
                overdue_only=self.overdue_only.isChecked(),
                show_archived=self.show_archived.isChecked(),
            )
        )
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total()
        overdue = sum(1 for r in range(shown) if self.model.row_at(r).overdue)
        text = self.tr("共 {0} 名儿童").format(total)
        archived = self.model.archived_total()
        if archived:
            text += self.tr("（另有已归档 {0} 份）").format(archived)
        if shown != total:
            text += self.tr("，显示 {0} 名").format(shown)
        if overdue:
            text += self.tr("；其中 {0} 名走访已逾期").format(overdue)
        self.count.setText(text)

    def context_actions(self, child_id: str) -> QMenu:
        """The right-click menu of a child's row."""
        menu = QMenu(self)
        menu.setObjectName("child_menu")
        menu.addAction(self.tr("打开档案"), lambda: self.open_child.emit(child_id))
        menu.addSeparator()
        new = menu.addAction(
            self.tr("心理状况筛查…"), lambda: self.screening_requested.emit(child_id, "new")
        )
        new.setObjectName("menu_new_screening")
        listed = menu.addAction(
            self.tr("筛查与转介记录…"), lambda: self.screening_requested.emit(child_id, "list")
        )
        listed.setObjectName("menu_referrals")
        return menu

    def _context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        self.table.setCurrentIndex(index)
        menu = self.context_actions(self.model.data(index, CHILD_ID_ROLE))
        menu.exec(self.table.viewport().mapToGlobal(position))
        menu.deleteLater()

    def _open_selected(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.open_child.emit(self.model.data(index, CHILD_ID_ROLE))
