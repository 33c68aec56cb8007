"""个案: 帮扶方案 editor — goals, and actions with what / who / by when."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.domain.case import Plan, PlanAction
from ui.views.widgets import OptionalDateEdit
from ui.views.widgets import clear_layout as _clear_layout
from ui.views.widgets import plain_label as _label


class PlanEditor(QWidget):
    """个性化帮扶方案: goals, and actions with what / who / by when."""

    changed = Signal()

    def __init__(self, today: date) -> None:
        super().__init__()
        self.setObjectName("plan_editor")
        self._today = today
        self._goals: list[QLineEdit] = []
        self._actions: list[tuple[QLineEdit, QLineEdit, OptionalDateEdit]] = []
        self.goals_layout = QVBoxLayout()
        self.actions_grid = QGridLayout()
        self.actions_grid.setHorizontalSpacing(8)
        add_goal = QPushButton(self.tr("＋ 添加目标"))
        add_goal.setObjectName("add_goal")
        add_goal.clicked.connect(lambda: self._add_goal("", focus=True))
        add_action = QPushButton(self.tr("＋ 添加措施"))
        add_action.setObjectName("add_action")
        add_action.clicked.connect(lambda: self._add_action(None, focus=True))
        layout = QVBoxLayout(self)
        layout.addWidget(_label(self.tr("帮扶目标"), "title"))
        layout.addWidget(
            _label(self.tr("希望达到的结果，如“落实兜底监护”“监护人能按时送孩子上学”。"), "hint")
        )
        layout.addLayout(self.goals_layout)
        layout.addWidget(add_goal, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(8)
        layout.addWidget(_label(self.tr("帮扶措施"), "title"))
        layout.addLayout(self.actions_grid)
        layout.addWidget(add_action, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def set_plan(self, plan: Plan) -> None:
        _clear_layout(self.goals_layout)
        _clear_layout(self.actions_grid)
        self._goals.clear()
        self._actions.clear()
        for column, text in enumerate((self.tr("做什么"), self.tr("谁负责"), self.tr("完成时间"))):
            self.actions_grid.addWidget(_label(text, "hint", wrap=False), 0, column)
        self.actions_grid.setColumnStretch(0, 3)
        self.actions_grid.setColumnStretch(1, 2)
        for goal in plan.goals or [""]:
            self._add_goal(goal)
        actions: list[PlanAction | None] = list(plan.actions) or [None]
        for action in actions:
            self._add_action(action)

    def _add_goal(self, text: str, focus: bool = False) -> None:
        index = len(self._goals)
        edit = QLineEdit(text)
        edit.setObjectName(f"goal_{index}")
        edit.setPlaceholderText(self.tr("目标 {0}").format(index + 1))
        edit.textChanged.connect(self.changed)
        remove = QPushButton(self.tr("删除"))
        remove.setObjectName(f"remove_goal_{index}")
        remove.clicked.connect(lambda: self._remove_row(goal=index))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(remove)
        self.goals_layout.addLayout(row)
        self._goals.append(edit)
        if focus:
            edit.setFocus()
            self.changed.emit()

    def _add_action(self, action: PlanAction | None, focus: bool = False) -> None:
        index = len(self._actions)
        row = index + 1
        what = QLineEdit(action.what if action else "")
        what.setObjectName(f"action_{index}_what")
        what.setPlaceholderText(self.tr("如：联系爱心妈妈一对一结对"))
        who = QLineEdit(action.who if action else "")
        who.setObjectName(f"action_{index}_who")
        who.setPlaceholderText(self.tr("如：村儿童主任"))
        by_when = OptionalDateEdit(self._today, self.tr("请选择"))
        by_when.setObjectName(f"action_{index}_by_when")
        by_when.set_value(action.by_when if action else None)
        for signal in (what.textChanged, who.textChanged, by_when.dateChanged):
            signal.connect(self.changed)
        self.actions_grid.addWidget(what, row, 0)
        self.actions_grid.addWidget(who, row, 1)
        self.actions_grid.addWidget(by_when, row, 2)
        remove = QPushButton(self.tr("删除"))
        remove.setObjectName(f"remove_action_{index}")
        remove.clicked.connect(lambda: self._remove_row(action=index))
        self.actions_grid.addWidget(remove, row, 3)
        self._actions.append((what, who, by_when))
        if focus:
            what.setFocus()
            self.changed.emit()

    def _remove_row(self, goal: int | None = None, action: int | None = None) -> None:
        goals = [e.text() for e in self._goals]
        actions = [
            PlanAction(what.text(), who.text(), by_when.value())
            for what, who, by_when in self._actions
        ]
        if goal is not None and goal < len(goals):
            del goals[goal]
        if action is not None and action < len(actions):
            del actions[action]
        self.set_plan(Plan(goals=goals, actions=actions))
        self.changed.emit()

    def plan(self) -> Plan:
        goals = [e.text().strip() for e in self._goals if e.text().strip()]
        actions = [
            PlanAction(what.text().strip(), who.text().strip(), by_when.value())
            for what, who, by_when in self._actions
            if what.text().strip() or who.text().strip() or by_when.value() is not None
        ]
        return Plan(goals=goals, actions=actions)

    def set_action(self, index: int, what: str, who: str, by_when: date | None) -> None:
        """Fill an action row as if typed (tests, demos); adds rows as needed."""
        while len(self._actions) <= index:
            self._add_action(None)
        what_edit, who_edit, date_edit = self._actions[index]
        what_edit.setText(what)
        who_edit.setText(who)
        date_edit.set_value(by_when)

    def set_goal(self, index: int, text: str) -> None:
        while len(self._goals) <= index:
            self._add_goal("")
        self._goals[index].setText(text)
