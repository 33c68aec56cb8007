"""Showing errors a user can hit, in plain Chinese with what to do next."""

from __future__ import annotations

import logging
from typing import ClassVar

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QSizePolicy, QWidget

from app.domain.problems import DomainValidationError
from storage.errors import VaultError

log = logging.getLogger("childdesk.ui")


def user_message(err: BaseException) -> str:
    if isinstance(err, VaultError | DomainValidationError):
        return err.message_zh
    if hasattr(err, "problems"):  # questionnaire AnswerError: the details sit on the questions
        return (
            f"评估还有 {len(err.problems)} 处没有填写或填写有误，请按页面上的红字提示补充后再完成。"
        )
    log.error("unexpected error (%s)", type(err).__name__)
    return "程序遇到了意外的问题，刚才的操作没有完成。已保存的数据不受影响。请重试，若仍不行请联系技术人员。"


def show_error(parent: QWidget | None, err: BaseException, title: str = "操作没有完成") -> None:
    QMessageBox.warning(parent, title, user_message(err))


def confirm(parent: QWidget | None, title: str, text: str, ok_text: str = "确定") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.exec()
    return box.clickedButton() is yes


class ErrorLabel(QLabel):
    """A message beside the fields it is about: red for a mistake, grey while something runs.

    It wraps, and it always gets the full height of its wrapped text: a top-level window does
    not grow for a word-wrapped label by itself (its layout's minimum ignores height-for-width),
    so the label asks for the height its text needs at its current width, and again whenever
    its width or font (text size 特大) changes; the window then grows to fit. Empty, it takes no
    room at all.
    """

    def __init__(self, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        if name:
            self.setObjectName(name)
        self.setProperty("role", "error")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hide()

    _TONES: ClassVar[dict[str, str]] = {
        "error": "color: #c62828;",
        "progress": "color: #616161;",
        "ok": "color: #2e7d32; font-weight: bold;",
    }

    def say(self, text: str, *, tone: str = "error") -> None:
        """Show ``text``: a mistake (``tone="error"``, red), something under way ("progress",
        grey) or done ("ok", green). An empty text clears."""
        self.setProperty("role", "error" if tone == "error" else "hint")
        sheet = self._TONES[tone]
        if self.styleSheet() != sheet:
            self.setStyleSheet(sheet)
        super().setText(text)
        self.setVisible(bool(text))
        self._fit()

    def setText(self, text: str) -> None:
        self.say(text)

    def clear(self) -> None:
        self.say("")

    def clear_when_edited(self, *fields: QLineEdit) -> None:
        """A message about these fields goes away as soon as the user changes one of them."""
        for field in fields:
            field.textEdited.connect(self._edited)

    def _edited(self, _text: str) -> None:
        self.clear()

    def _fit(self) -> None:
        if not self.text():
            self.setMinimumHeight(0)
            return
        width = self.contentsRect().width()
        if width <= 0:
            return  # not laid out yet: resizeEvent fits it
        need = self.heightForWidth(self.width())
        if need > 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()
