"""Noticing unsaved input in a dialog, whichever way it is closed (a button, Esc, the title
bar's ×): every field's change signal marks the dialog edited."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)


class EditTracker:
    """Watches the fields that exist when it is made; ``edited`` turns True on any change
    (and ``on_edit`` is called: the session keeps the input as a draft a moment later)."""

    def __init__(self, root: QWidget, on_edit: Callable[[], None] | None = None) -> None:
        from ui.views.date_field import DateField

        self.edited = False
        self._on_edit = on_edit
        for field in root.findChildren(QLineEdit):
            field.textEdited.connect(self._mark)
        for text in root.findChildren(QPlainTextEdit):
            text.textChanged.connect(self._mark)
        for rich in root.findChildren(QTextEdit):
            rich.textChanged.connect(self._mark)
        for combo in root.findChildren(QComboBox):
            combo.activated.connect(self._mark)
        for button in root.findChildren(QAbstractButton):
            if button.isCheckable():
                button.clicked.connect(self._mark)
        for day in root.findChildren(DateField):  # a date picked on its calendar, too
            day.edited.connect(self._mark)

    def _mark(self, *_args: object) -> None:
        self.edited = True
        if self._on_edit is not None:
            self._on_edit()


def ask_save(parent: QWidget, text: str) -> str:
    """'save', 'discard' or 'cancel', asked before unsaved input would be lost."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Question, "有未保存的修改", text, parent=parent)
    save = box.addButton("保存", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("不保存", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(save)
    box.exec()
    clicked = box.clickedButton()
    return "save" if clicked is save else "discard" if clicked is discard else "cancel"
