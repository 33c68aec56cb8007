"""What the workflow dialogs (强制报告, 认定申请, the case's 个案会商) share: the Chinese words of a
refusal or a validation error, times shown in China time, the table of a record's steps
(when, who, what, why), and the window itself: pages behind a 正在打开…… page, a 关闭 button,
the bold state line and a failed load told on the first page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.workflow import ROLE_ZH, Role, Transition
from ui.views.messages import show_error, user_message
from ui.views.widgets import plain_label
from ui.window_fit import fit_window, scrolling

CHINA = timezone(timedelta(hours=8))


def error_text(err: BaseException) -> str:
    """A refusal (TransitionRefused) or a validation error in its own Chinese words; anything
    else as the desk explains errors."""
    message = getattr(err, "message_zh", None)
    if isinstance(message, str) and message:
        return message
    return user_message(err)


def china_time(at: str) -> str:
    """``2026-11-20T03:05:00Z`` as ``2026-11-20 11:05`` (China time); a bare date as given."""
    text = at.strip()
    if len(text) <= 10:
        return text
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


# Short words for the steps table (ROLE_ZH's full titles make the column too wide at 特大).
ROLE_SHORT_ZH = {Role.DIRECTOR: "儿童主任", Role.TOWN: "乡镇", Role.DISTRICT: "区里"}


def actor_text(step: Transition) -> str:
    """Who acted: their name and, shortly, where (系统 alone for the sync machinery)."""
    if step.role is Role.SYSTEM:
        return "系统"
    role = ROLE_SHORT_ZH.get(step.role) or ROLE_ZH.get(step.role, "")
    return f"{step.actor}（{role}）" if step.actor else role


class StepsTable(QTableWidget):
    """A record's steps, oldest first: 时间 · 经办人 · 办理情况 (the action, and why)."""

    def __init__(self, name: str) -> None:
        super().__init__(0, 3)
        self.setObjectName(name)
        self.setHorizontalHeaderLabels(["时间", "经办人", "办理情况"])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(True)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_a: self.resizeRowsToContents())
        self._rows: list[tuple[str, str, str, str]] = []

    def set_rows(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Rows of (time, who, action, note); the action and its note share a column."""
        self._rows = list(rows)
        self.clearSpans()
        self.setRowCount(len(self._rows))
        for r, (at, who, action, note) in enumerate(self._rows):
            what = f"{action}：{note}" if note and action else action or note
            if not at and not who:  # a line such as （还没有办理记录）across the table
                self.setItem(r, 0, QTableWidgetItem(what))
                self.setSpan(r, 0, 1, 3)
                continue
            for c, value in enumerate((at, who, what)):
                self.setItem(r, c, QTableWidgetItem(value))
        self.resizeRowsToContents()

    def rows(self) -> list[tuple[str, str, str, str]]:
        """The rows shown as (time, who, action, note) (for tests)."""
        return list(self._rows)


def paged_window(
    dialog: QDialog,
    pages: Sequence[QWidget],
    *,
    size: tuple[int, int],
    header: Sequence[QWidget] = (),
    buttons: Sequence[QWidget] = (),
) -> tuple[QStackedWidget, QLabel, QPushButton]:
    """Lay ``dialog`` out: ``header`` on top, then (scrolling, for 特大 text on a small screen)
    a stack of a 正在打开…… page (index 0) followed by ``pages``, then ``buttons`` and 关闭 on
    the right; fitted to the screen at ``size`` at the most. Gives the stack, its loading page
    and the 关闭 button."""
    stack = QStackedWidget()
    loading = plain_label(dialog.tr("正在打开……"), "hint")
    stack.addWidget(loading)
    for page in pages:
        stack.addWidget(page)
    close_button = QPushButton(dialog.tr("关闭"))
    close_button.setObjectName("close")
    close_button.clicked.connect(dialog.reject)
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    row.addWidget(close_button)
    layout = QVBoxLayout(dialog)
    for widget in header:
        layout.addWidget(widget)
    layout.addWidget(scrolling(stack), 1)
    layout.addLayout(row)
    fit_window(dialog, *size)
    return stack, loading, close_button


def state_label(name: str) -> QLabel:
    """The record's state (状态：…), bold and larger."""
    label = QLabel("")
    label.setObjectName(name)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.2)
    label.setFont(font)
    return label


def message_label(name: str) -> QLabel:
    """Where a refused or failed action is told, in red; hidden until there is something."""
    label = plain_label("", "error")
    label.setObjectName(name)
    label.setStyleSheet("color: #c62828;")
    label.hide()
    return label


def show_load_failure(
    dialog: QDialog,
    stack: QStackedWidget,
    loading: QLabel,
    err: BaseException,
    *,
    page_text: str,
    title: str,
) -> None:
    """A record that could not be read: ``page_text`` on the loading page; an error other than
    the record not being found (LookupError) is shown as well, under ``title``."""
    loading.setText(page_text)
    stack.setCurrentIndex(0)
    if not isinstance(err, LookupError):
        show_error(dialog, err, title)
