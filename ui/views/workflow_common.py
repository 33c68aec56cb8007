"""What the workflow dialogs (强制报告, 认定申请, the case's 个案会商) share: the Chinese words of a
refusal or a validation error, times shown in China time, and the table of a record's steps
(when, who, what, why)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from app.domain.workflow import ROLE_ZH, Role, Transition
from ui.views.messages import user_message

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


def actor_text(step: Transition) -> str:
    """Who acted: their name and role (系统 alone for the sync machinery)."""
    if step.role is Role.SYSTEM:
        return "系统"
    role = ROLE_ZH.get(step.role, "")
    return f"{step.actor}（{role}）" if step.actor else role


class StepsTable(QTableWidget):
    """A record's steps, oldest first: 时间 · 经办人 · 操作 · 说明."""

    def __init__(self, name: str) -> None:
        super().__init__(0, 4)
        self.setObjectName(name)
        self.setHorizontalHeaderLabels(["时间", "经办人", "操作", "说明"])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(True)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

    def set_rows(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        listed = list(rows)
        self.setRowCount(len(listed))
        for r, row in enumerate(listed):
            for c, value in enumerate(row):
                self.setItem(r, c, QTableWidgetItem(value))
        self.resizeRowsToContents()

    def rows(self) -> list[tuple[str, ...]]:
        """The texts shown (for tests)."""
        found = []
        for r in range(self.rowCount()):
            cells = []
            for c in range(self.columnCount()):
                item = self.item(r, c)
                cells.append(item.text() if item is not None else "")
            found.append(tuple(cells))
        return found
