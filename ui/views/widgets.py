"""Small widgets and helpers shared by the screens (assessment wizard, case dialog)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QEvent, QEventLoop, QObject, Qt
from PySide6.QtGui import QShowEvent, QWheelEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.desk_services import DeskServices

EMPTY_TEXT = "未填"


def clear_layout(layout: QVBoxLayout | QGridLayout | QHBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.setParent(None)  # out of the tree now: findChild must not see it
            widget.deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())  # type: ignore[arg-type]  # a box or grid layout


def page_scroll(content: QWidget, name: str = "") -> QScrollArea:
    """``content`` in a frameless area that scrolls up and down only (its width follows the
    page): a page body that scrolls at 特大 text or on a small screen instead of clipping."""
    scroll = QScrollArea()
    if name:
        scroll.setObjectName(name)
    scroll.setWidget(content)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll


def plain_label(text: str, role: str | None = None, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if role:
        label.setProperty("role", role)
    return label


class NoWheelUnlessFocused(QObject):
    """Scrolling a long page must not change a spin box or date the pointer passes over."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        wheel = isinstance(event, QWheelEvent)
        if wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()
            return True
        return False


WHEEL_GUARD = NoWheelUnlessFocused()


class OptionalDateEdit(QDateEdit):
    """A date edit that can be empty: the sentinel minimum date reads '未填'. When empty, the
    calendar opens on the current month rather than on the sentinel year."""

    SENTINEL = QDate(1900, 1, 1)

    def __init__(self, today: date, empty_text: str = EMPTY_TEXT) -> None:
        super().__init__()
        self._today = today
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(self.SENTINEL)
        self.setSpecialValueText(empty_text)
        self.setDate(self.SENTINEL)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.installEventFilter(WHEEL_GUARD)
        self.calendarWidget().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        shown = watched is self.calendarWidget() and event.type() == QEvent.Type.Show
        if shown and self.value() is None:
            self.calendarWidget().setCurrentPage(self._today.year, self._today.month)
        return super().eventFilter(watched, event)

    def value(self) -> date | None:
        current = self.date()
        if current == self.SENTINEL:
            return None
        return date(current.year(), current.month(), current.day())

    def set_value(self, value: date | None) -> None:
        if value is None:
            self.setDate(self.SENTINEL)
        else:
            self.setDate(QDate(value.year, value.month, value.day))


def run_and_wait(desk: DeskServices, task: Callable[[], Any]) -> Any:
    """Run a task through the desk's runner and wait for it (screenshots only, not the GUI)."""
    box: dict[str, Any] = {}
    loop = QEventLoop()

    def done(value: Any) -> None:
        box["value"] = value
        loop.quit()

    def failed(err: BaseException) -> None:
        box["error"] = err
        loop.quit()

    desk.runner.submit(task, done, failed)
    if "value" not in box and "error" not in box:
        loop.exec()
    if "error" in box:
        raise box["error"]
    return box["value"]


class ReloadWhenShown:
    """Mixin for pages that read the vault for what they show (待办, 个案, 报表): a caseload
    change while the page is hidden only marks it stale; it reloads when shown, so a save does
    not redo every page's work. The page sets ``_store``, ``_stale``, ``_loaded_once`` and
    implements ``reload()`` (which clears ``_stale``)."""

    _store: Any
    _stale: bool
    _loaded_once: bool

    def reload(self) -> None:
        raise NotImplementedError

    def _caseload_changed(self, _caseload: object) -> None:
        self._stale = True
        if self.isVisible() or not self._loaded_once:  # type: ignore[attr-defined]
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)  # type: ignore[misc]
        if self._stale and self._store.caseload is not None:
            self.reload()
