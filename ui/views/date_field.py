"""A date typed on the keyboard: a line edit that takes 2019-05-03 as typed (also 2019.5.3,
2019/5/3, 2019年5月3日, 20190503, full-width digits), may be empty, shows what is wrong with
a half-typed date, and has a 日历 button for picking with the mouse.

QDateEdit was hard to type into: its sections take digits only where the cursor happens to be,
so typing a date after clicking into the field did nothing until the year was double-clicked.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from datetime import date

from PySide6.QtCore import QDate, QPoint, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QWidget,
)

DATE_FORMAT_HINT = "如 2019-05-03"
# Separators as typed with a Chinese input method too: 。 and 、 for . and / (full-width
# －／． become -/. by NFKC below).
_PARTS = re.compile(r"^(\d{4})\s*[-/.年。、]\s*(\d{1,2})\s*[-/.月。、]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date_text(text: str) -> date | None:
    """The date in ``text``, or None when it is empty, half typed or no real day."""
    plain = unicodedata.normalize("NFKC", text).strip()
    match = _PARTS.match(plain) or _COMPACT.match(plain)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def date_text_problem(text: str) -> str | None:
    """What is wrong with a typed date (None when it is empty or a real day)."""
    plain = unicodedata.normalize("NFKC", text).strip()
    if not plain or parse_date_text(plain) is not None:
        return None
    if _PARTS.match(plain) or _COMPACT.match(plain):
        return "没有这一天，请核对年月日。"
    return f"日期请按年-月-日填写，{DATE_FORMAT_HINT}。"


class DateField(QWidget):
    """``value()`` is a date or None (empty or not a real day: see ``problem()``)."""

    edited = Signal()  # the text changed by the user
    date_changed = Signal(object)  # a complete, real date (or None when cleared) was entered

    def __init__(self, value: date | None = None, *, calendar_start: date | None = None) -> None:
        super().__init__()
        self._calendar_start = calendar_start or date.today()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(DATE_FORMAT_HINT)
        self.edit.setValidator(
            QRegularExpressionValidator(
                QRegularExpression(r"[0-9０-９\-/.年月日 　。、－／．]{0,16}")
            )
        )
        self.edit.setMaxLength(16)
        self.button = QToolButton()
        self.button.setText(self.tr("日历"))
        self.button.setToolTip(self.tr("在日历上选择日期"))
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)
        self.setFocusProxy(self.edit)
        self._calendar: QCalendarWidget | None = None
        self._last: date | None = None
        self.set_value(value)
        self.edit.textEdited.connect(self._typed)
        self.edit.editingFinished.connect(self._tidy)
        self.button.clicked.connect(self._open_calendar)

    def setObjectName(self, name: str) -> None:
        super().setObjectName(name)
        self.edit.setObjectName(name)  # tests and the end-to-end harness find the line edit

    # ----- value --------------------------------------------------------------------------

    def value(self) -> date | None:
        return parse_date_text(self.edit.text())

    def set_value(self, value: date | None) -> None:
        self.edit.setText(value.isoformat() if value else "")
        self._last = value

    def problem(self) -> str | None:
        return date_text_problem(self.edit.text())

    def is_empty(self) -> bool:
        return not self.edit.text().strip()

    # QDateEdit's names, so code and tests written for it keep working
    def date(self) -> QDate:
        value = self.value()
        return QDate(value.year, value.month, value.day) if value else QDate()

    def setDate(self, value: QDate) -> None:
        self._set_and_announce(
            date(value.year(), value.month(), value.day()) if value.isValid() else None
        )

    def _set_and_announce(self, value: dt.date | None) -> None:
        previous = self.value()
        self.set_value(value)
        if value != previous:
            self.date_changed.emit(value)

    # ----- typing and picking ----------------------------------------------------------------

    def _typed(self, _text: str) -> None:
        self.edited.emit()
        self._announce()

    def _announce(self) -> None:
        value = self.value()
        if value != self._last and (value is not None or self.is_empty()):
            self._last = value
            self.date_changed.emit(value)

    def _tidy(self) -> None:
        value = self.value()
        if value is not None and self.edit.text() != value.isoformat():
            self.edit.setText(value.isoformat())

    def _open_calendar(self) -> None:
        calendar = QCalendarWidget(self)
        calendar.setWindowFlags(Qt.WindowType.Popup)
        calendar.setObjectName("date_calendar")
        calendar.setGridVisible(True)
        start = self.value() or self._calendar_start
        calendar.setSelectedDate(QDate(start.year, start.month, start.day))
        calendar.clicked.connect(lambda picked: self._picked(calendar, picked))
        calendar.activated.connect(lambda picked: self._picked(calendar, picked))
        calendar.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        calendar.adjustSize()
        calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        self._calendar = calendar
        calendar.show()

    def _picked(self, calendar: QCalendarWidget, picked: QDate) -> None:
        calendar.close()
        self._calendar = None
        self._set_and_announce(date(picked.year(), picked.month(), picked.day()))
        self.edited.emit()
        self.edit.setFocus()
