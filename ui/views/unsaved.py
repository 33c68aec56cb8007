"""Noticing unsaved input in a dialog, whichever way it is closed (a button, Esc, the title
bar's ×): every field's change signal marks the dialog edited."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)


class EditTracker:
    """Watches the fields that exist when it is made; ``edited`` turns True on any change."""

    def __init__(self, root: QWidget) -> None:
        self.edited = False
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

    def _mark(self, *_args: object) -> None:
        self.edited = True


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
