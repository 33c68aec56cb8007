"""Where to write or read a USB file: a removable drive (found by ``removable_drives``) or a
folder chosen by hand. Used by the enrollment form, the 同步 page, the backup dialog and the
district recovery request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QPushButton, QWidget

from sync.laptop.usb import Drive, removable_drives


class DrivePicker(QWidget):
    """A removable drive or a folder chosen by hand. By default the drives are looked up here
    (at once and on 刷新); give ``lookup`` to look them up elsewhere (e.g. on a worker) and
    hand the result to :meth:`fill`. ``select_first``: a drive found when nothing is chosen
    yet is chosen at once."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        combo_name: str = "drive",
        choose_name: str = "choose_folder",
        refresh_name: str = "",
        empty_text: str = "没有找到U盘",
        width: int = 12,
        select_first: bool = False,
        lookup: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._select_first = select_first
        self.combo = QComboBox()
        self.combo.setObjectName(combo_name)
        self.combo.setPlaceholderText(empty_text)
        self.combo.setMinimumContentsLength(width)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.setObjectName(refresh_name)
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(lookup or self.refresh)
        self.choose_button = QPushButton("选择文件夹…")
        self.choose_button.setObjectName(choose_name)
        self.choose_button.setAutoDefault(False)
        self.choose_button.clicked.connect(self._choose)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.choose_button)
        if lookup is None:
            self.refresh()

    def refresh(self) -> None:
        self.fill(removable_drives())

    def fill(self, drives: list[Drive]) -> None:
        """List ``drives``, keeping the folder chosen before (even when it is not a drive)."""
        current = self.combo.currentData()
        self.combo.clear()
        for drive in drives:
            self.combo.addItem(f"U盘 {drive.label}", str(drive.path))
        if current and self.combo.findData(current) < 0:
            self.combo.addItem(str(current), current)
        if current:
            self.combo.setCurrentIndex(self.combo.findData(current))
        elif self._select_first and self.combo.count():
            self.combo.setCurrentIndex(0)

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
