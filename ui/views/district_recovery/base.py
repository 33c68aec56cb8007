"""The recovery dialog's pages (not enrolled, request, waiting, answer, done), the steps line
above them, moving between pages and the busy state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storage.vault import Vault
from sync import recovery
from sync.laptop.usb import Drive, removable_drives
from ui.tasks import Runner
from ui.views.district_recovery.parts import (
    CODE_STYLE,
    STEPS,
    Pages,
    enlarge,
    text_label,
    titled_page,
)
from ui.views.drive_picker import DrivePicker
from ui.views.new_password_form import NewPasswordForm
from ui.views.widgets import page_scroll
from ui.window_fit import usable_area


class DistrictRecoveryBase(QDialog):
    """The pages, navigation between them and the busy state (see dialog.py)."""

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
        self.stack = Pages()
        self.checking_page, checking = titled_page(self.tr("请稍候…"))
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

    # what one part calls in another, declared for the type checker (each implemented in
    # the module named; at run time the class put together from the parts has them all)
    if TYPE_CHECKING:

        def _start(self) -> None: ...  # request.py
        def refresh_drives(self) -> None: ...  # request.py
        def write_request(self) -> None: ...  # request.py
        def _rewrite(self) -> None: ...  # request.py
        def go_to_apply(self) -> None: ...  # answer.py
        def find_grant(self, quiet: bool = False) -> None: ...  # answer.py
        def _choose_grant(self) -> None: ...  # answer.py
        def apply(self) -> None: ...  # answer.py
        def _print(self) -> None: ...  # answer.py
        def _update_start(self, *_args: Any) -> None: ...  # answer.py
        def _update_apply_button(self) -> None: ...  # answer.py

    # ----- pages ---------------------------------------------------------------------------

    def _build_not_enrolled(self) -> QWidget:
        page, layout = titled_page(self.tr("这台电脑不能请区里帮忙恢复"))
        layout.addWidget(
            text_label(
                self.tr(
                    "这台电脑没有在区民政局注册过同步，区里没有保管这台电脑的钥匙，"
                    "所以区里也打不开这里的档案库。"
                ),
                name="not_enrolled_text",
            )
        )
        layout.addWidget(
            text_label(
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
            text_label(
                self.tr("以后在“同步”页注册了这台电脑，区里就能帮忙恢复。"),
                "hint",
            )
        )
        layout.addWidget(text_label(self.tr("数据文件夹：{0}").format(self._data_dir), "hint"))
        layout.addStretch(1)
        return page

    def _build_request(self) -> QWidget:
        page, layout = titled_page(self.tr("密码和恢复码都找不到了？请区民政局帮忙"))
        layout.addWidget(
            text_label(
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
            text_label(
                self.tr("写申请不会改动这台电脑上的任何资料。申请里没有儿童的资料。"), "hint"
            )
        )
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("写到：")))
        self.drive_picker = DrivePicker(
            combo_name="request_folder",
            choose_name="choose_folder",
            refresh_name="refresh_drives",
            empty_text=self.tr("没有找到U盘：请插上U盘后点“刷新”"),
            width=16,
            select_first=True,
            lookup=self.refresh_drives,  # on the runner: a slow drive must not freeze the window
        )
        self.folder_combo = self.drive_picker.combo
        row.addWidget(self.drive_picker, 1)
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
        self.request_message = text_label("", "error", "request_message")
        layout.addWidget(self.request_message)
        layout.addStretch(1)
        return page

    def _build_waiting(self) -> QWidget:
        page, layout = titled_page(self.tr("恢复申请已写好，等区里答复"))
        self.waiting_note = text_label("", name="waiting_note")
        layout.addWidget(self.waiting_note)
        code_row = QHBoxLayout()
        code_row.addWidget(enlarge(QLabel(self.tr("核对码")), 1.2))
        self.check_code = enlarge(QLabel(""), 1.6)
        self.check_code.setObjectName("check_code")
        self.check_code.setStyleSheet(CODE_STYLE)
        self.check_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        code_row.addWidget(self.check_code)
        code_row.addStretch(1)
        layout.addLayout(code_row)
        layout.addWidget(
            text_label(
                self.tr(
                    "区里工作人员会打电话问您这个核对码，核对无误才会答复。请把它抄在纸上带着"
                    "（以后再打开这里也能看到），只告诉区民政局的工作人员。"
                )
            )
        )
        self.waiting_next = text_label("", name="waiting_next")
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
            text_label(
                self.tr(
                    "U盘丢了或申请文件坏了，可以重新写一份；重新写以后，旧申请和它的答复都作废。"
                ),
                "hint",
            )
        )
        layout.addStretch(1)
        return page

    def _build_apply(self) -> QWidget:
        page, layout = titled_page(self.tr("载入区里的答复，设新密码"))
        self.apply_intro = text_label("", name="apply_intro")
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
        self.grant_status = text_label("", name="grant_status")
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
        page, layout = titled_page(self.tr("档案库已打开"))
        layout.addWidget(
            text_label(
                self.tr("新密码已设好，资料都在。以后请用新密码解锁，旧密码不能再用了。"),
                name="done_text",
            )
        )
        self.code_intro = text_label(
            self.tr(
                "您的恢复码在下面。恢复码丢了，下次忘记密码就又要跑一趟区里——"
                "请现在抄在纸上或打印出来，和电脑分开放好，不要告诉别人："
            )
        )
        layout.addWidget(self.code_intro)
        self.code_label = enlarge(QLabel(""), 1.4)
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
        layout.addWidget(text_label(self.tr("以后也可以在“设置”页输入新密码再看恢复码。"), "hint"))
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

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)
