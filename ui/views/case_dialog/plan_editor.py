"""个案: 帮扶方案 editor — goals, and actions with what / who / by when / done on (完成日期:
empty reads 未完成; a done action is greyed with a ✓)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.case import Plan, PlanAction
from ui.views.widgets import OptionalDateEdit
from ui.views.widgets import clear_layout as _clear_layout
from ui.views.widgets import plain_label as _label


class PlanEditor(QWidget):
    """个性化帮扶方案: goals, and actions with what / who / by when / done on."""

    changed = Signal()

    def __init__(self, today: date) -> None:
        super().__init__()
        self.setObjectName("plan_editor")
        self._today = today
        self._goals: list[QLineEdit] = []
        self._actions: list[_ActionRow] = []
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
        headers = (self.tr("做什么"), self.tr("谁负责"), self.tr("完成时间"), self.tr("实际完成"))
        for column, text in enumerate(headers):
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
        done_on = OptionalDateEdit(self._today, self.tr("未完成"))
        done_on.setObjectName(f"action_{index}_done_on")
        done_on.setToolTip(self.tr("措施落实后填写实际完成的日期；没有完成就留空（未完成）。"))
        # a done date is a day that has been (the service refuses one before the case opened)
        done_on.setMaximumDate(QDate(self._today.year, self._today.month, self._today.day))
        done_on.set_value(action.done_on if action else None)
        mark = QLabel("")
        mark.setObjectName(f"action_{index}_done_mark")
        mark.setToolTip(self.tr("已完成"))
        mark.setStyleSheet("color: #2e7d32; font-weight: bold;")
        mark.setFixedWidth(mark.fontMetrics().horizontalAdvance("✓") + 6)
        entry = _ActionRow(what, who, by_when, done_on, mark)
        for signal in (what.textChanged, who.textChanged, by_when.dateChanged):
            signal.connect(self.changed)
        done_on.dateChanged.connect(lambda _d: self._show_done(entry))
        done_on.dateChanged.connect(self.changed)
        self.actions_grid.addWidget(what, row, 0)
        self.actions_grid.addWidget(who, row, 1)
        self.actions_grid.addWidget(by_when, row, 2)
        self.actions_grid.addWidget(done_on, row, 3)
        self.actions_grid.addWidget(mark, row, 4)
        remove = QPushButton(self.tr("删除"))
        remove.setObjectName(f"remove_action_{index}")
        remove.clicked.connect(lambda: self._remove_row(action=index))
        self.actions_grid.addWidget(remove, row, 5)
        self._actions.append(entry)
        self._show_done(entry)
        if focus:
            what.setFocus()
            self.changed.emit()

    def _show_done(self, entry: _ActionRow) -> None:
        """A done action reads as such: its what and who greyed, a ✓ beside its date."""
        done = entry.done_on.value() is not None
        entry.mark.setText("✓" if done else "")
        for edit in (entry.what, entry.who):
            edit.setStyleSheet("color: #757575;" if done else "")
            edit.setToolTip(self.tr("已完成") if done else "")

    def is_done_shown(self, index: int) -> bool:
        """Whether action ``index`` shows as done (✓) — what a test or a walk checks."""
        return self._actions[index].mark.text() == "✓"

    def _remove_row(self, goal: int | None = None, action: int | None = None) -> None:
        goals = [e.text() for e in self._goals]
        actions = [entry.action(strip=False) for entry in self._actions]
        if goal is not None and goal < len(goals):
            del goals[goal]
        if action is not None and action < len(actions):
            del actions[action]
        self.set_plan(Plan(goals=goals, actions=actions))
        self.changed.emit()

    def plan(self) -> Plan:
        goals = [e.text().strip() for e in self._goals if e.text().strip()]
        actions = [entry.action() for entry in self._actions if not entry.is_blank()]
        return Plan(goals=goals, actions=actions)

    def set_action(
        self, index: int, what: str, who: str, by_when: date | None, done_on: date | None = None
    ) -> None:
        """Fill an action row as if typed (tests, demos); adds rows as needed."""
        while len(self._actions) <= index:
            self._add_action(None)
        entry = self._actions[index]
        entry.what.setText(what)
        entry.who.setText(who)
        entry.by_when.set_value(by_when)
        entry.done_on.set_value(done_on)

    def set_done(self, index: int, done_on: date | None) -> None:
        """Set (or clear) an action's 完成日期 as if picked."""
        self._actions[index].done_on.set_value(done_on)

    def set_goal(self, index: int, text: str) -> None:
        while len(self._goals) <= index:
            self._add_goal("")
        self._goals[index].setText(text)


class _ActionRow:
    """One action's widgets in the grid."""

    def __init__(
        self,
        what: QLineEdit,
        who: QLineEdit,
        by_when: OptionalDateEdit,
        done_on: OptionalDateEdit,
        mark: QLabel,
    ) -> None:
        self.what, self.who, self.by_when, self.done_on, self.mark = (
            what,
            who,
            by_when,
            done_on,
            mark,
        )

    def is_blank(self) -> bool:
        return not (
            self.what.text().strip()
            or self.who.text().strip()
            or self.by_when.value() is not None
            or self.done_on.value() is not None
        )

    def action(self, strip: bool = True) -> PlanAction:
        what, who = self.what.text(), self.who.text()
        if strip:
            what, who = what.strip(), who.strip()
        return PlanAction(what, who, self.by_when.value(), self.done_on.value())
