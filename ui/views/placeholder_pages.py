"""Simple pages: 同步 until the sync issues land."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class SyncPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("sync_page")
        title = QLabel(self.tr("同步"))
        title.setProperty("role", "title")
        text = QLabel(
            self.tr(
                "与区民政局服务器同步（联网或U盘）的功能正在开发中，将在后续版本提供。\n"
                "现在所有资料都加密保存在这台电脑上，不联网也能完整使用；请按时备份。"
            )
        )
        text.setObjectName("sync_notice")
        text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addStretch(1)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
