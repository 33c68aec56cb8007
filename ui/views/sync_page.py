"""同步: status (pending changes, last sync and how), send/receive now, USB export and import,
enrollment, the quarantine (revisions the district refused, with its reason) and the conflicts
list (keep mine / keep theirs / edit). All work runs on workers through ``SyncController``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sync.documents import Enrollment
from sync.laptop.conflicts import ConflictEntry
from sync.laptop.engine import LaptopSync
from sync.laptop.state import QuarantineEntry, Status, SyncReport
from ui.error_texts import NOT_SAVED_TITLE
from ui.sync_controller import SyncController
from ui.sync_texts import (
    FIELD_ZH,
    TYPE_ZH,
    VIA_ZH,
    history_text,
    pending_explanation,
    reason_zh,
    report_changed_data,
    report_extras,
    report_needs_attention,
    report_notes,
    value_text,
    when_text,
)
from ui.tasks import Runner
from ui.views.drive_picker import DrivePicker
from ui.views.enrollment_form import EnrollmentForm
from ui.views.enrollment_texts import scope_text
from ui.views.widgets import plain_label


class SyncServices(Protocol):
    """What 同步 uses of the desk (ui/desk_services.py): no vault, only these."""

    @property
    def runner(self) -> Runner: ...
    @property
    def village_code(self) -> str: ...
    def laptop_sync(self) -> LaptopSync: ...
    def refresh_definitions(self) -> bool: ...


class SyncPage(QWidget):
    # A sync, import or resolved conflict changed records or installed the district's rules:
    # the caseload (and the lists computed with the schedule) should be refreshed.
    data_changed = Signal()

    def __init__(
        self,
        desk: SyncServices,
        *,
        controller: SyncController | None = None,
        auto: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("sync_page")
        self.desk = desk
        self.controller = controller or SyncController(desk.laptop_sync(), desk.runner, parent=self)
        self._conflicts: list[ConflictEntry] = []
        self._quarantine: list[QuarantineEntry] = []
        self._names: dict[str, str] = {}
        self._refresh_queued = False
        self._build()
        c = self.controller
        c.status_changed.connect(self._show_status)
        c.progress.connect(self._show_progress)
        c.busy_changed.connect(self._busy)
        c.finished.connect(self._finished)
        c.refresh()
        self._reload_lists()
        if auto:
            c.start_auto()

    # ----- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("同步")
        title.setProperty("role", "title")

        self.revoked_banner = QLabel("")
        self.revoked_banner.setObjectName("sync_revoked")
        self.revoked_banner.setWordWrap(True)
        self.revoked_banner.setStyleSheet(
            "background: #ffebee; color: #b71c1c; padding: 8px; font-weight: bold;"
        )
        self.revoked_banner.hide()

        status_box = QGroupBox("状态")
        form = QFormLayout(status_box)
        self.state_label = QLabel("")
        self.state_label.setObjectName("sync_state")
        self.pending_label = QLabel("")
        self.pending_label.setObjectName("sync_pending")
        self.last_label = QLabel("")
        self.last_label.setObjectName("sync_last")
        self.district_label = QLabel("")
        self.district_label.setObjectName("sync_district")
        self.district_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pending_hint = plain_label("", "hint")
        self.pending_hint.setObjectName("sync_pending_hint")
        form.addRow("当前：", self.state_label)
        pending = QVBoxLayout()
        pending.setContentsMargins(0, 0, 0, 0)
        pending.addWidget(self.pending_label)
        pending.addWidget(self.pending_hint)
        form.addRow("还没送到区里的修改：", pending)
        form.addRow("上次同步：", self.last_label)
        form.addRow("区服务器：", self.district_label)
        # Shown only while something runs: an idle full bar would look like "all sent".
        self.progress = QProgressBar()
        self.progress.setObjectName("sync_progress")
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("sync_progress_text")
        self.progress_label.hide()
        self.message = QLabel("")
        self.message.setObjectName("sync_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # the district's notices too
        form.addRow(self.progress_label, self.progress)
        form.addRow(self.message)

        self.sync_button = QPushButton("立即同步")
        self.sync_button.setObjectName("sync_now")
        self.sync_button.clicked.connect(self.controller.sync_now)

        usb_box = QGroupBox("U盘")
        usb = QVBoxLayout(usb_box)
        self.drives = DrivePicker(combo_name="sync_drive", choose_name="sync_choose_folder")
        self.drive_combo = self.drives.combo
        row = QHBoxLayout()
        row.addWidget(QLabel("U盘或文件夹："))
        row.addWidget(self.drives, 1)
        usb.addLayout(row)
        buttons = QHBoxLayout()
        self.export_button = QPushButton("导出到U盘")
        self.export_button.setObjectName("sync_export")
        self.export_button.clicked.connect(self.export_usb)
        self.import_button = QPushButton("从U盘导入")
        self.import_button.setObjectName("sync_import")
        self.import_button.clicked.connect(self.import_usb)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        usb.addLayout(buttons)
        hint = plain_label(
            "U盘上的文件都是加密的，丢了也看不到内容。把U盘带到区民政局导入后，再带回来点“从U盘导入”。",
            "hint",
        )
        usb.addWidget(hint)

        self.enroll_box = QGroupBox("注册这台电脑")
        enroll = QVBoxLayout(self.enroll_box)
        self.enroll_form = EnrollmentForm(
            self.controller.engine,
            self.controller.runner,
            label=self.desk.village_code,
            inline_messages=False,
            later="以后点下方“U盘”一栏的“从U盘导入”",
        )
        self.enroll_form.said.connect(lambda text, error: self._say(text, error=error))
        self.enroll_form.busy_changed.connect(self._busy)
        self.enroll_form.enrolled.connect(self._enrolled)
        enroll.addWidget(self.enroll_form)

        self.conflicts_box = QGroupBox("需要您确认的不同修改")
        conflicts = QVBoxLayout(self.conflicts_box)
        explain = QLabel(
            "同一项内容在这台电脑和别处都改过。两个值都已保存，没有丢失；"
            "请选择保留哪一个，或改成正确的值。"
        )
        explain.setWordWrap(True)
        conflicts.addWidget(explain)
        self.conflicts_table = QTableWidget(0, 5)
        self.conflicts_table.setObjectName("sync_conflicts")
        self.conflicts_table.setHorizontalHeaderLabels(
            ["儿童", "项目", "本机的值", "别处的值", "现在用的"]
        )
        self.conflicts_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.conflicts_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.conflicts_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.conflicts_table.horizontalHeader().setStretchLastSection(True)
        conflicts.addWidget(self.conflicts_table)
        choice = QHBoxLayout()
        self.keep_mine = QPushButton("保留本机的值")
        self.keep_mine.setObjectName("sync_keep_mine")
        self.keep_mine.clicked.connect(lambda: self.resolve_selected("mine"))
        self.keep_theirs = QPushButton("保留别处的值")
        self.keep_theirs.setObjectName("sync_keep_theirs")
        self.keep_theirs.clicked.connect(lambda: self.resolve_selected("theirs"))
        self.edit_value = QPushButton("改成…")
        self.edit_value.setObjectName("sync_edit_value")
        self.edit_value.clicked.connect(lambda: self.resolve_selected("edit"))
        for b in (self.keep_mine, self.keep_theirs, self.edit_value):
            choice.addWidget(b)
        choice.addStretch(1)
        conflicts.addLayout(choice)

        self.quarantine_box = QGroupBox("区里没有接收的修改")
        quarantine = QVBoxLayout(self.quarantine_box)
        q_explain = QLabel("这些修改仍保存在这台电脑上，不会删除。问题解决后可以再次发送。")
        q_explain.setWordWrap(True)
        quarantine.addWidget(q_explain)
        self.quarantine_table = QTableWidget(0, 3)
        self.quarantine_table.setObjectName("sync_quarantine")
        self.quarantine_table.setHorizontalHeaderLabels(["记录", "原因", "时间"])
        self.quarantine_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.quarantine_table.horizontalHeader().setStretchLastSection(True)
        quarantine.addWidget(self.quarantine_table)
        self.retry_button = QPushButton("再次发送这些修改")
        self.retry_button.setObjectName("sync_retry_quarantine")
        self.retry_button.clicked.connect(self.controller.release_quarantine)
        quarantine.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignLeft)

        history_box = QGroupBox("同步记录")
        history = QVBoxLayout(history_box)
        self.history_list = QListWidget()
        self.history_list.setObjectName("sync_history")
        history.addWidget(self.history_list)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(title)
        layout.addWidget(self.revoked_banner)
        layout.addWidget(status_box)
        layout.addWidget(self.sync_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.enroll_box)
        layout.addWidget(usb_box)
        layout.addWidget(self.conflicts_box)
        layout.addWidget(self.quarantine_box)
        layout.addWidget(history_box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    # ----- showing -----------------------------------------------------------------------

    def _show_status(self, status: Status) -> None:
        self.pending_label.setText(
            f"{status.pending} 条"
            + (f"（已打包 {status.pending_batches} 批）" if status.pending_batches else "")
        )
        via = VIA_ZH.get(status.last_via, "")
        self.last_label.setText(when_text(status.last_sync) + (f"（{via}）" if via else ""))
        self.pending_hint.setText(pending_explanation(status))
        if status.enrolled:
            self.district_label.setText(
                f"{status.server_url or '（只用U盘）'}　区编号 {status.district_id}"
            )
            self.state_label.setText("已注册，可以同步" if not status.revoked else "已停止同步")
        else:
            self.district_label.setText("未注册（这台电脑还没有和区民政局连上）")
            self.state_label.setText("这台电脑还没有注册，请先在下方注册")
        self.enroll_box.setVisible(not status.enrolled)
        self.revoked_banner.setVisible(status.revoked)
        if status.revoked:
            self.revoked_banner.setText(
                "区民政局已停止这台电脑的同步。请联系区民政局儿童工作负责人。"
                "这台电脑上的资料不受影响，可以继续使用。"
            )
        self._busy()

    def _busy(self, _busy: bool = False) -> None:
        busy = self.controller.busy or self.enroll_form.busy
        status = self.controller.status
        enrolled = bool(status and status.enrolled)
        revoked = bool(status and status.revoked)
        for button in (self.sync_button, self.export_button):
            button.setEnabled(not busy and enrolled and not revoked)
        self.import_button.setEnabled(not busy)
        self.retry_button.setEnabled(not busy)
        self.enroll_form.set_blocked(self.controller.busy)
        for button in (self.keep_mine, self.keep_theirs, self.edit_value):
            button.setEnabled(not busy and bool(self._conflicts))
        if busy:
            self.progress.setRange(0, 0)  # moving until the steps report their counts
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)

    def _show_progress(self, text: str, done: int, total: int) -> None:
        self.progress_label.setText(text)
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _finished(self, report: SyncReport | None, message: str) -> None:
        if message:
            self._say(message, error=True)
        elif report is not None:
            parts = [f"发送 {report.accepted} 条", f"收到 {report.pulled} 条"]
            parts += report_extras(report)
            if report.rejected:
                parts.append(f"{report.rejected} 条区里没有接收（见下方）")
            if report.conflicts:
                parts.append(f"{report.conflicts} 处需要您确认（见下方）")
            self._say(
                "同步完成：" + "，".join(parts) + "。" + report_notes(report),
                error=report_needs_attention(report),
            )
        self.progress_label.setText("")
        self._reload_lists()
        if report is not None and report_changed_data(report):
            self._data_changed()

    def _data_changed(self) -> None:
        """Definitions a sync installed are read on the vault worker first (the GUI thread
        never reads the vault); then the lists are redone."""
        self.desk.runner.submit(
            self.desk.refresh_definitions, lambda _changed: self.data_changed.emit()
        )

    def _say(self, text: str, *, error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")

    def _reload_lists(self) -> None:
        self.controller.load_lists(self._show_lists)

    def _show_lists(self, lists: dict[str, Any]) -> None:
        self._conflicts = lists["conflicts"]
        self._quarantine = lists["quarantine"]
        self._names = lists["names"]
        table = self.conflicts_table
        table.setRowCount(len(self._conflicts))
        for row, c in enumerate(self._conflicts):
            child = self._names.get(c.child_id, "") or TYPE_ZH.get(c.record_type, c.record_type)
            cells = [
                child,
                FIELD_ZH.get(c.field, c.field),
                value_text(c.mine, c.mine_absent),
                value_text(c.theirs, c.theirs_absent),
                "本机的值" if c.kept == "mine" else "别处的值",
            ]
            for col, text in enumerate(cells):
                table.setItem(row, col, QTableWidgetItem(text))
        if self._conflicts:
            table.selectRow(0)
        self.conflicts_box.setVisible(bool(self._conflicts))
        q = self.quarantine_table
        q.setRowCount(len(self._quarantine))
        for row, e in enumerate(self._quarantine):
            what = TYPE_ZH.get(e.record_type, "记录")
            cells = [what, reason_zh(e.reason), when_text(e.at)]
            for col, text in enumerate(cells):
                q.setItem(row, col, QTableWidgetItem(text))
        self.quarantine_box.setVisible(bool(self._quarantine))
        self.history_list.clear()
        for event in reversed(lists["history"][-30:]):
            self.history_list.addItem(history_text(event))
        self._busy()

    # ----- USB ---------------------------------------------------------------------------

    def refresh_drives(self) -> None:
        self.drives.refresh()

    def set_folder(self, folder: Path) -> None:
        self.drives.set_folder(folder)

    def _folder(self) -> Path | None:
        folder = self.drives.folder()
        if folder is None:
            self._say("请先插入U盘（或点“选择文件夹…”）。", error=True)
        return folder

    def export_usb(self) -> None:
        folder = self._folder()
        if folder is not None:
            self.controller.export_to(folder, self._exported)

    def _exported(self, files: list[Path]) -> None:
        if files:
            self._say(
                f"已写入 {len(files)} 个文件并逐一核对无误，可以安全拔出U盘。请带到区民政局导入。",
                error=False,
            )
        else:
            self._say("没有需要发送的修改。", error=False)

    def import_usb(self) -> None:
        folder = self._folder()
        if folder is not None:
            self.controller.import_from(folder, self._imported)

    def _imported(self, result: tuple[SyncReport, list[str]]) -> None:
        report, problems = result
        if problems:
            self._say(
                f"有 {len(problems)} 个文件不完整或已损坏（可能U盘在写入时被拔出），没有导入；"
                "其余已导入。请在区里重新导出后再导入。",
                error=True,
            )
        elif report.receipts or report.pulled or report_extras(report) or report.messages:
            parts = [
                f"区里确认收到 {report.accepted} 条",
                f"收到区里的更新 {report.pulled} 条",
                *report_extras(report),
            ]
            if report.conflicts:
                parts.append(f"{report.conflicts} 处需要您确认")
            self._say(
                "导入完成：" + "，".join(parts) + "。" + report_notes(report),
                error=report_needs_attention(report),
            )
        else:
            self._say("U盘上没有给这台电脑的新文件（或已经导入过），没有任何改变。", error=False)
        self._reload_lists()
        if report_changed_data(report):
            self._data_changed()

    # ----- enrollment --------------------------------------------------------------------

    def _enrolled(self, enrollment: Enrollment) -> None:
        self._say(
            "注册成功。"
            + scope_text(enrollment, self.desk.village_code).replace("\n", "；")
            + "。请和区民政局电话核对区编号。",
            error=False,
        )
        self.controller.refresh()
        self._reload_lists()

    # ----- conflicts ---------------------------------------------------------------------

    def resolve_selected(self, choice: str) -> None:
        row = self.conflicts_table.currentRow()
        if not 0 <= row < len(self._conflicts):
            self._say("请先在表格中选一行。", error=True)
            return
        conflict = self._conflicts[row]
        value: Any = None
        if choice == "edit":
            current = conflict.mine if conflict.kept == "mine" else conflict.theirs
            text, ok = QInputDialog.getText(
                self,
                "改成正确的值",
                f"{FIELD_ZH.get(conflict.field, conflict.field)}：",
                text=current if isinstance(current, str) else "",
            )
            if not ok:
                return
            value = text
            if not isinstance(current, str | type(None)):
                try:
                    value = json.loads(text)
                except ValueError:
                    QMessageBox.warning(self, NOT_SAVED_TITLE, "这一项的格式不对，请重新输入。")
                    return
        self.controller.resolve(conflict.conflict_id, choice, value)
        self._reload_lists()
        self.data_changed.emit()

    # ----- visibility --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._refresh_queued:  # after the show, not inside it
            self._refresh_queued = True
            QTimer.singleShot(0, self._refresh_now)

    def _refresh_now(self) -> None:
        self._refresh_queued = False
        self.controller.refresh()
        self._reload_lists()
