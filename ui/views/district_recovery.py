"""恢复码也丢了: district-escrow recovery (docs/sync-protocol.md §15) in three steps — write a
recovery request to a USB stick, the district answers it, load the answer and set a new
password. The pending request is kept in the vault folder, so a director who comes back days
later lands on the step she is at. All file work and the new password's Argon2id run on the
runner; the GUI thread only shows results."""

from __future__ import annotations

import errno
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storage.errors import VaultError
from storage.vault import RECOVERY_CODE_TYPE, Vault
from sync import recovery
from sync.errors import SyncError
from sync.laptop.usb import Drive, removable_drives
from ui.error_texts import (
    NOT_ENROLLED_FOR_RECOVERY_ZH,
    READ_FILE_ZH,
    laptop_disk_full_zh,
    usb_write_error_zh,
)
from ui.tasks import Runner
from ui.views.messages import show_error, user_message
from ui.views.new_password_form import NewPasswordForm
from ui.views.widgets import page_scroll
from ui.window_fit import usable_area

STEPS = ("写恢复申请", "区里答复", "设新密码")
CODE_STYLE = (
    "QLabel { background: #fffde7; border: 1px solid #f9a825; border-radius: 4px;"
    " padding: 8px 16px; }"
)
OK_STYLE = "QLabel { color: #2e7d32; }"


def _label(text: str, role: str | None = None, name: str | None = None) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if role:
        label.setProperty("role", role)
    if name:
        label.setObjectName(name)
    return label


def _big(label: QLabel, factor: float = 1.5) -> QLabel:
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(True)
    label.setFont(font)
    return label


def _page(title: str) -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    heading = _big(_label(title, "title"), 1.2)
    layout.addWidget(heading)
    return page, layout


class _Pages(QWidget):
    """One page at a time, sized to the page showing (a QStackedWidget is as tall as its
    tallest page, and ignores the height wrapped text needs)."""

    def __init__(self) -> None:
        super().__init__()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._current: QWidget | None = None

    def addWidget(self, page: QWidget) -> None:
        self._layout.addWidget(page)
        page.hide()

    def setCurrentWidget(self, page: QWidget) -> None:
        if self._current is not None and self._current is not page:
            self._current.hide()
        self._current = page
        page.show()

    def currentWidget(self) -> QWidget | None:
        return self._current


def local_date(created: str) -> str:
    """``2026-11-22T08:00:00Z`` → ``2026年11月22日`` (the local day)."""
    try:
        when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "之前"
    day = when.astimezone()
    return f"{day.year}年{day.month}月{day.day}日"


def write_error_zh(err: BaseException, data_dir: Path, had_pending: bool) -> str:
    """Why the request could not be written, and what to do next."""
    keep = "之前写过的申请仍然有效。" if had_pending else "这台电脑上的资料没有任何改动。"
    if isinstance(err, recovery.NoEscrowError):
        return NOT_ENROLLED_FOR_RECOVERY_ZH
    if isinstance(err, OSError):
        on_laptop = bool(err.filename) and Path(str(err.filename)).parent == Path(data_dir)
        if err.errno == errno.ENOSPC and on_laptop:
            return laptop_disk_full_zh("申请", keep)
        return usb_write_error_zh(err, retry="再点“写入恢复申请”", keep=keep)
    if isinstance(err, SyncError):
        return (
            "这台电脑上区里的钥匙备份文件已损坏，无法写申请。请不要删除任何文件，"
            "联系区民政局的技术人员。"
        )
    return user_message(err)


def grant_error_zh(err: BaseException, pending: recovery.PendingRequest | None) -> str:
    """Why an answer file was refused (the vault is untouched in every case)."""
    untouched = "档案库没有任何改动。"
    if isinstance(err, recovery.NotAGrantError):
        return (
            "您选的是这台电脑写的“恢复申请”（文件名以 .cdrecover 结尾），不是区里的答复。"
            "区里的答复文件名以 .cdrecovered 结尾，通常和申请在U盘的同一个地方。"
        )
    if isinstance(err, recovery.GrantForAnotherLaptopError):
        return (
            "这个答复是给另一台电脑的，不能用在这台电脑上。请确认带回的是这台电脑的答复，"
            f"或请区民政局核对。{untouched}"
        )
    if isinstance(err, recovery.GrantForOlderRequestError):
        latest = f"（核对码 {pending.check_code}）" if pending else ""
        return (
            "这个答复对应的是您以前写的一份申请；后来您又写了新的申请，旧的答复就作废了。"
            f"请把最新的申请{latest}带到区民政局重新办理。{untouched}"
        )
    if isinstance(err, recovery.NoPendingRequestError):
        return (
            "这台电脑现在没有等待答复的恢复申请（可能已经用这个答复设过新密码）。"
            "如果设过，请关掉这个窗口，用新密码解锁；否则请重新写一份申请。"
        )
    if isinstance(err, recovery.NoEscrowError):
        return NOT_ENROLLED_FOR_RECOVERY_ZH
    if isinstance(err, SyncError):
        return (
            "这个文件不是区民政局签发的有效答复，或者已经损坏（可能U盘在写入时被拔出）。"
            f"{untouched}请检查选的文件，或请区里重新办理。"
        )
    if isinstance(err, OSError):
        return READ_FILE_ZH
    return user_message(err)


class DistrictRecoveryDialog(QDialog):
    """The three steps; ``vault`` is set (and the dialog accepted) once the vault is open."""

    def __init__(
        self,
        data_dir: Path,
        runner: Runner,
        parent: QWidget | None = None,
        *,
        resume: bool = False,
        drives: Callable[[], list[Drive]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("district_recovery")
        self.setWindowTitle(self.tr("请区民政局帮忙恢复"))
        self.vault: Vault | None = None
        self.pending: recovery.PendingRequest | None = None
        self.recovery_code: str | None = None
        self._data_dir = Path(data_dir)
        self._runner = runner
        self._resume = resume
        self._drives = drives or (lambda: removable_drives())  # looked up late: tests swap it
        self._busy = False
        self._grant: bytes | None = None

        self.steps = QLabel("")
        self.steps.setObjectName("steps")
        self.stack = _Pages()
        self.checking_page, checking = _page(self.tr("请稍候…"))
        checking.addStretch(1)
        self.not_enrolled_page = self._build_not_enrolled()
        self.request_page = self._build_request()
        self.waiting_page = self._build_waiting()
        self.apply_page = self._build_apply()
        self.done_page = self._build_done()
        for page in (
            self.checking_page,
            self.not_enrolled_page,
            self.request_page,
            self.waiting_page,
            self.apply_page,
            self.done_page,
        ):
            self.stack.addWidget(page)

        self.close_button = QPushButton(self.tr("关闭"))
        self.close_button.setObjectName("close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)

        self.scroller = page_scroll(self.stack)  # large text on a small screen: never clip

        layout = QVBoxLayout(self)
        layout.addWidget(self.steps)
        layout.addWidget(line)
        layout.addWidget(self.scroller, 1)
        layout.addLayout(bottom)
        self.setMinimumWidth(max(620, self.fontMetrics().horizontalAdvance("中") * 40))
        self._show(self.checking_page)
        self._start()

    # ----- pages ---------------------------------------------------------------------------

    def _build_not_enrolled(self) -> QWidget:
        page, layout = _page(self.tr("这台电脑不能请区里帮忙恢复"))
        layout.addWidget(
            _label(
                self.tr(
                    "这台电脑没有在区民政局注册过同步，区里没有保管这台电脑的钥匙，"
                    "所以区里也打不开这里的档案库。"
                ),
                name="not_enrolled_text",
            )
        )
        layout.addWidget(
            _label(
                self.tr(
                    "您还可以：\n"
                    "• 再试试密码：注意大小写和中文/英文输入法，想想以前是否改过密码；\n"
                    "• 再找找恢复码：设置时打印或抄写的 32 位数字，可能夹在笔记本或文件袋里，"
                    "找到后点“忘记密码”输入；\n"
                    "• 实在找不到：请不要删除数据文件夹，也不要重装系统，"
                    "联系区民政局儿童工作负责人或技术人员商量怎么办。"
                )
            )
        )
        layout.addWidget(
            _label(
                self.tr("以后在“同步”页注册了这台电脑，区里就能帮忙恢复。"),
                "hint",
            )
        )
        layout.addWidget(_label(self.tr("数据文件夹：{0}").format(self._data_dir), "hint"))
        layout.addStretch(1)
        return page

    def _build_request(self) -> QWidget:
        page, layout = _page(self.tr("密码和恢复码都找不到了？请区民政局帮忙"))
        layout.addWidget(
            _label(
                self.tr(
                    "这台电脑在区民政局注册时，已把打开档案库的钥匙加密交给区里保管，只有区里能用。"
                    "办理分三步：\n"
                    "① 在这台电脑上把一份“恢复申请”写到U盘；\n"
                    "② 把U盘带到区民政局（或请乡镇转交）。区里工作人员会用登记过的电话打给您，"
                    "核对电脑上显示的核对码，然后把答复文件写到U盘上；\n"
                    "③ 把U盘带回来，在这里载入答复、设一个新密码，档案库就打开了，资料一条不少。"
                ),
                name="procedure",
            )
        )
        layout.addWidget(
            _label(self.tr("写申请不会改动这台电脑上的任何资料。申请里没有儿童的资料。"), "hint")
        )
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("写到：")))
        self.folder_combo = QComboBox()
        self.folder_combo.setObjectName("request_folder")
        self.folder_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.folder_combo.setMinimumContentsLength(16)
        row.addWidget(self.folder_combo, 1)
        refresh = QPushButton(self.tr("刷新"))
        refresh.setObjectName("refresh_drives")
        refresh.setAutoDefault(False)
        refresh.clicked.connect(self.refresh_drives)
        choose = QPushButton(self.tr("选择文件夹…"))
        choose.setObjectName("choose_folder")
        choose.setAutoDefault(False)
        choose.clicked.connect(self._choose_folder)
        row.addWidget(refresh)
        row.addWidget(choose)
        layout.addLayout(row)
        self.write_button = QPushButton(self.tr("写入恢复申请"))
        self.write_button.setObjectName("write_request")
        self.write_button.setDefault(True)
        self.write_button.clicked.connect(self.write_request)
        buttons = QHBoxLayout()
        buttons.addWidget(self.write_button)
        self.back_to_waiting = QPushButton(self.tr("返回（不写新申请）"))
        self.back_to_waiting.setObjectName("back_to_waiting")
        self.back_to_waiting.setAutoDefault(False)
        self.back_to_waiting.clicked.connect(lambda: self._show(self.waiting_page))
        self.back_to_waiting.hide()
        buttons.addWidget(self.back_to_waiting)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.request_message = _label("", "error", "request_message")
        layout.addWidget(self.request_message)
        layout.addStretch(1)
        return page

    def _build_waiting(self) -> QWidget:
        page, layout = _page(self.tr("恢复申请已写好，等区里答复"))
        self.waiting_note = _label("", name="waiting_note")
        layout.addWidget(self.waiting_note)
        code_row = QHBoxLayout()
        code_row.addWidget(_big(QLabel(self.tr("核对码")), 1.2))
        self.check_code = _big(QLabel(""), 1.6)
        self.check_code.setObjectName("check_code")
        self.check_code.setStyleSheet(CODE_STYLE)
        self.check_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        code_row.addWidget(self.check_code)
        code_row.addStretch(1)
        layout.addLayout(code_row)
        layout.addWidget(
            _label(
                self.tr(
                    "区里工作人员会打电话问您这个核对码，核对无误才会答复。请把它抄在纸上带着"
                    "（以后再打开这里也能看到），只告诉区民政局的工作人员。"
                )
            )
        )
        self.waiting_next = _label("", name="waiting_next")
        layout.addWidget(self.waiting_next)
        buttons = QHBoxLayout()
        self.to_apply_button = QPushButton(self.tr("我带回了区里的答复，下一步"))
        self.to_apply_button.setObjectName("to_apply")
        self.to_apply_button.setDefault(True)
        self.to_apply_button.clicked.connect(self.go_to_apply)
        self.rewrite_button = QPushButton(self.tr("重新写一份申请"))
        self.rewrite_button.setObjectName("rewrite_request")
        self.rewrite_button.setAutoDefault(False)
        self.rewrite_button.clicked.connect(self._rewrite)
        buttons.addWidget(self.to_apply_button)
        buttons.addWidget(self.rewrite_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(
            _label(
                self.tr(
                    "U盘丢了或申请文件坏了，可以重新写一份；重新写以后，旧申请和它的答复都作废。"
                ),
                "hint",
            )
        )
        layout.addStretch(1)
        return page

    def _build_apply(self) -> QWidget:
        page, layout = _page(self.tr("载入区里的答复，设新密码"))
        self.apply_intro = _label("", name="apply_intro")
        layout.addWidget(self.apply_intro)
        row = QHBoxLayout()
        self.grant_path = QLineEdit()
        self.grant_path.setObjectName("grant_path")
        self.grant_path.setReadOnly(True)
        self.grant_path.setPlaceholderText(self.tr("还没有选答复文件"))
        find = QPushButton(self.tr("在U盘上找"))
        find.setObjectName("find_grant")
        find.setAutoDefault(False)
        find.clicked.connect(self.find_grant)
        choose = QPushButton(self.tr("选择文件…"))
        choose.setObjectName("choose_grant")
        choose.setAutoDefault(False)
        choose.clicked.connect(self._choose_grant)
        row.addWidget(QLabel(self.tr("答复文件：")))
        row.addWidget(self.grant_path, 1)
        row.addWidget(find)
        row.addWidget(choose)
        layout.addLayout(row)
        self.grant_status = _label("", name="grant_status")
        layout.addWidget(self.grant_status)

        self.password_form = NewPasswordForm(problems_name="apply_message")
        self.password = self.password_form.password
        self.repeat = self.password_form.repeat
        self.strength = self.password_form.strength
        # what is wrong with the new password, what runs and why opening failed
        self.apply_message = self.password_form.problems
        layout.addWidget(self.password_form)
        self.repeat.returnPressed.connect(self.apply)
        self.apply_button = QPushButton(self.tr("设新密码并打开档案库"))
        self.apply_button.setObjectName("apply_grant")
        self.apply_button.setDefault(True)
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        self.back_button = QPushButton(self.tr("返回上一步"))
        self.back_button.setObjectName("back")
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(lambda: self._show(self.waiting_page))
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    def _build_done(self) -> QWidget:
        page, layout = _page(self.tr("档案库已打开"))
        layout.addWidget(
            _label(
                self.tr("新密码已设好，资料都在。以后请用新密码解锁，旧密码不能再用了。"),
                name="done_text",
            )
        )
        self.code_intro = _label(
            self.tr(
                "您的恢复码在下面。恢复码丢了，下次忘记密码就又要跑一趟区里——"
                "请现在抄在纸上或打印出来，和电脑分开放好，不要告诉别人："
            )
        )
        layout.addWidget(self.code_intro)
        self.code_label = _big(QLabel(""), 1.4)
        self.code_label.setObjectName("recovery_code")
        self.code_label.setStyleSheet(CODE_STYLE)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.code_label)
        self.print_button = QPushButton(self.tr("打印恢复码"))
        self.print_button.setObjectName("print_recovery_code")
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self._print)
        self.written = QCheckBox(self.tr("我已把恢复码抄写或打印好，并妥善保存"))
        self.written.setObjectName("written_down")
        self.start_button = QPushButton(self.tr("开始使用"))
        self.start_button.setObjectName("start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.accept)
        self.written.toggled.connect(self._update_start)
        row = QHBoxLayout()
        row.addWidget(self.print_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.written)
        layout.addWidget(_label(self.tr("以后也可以在“设置”页输入新密码再看恢复码。"), "hint"))
        end = QHBoxLayout()
        end.addStretch(1)
        end.addWidget(self.start_button)
        layout.addStretch(1)
        layout.addLayout(end)
        return page

    # ----- navigation ----------------------------------------------------------------------

    def _show(self, page: QWidget) -> None:
        self.stack.setCurrentWidget(page)
        step = {
            self.request_page: 0,
            self.waiting_page: 1,
            self.apply_page: 2,
            self.done_page: 3,
        }.get(page)
        if step is None:
            self.steps.setText("")
            self.steps.hide()
        else:
            parts = []
            for index, name in enumerate(STEPS):
                text = f"{'①②③'[index]} {self.tr(name)}"
                if index == step:
                    parts.append(f"<b style='color:#1565c0'>{text}</b>")
                elif index < step:
                    parts.append(f"<span style='color:#2e7d32'>{text} ✓</span>")
                else:
                    parts.append(f"<span style='color:#757575'>{text}</span>")
            self.steps.setText("　→　".join(parts))
            self.steps.show()
        self.close_button.setText(self.tr("稍后再办") if step in (0, 1) else self.tr("关闭"))
        self.close_button.setVisible(page is not self.done_page)
        self._fit()

    def _fit(self) -> None:
        """Grow the window to what the page needs (wrapped text included), up to the screen."""
        layout = self.layout()
        if layout is None or not self.isVisible():
            return
        layout.activate()
        width = self.scroller.viewport().width()
        page = self.stack
        need = page.heightForWidth(width) if page.hasHeightForWidth() else -1
        need = max(need, page.minimumSizeHint().height())
        chrome = self.height() - self.scroller.viewport().height()
        screen = usable_area(self).height()  # less a taskbar, even one not reported
        target = min(need + chrome, int(screen * 0.9))
        if target > self.height():
            self.resize(self.width(), target)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in (self.close_button, self.write_button, self.apply_button):
            button.setEnabled(not busy)
        if not busy:
            self._update_apply_button()

    def _start(self) -> None:
        data_dir, drives = self._data_dir, self._drives

        def look() -> tuple[bool, recovery.PendingRequest | None, list[Drive]]:
            return recovery.has_escrow(data_dir), recovery.pending_request(data_dir), drives()

        self._set_busy(True)
        self._runner.submit(look, self._looked, self._look_failed)

    def _looked(self, result: tuple[bool, recovery.PendingRequest | None, list[Drive]]) -> None:
        self._set_busy(False)
        enrolled, pending, drives = result
        self._fill_drives(drives)
        if not enrolled:
            self._show(self.not_enrolled_page)
            return
        self._set_pending(pending, written_now=False)
        if pending is None:
            self._show(self.request_page)
        elif self._resume:
            self.go_to_apply()
        else:
            self._show(self.waiting_page)

    def _look_failed(self, err: BaseException) -> None:
        self._set_busy(False)
        self._show(self.request_page)
        self.request_message.setText(write_error_zh(err, self._data_dir, False))

    def _set_pending(self, pending: recovery.PendingRequest | None, *, written_now: bool) -> None:
        self.pending = pending
        self.back_to_waiting.setVisible(pending is not None)
        if pending is None:
            return
        self.check_code.setText(pending.check_code)
        where = str(pending.folder) if pending.folder else self.tr("U盘")
        if written_now:
            note = self.tr("申请已写入 {0}，并已读回核对无误，可以拔出U盘了。").format(where)
        else:
            note = self.tr("您在{0}写过一份恢复申请（写在 {1}），正在等区里答复。").format(
                local_date(pending.created), where
            )
        self.waiting_note.setText(note)
        self.waiting_next.setText(
            self.tr(
                "下一步：把U盘带到区民政局。区里会在申请旁边写一个答复文件"
                "（名字以 .cdrecovered 结尾）。带回来后插上U盘，"
                "点“我带回了区里的答复，下一步”。"
            )
        )
        self.apply_intro.setText(
            self.tr(
                "插上带回来的U盘，点“在U盘上找”；也可以点“选择文件…”，"
                "找名字以 .cdrecovered 结尾的文件。然后设一个新密码。"
            )
        )
        self._fit()

    def _rewrite(self) -> None:
        self.request_message.setText(
            self.tr("注意：写了新申请，之前的申请（核对码 {0}）就作废了。").format(
                self.pending.check_code if self.pending else ""
            )
        )
        self.request_message.setProperty("role", "hint")
        self._repolish(self.request_message)
        self._show(self.request_page)

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    # ----- step 1: the request -------------------------------------------------------------

    def _fill_drives(self, drives: list[Drive]) -> None:
        current = self.folder_combo.currentData()
        self.folder_combo.clear()
        for drive in drives:
            self.folder_combo.addItem(self.tr("U盘 {0}").format(drive.label), str(drive.path))
        if current and self.folder_combo.findData(current) < 0:
            self.folder_combo.addItem(str(current), current)
        if current:
            self.folder_combo.setCurrentIndex(self.folder_combo.findData(current))
        if self.folder_combo.count() == 0:
            self.folder_combo.setPlaceholderText(self.tr("没有找到U盘：请插上U盘后点“刷新”"))

    def refresh_drives(self) -> None:
        self._runner.submit(self._drives, self._fill_drives, lambda _err: self._fill_drives([]))

    def set_folder(self, folder: Path) -> None:
        text = str(folder)
        if self.folder_combo.findData(text) < 0:
            self.folder_combo.addItem(text, text)
        self.folder_combo.setCurrentIndex(self.folder_combo.findData(text))

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("选择U盘或文件夹"))
        if folder:
            self.set_folder(Path(folder))

    def write_request(self) -> None:
        if self._busy:
            return
        data = self.folder_combo.currentData()
        if not data:
            self._say_request(self.tr("请先插上U盘并点“刷新”，或点“选择文件夹…”。"))
            return
        folder, data_dir = Path(str(data)), self._data_dir
        had_pending = self.pending is not None

        def write() -> recovery.PendingRequest | None:
            recovery.write_request(data_dir, folder)
            return recovery.pending_request(data_dir)

        def failed(err: BaseException) -> None:
            self._set_busy(False)
            if isinstance(err, recovery.NoEscrowError):
                self._show(self.not_enrolled_page)
                return
            self._say_request(write_error_zh(err, data_dir, had_pending))

        self._say_request(self.tr("正在写入并核对…"), role="hint")
        self._set_busy(True)
        self._runner.submit(write, self._written, failed)

    def _say_request(self, text: str, role: str = "error") -> None:
        self.request_message.setProperty("role", role)
        self._repolish(self.request_message)
        self.request_message.setText(text)
        self._fit()

    def _written(self, pending: recovery.PendingRequest | None) -> None:
        self._set_busy(False)
        self.request_message.setText("")
        self._grant = None
        self.grant_path.clear()
        self.grant_status.setText("")
        self._set_pending(pending, written_now=True)
        self._show(self.waiting_page)

    # ----- step 3: the answer and the new password -----------------------------------------

    def go_to_apply(self) -> None:
        self._show(self.apply_page)
        if self._grant is None:
            self.find_grant(quiet=True)

    def find_grant(self, quiet: bool = False) -> None:
        if self._busy:
            return
        data_dir, drives, pending = self._data_dir, self._drives, self.pending

        def find() -> tuple[Path, bytes] | None:
            folders = [d.path for d in drives()]
            if pending is not None and pending.folder is not None:
                folders.insert(0, pending.folder)
            found = recovery.find_grant(data_dir, folders)
            if found is None:
                return None
            return found, self._read_and_verify(found)

        def done(result: tuple[Path, bytes] | None) -> None:
            self._set_busy(False)
            if result is None:
                if not quiet:
                    self._grant_problem(
                        self.tr(
                            "U盘上没有找到区里的答复文件。请确认插的是带回来的U盘，"
                            "或点“选择文件…”自己找（名字以 .cdrecovered 结尾）。"
                        )
                    )
                return
            self._grant_ok(*result)

        self._set_busy(True)
        self._runner.submit(find, done, self._grant_failed)

    def _choose_grant(self) -> None:
        start = str(self.pending.folder) if self.pending and self.pending.folder else ""
        name, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("选择区里的答复文件"),
            start,
            self.tr("区里的答复 (*.cdrecovered);;所有文件 (*)"),
        )
        if name:
            self.load_grant_file(Path(name))

    def load_grant_file(self, path: Path) -> None:
        """Read and check an answer file (on the runner)."""
        if self._busy:
            return
        self._set_busy(True)
        self.grant_path.setText(str(path))
        self.grant_status.setText(self.tr("正在核对答复文件…"))
        self._runner.submit(
            lambda: (path, self._read_and_verify(path)), self._grant_loaded, self._grant_failed
        )

    def _grant_loaded(self, result: tuple[Path, bytes]) -> None:
        self._set_busy(False)
        self._grant_ok(*result)

    def _read_and_verify(self, path: Path) -> bytes:  # runs on the runner
        grant = recovery.read_grant_file(path)
        recovery.verify_grant(self._data_dir, grant)
        return grant

    def _grant_ok(self, path: Path, grant: bytes) -> None:
        self._grant = grant
        self.grant_path.setText(str(path))
        self.grant_status.setProperty("role", None)
        self.grant_status.setStyleSheet(OK_STYLE)
        self.grant_status.setText(
            self.tr("✓ 答复有效：区民政局签发，给这台电脑，对应您最近的申请。请设新密码。")
        )
        self.apply_message.setText("")
        self._update_apply_button()
        self.password.setFocus()
        self._fit()

    def _grant_failed(self, err: BaseException) -> None:
        self._set_busy(False)
        self._grant_problem(grant_error_zh(err, self.pending))

    def _grant_problem(self, text: str) -> None:
        self._grant = None
        self.grant_status.setStyleSheet("")
        self.grant_status.setProperty("role", "error")
        self._repolish(self.grant_status)
        self.grant_status.setText(text)
        self._update_apply_button()
        self._fit()

    def _update_apply_button(self) -> None:
        self.apply_button.setEnabled(self._grant is not None and not self._busy)

    def apply(self) -> None:
        grant = self._grant
        if self._busy or grant is None:
            return
        text = self.password_form.accepted_password()
        if text is None:
            self._fit()
            return
        data_dir = self._data_dir

        def open_vault() -> tuple[Vault, str | None]:
            vault = recovery.apply_grant(data_dir, grant, text)
            code: str | None = None
            try:
                stored = vault.load(RECOVERY_CODE_TYPE).revisions
                code = str(stored[0].data["code"]) if stored else None
            except (VaultError, KeyError):
                code = None
            return vault, code

        self._say_apply(self.tr("正在打开档案库并设置新密码，请稍候…"), tone="progress")
        self._set_busy(True)
        self._runner.submit(open_vault, self._opened, self._apply_failed)

    def _say_apply(self, text: str, tone: str = "error") -> None:
        self.apply_message.say(text, tone=tone)
        self._fit()

    def _apply_failed(self, err: BaseException) -> None:
        self._set_busy(False)
        if isinstance(err, SyncError | OSError):
            self._say_apply("")
            self._grant_problem(grant_error_zh(err, self.pending))
        else:
            self._say_apply(user_message(err))

    def _opened(self, result: tuple[Vault, str | None]) -> None:
        self._set_busy(False)
        self.vault, self.recovery_code = result
        self.password_form.clear()
        self._grant = None
        if self.recovery_code is None:
            self.code_intro.hide()
            self.code_label.hide()
            self.print_button.hide()
            self.written.hide()
        else:
            self._show_code(self.recovery_code)
        self._update_start()
        self._show(self.done_page)

    def _show_code(self, code: str) -> None:
        groups = code.split("-")  # two lines of four groups: easy to copy, never clipped
        self.code_label.setText("  ".join(groups[:4]) + "\n" + "  ".join(groups[4:]))

    def _update_start(self, *_args: Any) -> None:
        self.start_button.setEnabled(self.recovery_code is None or self.written.isChecked())

    def _print(self) -> None:
        from PySide6.QtGui import QTextDocument
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from ui.views.first_run import recovery_sheet_html

        if self.vault is None or self.recovery_code is None:
            return
        vault, code = self.vault, self.recovery_code

        def print_sheet(name: str) -> None:
            printer = QPrinter()
            dialog = QPrintDialog(printer, self)
            if dialog.exec() != QPrintDialog.DialogCode.Accepted:
                return
            document = QTextDocument()
            document.setHtml(recovery_sheet_html(name, code))
            document.print_(printer)

        # the director's name is in the vault: read on the vault's worker, not here
        self._runner.submit(
            lambda: str(vault.profile().get("name", "")),
            print_sheet,
            lambda err: show_error(self, err),
        )

    # ----- closing -------------------------------------------------------------------------

    def reject(self) -> None:
        if self._busy:
            return  # a task is running: its result must not be lost (the vault may open)
        if self.vault is not None:
            self.accept()  # the vault is open: the session starts whatever button was used
            return
        super().reject()


# ----- screenshots ---------------------------------------------------------------------------

DEMO_PAGES = ("not_enrolled", "request", "request_failed", "waiting", "apply", "refused", "done")


def demo_pending() -> recovery.PendingRequest:
    return recovery.PendingRequest(
        check_code="7F3A-09C2",
        created="2026-11-20T02:15:00Z",
        request_name="3f9c2a7e5b1d4c8a9e6f0b2d7a4c1e93.cdrecover",
        folder=Path("/media/wang/KINGSTON"),
    )


def demo_district_recovery(
    data_dir: Path, runner: Runner, page: str = "request"
) -> DistrictRecoveryDialog:
    """The dialog on one of :data:`DEMO_PAGES` with sample content and no district (for
    ``ui/screenshots.py``); nothing is written."""
    drives = [Drive(Path("/media/wang/KINGSTON"), "KINGSTON")]
    dialog = DistrictRecoveryDialog(data_dir, runner, drives=lambda: drives)
    if page == "not_enrolled":
        dialog._looked((False, None, drives))
        return dialog
    pending = None if page in ("request", "request_failed") else demo_pending()
    dialog._looked((True, pending, drives))
    if page == "request_failed":
        full = OSError(errno.ENOSPC, "No space left on device", "/media/wang/KINGSTON/x")
        dialog._say_request(write_error_zh(full, Path(data_dir), had_pending=False))
    elif page == "waiting":
        dialog._set_pending(pending, written_now=True)
    elif page in ("apply", "refused"):
        dialog.go_to_apply()
        assert pending is not None
        dialog.grant_path.setText(str(pending.folder / pending.grant_name))  # type: ignore[operator]
        if page == "apply":
            dialog._grant_ok(Path(dialog.grant_path.text()), b"demo")
            dialog.password.setText("门前有棵老槐树2008")
            dialog.repeat.setText("门前有棵老槐树2008")
            dialog.password.deselect()
        else:
            old = recovery.GrantForOlderRequestError("older")
            dialog._grant_problem(grant_error_zh(old, pending))
    elif page == "done":
        dialog.recovery_code = "4821-0937-5512-8640-2279-6153-0498-7316"
        dialog._show_code(dialog.recovery_code)
        dialog._update_start()
        dialog._show(dialog.done_page)
    return dialog
