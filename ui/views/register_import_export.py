"""导出表格: the children shown in the list, as an .xlsx (app/registers/xlsx_export.py).

The screen says in plain Chinese that the file holds personal data, offers a password (the
default: an encrypted workbook Excel and WPS open with it) and asks where to save. Loading the
files and writing run on the vault runner; nothing is written anywhere but the chosen file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.registers.xlsx_export import Layout, export_children, open_for_export
from app.services.children import ChildService
from ui.tasks import Runner
from ui.ui_settings import UiSettings
from ui.views.messages import user_message

WARNING_ZH = (
    "导出的表格里有儿童的姓名、身份证号、家庭情况等个人信息，一旦流出难以收回。"
    "建议设置打开密码（默认已勾选），只保存在自己的电脑或单位的加密U盘上，"
    "用完及时删除，不要通过微信、QQ 随意转发。"
)


class RegisterExportDialog(QDialog):
    def __init__(
        self,
        children: ChildService,
        runner: Runner,
        child_ids: list[str],
        parent: QWidget | None = None,
        settings: UiSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("register_export")
        self.setWindowTitle("导出表格")
        self._children = children
        self._runner = runner
        self._ids = list(child_ids)
        self._settings = settings or UiSettings()

        count = QLabel(f"将导出列表中现在显示的 {len(self._ids)} 名儿童（按列表的筛选和顺序）。")
        count.setWordWrap(True)
        warning = QLabel(WARNING_ZH)
        warning.setObjectName("warning")
        warning.setWordWrap(True)
        warning.setStyleSheet("color: #7a4a00;")
        self.register_layout = QRadioButton(
            "登记表格式（两行表头，同《农村留守儿童基本情况登记表》）"
        )
        self.register_layout.setChecked(True)
        self.flat_layout = QRadioButton("简单名单（一行表头，便于筛选、排序）")
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
        self.save_button = QPushButton("保存…")
        self.save_button.setObjectName("save")
        self.save_button.setEnabled(bool(self._ids))
        close = QPushButton("关闭")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        for widget in (count, warning, self.register_layout, self.flat_layout, self.encrypt):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self.encrypt.toggled.connect(self.password.setEnabled)
        self.encrypt.toggled.connect(self.repeat.setEnabled)
        self.save_button.clicked.connect(self._save)
        close.clicked.connect(self.close)
        self.resize(560, 380)

    def _layout(self) -> Layout:
        return "register" if self.register_layout.isChecked() else "flat"

    def _save(self) -> None:
        password = None
        if self.encrypt.isChecked():
            password = self.password.text()
            if not password:
                self._say("请设置打开密码，或取消勾选“设置打开密码”。", error=True)
                return
            if password != self.repeat.text():
                self._say("两次输入的密码不一样，请重新输入。", error=True)
                return
        folder = self._settings.last_save_folder or str(Path.home())
        suggested = str(Path(folder) / f"儿童名单-{date.today().isoformat()}.xlsx")
        name, _ = QFileDialog.getSaveFileName(self, "导出到", suggested, "Excel 表格 (*.xlsx)")
        if name:
            self.save_to(Path(name).with_suffix(".xlsx"), password)

    def save_to(self, path: Path, password: str | None) -> None:
        """Load the children and write ``path`` on the worker (tests call this directly)."""
        ids, children, layout = list(self._ids), self._children, self._layout()

        def task() -> int:
            files = [children.get(i).value for i in ids]
            with open_for_export(path) as out:
                return export_children(out, files, layout=layout, password=password)

        self.save_button.setEnabled(False)
        self._say("正在导出…")
        self._runner.submit(task, lambda n: self._saved(path, n, password), self._failed)

    def _saved(self, path: Path, count: int, password: str | None) -> None:
        self._settings.last_save_folder = str(path.parent)
        self.save_button.setEnabled(True)
        locked = "，打开时需要输入您设置的密码" if password else "（没有设置密码，请妥善保管）"
        self._say(f"已导出 {count} 名儿童到 {path}{locked}。")

    def _failed(self, err: BaseException) -> None:
        self.save_button.setEnabled(True)
        self._say("没有导出。" + user_message(err), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #a40000;" if error else "")
