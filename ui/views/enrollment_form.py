"""Enrolling this laptop with the district (docs/sync-protocol.md §3): one form, used by the
first-run wizard's district page and by the 同步 page.

- 联网注册: the server address and the one-time code, then 连接. One request; the device keys
  are made and kept in the vault, the district's keys are pinned and the escrow slot written
  (all inside ``LaptopSync.enroll_network``).
- 用U盘注册: first write the enrollment request (``<device_id>.cdenroll``) to a removable drive
  or a chosen folder; the district imports it and gives back ``<device_id>.cdenrolled``, which
  can be loaded here or later on the 同步 page (从U盘导入).

Every engine call runs on the vault runner (the serial worker: keys and enrollment live in the
vault); only results come back to the GUI thread. Errors are plain Chinese with what to do
(ui/views/enrollment_texts.py, with the checks of the typed code and address).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sync.documents import Enrollment
from sync.laptop.engine import ENROLL_REQUEST_TYPE, LaptopSync
from ui.tasks import Runner
from ui.views.drive_picker import DrivePicker
from ui.views.enrollment_texts import (
    AlreadyEnrolledError,
    NoRequestError,
    code_problem,
    enroll_error_zh,
    normalize_code,
    normalize_server_url,
    response_error_zh,
    scope_text,
)

# re-exported: the screens and tests that enroll import them from here
__all__ = [
    "DrivePicker",
    "EnrollmentForm",
    "code_problem",
    "enroll_error_zh",
    "normalize_code",
    "normalize_server_url",
    "scope_text",
]

LATER_ON_SYNC_PAGE = "以后在“同步”页点“从U盘导入”"
OK_STYLE = "color: #2e7d32;"
ERROR_STYLE = "color: #c62828;"


class EnrollmentForm(QWidget):
    """Server address + code + 连接, and the two USB steps. Give it the engine and the vault
    runner with :meth:`attach` (the first-run wizard has no vault until its password page)."""

    enrolled = Signal(object)  # Enrollment
    request_written = Signal(object)  # Path of the request file
    said = Signal(str, bool)  # text, is_error
    busy_changed = Signal(bool)

    def __init__(
        self,
        engine: LaptopSync | None = None,
        runner: Runner | None = None,
        *,
        label: str = "",
        inline_messages: bool = True,
        later: str = LATER_ON_SYNC_PAGE,
        parent: QWidget | None = None,
    ) -> None:
        """``later``: where the response can be loaded afterwards (said in hints)."""
        super().__init__(parent)
        self.setObjectName("enrollment_form")
        self.later = later
        self.engine = engine
        self.runner = runner
        self.label = label
        self.busy = False
        self._blocked = False
        self.enrollment: Enrollment | None = None
        self.request_path: Path | None = None
        self._build(inline_messages)
        self._update_buttons()

    def attach(self, engine: LaptopSync, runner: Runner, *, label: str = "") -> None:
        self.engine, self.runner, self.label = engine, runner, label
        self._update_buttons()

    # ----- layout ------------------------------------------------------------------------

    def _build(self, inline_messages: bool) -> None:
        self.code_field = QLineEdit()
        self.code_field.setObjectName("enroll_code")
        self.code_field.setPlaceholderText("区民政局给的注册码，如 K7QM-3XPA-……")
        code_row = QFormLayout()
        code_row.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        code_row.addRow("注册码：", self.code_field)

        self.network_box = QGroupBox("联网注册")
        network = QFormLayout(self.network_box)
        network.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.server_field = QLineEdit()
        self.server_field.setObjectName("enroll_server")
        self.server_field.setPlaceholderText("例如 https://sync.example.gov.cn")
        self.connect_button = QPushButton("连接")
        self.connect_button.setObjectName("enroll_connect")
        self.connect_button.clicked.connect(self.enroll_network)
        self.server_field.returnPressed.connect(self.enroll_network)
        server_row = QHBoxLayout()
        server_row.addWidget(self.server_field, 1)
        server_row.addWidget(self.connect_button)
        network.addRow("服务器地址：", server_row)

        self.usb_box = QGroupBox("没有网络时：用U盘注册")
        usb = QVBoxLayout(self.usb_box)
        self.drives = DrivePicker(combo_name="enroll_drive", choose_name="enroll_choose_folder")
        drive_row = QFormLayout()
        drive_row.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        drive_row.addRow("U盘或文件夹：", self.drives)
        usb.addLayout(drive_row)
        steps = QHBoxLayout()
        self.request_button = QPushButton("第一步：写入申请")
        self.request_button.setObjectName("enroll_write_request")
        self.request_button.clicked.connect(self.write_request)
        self.response_button = QPushButton("第二步：载入回复文件…")
        self.response_button.setObjectName("enroll_load_response")
        self.response_button.clicked.connect(self._choose_response)
        steps.addWidget(self.request_button)
        steps.addWidget(self.response_button)
        steps.addStretch(1)
        usb.addLayout(steps)
        usb_hint = QLabel(
            "写入申请后，把U盘带到区民政局导入，区里会在U盘上放一个回复文件。"
            f"回复文件可以现在载入，也可以{self.later}完成注册。"
        )
        usb_hint.setObjectName("enroll_usb_hint")
        usb_hint.setProperty("role", "hint")
        usb_hint.setWordWrap(True)
        usb.addWidget(usb_hint)

        self.progress = QProgressBar()
        self.progress.setObjectName("enroll_progress")
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("enroll_progress_text")
        busy_row = QHBoxLayout()
        busy_row.addWidget(self.progress_label)
        busy_row.addWidget(self.progress, 1)
        self.progress.hide()
        self.progress_label.hide()

        self.message_label = QLabel("")
        self.message_label.setObjectName("enroll_message")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setVisible(False)
        self._inline = inline_messages

        self.result_label = QLabel("")
        self.result_label.setObjectName("enroll_result")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setStyleSheet(
            "background: #e8f5e9; color: #1b5e20; padding: 10px; border-radius: 4px;"
        )
        self.result_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.inputs = QWidget()
        inputs = QVBoxLayout(self.inputs)
        inputs.setContentsMargins(0, 0, 0, 0)
        inputs.addLayout(code_row)
        inputs.addWidget(self.network_box)
        inputs.addWidget(self.usb_box)
        layout.addWidget(self.inputs)
        layout.addLayout(busy_row)
        layout.addWidget(self.message_label)
        layout.addWidget(self.result_label)

    # ----- state -------------------------------------------------------------------------

    def set_blocked(self, blocked: bool) -> None:
        """Other sync work is running (the 同步 page): the buttons wait."""
        self._blocked = blocked
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = self.engine is not None and not self.busy and not self._blocked
        for button in (self.connect_button, self.request_button, self.response_button):
            button.setEnabled(ready)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.progress_label.setText(text)
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)
        self._update_buttons()
        self.busy_changed.emit(busy)

    def _say(self, text: str, *, error: bool) -> None:
        if self._inline:
            self.message_label.setText(text)
            self.message_label.setStyleSheet(ERROR_STYLE if error else OK_STYLE)
            self.message_label.setVisible(bool(text))
        self.said.emit(text, error)

    @property
    def message(self) -> str:
        return self.message_label.text()

    def _run(
        self,
        text: str,
        task: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        if self.busy or self.runner is None:
            return
        self._say("", error=False)
        self._set_busy(True, text)

        def ok(value: Any) -> None:
            if shiboken6.isValid(self):  # the wizard may have been closed meanwhile
                self._set_busy(False)
                done(value)

        def bad(err: BaseException) -> None:
            if shiboken6.isValid(self):
                self._set_busy(False)
                failed(err)

        self.runner.submit(task, ok, bad)

    # ----- network -----------------------------------------------------------------------

    def enroll_network(self) -> None:
        engine = self.engine
        if engine is None or self.busy:
            return
        url = normalize_server_url(self.server_field.text())
        if not url:
            self._say(
                "请填写区民政局给的服务器地址（如 https://sync.example.gov.cn），"
                "地址里不能有空格。",
                error=True,
            )
            self.server_field.setFocus()
            return
        code, label = self._checked_code(), self.label
        if code is None:
            return
        self._run_unenrolled(
            "正在连接区服务器，请稍候…",
            lambda: engine.enroll_network(url, code, label=label),
            self._enrolled,
        )

    def _checked_code(self) -> str | None:
        """The enrollment code as typed, or None after saying what is wrong with it."""
        problem = code_problem(self.code_field.text())
        if problem:
            self._say(problem, error=True)
            self.code_field.setFocus()
            return None
        return self.code_field.text().strip()

    def _run_unenrolled(
        self, text: str, action: Callable[[], Any], done: Callable[[Any], None]
    ) -> None:
        """Run an enrollment step on the worker, refusing a laptop that is enrolled already."""
        engine = self.engine
        assert engine is not None

        def task() -> Any:
            pinned = engine.enrollment()
            if pinned is not None:
                raise AlreadyEnrolledError(pinned)
            return action()

        self._run(text, task, done, lambda err: self._say(enroll_error_zh(err), error=True))

    def _enrolled(self, enrollment: Enrollment) -> None:
        self.enrollment = enrollment
        self.code_field.clear()
        self.inputs.hide()
        self.message_label.hide()
        self.result_label.setText(
            "注册成功，这台电脑已经连上区民政局。\n"
            + scope_text(enrollment, self.label)
            + "\n请打电话和区民政局核对区编号。"
            + self._scope_warning(enrollment)
        )
        self.result_label.show()
        self.enrolled.emit(enrollment)

    def _scope_warning(self, enrollment: Enrollment) -> str:
        if self.label and self.label not in enrollment.villages:
            return (
                f"\n注意：您填写的村代码 {self.label} 不在上面的范围里，"
                "本村的资料区里不会接收。请联系区民政局核对。"
            )
        return ""

    # ----- USB ---------------------------------------------------------------------------

    def write_request(self) -> None:
        engine = self.engine
        if engine is None or self.busy:
            return
        folder = self.drives.folder()
        if folder is None:
            self._say("请先插入U盘，点“刷新”（或点“选择文件夹…”）。", error=True)
            return
        code, label = self._checked_code(), self.label
        if code is None:
            return
        self._run_unenrolled(
            "正在写入注册申请…",
            lambda: engine.enrollment_request_file(folder, code, label=label),
            self._requested,
        )

    def _requested(self, path: Path) -> None:
        self.request_path = Path(path)
        self._say(
            f"注册申请已写入并核对无误（{Path(path).name}），可以拔出U盘。"
            "请带到区民政局导入；区里给了回复文件后，点“第二步：载入回复文件…”，"
            f"或{self.later}完成注册。",
            error=False,
        )
        self.request_written.emit(Path(path))

    def _choose_response(self) -> None:
        if self.engine is None:
            return
        start = self.drives.folder()
        name, _filter = QFileDialog.getOpenFileName(
            self,
            "选择区里给的注册回复文件",
            str(start or ""),
            "注册回复文件 (*.cdenrolled);;所有文件 (*)",
        )
        if name:
            self.load_response(Path(name))

    def load_response(self, path: Path) -> None:
        engine = self.engine
        if engine is None or self.busy:
            return
        device_id = engine.vault.device_id

        def accept() -> Enrollment:
            pinned = engine.enrollment()
            if pinned is not None:
                raise AlreadyEnrolledError(pinned)
            if not engine.vault.load(ENROLL_REQUEST_TYPE).revisions:
                raise NoRequestError("no request written yet")
            return engine.accept_enrollment_file(Path(path))

        self._run(
            "正在载入回复文件…",
            accept,
            self._enrolled,
            lambda err: self._say(response_error_zh(err, device_id), error=True),
        )
