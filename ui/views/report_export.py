"""导出表格 from the 报表 screen: the month's figures and its list of children as an .xlsx
(app/registers/monthly_export.py), and the save step every export window shares.

:class:`ExportDialog` is that shared step (the children list's 导出表格 uses it too): it says
in plain Chinese that the file holds personal data, offers a password (the default: an
encrypted workbook Excel and WPS open with it) and asks where to save. The workbook is written
off the GUI thread (on the runner) and atomically: into a partial file beside the chosen one,
renamed over it only when whole, so a full disk or a USB stick pulled out half-way leaves no
half file, and the message says what happened and what to do. Nothing is written anywhere
but the chosen place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.registers.xlsx_export import atomic_export
from ui.tasks import Runner
from ui.ui_settings import UiSettings
from ui.views.messages import user_message
from ui.window_fit import fit_window

WARNING_ZH = (
    "导出的表格里有儿童的姓名、身份证号、家庭情况等个人信息，一旦流出难以收回。"
    "建议设置打开密码（默认已勾选），只保存在自己的电脑或单位的加密U盘上，"
    "用完及时删除，不要通过微信、QQ 随意转发。"
)

# Writes the workbook to the open file (optionally encrypted); returns what it counted.
Writer = Callable[[BinaryIO, str | None], int]


class ExportDialog(QDialog):
    """The shared window: subclasses put their own widgets in :attr:`options` and give
    :meth:`writer`, :meth:`suggested_name` and :meth:`done_text`."""

    WIDTH, MIN_HEIGHT = 580, 420  # client size; taller when its texts need it (showEvent)

    def __init__(
        self,
        runner: Runner,
        intro: str,
        parent: QWidget | None = None,
        settings: UiSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._settings = settings or UiSettings()
        self._busy = False
        intro_label = QLabel(intro)
        intro_label.setObjectName("intro")
        intro_label.setWordWrap(True)
        warning = QLabel(WARNING_ZH)
        warning.setObjectName("warning")
        warning.setWordWrap(True)
        warning.setStyleSheet("color: #7a4a00;")
        self.options = QVBoxLayout()
        self.encrypt = QCheckBox("设置打开密码（推荐）")
        self.encrypt.setObjectName("encrypt")
        self.encrypt.setChecked(True)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("repeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("打开密码：", self.password)
        form.addRow("再输一遍：", self.repeat)
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_button = QPushButton("保存…")
        self.save_button.setObjectName("save")
        self.close_button = QPushButton("关闭")
        self.close_button.setObjectName("close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro_label)
        layout.addWidget(warning)
        layout.addLayout(self.options)
        layout.addWidget(self.encrypt)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.encrypt.toggled.connect(self.password.setEnabled)
        self.encrypt.toggled.connect(self.repeat.setEnabled)
        self.save_button.clicked.connect(self._save)
        self.close_button.clicked.connect(self.close)
        fit_window(self, self.WIDTH, self.MIN_HEIGHT)
        self._fitted_to_content = False

    def showEvent(self, event: QShowEvent) -> None:
        # Fitted again at the first show, when a subclass has added its options and the text
        # size applies: as tall as the wrapped texts need at this width (a window does not grow
        # for its labels' height-for-width by itself; at 特大 the warning was cut in half).
        if not self._fitted_to_content:
            self._fitted_to_content = True
            layout = self.layout()
            needed = layout.totalHeightForWidth(self.WIDTH) if layout is not None else 0
            fit_window(self, self.WIDTH, max(self.MIN_HEIGHT, needed))
        super().showEvent(event)

    # ----- what a subclass gives ---------------------------------------------------------

    def writer(self) -> Writer:
        raise NotImplementedError

    def suggested_name(self) -> str:
        raise NotImplementedError

    def done_text(self, count: int, path: Path) -> str:
        return f"已导出到 {path}"

    # ----- saving ------------------------------------------------------------------------

    def chosen_password(self) -> tuple[bool, str | None]:
        """(ok, password): ok is False when the password boxes need the user first."""
        if not self.encrypt.isChecked():
            return True, None
        password = self.password.text()
        if not password:
            self.say("请设置打开密码，或取消勾选“设置打开密码”。", error=True)
            return False, None
        if password != self.repeat.text():
            self.say("两次输入的密码不一样，请重新输入。", error=True)
            return False, None
        return True, password

    def _save(self) -> None:
        ok, password = self.chosen_password()
        if not ok:
            return
        folder = self._settings.last_save_folder or str(Path.home())
        suggested = str(Path(folder) / self.suggested_name())
        name, _ = QFileDialog.getSaveFileName(self, "导出到", suggested, "Excel 表格 (*.xlsx)")
        if name:
            self.save_to(Path(name).with_suffix(".xlsx"), password)

    def save_to(self, path: Path, password: str | None) -> None:
        """Write ``path`` on the runner, whole or not at all (tests call this directly)."""
        if self._busy:
            return
        write = self.writer()

        def task() -> int:
            with atomic_export(path) as out:
                return write(out, password)

        self._busy = True
        self.save_button.setEnabled(False)
        self.say("正在导出…")
        self._runner.submit(task, lambda n: self._saved(path, n, password), self._failed)

    def _saved(self, path: Path, count: int, password: str | None) -> None:
        self._busy = False
        self._settings.last_save_folder = str(path.parent)
        self.save_button.setEnabled(True)
        locked = "，打开时需要输入您设置的密码" if password else "（没有设置密码，请妥善保管）"
        self.say(self.done_text(count, path) + locked + "。")

    def _failed(self, err: BaseException) -> None:
        self._busy = False
        self.save_button.setEnabled(True)
        self.say("没有导出，所选位置没有留下不完整的文件。" + user_message(err), error=True)

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #a40000;" if error else "")

    def reject(self) -> None:  # closing while the file is written: it finishes first
        if self._busy:
            self.say("正在导出，请稍等…")
            return
        super().reject()


class MonthlyExportDialog(ExportDialog):
    """报表 → 导出表格: the chosen month's figures and children (already computed on the
    page: nothing is read from the vault here)."""

    def __init__(
        self,
        runner: Runner,
        figures: Any,
        records: Any,
        village: str,
        parent: QWidget | None = None,
        settings: UiSettings | None = None,
    ) -> None:
        from app.services.monthly_report import followed_children

        self._figures, self._records, self._village = figures, records, village
        count = len(followed_children(records, figures))
        intro = (
            f"将{figures.month.label_zh}的月度报表导出为 Excel 表格：统计数字、应走访名单、"
            f"本月走访、等级变化，以及在册儿童名单（{count} 名，登记表格式）。"
        )
        super().__init__(runner, intro, parent, settings)
        self.setObjectName("monthly_export")
        self.setWindowTitle("导出月度报表")

    def writer(self) -> Writer:
        from app.registers.monthly_export import export_monthly

        figures, records, village = self._figures, self._records, self._village
        return lambda out, password: export_monthly(
            out, figures, records, village=village, password=password
        )

    def suggested_name(self) -> str:
        return f"月度工作报表-{self._figures.month}.xlsx"

    def done_text(self, count: int, path: Path) -> str:
        return f"已导出{self._figures.month.label_zh}的月度报表（在册儿童 {count} 名）到 {path}"


def open_report_export(page: QWidget, desk: Any, figures: Any, records: Any) -> QDialog | None:
    """From the 报表 screen's 导出表格 button: the month shown there."""
    if figures is None or records is None:
        return None
    dialog = MonthlyExportDialog(desk.runner, figures, records, desk.village_code or "", page)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setModal(True)
    dialog.show()
    return dialog


def today_name(kind: str) -> str:
    return f"{kind}-{date.today().isoformat()}.xlsx"
