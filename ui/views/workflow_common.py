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
