"""备份到U盘 and 从备份恢复 in the desktop app (storage/backup.py does the work).

- :class:`BackupPanel` (for the 设置 page): pick a stick (or a folder), 备份到U盘; the copy is
  taken on the vault worker, written, read back and checked; the message names the file.
- :class:`RestoreDialog` (for the unlock window and the first-run wizard, where no vault is
  open): pick a ``*.cdbackup`` file, type the backup's password, 恢复; a vault already in the
  data folder is replaced only after the user confirms, and is kept aside (renamed). On
  success ``dialog.vault`` is the restored vault, unlocked, as after :class:`UnlockDialog`.

Vault work (the backup, the restore, which opens the restored vault) runs on the runner, never
on the GUI thread; only results come back.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QDir, QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.backups import BackupService
from storage.backup import (
    BACKUP_SUFFIX,
    BackupInfo,
    RestoreConflictError,
    RestoreResult,
    read_backup,
    restore_backup,
)
from storage.vault import Vault
from sync.laptop.usb import removable_drives
from ui.tasks import Runner
from ui.views.enrollment_form import DrivePicker
from ui.views.messages import ErrorLabel, confirm, user_message


def _native(path: Path) -> str:
    return QDir.toNativeSeparators(str(path))


def _when(created: str) -> str:
    """``2026年12月2日 17:30`` in local time, from the manifest's UTC time."""
    try:
        moment = datetime.fromisoformat(created).astimezone()
    except ValueError:
        return created
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


class BackupServices(Protocol):
    """What 备份到U盘 uses of the desk (ui/desk_services.py)."""

    @property
    def runner(self) -> Runner: ...
    @property
    def backups(self) -> BackupService: ...


class BackupPanel(QGroupBox):
    """备份到U盘, for the 设置 page."""

    def __init__(self, desk: BackupServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backup_panel")
        self.setTitle(self.tr("备份到U盘"))
        self.desk = desk
        self.last_backup: BackupInfo | None = None
        hint = QLabel(
            self.tr(
                "还没有和区民政局同步的电脑，资料只有这一份。请经常备份到U盘，并把U盘收好。"
                "备份是加密的，要用现在的密码才能打开。"
                "恢复：在解锁窗口或第一次使用的窗口点“从备份恢复…”。"
            )
        )
        hint.setWordWrap(True)
        hint.setProperty("role", "hint")
        self.drives = DrivePicker(combo_name="backup_drive", choose_name="backup_choose_folder")
        self.backup_button = QPushButton(self.tr("备份到U盘"))
        self.backup_button.setObjectName("backup_now")
        self.message = ErrorLabel("backup_message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("写到：")))
        row.addWidget(self.drives, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.backup_button.clicked.connect(self.back_up)

    def _say(self, text: str, *, tone: str = "error") -> None:
        """Show a message and scroll it into view (the 设置 page scrolls; the message is the
        last thing on it)."""
        self.message.say(text, tone=tone)
        QTimer.singleShot(0, self, self._scroll_to_message)  # dropped if the panel goes

    def _scroll_to_message(self) -> None:
        widget = self.parentWidget()
        while widget is not None and not isinstance(widget, QScrollArea):
            widget = widget.parentWidget()
        if isinstance(widget, QScrollArea):
            # let the wrapped message take its height and the page grow first (each step
            # posts the next layout request), then scroll to where it really is
            for _ in range(4):
                QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            widget.ensureWidgetVisible(self.message, 0, 10)

    def back_up(self) -> None:
        folder = self.drives.folder()
        if folder is None:
            self._say(self.tr("请先插入U盘，点“刷新”；或点“选择文件夹…”。"))
            return
        self.backup_button.setEnabled(False)
        self._say(self.tr("正在备份并核对，请不要拔出U盘…"), tone="progress")
        backups = self.desk.backups
        self.desk.runner.submit(lambda: backups.write(folder), self._done, self._failed)

    def _done(self, info: BackupInfo) -> None:
        self.last_backup = info
        self.backup_button.setEnabled(True)
        self._say(
            self.tr("已备份并核对无误：{0}（{1} 条修改，{2} 个附件）。现在可以拔出U盘。").format(
                _native(info.path), info.revisions, info.attachments
            ),
            tone="ok",
        )

    def _failed(self, err: BaseException) -> None:
        self.backup_button.setEnabled(True)
        self._say(user_message(err))


def find_backups() -> list[Path]:
    """``*.cdbackup`` files at the top of every removable drive, newest first."""
    found: list[Path] = []
    for drive in removable_drives():
        try:
            found.extend(p for p in drive.path.glob(f"*{BACKUP_SUFFIX}") if p.is_file())
        except OSError:
            continue
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


class RestoreDialog(QDialog):
    """从备份恢复: choose the file, check it, the backup's password, confirm, restore."""

    def __init__(self, data_dir: Path, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restore_dialog")
        self.setWindowTitle(self.tr("从备份恢复"))
        self.vault: Vault | None = None
        self.restored: RestoreResult | None = None
        self.backup: BackupInfo | None = None
        self._data_dir = Path(data_dir)
        self._runner = runner

        intro = QLabel(
            self.tr(
                "选U盘上的备份文件（文件名以 .cdbackup 结尾），输入做备份时的密码。"
                "电脑上原有的资料不会删除，会改名留在旁边。"
            )
        )
        intro.setWordWrap(True)
        self.files = QComboBox()
        self.files.setObjectName("backup_file")
        self.files.setPlaceholderText(self.tr("U盘上没有找到备份文件"))
        self.files.setMinimumContentsLength(20)
        self.files.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        refresh = QPushButton(self.tr("刷新"))
        choose = QPushButton(self.tr("选择文件…"))
        choose.setObjectName("choose_backup")
        self.details = QLabel("")
        self.details.setObjectName("backup_details")
        self.details.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setObjectName("backup_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("做备份时的密码"))
        self.message = ErrorLabel("restore_message")
        self.message.clear_when_edited(self.password)
        self.restore_button = QPushButton(self.tr("恢复"))
        self.restore_button.setObjectName("restore")
        self.restore_button.setDefault(True)
        cancel = QPushButton(self.tr("取消"))

        file_row = QHBoxLayout()
        file_row.addWidget(self.files, 1)
        file_row.addWidget(refresh)
        file_row.addWidget(choose)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(self.tr("备份文件"), file_row)
        form.addRow("", self.details)
        form.addRow(self.tr("密码"), self.password)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(cancel)
        layout = self._layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(self.fontMetrics().height() * 30)

        refresh.clicked.connect(self.refresh)
        choose.clicked.connect(self._choose)
        self.files.currentIndexChanged.connect(lambda _i: self._check_file())
        self.restore_button.clicked.connect(lambda: self.restore())
        self.password.returnPressed.connect(lambda: self.restore())
        cancel.clicked.connect(self.reject)
        self.refresh()

    def _detail(self, text: str) -> None:
        self.details.setText(text)
        self.details.setVisible(bool(text))  # no empty row while nothing is chosen
        self._grow()

    def _say(self, text: str, *, tone: str = "error") -> None:
        self.message.say(text, tone=tone)
        self._grow()

    def _grow(self) -> None:
        """Grow the window for a new message (never squeeze the rows above it)."""
        self._layout.activate()
        needed = self.sizeHint().height()
        if self.height() < needed:
            self.resize(self.width(), needed)

    def refresh(self) -> None:
        current = self.files.currentData()
        self.files.blockSignals(True)
        self.files.clear()
        for path in find_backups():
            self.files.addItem(_native(path), str(path))
        if current and self.files.findData(current) < 0:
            self.files.addItem(_native(Path(str(current))), current)
        if current:
            self.files.setCurrentIndex(self.files.findData(current))
        self.files.blockSignals(False)
        self._check_file()

    def set_file(self, path: Path) -> None:
        text = str(path)
        if self.files.findData(text) < 0:
            self.files.addItem(_native(path), text)
        self.files.setCurrentIndex(self.files.findData(text))

    def _choose(self) -> None:
        from ui.views.print_preview import documents_folder

        # start where a backup is likely: beside the one chosen, else documents — never the
        # program's own folder
        current = self.chosen()
        start = current.parent if current is not None else documents_folder()
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("选择备份文件"), str(start), self.tr("备份文件 (*.cdbackup)")
        )
        if path:
            self.set_file(Path(path))

    def chosen(self) -> Path | None:
        data = self.files.currentData()
        return Path(str(data)) if data else None

    def _check_file(self) -> None:
        """Read and check the chosen file (on the worker: a stick can be slow)."""
        self.backup = None
        path = self.chosen()
        if path is None:
            self._detail("")
            return
        self._detail(self.tr("正在检查备份文件…"))
        self._runner.submit(
            lambda: read_backup(path), self._checked, lambda err: self._bad_file(path, err)
        )

    def _checked(self, info: BackupInfo) -> None:
        if self.chosen() != info.path:
            return  # another file was chosen meanwhile
        self.backup = info
        self._detail(
            self.tr("备份时间：{0}；{1} 条修改，{2} 个附件。文件完好。").format(
                _when(info.created), info.revisions, info.attachments
            )
        )

    def _bad_file(self, path: Path, err: BaseException) -> None:
        if self.chosen() == path:
            self._detail("")
            self._say(user_message(err))

    def restore(self, *, replace: bool = False) -> None:
        path = self.chosen()
        if path is None:
            self._say(self.tr("请先选择备份文件（插上U盘后点“刷新”，或点“选择文件…”）。"))
            return
        if not self.password.text():
            self._say(self.tr("请输入做备份时的密码。"))
            return
        password, data_dir = self.password.text(), self._data_dir
        self.restore_button.setEnabled(False)
        self._say(self.tr("正在恢复，请稍候，不要拔出U盘…"), tone="progress")
        self._runner.submit(
            lambda: restore_backup(path, data_dir, password, replace=replace),
            self._restored,
            self._failed,
        )

    def _restored(self, result: RestoreResult) -> None:
        self.restored = result
        self.vault = result.vault
        self.restore_button.setEnabled(True)
        self.password.clear()
        if result.set_aside is not None:
            self.tell_set_aside(result.set_aside)
        self.accept()

    def tell_set_aside(self, folder: Path) -> None:
        """Say where the vault that was on the laptop now is (tests answer it directly)."""
        QMessageBox.information(
            self,
            self.tr("已从备份恢复"),
            self.tr(
                "已从备份恢复。电脑上原来的资料没有删除，改名保存在：\n{0}\n"
                "确认恢复的资料无误后，可以请技术人员删除它。"
            ).format(_native(folder)),
        )

    def _failed(self, err: BaseException) -> None:
        self.restore_button.setEnabled(True)
        if isinstance(err, RestoreConflictError):
            self._say("")
            if self.confirm_replace(err):
                self.restore(replace=True)
            return
        self._say(user_message(err))

    def confirm_replace(self, err: RestoreConflictError) -> bool:
        """Ask before the vault in the data folder is replaced (tests answer it directly)."""
        return confirm(
            self,
            self.tr("换成备份里的资料？"),
            err.message_zh + "\n\n" + self.tr("确定要用这个备份替换电脑上现在的资料吗？"),
            self.tr("仍然恢复"),
        )


def offer_restore(data_dir: Path, runner: Runner, parent: QWidget | None = None) -> Vault | None:
    """Show :class:`RestoreDialog`; the restored vault (unlocked), or None when cancelled."""
    dialog = RestoreDialog(data_dir, runner, parent)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        return dialog.vault
    return None
