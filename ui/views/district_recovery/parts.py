"""Small widgets the recovery pages share: labels, headings, one page at a time."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

STEPS = ("写恢复申请", "区里答复", "设新密码")
CODE_STYLE = (
    "QLabel { background: #fffde7; border: 1px solid #f9a825; border-radius: 4px;"
    " padding: 8px 16px; }"
)
OK_STYLE = "QLabel { color: #2e7d32; }"


def text_label(text: str, role: str | None = None, name: str | None = None) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if role:
        label.setProperty("role", role)
    if name:
        label.setObjectName(name)
    return label


def enlarge(label: QLabel, factor: float = 1.5) -> QLabel:
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(True)
    label.setFont(font)
    return label


def titled_page(title: str) -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    heading = enlarge(text_label(title, "title"), 1.2)
    layout.addWidget(heading)
    return page, layout


class Pages(QWidget):
    """One page at a time, sized to the page showing (a QStackedWidget is as tall as its
    tallest page, and ignores the height wrapped text needs)."""

    def __init__(self) -> None:
        super().__init__()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._current: QWidget | None = None

    def addWidget(self, page: QWidget) -> None:
        self._layout.addWidget(page)
        page.hide()

    def setCurrentWidget(self, page: QWidget) -> None:
        if self._current is not None and self._current is not page:
            self._current.hide()
        self._current = page
        page.show()

    def currentWidget(self) -> QWidget | None:
        return self._current
