"""个案: every case of the village — child, kind, stage, opened, escalated, 强制报告 — filtered
by open/closed and by stage. Opening a case hands its ids to the case dialog.

The cases are read on the vault worker; names come from the caseload. While the page is hidden
a change only marks it stale; it is read again when shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.case import STAGE_LABELS_ZH, Case, CaseStage
from app.domain.labels_zh import CASE_KIND_ZH
from app.services.caseload import Caseload
from app.services.stored import Stored
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.theme import OVERDUE_COLOUR
from ui.views.child_picker import ChildPickerDialog
from ui.views.messages import show_error
from ui.views.row_table import RowTableModel
from ui.views.widgets import ReloadWhenShown, plain_label

CHILD_ID_ROLE = Qt.ItemDataRole.UserRole + 1
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("儿童", "类型", "阶段", "开案日期", "上报区民政局", "强制报告", "结案日期", "情况")
STAGE_ORDER = {stage: index for index, stage in enumerate(CaseStage)}

# The open/closed filter.
SHOW_OPEN = "open"
SHOW_CLOSED = "closed"
SHOW_ALL = "all"


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    child_id: str
    name: str
    kind: str
    stage: CaseStage
    opened_on: date
    escalated_on: date | None
    mandatory_report: bool
    closed_on: date | None
    summary: str

    @property
    def is_open(self) -> bool:
        return self.stage != CaseStage.CLOSED


def make_case_rows(cases: list[Stored[Case]], caseload: Caseload | None) -> list[CaseRow]:
    """One row per case, except the cases of archived (归档) children: they leave the list
    with their child (the cases stay in the vault and come back if the file is restored)."""
    summaries = caseload.summaries if caseload is not None else {}
    rows = []
    for stored in cases:
        case = stored.value
        child = summaries.get(case.child_id)
        if child is not None and child.archived:
            continue
        rows.append(
            CaseRow(
                case_id=stored.record_id,
                child_id=case.child_id,
                name=child.name if child else "（档案缺失）",
                kind=CASE_KIND_ZH.get(case.kind, str(case.kind)),
                stage=case.stage,
                opened_on=case.opened_on,
                escalated_on=case.escalated_on,
                mandatory_report=case.mandatory_report,
                closed_on=case.closed_on,
                summary=" ".join(case.summary.split()),
            )
        )
    return rows


def _default_order(row: CaseRow) -> tuple[Any, ...]:
    # Open before closed, 强制报告 first, then the longest-open cases.
    return (not row.is_open, not row.mandatory_report, row.opened_on, row.name)


_SORT_KEYS: dict[int, Any] = {
    0: lambda r: r.name,
    1: lambda r: r.kind,
    2: lambda r: STAGE_ORDER[r.stage],
    3: lambda r: r.opened_on,
    4: lambda r: r.escalated_on or date.max,
    5: lambda r: not r.mandatory_report,
    6: lambda r: r.closed_on or date.max,
    7: lambda r: r.summary,
}


class CasesModel(RowTableModel[CaseRow]):
    COLUMNS = COLUMNS
    SORT_KEYS = _SORT_KEYS
    DEFAULT_ORDER = _default_order

    def __init__(self) -> None:
        super().__init__()
        self._show = SHOW_OPEN
        self._stage: CaseStage | None = None

    def set_filter(self, show: str, stage: CaseStage | None) -> None:
        self._show, self._stage = show, stage
        self.refilter()

    def accepts(self, row: CaseRow) -> bool:
        if self._show == SHOW_OPEN and not row.is_open:
            return False
        if self._show == SHOW_CLOSED and row.is_open:
            return False
        return self._stage is None or row.stage == self._stage

    def total(self) -> int:
        return len(self._rows)

    def cell(self, row: CaseRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                row.name,
                row.kind,
                STAGE_LABELS_ZH[row.stage],
                row.opened_on.isoformat(),
                row.escalated_on.isoformat() if row.escalated_on else "—",
                "强制报告" if row.mandatory_report else "—",
                row.closed_on.isoformat() if row.closed_on else "—",
                row.summary,
            )[column]
        if role == CHILD_ID_ROLE:
            return row.child_id
        if role == CASE_ID_ROLE:
            return row.case_id
        if column == 5 and row.mandatory_report:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(OVERDUE_COLOUR)
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 5 and row.mandatory_report:
                return "已按强制报告制度报告：下次同步时优先发送"
            if column == 7 and row.summary:
                return row.summary
        return None


class CasesPage(ReloadWhenShown, QWidget):
    open_case = Signal(str, str)  # child id, case id

    def __init__(self, desk: DeskServices, store: CaseloadStore) -> None:
        super().__init__()
        self.setObjectName("cases_page")
        self._desk = desk
        self._store = store
        self._stale = True
        self._loaded_once = False
        self.model = CasesModel()

        title = QLabel(self.tr("个案"))
        title.setProperty("role", "title")
        self.show_filter = QComboBox()
        self.show_filter.setObjectName("show_filter")
        for text, value in (
            ("未结案的个案", SHOW_OPEN),
            ("已结案的个案", SHOW_CLOSED),
            ("全部个案", SHOW_ALL),
        ):
            self.show_filter.addItem(self.tr(text), value)
        self.stage_filter = QComboBox()
        self.stage_filter.setObjectName("stage_filter")
        self.stage_filter.addItem(self.tr("全部阶段"), None)
        for stage in CaseStage:
            self.stage_filter.addItem(self.tr(STAGE_LABELS_ZH[stage]), stage.value)
        self.open_button = QPushButton(self.tr("打开个案"))
        self.open_button.setObjectName("open_case")
        self.open_button.setEnabled(False)
        self.new_button = QPushButton(self.tr("＋ 新建个案"))
        self.new_button.setObjectName("new_case")
        self.new_button.setToolTip(self.tr("先选择儿童，再填写个案类型和情况"))

        self.table = QTableView()
        self.table.setObjectName("cases_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # No column sort at first: open cases, 强制报告 first, longest open first.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 14)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)

        self.count = QLabel("")
        self.count.setObjectName("count")
        hint = plain_label(
            self.tr(
                "双击一行（或选中后按回车）打开个案，查看阶段、帮扶方案和回访。"
                "要为一个孩子建个案，点“新建个案”。"
            ),
            "hint",
        )

        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("显示")))
        filters.addWidget(self.show_filter)
        filters.addWidget(QLabel(self.tr("阶段")))
        filters.addWidget(self.stage_filter)
        filters.addStretch(1)
        filters.addWidget(self.open_button)
        filters.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)

        self.show_filter.currentIndexChanged.connect(self._filters_changed)
        self.stage_filter.currentIndexChanged.connect(self._filters_changed)
        self.table.activated.connect(self._open_selected)  # double-click or Enter
        self.open_button.clicked.connect(self._open_selected)
        self.new_button.clicked.connect(self.new_case)
        self.table.selectionModel().currentRowChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._selection_reset)
        store.changed.connect(self._caseload_changed)
        if store.caseload is not None:
            self._caseload_changed(store.caseload)

    # ----- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        self._stale = False
        self._loaded_once = True
        self._desk.runner.submit(self._desk.cases.list_all, self._show_cases, self._load_failed)

    def _show_cases(self, cases: list[Stored[Case]]) -> None:
        self.model.set_rows(make_case_rows(cases, self._store.caseload))
        self._fit_columns()
        self._update_count()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # 设置 → 字体大小, once children follow
            QTimer.singleShot(0, self, self._fit_columns)

    def _fit_columns(self) -> None:
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 14)
        header = self.table.horizontalHeader()
        padding = self.fontMetrics().height()
        for column in range(len(COLUMNS) - 1):
            self.table.resizeColumnToContents(column)
            header.resizeSection(column, header.sectionSize(column) + padding)

    def _load_failed(self, err: BaseException) -> None:
        self._stale = True
        show_error(self, err, self.tr("个案没有读取出来"))

    # ----- filters and opening ---------------------------------------------------------------

    def _filters_changed(self) -> None:
        stage = self.stage_filter.currentData()
        self.model.set_filter(self.show_filter.currentData(), CaseStage(stage) if stage else None)
        self._update_count()

    def _update_count(self) -> None:
        rows = self.model.rows()
        total = self.model.total()
        open_count = sum(1 for r in rows if r.is_open)
        urgent = sum(1 for r in rows if r.is_open and r.mandatory_report)
        text = self.tr("显示 {0} 个个案（共 {1} 个）").format(len(rows), total)
        if open_count:
            text += self.tr("，其中未结案 {0} 个").format(open_count)
        if urgent:
            text += self.tr("，强制报告 {0} 个").format(urgent)
        self.count.setText(text)

    def _selection_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.open_button.setEnabled(current.isValid())

    def _selection_reset(self) -> None:
        self.open_button.setEnabled(False)

    def _open_selected(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            row = self.model.row_at(index.row())
            self.open_case.emit(row.child_id, row.case_id)

    def new_case(self) -> None:
        """新建个案: choose the child, then the case dialog opens on a new case (an empty case
        id through :attr:`open_case`)."""
        picker = ChildPickerDialog(self._store.caseload, self._desk.today(), self)
        chosen = picker.exec() == ChildPickerDialog.DialogCode.Accepted
        child_id = picker.child_id
        picker.deleteLater()
        if chosen and child_id:
            self.open_case.emit(child_id, "")
