"""A repeat group of the wizard: one block per person (a guardian), with 添加 and 删除."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app.questionnaire.model import Repeat
from ui.views.assessment_wizard.questions import QuestionWidget
from ui.views.widgets import clear_layout as _clear_layout
from ui.views.widgets import plain_label as _label


class RepeatWidget(QFrame):
    """A repeat group: one block per person, with 添加 and 删除 buttons."""

    add_requested = Signal(str)
    remove_requested = Signal(str, int)

    def __init__(self, repeat: Repeat) -> None:
        super().__init__()
        self.repeat = repeat
        self.setObjectName(repeat.id)
        self.setProperty("role", "repeat")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.addWidget(_label(repeat.label, "title"))
        if repeat.hint:
            layout.addWidget(_label(repeat.hint, "hint"))
        self.prefill_note = _label("", "hint")
        self.prefill_note.setObjectName("prefill_note")
        self.prefill_note.setFrameShape(QFrame.Shape.StyledPanel)
        self.prefill_note.setContentsMargins(8, 6, 8, 6)
        self.prefill_note.hide()
        layout.addWidget(self.prefill_note)
        self.blocks_layout = QVBoxLayout()
        self.blocks_layout.setSpacing(12)
        layout.addLayout(self.blocks_layout)
        self.message = _label("", "error")
        self.message.setObjectName("message")
        self.message.hide()
        layout.addWidget(self.message)
        self.add_button = QPushButton(self.tr("＋ 再添加一位"))
        self.add_button.setObjectName(f"add_{repeat.id}")
        self.add_button.clicked.connect(lambda: self.add_requested.emit(self.repeat.id))
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.blocks: list[QFrame] = []
        self.block_titles: list[QLabel] = []
        self.remove_buttons: list[QPushButton] = []

    def clear_blocks(self) -> None:
        _clear_layout(self.blocks_layout)
        self.blocks.clear()
        self.block_titles.clear()
        self.remove_buttons.clear()

    def add_block(self, index: int, widgets: list[QuestionWidget]) -> None:
        block = QFrame()
        block.setObjectName(f"{self.repeat.id}[{index}]")
        block.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(block)
        header = QHBoxLayout()
        title = _label("", "title")
        header.addWidget(title, 1)
        remove = QPushButton(self.tr("删除这一位"))
        remove.setObjectName(f"remove_{self.repeat.id}[{index}]")
        remove.clicked.connect(lambda: self.remove_requested.emit(self.repeat.id, index))
        header.addWidget(remove)
        layout.addLayout(header)
        for widget in widgets:
            layout.addWidget(widget)
        self.blocks_layout.addWidget(block)
        block.show()  # now, not when the layout gets round to it
        self.blocks.append(block)
        self.block_titles.append(title)
        self.remove_buttons.append(remove)

    def update_controls(self, read_only: bool) -> None:
        count = len(self.blocks)
        can_add = self.repeat.max_count is None or count < self.repeat.max_count
        self.add_button.setVisible(not read_only)
        self.add_button.setEnabled(can_add)
        for button in self.remove_buttons:
            button.setVisible(not read_only and count > self.repeat.min_count)

    def show_message(self, text: str | None) -> None:
        self.message.setText("⚠ " + text if text else "")
        self.message.setVisible(bool(text))
