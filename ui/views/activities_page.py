"""活动: the village's activities (团体辅导, 主题活动, 家长课堂, 红色实践, 培训 …) with attendance,
newest first, the year's figures (人次 and distinct children by kind), 登记活动, 修改 (also by
double-clicking a row), 删除 (with a reason), 照片 (the activity's photos, encrypted:
ui/views/activity_photos.py; also from 修改活动) and 打印签到表. The children's check boxes grow with
the text size (特大), as the app's other check boxes do (ui/theme.py).

Every vault call (list, figures, save, the sign-in sheet) runs on the vault worker
(docs/architecture.md, threading contract); the children to tick come from the caseload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.activity import (
    ACTIVITY_KIND_LABELS_ZH,
    Activity,
    ActivityFigures,
    ActivityKind,
)
from app.services.activities import ActivityService
from app.services.caseload import Caseload
from app.services.stored import Stored
from ui.caseload_store import CaseloadStore
from ui.tasks import Runner
from ui.theme import indicator_size
from ui.views.activity_photos import ActivityPhotosDialog
from ui.views.child_picker import make_choices
from ui.views.messages import show_error
from ui.views.record_form import RecordFormDialog
from ui.window_fit import fit_window, scrolling

COLUMNS = ("活动日期", "类型", "活动名称", "地点", "参加儿童", "人次", "照片")


class ActivityDesk(Protocol):
    """What the 活动 page uses of the desk (no vault)."""

    @property
    def runner(self) -> Runner: ...
    @property
    def village_code(self) -> str: ...
    @property
    def today(self) -> Any: ...
    @property
    def activities(self) -> ActivityService: ...
    @property
    def printouts(self) -> Any: ...


@dataclass(frozen=True)
class _Loaded:
    activities: list[Stored[Activity]]
    figures: ActivityFigures
    photo_counts: dict[str, int]


def figures_text(figures: ActivityFigures) -> str:
    """One line per kind held, then the total, as the seed counts them."""
    lines = [
        f"{row.kind_zh}：{row.activities}场，儿童{row.child_attendances}人次"
        f"（{row.children_reached}名儿童），共{row.all_attendances}人次"
        for row in figures.by_kind
        if row.activities
    ]
    lines.append(
        f"合计：{figures.activities}场，儿童{figures.child_attendances}人次，"
        f"覆盖{figures.children_reached}名儿童，共{figures.all_attendances}人次"
    )
    return "\n".join(lines)


def item_check_sheet(font: QFont) -> str:
    """A list's item check boxes as tall as a capital letter and a half of the text (at 特大 the
    style's 13 px boxes were tiny next to the names), with room between rows."""
    side = indicator_size(font)
    gap = max(2, side // 4)
    return (
        f"QListWidget::indicator {{ width: {side}px; height: {side}px; }}"
        f"QListWidget::item {{ padding: {gap}px 2px; }}"
    )


class ActivityDialog(RecordFormDialog):
    """登记活动 (or 修改活动 with ``stored``): the facts, the children who came (or are invited,
    for a day ahead), guardians, others, notes. Saved on the vault worker; ``saved`` carries the
    stored activity; ``photos_changed`` when a photo was added or removed from it."""

    photos_changed = Signal()

    def __init__(
        self,
        desk: ActivityDesk,
        caseload: Caseload | None,
        parent: QWidget | None = None,
        stored: Stored[Activity] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("activity_dialog")
        self.setWindowTitle(self.tr("修改活动") if stored else self.tr("登记活动"))
        self._desk = desk
        self._stored = stored
        form = QFormLayout()
        self.on = QDateEdit()
        self.on.setObjectName("activity_on")
        self.on.setCalendarPopup(True)
        self.on.setDisplayFormat("yyyy-MM-dd")
        today: date = desk.today()
        self.on.setDate(QDate(today.year, today.month, today.day))
        self.kind = QComboBox()
        self.kind.setObjectName("activity_kind")
        for kind in ActivityKind:
            self.kind.addItem(ACTIVITY_KIND_LABELS_ZH[kind], kind.value)
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("activity_title")
        self.title_edit.setPlaceholderText(self.tr("例如：红色监护课堂——亲子沟通"))
        self.organiser = QLineEdit()
        self.organiser.setObjectName("activity_organiser")
        self.place = QLineEdit()
        self.place.setObjectName("activity_place")
        self.search = QLineEdit()
        self.search.setObjectName("activity_search")
        self.search.setPlaceholderText(self.tr("查找儿童：姓名、拼音首字母或全拼"))
        self.search.setClearButtonEnabled(True)
        self.children_list = QListWidget()
        self.children_list.setObjectName("activity_children")
        self.children_list.setMinimumHeight(160)
        self._size_indicators()
        self._haystacks: list[str] = []
        for choice in make_choices(caseload, today):  # active files, by the pinyin of the name
            item = QListWidgetItem(choice.text)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, choice.child_id)
            self.children_list.addItem(item)
            self._haystacks.append(choice.haystack)
        self.search.textChanged.connect(self._filter)
        self.ticked_count = QLabel(self.tr("已勾选 0 名儿童"))
        self.ticked_count.setObjectName("activity_ticked")
        self.children_list.itemChanged.connect(self._count)
        self.guardians = QLineEdit()
        self.guardians.setObjectName("activity_guardians")
        self.guardians.setPlaceholderText(self.tr("参加的监护人姓名，用顿号或逗号分开"))
        self.others = QSpinBox()
        self.others.setObjectName("activity_others")
        self.others.setRange(0, 100000)
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("activity_notes")
        self.notes.setFixedHeight(60)
        form.addRow(self.tr("活动日期"), self.on)
        form.addRow(self.tr("活动类型"), self.kind)
        form.addRow(self.tr("活动名称"), self.title_edit)
        form.addRow(self.tr("组织单位"), self.organiser)
        form.addRow(self.tr("活动地点"), self.place)
        hint = QLabel(self.tr("勾选参加的儿童（活动还没举行时，勾选邀请的儿童，用于打印签到表）："))
        hint.setWordWrap(True)
        form.addRow(hint)
        form.addRow(self.search)
        form.addRow(self.children_list)
        form.addRow(self.ticked_count)
        form.addRow(self.tr("参加的监护人"), self.guardians)
        form.addRow(self.tr("其他参加人数"), self.others)
        form.addRow(self.tr("备注"), self.notes)
        if stored is not None:  # photos are kept apart from the form: saving keeps them
            self.photos_button = QPushButton(self.tr("查看或添加照片…"))
            self.photos_button.setObjectName("activity_photos")
            self.photos_button.clicked.connect(self.open_photos)
            form.addRow(self.tr("活动照片"), self.photos_button)
        else:
            later = QLabel(self.tr("活动照片：保存后，在活动列表中选中这次活动，点“照片…”添加。"))
            later.setObjectName("activity_photos_later")
            later.setWordWrap(True)
            form.addRow(later)
        buttons = self._error_and_buttons("activity")
        layout = QVBoxLayout(self)
        layout.addWidget(scrolling(form), 1)  # 特大 text on a small screen: the form scrolls
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if stored is not None:
            self._fill(stored.value)
        fit_window(self, 560, 680)

    def _size_indicators(self) -> None:
        self.children_list.setStyleSheet(item_check_sheet(self.font()))

    def changeEvent(self, event: Any) -> None:  # the text size changed while open
        super().changeEvent(event)
        if event.type() == event.Type.FontChange and hasattr(self, "children_list"):
            self._size_indicators()

    def _fill(self, activity: Activity) -> None:
        self.on.setDate(QDate(activity.on.year, activity.on.month, activity.on.day))
        self.kind.setCurrentIndex(max(0, self.kind.findData(activity.kind.value)))
        self.title_edit.setText(activity.title)
        self.organiser.setText(activity.organiser)
        self.place.setText(activity.place)
        ticked = set(activity.attended or activity.invited)
        for row in range(self.children_list.count()):
            item = self.children_list.item(row)
            if str(item.data(Qt.ItemDataRole.UserRole)) in ticked:
                item.setCheckState(Qt.CheckState.Checked)
        self.guardians.setText("、".join(activity.guardians))
        self.others.setValue(activity.others_count)
        self.notes.setPlainText(activity.notes)

    def _listed(self) -> set[str]:
        return {
            str(self.children_list.item(row).data(Qt.ItemDataRole.UserRole))
            for row in range(self.children_list.count())
        }

    def _filter(self, text: str) -> None:
        wanted = text.strip().lower()
        for row, haystack in enumerate(self._haystacks):
            self.children_list.item(row).setHidden(bool(wanted) and wanted not in haystack)

    def _count(self, _item: QListWidgetItem) -> None:
        self.ticked_count.setText(self.tr("已勾选 {0} 名儿童").format(len(self.checked_children())))

    def checked_children(self) -> list[str]:
        ids = []
        for row in range(self.children_list.count()):
            item = self.children_list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                ids.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return ids

    def activity(self) -> Activity:
        on = self.on.date().toPython()
        assert isinstance(on, date)
        ticked = self.checked_children()
        ahead = on > self._desk.today()
        names = self.guardians.text().replace("，", "、").replace(",", "、")
        invited = ticked
        village = self._desk.village_code
        base = self._stored.value if self._stored else None
        if base is not None:
            village = base.village_code or village
            # children no longer offered (their file archived since) stay as they were
            listed = self._listed()
            kept = [c for c in (base.attended or base.invited) if c not in listed]
            ticked = ticked + [c for c in kept if c not in ticked]
            # held since: who was invited (the 签到表) stays on record
            invited = list(base.invited) if not ahead and base.invited else ticked
        return Activity(
            on=on,
            kind=ActivityKind(self.kind.currentData()),
            title=self.title_edit.text().strip(),
            village_code=village,
            organiser=self.organiser.text().strip(),
            place=self.place.text().strip(),
            invited=invited,
            attended=[] if ahead else ticked,
            guardians=[n.strip() for n in names.split("、") if n.strip()],
            others_count=self.others.value(),
            notes=self.notes.toPlainText().strip(),
            demo=base.demo if base else "",
        )

    def save(self) -> None:
        activity = self.activity()
        self._save_on_worker(self._desk.runner, self._desk.activities, activity, self._stored)

    def open_photos(self) -> ActivityPhotosDialog | None:
        """The activity's photos (added and removed at once, apart from this form's 保存)."""
        if self._stored is None:
            return None
        dialog = ActivityPhotosDialog(self._desk, self._stored, self)
        dialog.photos_changed.connect(self.photos_changed)
        dialog.open()
        return dialog


class ActivitiesPage(QWidget):
    """The list, the year's figures and the two actions."""

    changed = Signal()

    def __init__(self, desk: ActivityDesk, store: CaseloadStore) -> None:
        super().__init__()
        self.setObjectName("activities_page")
        self._desk = desk
        self._store = store
        self._rows: list[Stored[Activity]] = []
        title = QLabel(self.tr("活动"))
        title.setObjectName("page_title")
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.new_button = QPushButton(self.tr("登记活动…"))
        self.new_button.setObjectName("new_activity")
        self.print_button = QPushButton(self.tr("打印签到表…"))
        self.print_button.setObjectName("print_sign_in")
        self.print_button.setToolTip(self.tr("先在列表中选中一次活动"))
        self.edit_button = QPushButton(self.tr("修改…"))
        self.edit_button.setObjectName("edit_activity")
        self.edit_button.setToolTip(self.tr("修改选中的活动（也可以双击列表中的一行）"))
        self.delete_button = QPushButton(self.tr("删除…"))
        self.delete_button.setObjectName("delete_activity")
        self.delete_button.setToolTip(self.tr("删除误登记的活动，需要写明原因"))
        self.photos_button = QPushButton(self.tr("照片…"))
        self.photos_button.setObjectName("activity_photos")
        self.photos_button.setToolTip(self.tr("查看、添加或删除选中活动的照片"))
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.new_button)
        top.addWidget(self.edit_button)
        top.addWidget(self.delete_button)
        top.addWidget(self.photos_button)
        top.addWidget(self.print_button)
        self.figures = QLabel("")
        self.figures.setObjectName("activity_figures")
        self.figures.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("activity_table")
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.figures)
        layout.addWidget(self.table, 1)
        self.new_button.clicked.connect(self.new_activity)
        self.print_button.clicked.connect(self.print_sign_in)
        self.edit_button.clicked.connect(self.edit_activity)
        self.delete_button.clicked.connect(self.delete_activity)
        self.photos_button.clicked.connect(self.open_photos)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.edit_activity())
        self._loaded_once = False

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded_once:
            self.reload()

    def reload(self) -> None:
        self._loaded_once = True
        service = self._desk.activities
        today: date = self._desk.today()
        start, end = date(today.year, 1, 1), today  # a planned activity is not held yet

        def read() -> _Loaded:
            return _Loaded(service.list_all(), service.figures(start, end), service.photo_counts())

        self._desk.runner.submit(read, self._show, lambda err: show_error(self, err))

    def _show(self, loaded: _Loaded) -> None:
        year = loaded.figures.start.year
        self.figures.setText(self.tr("{0}年：").format(year) + "\n" + figures_text(loaded.figures))
        self._rows = loaded.activities
        self.table.setRowCount(len(self._rows))
        for row, stored in enumerate(self._rows):
            a = stored.value
            cells = [
                a.on.isoformat(),
                a.kind_zh,
                a.title,
                a.place,
                f"{len(a.attended)}人" if a.attended else f"邀请{len(a.invited)}人",
                str(a.attendance),
                f"{n}张" if (n := loaded.photo_counts.get(stored.record_id, 0)) else "",
            ]
            for column, value in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

    def new_activity(self) -> ActivityDialog:
        dialog = ActivityDialog(self._desk, self._store.caseload, self)
        dialog.saved.connect(self._saved)
        dialog.open()
        return dialog

    def edit_activity(self) -> ActivityDialog | None:
        chosen = self.selected()
        if chosen is None:
            QMessageBox.information(
                self, self.tr("修改活动"), self.tr("请先在列表中选中一次活动。")
            )
            return None
        dialog = ActivityDialog(self._desk, self._store.caseload, self, chosen)
        dialog.saved.connect(self._saved)
        dialog.photos_changed.connect(self.reload)
        dialog.open()
        return dialog

    def open_photos(self) -> ActivityPhotosDialog | None:
        chosen = self.selected()
        if chosen is None:
            QMessageBox.information(
                self, self.tr("活动照片"), self.tr("请先在列表中选中一次活动。")
            )
            return None
        dialog = ActivityPhotosDialog(self._desk, chosen, self)
        dialog.photos_changed.connect(self.reload)
        dialog.open()
        return dialog

    def delete_activity(self) -> None:
        chosen = self.selected()
        if chosen is None:
            QMessageBox.information(
                self, self.tr("删除活动"), self.tr("请先在列表中选中一次活动。")
            )
            return
        reason, ok = QInputDialog.getText(
            self,
            self.tr("删除活动"),
            self.tr("删除“{0}”（{1}）的原因，例如：重复登记、登记错了：").format(
                chosen.value.title, chosen.value.on.isoformat()
            ),
        )
        if ok:
            self.delete_with_reason(chosen.record_id, reason)

    def delete_with_reason(self, record_id: str, reason: str) -> None:
        """Delete on the vault worker; a blank reason is refused in words."""
        service = self._desk.activities
        self._desk.runner.submit(
            lambda: service.delete(record_id, reason=reason),
            self._saved,
            lambda err: show_error(self, err, self.tr("没有删除")),
        )

    def _saved(self, _stored: object) -> None:
        self.reload()
        self.changed.emit()  # the attending children's 历史 shows it

    def selected(self) -> Stored[Activity] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._rows[rows[0].row()]

    def print_sign_in(self) -> None:
        from ui.views.print_preview import preview_pdf

        chosen = self.selected()
        if chosen is None:
            QMessageBox.information(
                self, self.tr("打印签到表"), self.tr("请先在列表中选中一次活动。")
            )
            return
        printouts, today, record_id = self._desk.printouts, self._desk.today(), chosen.record_id
        preview_pdf(
            self._desk.runner,
            lambda: printouts.sign_in_sheet(record_id, printed_on=today),
            self.tr("活动签到表"),
            f"活动签到表-{chosen.value.on.isoformat()}.pdf",
            self,
        )
