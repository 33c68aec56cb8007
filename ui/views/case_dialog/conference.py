"""个案会商 on the case: a conference the district recorded on this case (date, departments,
people, findings, decisions, next review) with its actions — what, who, by when, 待落实 /
已完成 / 已取消 / 已过期 — shown as the plan to carry out, and the director's follow-up on an
open action (progress, or done). The director's own 帮扶方案 stays on its own tab, untouched."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain import case_conference as cc
from ui.views.widgets import clear_layout, plain_label
from ui.views.workflow_common import message_label

OVERDUE_ZH = "已过期"


def action_state_zh(action: cc.ActionStatus, today: date) -> str:
    return OVERDUE_ZH if action.overdue(today) else action.state_zh


class ConferenceBox(QGroupBox):
    """One conference: what was agreed and its actions, with the follow-up row."""

    follow_up = Signal(str, str, str, bool)  # conference id, action id, text, done

    def __init__(self, data: dict[str, Any], status: cc.ConferenceStatus, today: date) -> None:
        departments = "、".join(str(d) for d in data.get("departments") or [])
        super().__init__(f"{data.get('held_on', '')} 会商")
        self.setObjectName(f"conference_{status.conference_id}")
        self.conference_id = status.conference_id
        people = "、".join(str(p) for p in data.get("people") or [])
        closed = status.state == cc.CLOSED
        lines = [
            f"状态：{cc.STATE_ZH.get(status.state, status.state)}",
            f"参加部门：{departments}",
            f"参加人员：{people}",
            f"会商发现：{data.get('findings', '')}",
            f"会商决定：{data.get('decisions', '')}",
            f"下次复查：{status.next_review}",
        ]
        self.summary = plain_label("\n".join(lines), None)
        self.summary.setObjectName("conference_summary")
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("conference_actions")
        self.table.setHorizontalHeaderLabels(["事项", "负责", "期限", "状态", "进展"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # a whole date at any text size (ResizeToContents measures before the font is final)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(2, self.fontMetrics().horizontalAdvance("0000-00-00") + 16)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setRowCount(len(status.actions))
        for row, action in enumerate(status.actions):
            state = action_state_zh(action, today)
            cells = [action.what, action.who, action.due, state, "；".join(action.notes)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 3 and state == OVERDUE_ZH:
                    item.setForeground(QColor("#c62828"))
                elif column == 3 and action.state == "done":
                    item.setForeground(QColor("#2e7d32"))
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        rows_height = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setMinimumHeight(min(rows_height + header.sizeHint().height() + 6, 260))

        self.action = QComboBox()
        self.action.setObjectName("conference_action")
        for action in status.actions:
            if action.state == "open":
                self.action.addItem(f"{action.what}（{action.who}）", action.action_id)
        self.text = QLineEdit()
        self.text.setObjectName("conference_follow_up_text")
        self.text.setPlaceholderText("做了什么、落实得怎样")
        self.progress_button = QPushButton("记录进展")
        self.progress_button.setObjectName("conference_progress")
        self.done_button = QPushButton("已完成")
        self.done_button.setObjectName("conference_done")
        self.progress_button.clicked.connect(lambda: self._send(False))
        self.done_button.clicked.connect(lambda: self._send(True))
        self.message = message_label("conference_message")

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        open_actions = self.action.count() > 0 and not closed
        if open_actions:
            follow = QHBoxLayout()
            follow.addWidget(self.action)
            follow.addWidget(self.text, 1)
            follow.addWidget(self.progress_button)
            follow.addWidget(self.done_button)
            layout.addLayout(follow)
        elif closed:
            layout.addWidget(plain_label("区里已结束这次会商的跟踪。", "hint"))
        else:
            layout.addWidget(plain_label("会商事项都已完成或取消。", "hint"))
        layout.addWidget(self.message)

    def _send(self, done: bool) -> None:
        text = self.text.text().strip()
        if not text:
            self.say("请写明做了什么、落实得怎样。")
            return
        self.say("")
        self.follow_up.emit(self.conference_id, str(self.action.currentData()), text, done)

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def action_rows(self) -> list[tuple[str, ...]]:
        """The actions table's texts (for tests)."""
        found = []
        for r in range(self.table.rowCount()):
            found.append(
                tuple(
                    (self.table.item(r, c).text() if self.table.item(r, c) else "")  # type: ignore[union-attr]
                    for c in range(self.table.columnCount())
                )
            )
        return found


class ConferencePanel(QWidget):
    """Every conference on the case, newest first."""

    follow_up = Signal(str, str, str, bool)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("conference_panel")
        self.boxes: list[ConferenceBox] = []
        self._layout = QVBoxLayout(self)
        self._rows = QVBoxLayout()
        self._layout.addWidget(
            plain_label(
                "区民政局召集多部门会商后确定的方案，请按事项落实，并在这里记录进展或完成情况，"
                "下次同步时报送区里。你自己的“帮扶方案”不受影响。",
                "hint",
            )
        )
        self._layout.addLayout(self._rows)
        self._layout.addStretch(1)

    def set_conferences(
        self, conferences: list[tuple[dict[str, Any], cc.ConferenceStatus]], today: date
    ) -> None:
        clear_layout(self._rows)
        self.boxes = []
        for data, status in conferences:
            box = ConferenceBox(data, status, today)
            box.follow_up.connect(self.follow_up)
            self.boxes.append(box)
            self._rows.addWidget(box)

    def box(self, conference_id: str) -> ConferenceBox | None:
        return next((b for b in self.boxes if b.conference_id == conference_id), None)
