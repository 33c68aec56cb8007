"""导入台账: bring a register spreadsheet into the child files.

Steps on one screen, top to bottom: choose the file (and its password if it has one) and the
sheet; check how its columns map to the file's fields (recognised ones filled in, each can be
changed or set to 不导入); the preview (every row that would change or has a problem, in plain
Chinese with its row number: double-click a problem to correct the cell, tick 跳过 to leave a
row out, tick 确认 for a child matched by 姓名 + 出生日期 only); then 导入, one transaction on
the vault worker with progress and 取消 (nothing is written until the end; a cancel writes
nothing).

Threads (docs/architecture.md): reading the file, planning and committing run on the vault
runner; the worker reports progress through a plain list read by a GUI-thread timer, and a
``threading.Event`` asks it to stop. No widget is touched from a task.

Auto-lock (ui/gui.py registers this window like every editor, ui/editor_contract.py): the
lock closes it without questions and nothing is half imported — a commit still running is
cancelled (one transaction: the vault stays as before; a commit that already finished stays
whole). The preview's corrections and ticks are *not* kept as a draft: they belong to one
reading of a file the user may change or delete meanwhile, so they are dropped and the next
导入台账 window says so (what was dropped, and whether an import was cancelled or done).

The mapping chosen for a layout is remembered in QSettings under a hash of its headers
(``register_mappings/<hash>`` → the field of each column). Headers are not personal data and
the hash keeps even them out of the settings; the vault is not used for it because a new
record type would sync to the district, which has no use for it.

Why one long file: it is one dialog class whose steps share its state (the opened workbook,
the chosen sheet, the mapping, the plan, the running task and its cancel flag); the mapping
and preview tables are plain ``QTableWidget``s filled in place, not separate models, so there
is no self-contained part to move out — the reading, planning and committing it drives already
live in app/registers/.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.registers.apply import ImportResult
from app.registers.headers import FIELDS, auto_mapping, layout_key
from app.registers.plan import ACTION_LABELS_ZH, Action, ImportPlan, RowPlan
from app.registers.reader import (
    Cell,
    ImportCancelledError,
    RegisterReadError,
    SheetData,
    Workbook,
    open_register,
)
from app.registers.rows import clean_text
from app.registers.service import RegisterImport
from ui.tasks import Runner
from ui.views.messages import confirm, user_message
from ui.window_fit import fit_window

NOTICE_ZH = (
    "导入只读取您选的表格，不会另存副本。表格里有儿童的个人信息：导入完成后，"
    "原文件仍在原处，如不再需要，请您自己删除或妥善保管（不要随意转发）。"
)
SKIP_LABEL = "（不导入）"
SETTINGS_GROUP = "register_mappings"
# What a lock did to the last import window, said by the next one (appended on the GUI thread
# or by the commit task on the worker; list.append is atomic).
_LOCK_NOTICES: list[str] = []
LOCKED_ZH = "上次打开的“导入台账”因锁定（长时间没有操作）已关闭。"
LOCK_CANCELLED_ZH = "锁定时正在导入，导入已取消：没有导入任何内容，档案和导入前一样。"


class RegisterImportDialog(QDialog):
    """``imported`` is emitted after a commit wrote something (the lists refresh)."""

    imported = Signal()

    def __init__(
        self,
        importer: RegisterImport,
        runner: Runner,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("register_import")
        self.setWindowTitle("导入台账")
        self._importer = importer
        self._runner = runner
        self._settings = settings or QSettings("childdesk", "childdesk")
        self._path: Path | None = None
        self._password: str | None = None
        self._book: Workbook | None = None
        self._sheet: SheetData | None = None
        self._mapping: list[str | None] = []
        self._plan: ImportPlan | None = None
        self._overrides: dict[tuple[int, int], Cell] = {}
        self._skipped: set[int] = set()
        self._confirmed: set[int] = set()
        self._busy = False
        self._committing = False
        self._locked = threading.Event()  # the session locked: this window is going
        self._note = ""
        self._stop = threading.Event()
        self._progress = [0, 0]  # written by the worker, read by the timer
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._show_progress)

        notice = QLabel(NOTICE_ZH)
        notice.setObjectName("notice")
        notice.setWordWrap(True)
        self.choose_button = QPushButton("选择表格文件…")
        self.choose_button.setObjectName("choose_file")
        self.file_label = QLabel("还没有选择文件（可以是 .xlsx、.xls、.et 或 .csv）")
        self.sheet_box = QComboBox()
        self.sheet_box.setObjectName("sheet")
        self.sheet_box.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(QLabel("工作表："))
        top.addWidget(self.sheet_box)

        self.mapping_table = QTableWidget(0, 3)
        self.mapping_table.setObjectName("mapping")
        self.mapping_table.setHorizontalHeaderLabels(["表格中的列", "第一行的内容", "导入为"])
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        self.preview = QTableWidget(0, 5)
        self.preview.setObjectName("preview")
        self.preview.setHorizontalHeaderLabels(["行号", "姓名", "结果", "问题或改动", "选择"])
        self.preview.verticalHeader().setVisible(False)
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setWordWrap(True)
        header = self.preview.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for column in (0, 1, 2, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.preview.cellDoubleClicked.connect(self._fix_cell)

        mapping_box = QWidget()
        mapping_layout = QVBoxLayout(mapping_box)
        mapping_layout.setContentsMargins(0, 0, 0, 0)
        mapping_layout.addWidget(QLabel("① 列的对应（认出的列已自动选好，可以改，或选“不导入”）"))
        mapping_layout.addWidget(self.mapping_table)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        self.counts = QLabel("② 预览：选好文件后，这里列出每一行会怎样导入，以及有问题的行。")
        self.counts.setObjectName("counts")
        self.counts.setWordWrap(True)
        preview_layout.addWidget(self.counts)
        preview_layout.addWidget(self.preview)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(mapping_box)
        splitter.addWidget(preview_box)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setVisible(False)
        self.import_button = QPushButton("③ 导入")
        self.import_button.setObjectName("commit")
        self.import_button.setEnabled(False)
        self.cancel_button = QPushButton("关闭")
        self.cancel_button.setObjectName("cancel")
        self.progress.setMinimumWidth(320)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addWidget(notice)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self.choose_button.clicked.connect(self._choose)
        self.sheet_box.currentIndexChanged.connect(self._sheet_chosen)
        self.import_button.clicked.connect(self._commit)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        fit_window(self, 1000, 680)  # clamped to a small screen; the tables scroll
        if _LOCK_NOTICES:
            self._say(" ".join(_LOCK_NOTICES))
            _LOCK_NOTICES.clear()

    # ----- file and sheet ---------------------------------------------------------------

    def _choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "选择台账表格", "", "表格文件 (*.xlsx *.xls *.et *.csv);;所有文件 (*)"
        )
        if name:
            self.open_file(Path(name))

    def open_file(self, path: Path, password: str | None = None) -> None:
        """Read ``path`` on the worker (tests call this instead of the file chooser)."""
        self._path, self._password = path, password
        self.file_label.setText(path.name)
        self._overrides.clear()
        self._skipped.clear()
        self._confirmed.clear()
        self._start("正在读取表格…")
        self._runner.submit(
            lambda: open_register(path, password=password), self._opened, self._read_failed
        )

    def _opened(self, book: Workbook) -> None:
        self._book = book
        self.sheet_box.blockSignals(True)
        self.sheet_box.clear()
        self.sheet_box.addItems(book.sheet_names)
        self.sheet_box.setEnabled(len(book.sheet_names) > 1)
        self.sheet_box.blockSignals(False)
        self._read_sheet(0, first_with_header=True)

    def _sheet_chosen(self, index: int) -> None:
        if index >= 0 and self._book is not None:
            self._overrides.clear()
            self._read_sheet(index)

    def _read_sheet(self, index: int, *, first_with_header: bool = False) -> None:
        book = self._book
        assert book is not None
        stop, progress = self._stop, self._progress
        self._start("正在读取工作表…")

        def task() -> tuple[int, SheetData]:
            order = list(range(len(book.sheet_names))) if first_with_header else [index]
            fallback: tuple[int, SheetData] | None = None
            for i in order:
                try:
                    sheet = book.read_sheet(
                        i,
                        progress=lambda n: progress.__setitem__(0, n),
                        cancelled=stop.is_set,
                    )
                except RegisterReadError as err:
                    if err.code != "empty_sheet" or not first_with_header:
                        raise
                    continue
                if sheet.header_found or not first_with_header:
                    return i, sheet
                fallback = fallback or (i, sheet)
            if fallback is None:
                raise RegisterReadError("表格里没有内容。", "every sheet is empty", "empty_sheet")
            return fallback

        self._runner.submit(task, self._sheet_read, self._read_failed)

    def _sheet_read(self, found: tuple[int, SheetData]) -> None:
        index, sheet = found
        self.sheet_box.blockSignals(True)
        self.sheet_box.setCurrentIndex(index)
        self.sheet_box.blockSignals(False)
        self._sheet = sheet
        remembered = self._remembered(sheet.headers)
        self._mapping = remembered or auto_mapping(sheet.headers)
        self._fill_mapping(sheet)
        note = "" if sheet.header_found else "没有认出表头：请在上面逐列选择每一列是什么。"
        if remembered:
            note = "这种表格上次导入过，已按上次的对应关系选好列。"
        self._replan(note)

    def _read_failed(self, err: BaseException) -> None:
        self._finish()
        if isinstance(err, RegisterReadError) and err.code == "encrypted" and self._path:
            password, ok = QInputDialog.getText(
                self, "表格有密码", "这个表格设置了打开密码，请输入：", QLineEdit.EchoMode.Password
            )
            if ok and password:
                self.open_file(self._path, password)
                return
        text = err.message_zh if isinstance(err, RegisterReadError) else user_message(err)
        self._say(text, error=True)
        self.import_button.setEnabled(False)

    # ----- mapping ----------------------------------------------------------------------

    def _fill_mapping(self, sheet: SheetData) -> None:
        table = self.mapping_table
        table.setRowCount(len(sheet.headers))
        first = sheet.rows[0].cells if sheet.rows else []
        for col, header in enumerate(sheet.headers):
            table.setItem(col, 0, QTableWidgetItem(f"第{col + 1}列  {header}"))
            sample = clean_text(first[col]) if col < len(first) else ""
            table.setItem(col, 1, QTableWidgetItem(sample))
            box = QComboBox()
            box.setObjectName(f"map_{col}")
            box.addItem(SKIP_LABEL, None)
            for f in FIELDS:
                box.addItem(f.label_zh, f.key)
            box.setCurrentIndex(max(0, box.findData(self._mapping[col])))
            box.currentIndexChanged.connect(lambda _i, c=col, b=box: self._remap(c, b))
            table.setCellWidget(col, 2, box)

    def _remap(self, col: int, box: QComboBox) -> None:
        key = box.currentData()
        if key is not None:  # one column per field: the other column with it is let go
            for other, taken in enumerate(self._mapping):
                if taken == key and other != col:
                    self._mapping[other] = None
                    widget = self.mapping_table.cellWidget(other, 2)
                    if isinstance(widget, QComboBox):
                        widget.blockSignals(True)
                        widget.setCurrentIndex(0)
                        widget.blockSignals(False)
        self._mapping[col] = key
        self._replan()

    def _remembered(self, headers: list[str]) -> list[str | None] | None:
        raw = self._settings.value(f"{SETTINGS_GROUP}/{layout_key(headers)}")
        try:
            mapping = json.loads(str(raw)) if raw else None
        except ValueError:
            return None
        if not isinstance(mapping, list) or len(mapping) != len(headers):
            return None
        known = {f.key for f in FIELDS}
        return [m if m in known else None for m in mapping]

    def _remember(self) -> None:
        if self._sheet is not None:
            key = f"{SETTINGS_GROUP}/{layout_key(self._sheet.headers)}"
            self._settings.setValue(key, json.dumps(self._mapping))

    # ----- preview ----------------------------------------------------------------------

    def _replan(self, note: str = "") -> None:
        sheet = self._sheet
        if sheet is None:
            return
        if "name" not in self._mapping:
            self._plan = None
            self.preview.setRowCount(0)
            self.import_button.setEnabled(False)
            self._say((note + " " if note else "") + "请在上面选出哪一列是“姓名”。", error=True)
            return
        mapping, overrides, skipped = list(self._mapping), dict(self._overrides), set(self._skipped)
        self._start("正在检查每一行…")
        self._note = note
        importer = self._importer
        self._runner.submit(
            lambda: importer.plan(sheet, mapping, overrides=overrides, skipped=skipped),
            self._planned,  # a bound method: not delivered once the window is gone
            self._read_failed,
        )

    def _planned(self, plan: ImportPlan) -> None:
        note = self._note
        self._finish()
        self._plan = plan
        self._confirmed &= {r.row for r in plan.rows if r.action == Action.CONFIRM}
        c = plan.counts()
        self.counts.setText(
            f"② 预览：新建 {c['create']} 份，更新 {c['update']} 份，无变化 {c['unchanged']} 份，"
            f"待确认 {c['confirm']} 份，有问题 {c['problem']} 行，跳过 {c['skip']} 行。"
            "有问题的行不会导入：双击问题可以改正那一格，或勾选“跳过”。"
        )
        shown = [r for r in plan.rows if r.action != Action.UNCHANGED]
        shown.sort(key=lambda r: (r.action != Action.PROBLEM, r.action != Action.CONFIRM, r.row))
        table = self.preview
        table.setRowCount(len(shown))
        for i, row in enumerate(shown):
            items = [str(row.row), row.values.name, ACTION_LABELS_ZH[row.action], _detail(row)]
            for col, text in enumerate(items):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.row)
                if row.action == Action.PROBLEM:
                    item.setForeground(Qt.GlobalColor.darkRed)
                table.setItem(i, col, item)
            table.setCellWidget(i, 4, self._choice(row))
        table.resizeRowsToContents()
        self.import_button.setEnabled(self._writes() > 0)
        self._say(note)

    def _choice(self, row: RowPlan) -> QWidget:
        if row.action == Action.CONFIRM:
            box = QCheckBox("确认是同一人")
            box.setChecked(row.row in self._confirmed)
            box.toggled.connect(lambda on, r=row.row: self._confirm(r, on))
        else:
            box = QCheckBox("跳过")
            box.setChecked(row.row in self._skipped)
            box.setEnabled(row.action != Action.PROBLEM or row.row in self._skipped)
            box.toggled.connect(lambda on, r=row.row: self._skip(r, on))
        box.setObjectName(f"choice_{row.row}")
        return box

    def _confirm(self, row: int, on: bool) -> None:
        (self._confirmed.add if on else self._confirmed.discard)(row)
        self.import_button.setEnabled(self._writes() > 0)

    def _skip(self, row: int, on: bool) -> None:
        (self._skipped.add if on else self._skipped.discard)(row)
        self._replan()

    def _writes(self) -> int:
        plan = self._plan
        if plan is None:
            return 0
        return (
            plan.count(Action.CREATE)
            + plan.count(Action.UPDATE)
            + sum(1 for r in plan.rows if r.action == Action.CONFIRM and r.row in self._confirmed)
        )

    def _fix_cell(self, table_row: int, _column: int) -> None:
        item = self.preview.item(table_row, 0)
        if item is None or self._plan is None or self._sheet is None:
            return
        number = int(item.data(Qt.ItemDataRole.UserRole))
        row = next(r for r in self._plan.rows if r.row == number)
        column = next((p.column for p in row.problems if p.column is not None), None)
        if column is None:
            return
        raw = next(r for r in self._sheet.rows if r.number == number)
        current = self._overrides.get((number, column), raw.cells[column])
        header = self._sheet.headers[column] or f"第{column + 1}列"
        problem = next(p.message_zh for p in row.problems if p.column == column)
        problem = problem.removeprefix(f"“{header}”：")
        text, ok = QInputDialog.getText(
            self,
            "改正这一格",
            f"第{number}行“{header}”这一格：\n{problem}\n\n改成：",
            QLineEdit.EchoMode.Normal,
            clean_text(current),
        )
        if ok:
            self.fix(number, column, text)

    def fix(self, row: int, column: int, text: str) -> None:
        """Correct one cell for this import (the file itself is not changed)."""
        self._overrides[(row, column)] = text
        self._replan(f"第{row}行已改正（只改这次导入，原表格文件没有改动）。")

    # ----- commit -----------------------------------------------------------------------

    def _commit(self) -> None:
        plan = self._plan
        if plan is None or self._busy:
            return
        problems = plan.count(Action.PROBLEM)
        if problems and not confirm(
            self,
            "有问题的行",
            f"有 {problems} 行有问题，这些行不会导入。先导入其他的行吗？",
            "导入其他的行",
        ):
            return
        confirmed = set(self._confirmed)
        stop, progress, locked, importer = self._stop, self._progress, self._locked, self._importer
        self._start("正在导入…（可以点“取消”，取消后什么都不会写入）", steps=len(plan.rows))
        self._committing = True

        def task() -> ImportResult:
            try:
                result = importer.commit(
                    plan,
                    confirmed=confirmed,
                    progress=lambda done, total: progress.__setitem__(0, done),
                    cancelled=stop.is_set,
                )
            except ImportCancelledError:
                if locked.is_set():
                    _LOCK_NOTICES.append(LOCK_CANCELLED_ZH)
                raise
            if locked.is_set():  # finished before the lock's cancel was seen: whole
                _LOCK_NOTICES.append("锁定前的导入已经完成：" + _result_text(result))
            return result

        self._runner.submit(task, self._committed, self._commit_failed)

    def _committed(self, result: ImportResult) -> None:
        self._finish()
        self._remember()
        self.import_button.setEnabled(False)
        self._say(
            "导入完成：" + _result_text(result) + "改动在每份档案的“历史”里可以看到。"
            "请记得处理好原表格文件。"
        )
        self.cancel_button.setText("关闭")
        if result.created or result.updated:
            self.imported.emit()
        self._plan = None

    def _commit_failed(self, err: BaseException) -> None:
        self._finish()
        self.import_button.setEnabled(self._writes() > 0)  # the preview still stands: try again
        if isinstance(err, ImportCancelledError):
            self._say("已取消：没有导入任何内容，档案和导入前一样。")
            return
        self._say("没有导入任何内容。" + user_message(err), error=True)

    # ----- busy state -------------------------------------------------------------------

    def _start(self, text: str, steps: int = 0) -> None:
        self._busy = True
        self._stop.clear()
        self._progress[:] = [0, steps]
        self.progress.setRange(0, steps)  # 0: a busy indicator
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.import_button.setEnabled(False)
        self.choose_button.setEnabled(False)
        self.cancel_button.setText("取消")
        self._say(text)
        self._timer.start()

    def _finish(self) -> None:
        self._busy = False
        self._committing = False
        self._timer.stop()
        self.progress.setVisible(False)
        self.choose_button.setEnabled(True)
        self.cancel_button.setText("关闭")

    def _show_progress(self) -> None:
        if self.progress.maximum():
            self.progress.setValue(self._progress[0])

    def _cancel_or_close(self) -> None:
        if self._busy:
            self._stop.set()
            self._say("正在取消…")
        else:
            self.close()

    def reject(self) -> None:  # Esc / the window's close box while busy: cancel first
        if self._busy:
            self._stop.set()
            return
        super().reject()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #a40000;" if error else "")

    # ----- the session's editor contract (ui/editor_contract.py) --------------------------

    def unsaved_draft(self) -> dict[str, Any] | None:
        """Nothing is kept as a draft (see the module's text): the lock drops the preview."""
        return None

    def discard_changes(self) -> None:
        """The session locks: stop what runs (a commit is cancelled whole) and leave a word
        for the next import window about what was dropped."""
        self._locked.set()
        if self._busy:
            self._stop.set()
        fixes = len(self._overrides)
        ticks = len(self._skipped) + len(self._confirmed)
        parts = [LOCKED_ZH]
        if not self._committing:  # a running commit leaves its own word when it ends
            parts.append("没有导入任何内容。")
        kept = [f"改正的 {fixes} 处" if fixes else "", f"勾选的 {ticks} 项" if ticks else ""]
        if fixes or ticks:
            parts.append("预览中" + "和".join(k for k in kept if k) + "没有保留，")
        if self._path is not None or fixes or ticks:
            parts.append("请重新选择表格文件。")
        _LOCK_NOTICES.append("".join(parts))

    def reload(self) -> None:
        """Nothing shown here is a stored record that could change elsewhere."""

    @property
    def plan(self) -> ImportPlan | None:
        return self._plan


def _result_text(result: ImportResult) -> str:
    return (
        f"新建 {len(result.created)} 份，更新 {len(result.updated)} 份，"
        f"无变化 {result.unchanged} 份，未导入 {result.left_out} 行。"
    )


def _detail(row: RowPlan) -> str:
    if row.problems:
        return "\n".join(p.message_zh for p in row.problems)
    if row.action in (Action.UPDATE, Action.CONFIRM):
        from app.domain.child_file import FIELD_LABELS_ZH

        changed = "、".join(FIELD_LABELS_ZH.get(f, f) for f in row.changed_fields)
        prefix = (
            "姓名和出生日期与已有档案相同，没有身份证号可核对；"
            if row.action == Action.CONFIRM
            else ""
        )
        return f"{prefix}将更新：{changed}"
    if row.action == Action.SKIP:
        return "您选择了跳过"
    return ""


def open_register_import(
    parent: QWidget | None, desk: Any, runner: Runner, on_imported: Any
) -> RegisterImportDialog:
    """From the children list (ui/gui.py): ``desk`` is the session's DeskServices."""
    dialog = RegisterImportDialog(desk.registers, runner, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setModal(True)
    dialog.imported.connect(on_imported)
    dialog.show()
    return dialog


def open_register_export(
    parent: QWidget | None, desk: Any, runner: Runner, child_ids: list[str]
) -> QDialog:
    from ui.views.register_import_export import RegisterExportDialog

    dialog = RegisterExportDialog(desk.children, runner, child_ids, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setModal(True)
    dialog.show()
    return dialog
