"""保存前请选择: a save from a form loaded before a newer revision was refused
(app.services.stale). Both values of every differing field are shown; the person chooses per
field, the newer one preselected, so nothing is overwritten without being seen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.stale import StaleRevisionError


class _ChoiceLabel(QLabel):
    """The value beside a radio button: wraps, and a click on it chooses it."""

    def __init__(self, text: str, button: QRadioButton) -> None:
        super().__init__(text)
        self._button = button
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._button.setChecked(True)
        super().mousePressEvent(event)


class StaleSaveDialog(QDialog):
    def __init__(
        self,
        err: StaleRevisionError,
        *,
        what: str,
        label: Callable[[str], str],
        text: Callable[[str, Any], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stale_save_dialog")
        self.setWindowTitle(self.tr("保存前请选择"))
        self._groups: dict[str, QButtonGroup] = {}
        self.theirs_buttons: dict[str, QRadioButton] = {}
        self.mine_buttons: dict[str, QRadioButton] = {}
        when = datetime.fromtimestamp(err.current_changed_at_ms / 1000).strftime("%Y-%m-%d %H:%M")
        intro = QLabel(
            self.tr(
                "您打开这份{0}之后，它在 {1} 又被保存过（{2}）。为了不覆盖新的内容，"
                "这次还没有保存。\n下面这些项目两边不一样，请逐项选择要保留哪一个，"
                "然后点“按选择保存”。"
            ).format(what, when, err.current_author)
        )
        intro.setObjectName("stale_intro")
        intro.setWordWrap(True)

        grid_holder = QWidget()
        grid = QGridLayout(grid_holder)
        grid.setHorizontalSpacing(6)
        for column, heading in ((0, "项目"), (1, "新版本（已保存的）"), (3, "您这次的修改")):
            title = QLabel(self.tr(heading))
            title.setProperty("role", "title")
            grid.addWidget(title, 0, column, 1, 2 if column else 1)
        for row, difference in enumerate(err.differences, start=1):
            name = difference.field
            group = QButtonGroup(self)
            theirs = QRadioButton()
            theirs.setObjectName(f"theirs_{name}")
            mine = QRadioButton()
            mine.setObjectName(f"mine_{name}")
            group.addButton(theirs)
            group.addButton(mine)
            theirs.setChecked(True)  # the newer one, unless the person chooses their own
            mine_text = text(name, difference.mine)
            if not difference.mine_changed:
                mine_text += self.tr("（您没有改这一项）")
            field_label = QLabel(label(name))
            field_label.setAlignment(Qt.AlignmentFlag.AlignTop)
            grid.addWidget(field_label, row, 0)
            grid.addWidget(theirs, row, 1, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(_ChoiceLabel(text(name, difference.theirs), theirs), row, 2)
            grid.addWidget(mine, row, 3, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(_ChoiceLabel(mine_text, mine), row, 4)
            self._groups[name] = group
            self.theirs_buttons[name] = theirs
            self.mine_buttons[name] = mine
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(4, 1)
        grid.setRowStretch(len(err.differences) + 1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_holder)

        buttons = QDialogButtonBox()
        save = buttons.addButton(self.tr("按选择保存"), QDialogButtonBox.ButtonRole.AcceptRole)
        save.setObjectName("stale_save")
        cancel = buttons.addButton(
            self.tr("先不保存，继续修改"), QDialogButtonBox.ButtonRole.RejectRole
        )
        cancel.setObjectName("stale_cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        # sized in lines of the current text (特大 too), never beyond the screen
        line = self.fontMetrics().height()
        wanted = QSize(48 * line, (9 + 3 * len(err.differences)) * line)
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None:
            wanted = wanted.boundedTo(QSize(screen.width() - 40, screen.height() - 80))
        self.resize(wanted)

    def take_theirs(self) -> set[str]:
        """The fields for which the newer value is kept."""
        return {name for name, button in self.theirs_buttons.items() if button.isChecked()}
