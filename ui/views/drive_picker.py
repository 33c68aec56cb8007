"""Where to write or read a USB file: a removable drive (found by ``removable_drives``) or a
folder chosen by hand. Used by the enrollment form, the 同步 page and the backup dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QPushButton, QWidget

from sync.laptop.usb import removable_drives


class DrivePicker(QWidget):
    """A removable drive (found by ``removable_drives``) or a folder chosen by hand."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        combo_name: str = "drive",
        choose_name: str = "choose_folder",
    ) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setObjectName(combo_name)
        self.combo.setPlaceholderText("没有找到U盘")
        self.combo.setMinimumContentsLength(12)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.clicked.connect(self.refresh)
        self.choose_button = QPushButton("选择文件夹…")
        self.choose_button.setObjectName(choose_name)
        self.choose_button.clicked.connect(self._choose)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.choose_button)
        self.refresh()

    def refresh(self) -> None:
        current = self.combo.currentData()
        self.combo.clear()
        for drive in removable_drives():
            self.combo.addItem(f"U盘 {drive.label}", str(drive.path))
        if current and self.combo.findData(current) < 0:
            self.combo.addItem(str(current), current)
        if current:
            self.combo.setCurrentIndex(self.combo.findData(current))

    def set_folder(self, folder: Path) -> None:
        text = str(folder)
        if self.combo.findData(text) < 0:
            self.combo.addItem(text, text)
        self.combo.setCurrentIndex(self.combo.findData(text))

    def folder(self) -> Path | None:
        data = self.combo.currentData()
        return Path(str(data)) if data else None

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "选择U盘或文件夹")
        if folder:
            self.set_folder(Path(folder))
