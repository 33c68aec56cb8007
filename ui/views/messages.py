"""Showing errors a user can hit, in plain Chinese with what to do next."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QLabel,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QWidget,
)

from ui.error_texts import NOT_DONE_TITLE, user_message
from ui.window_fit import client_limit, frame_margins, usable_area

__all__ = ["ErrorLabel", "FullHeightLabel", "confirm", "show_error", "show_text", "user_message"]


def show_error(parent: QWidget | None, err: BaseException, title: str = NOT_DONE_TITLE) -> None:
    show_text(parent, title, user_message(err))


def show_text(parent: QWidget | None, title: str, text: str) -> None:
    """An error box with a text from ui/error_texts.py."""
    QMessageBox.warning(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str, ok_text: str = "确定") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.exec()
    return box.clickedButton() is yes


class FullHeightLabel(QLabel):
    """A word-wrapped label that always gets the full height of its text.

    A window does not grow for a word-wrapped label by itself (its layout's minimum ignores
    height-for-width, and a window with a fixed minimum size such as a QWizard ignores its
    page), so text is clipped or squeezed. This label asks for the height its text needs at its
    current width, again whenever its width or font (text size 特大) changes, and when the
    window's edge still cuts it off the window grows by what is missing (within the screen).
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def setText(self, text: str) -> None:  # Qt's name
        super().setText(text)
        self._fit()

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
        QTimer.singleShot(0, self, self._grow_window)

    def _grow_window(self) -> None:
        """Make the window tall enough for its content now that this text changed.

        Qt gives a window whose layout has height-for-width content (wrapped labels) no
        minimum height at all, and a QWizard keeps its fixed minimum whatever its page needs,
        so a longer text squeezes the rows or is cut off at the window's edge. The window grows
        to what its layout needs at its width, or by what of this label is cut off (within the
        usable screen). Inside a scroll area the label scrolls into view instead."""
        if not self.text() or not self.isVisible():
            return
        parent = self.parentWidget()
        while parent is not None and not parent.isWindow():
            if isinstance(parent, QAbstractScrollArea):
                if isinstance(parent, QScrollArea):
                    parent.ensureWidgetVisible(self)
                return
            parent = parent.parentWidget()
        window = self.window()
        need = window.height() + max(
            0, self.height() - self.visibleRegion().boundingRect().height()
        )
        layout = window.layout()
        if layout is not None:
            layout.activate()
            if layout.hasHeightForWidth():
                need = max(need, layout.totalHeightForWidth(window.width()))
            else:
                need = max(need, layout.totalMinimumSize().height())
        height = min(need, client_limit(window).height())
        if height > window.height():
            window.resize(window.width(), height)
            area, frame = usable_area(window), frame_margins(window)
            bottom = window.y() + frame.top() + height + frame.bottom()  # y(): the frame's
            if bottom > area.bottom():  # keep the grown window on the screen
                window.move(window.x(), max(area.top(), window.y() - (bottom - area.bottom())))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()


class ErrorLabel(FullHeightLabel):
    """A message beside the fields it is about: red for a mistake, grey while something runs,
    green when done. It wraps and gets its full height (:class:`FullHeightLabel`); empty, it
    takes no room at all; :meth:`clear_when_edited` makes it go as soon as the user changes a
    field it is about.
    """

    def __init__(self, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        if name:
            self.setObjectName(name)
        self.setProperty("role", "error")
        self.setTextFormat(Qt.TextFormat.PlainText)
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
        QLabel.setText(self, text)
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
