"""导出表格: the children shown in the list, as an .xlsx (app/registers/xlsx_export.py).

The save step (the personal-data warning, the password offered by default, where to save,
written off the GUI thread and atomically) is the one every export window shares:
:class:`ui.views.report_export.ExportDialog`. Loading the files and writing run on the vault
runner; nothing is written anywhere but the chosen file.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from PySide6.QtWidgets import QRadioButton, QWidget

from app.registers.xlsx_export import Layout, export_children
from app.services.children import ChildService
from ui.tasks import Runner
from ui.ui_settings import UiSettings
from ui.views.report_export import WARNING_ZH, ExportDialog, Writer, today_name

__all__ = ["WARNING_ZH", "RegisterExportDialog"]


class RegisterExportDialog(ExportDialog):
    def __init__(
        self,
        children: ChildService,
        runner: Runner,
        child_ids: list[str],
        parent: QWidget | None = None,
        settings: UiSettings | None = None,
    ) -> None:
        self._children = children
        self._ids = list(child_ids)
        intro = f"将导出列表中现在显示的 {len(self._ids)} 名儿童（按列表的筛选和顺序）。"
        super().__init__(runner, intro, parent, settings)
        self.setObjectName("register_export")
        self.setWindowTitle("导出表格")
        self.register_layout = QRadioButton(
            "登记表格式（两行表头，同《农村留守儿童基本情况登记表》）"
        )
        self.register_layout.setChecked(True)
        self.flat_layout = QRadioButton("简单名单（一行表头，便于筛选、排序）")
        self.options.addWidget(self.register_layout)
        self.options.addWidget(self.flat_layout)
        self.save_button.setEnabled(bool(self._ids))

    def _layout(self) -> Layout:
        return "register" if self.register_layout.isChecked() else "flat"

    def writer(self) -> Writer:
        ids, children, layout = list(self._ids), self._children, self._layout()

        def write(out: BinaryIO, password: str | None) -> int:
            files = [children.get(i).value for i in ids]  # on the vault runner
            return export_children(out, files, layout=layout, password=password)

        return write

    def suggested_name(self) -> str:
        return today_name("儿童名单")

    def done_text(self, count: int, path: Path) -> str:
        return f"已导出 {count} 名儿童到 {path}"
