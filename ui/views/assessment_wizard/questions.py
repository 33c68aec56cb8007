"""One widget per question type of a definition (single and multiple choice, yes/no, integer,
decimal, text, date), each with its label, hint, editor and the message beside it."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.questionnaire.model import Question, QuestionType
from ui.views.widgets import EMPTY_TEXT, OptionalDateEdit
from ui.views.widgets import WHEEL_GUARD as _WHEEL_GUARD
from ui.views.widgets import plain_label as _label

PREFILLED_TEXT = "已按儿童档案填写，请核对"


class QuestionWidget(QFrame):
    """One question: its label, hint, editor and the message beside it (required, constraint).

    The objectName is the answer path ('ph_meals', 'guardians[1].g_age'); ``changed`` carries
    the path and the new JSON value."""

    changed = Signal(str, object)

    def __init__(self, question: Question, path: str) -> None:
        super().__init__()
        self.question = question
        self.path = path
        self.setObjectName(path)
        self.setProperty("role", "question")
        self._setting = False
        self._relevant: bool | None = None
        self._optional = not question.required
        self.title = _label(question.label, "title")
        self.title.setObjectName("question_label")
        self.optional_mark = _label(self.tr("（选填）"), "hint", wrap=False)
        self.optional_mark.setVisible(self._optional)
        self.prefilled_mark = _label(
            self.tr("（{0}）").format(self.tr(PREFILLED_TEXT)), "hint", wrap=False
        )
        self.prefilled_mark.setObjectName("prefilled_mark")
        self.prefilled_mark.hide()
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 0, 0)
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.prefilled_mark, 0, Qt.AlignmentFlag.AlignTop)
        title_row.addWidget(self.optional_mark, 0, Qt.AlignmentFlag.AlignTop)
        self.message = _label("", "error")
        self.message.setObjectName("message")
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 10)
        layout.setSpacing(4)
        layout.addLayout(title_row)
        if question.hint:
            hint = _label(question.hint, "hint")
            hint.setObjectName("hint")
            layout.addWidget(hint)
        self.editor = self._build_editor()
        layout.addWidget(self.editor)
        layout.addWidget(self.message)

    # subclasses
    def _build_editor(self) -> QWidget:
        raise NotImplementedError

    def value(self) -> object:
        raise NotImplementedError

    def _apply(self, value: object) -> None:
        raise NotImplementedError

    def set_value(self, value: object) -> None:
        """Show a stored answer without reporting it as a change."""
        self._setting = True
        try:
            self._apply(value)
        finally:
            self._setting = False

    def _emit(self) -> None:
        if not self._setting:
            self.changed.emit(self.path, self.value())

    def set_relevant(self, relevant: bool) -> None:
        """Show or hide by skip logic (only when it changes: this runs on every answer)."""
        if relevant != self._relevant:
            self._relevant = relevant
            self.setVisible(relevant)

    @property
    def relevant(self) -> bool:
        return bool(self._relevant)

    def set_prefilled(self, prefilled: bool) -> None:
        """Mark the answer as taken from the child file, for the director to check."""
        self.prefilled_mark.setVisible(prefilled)

    @property
    def prefilled(self) -> bool:
        return not self.prefilled_mark.isHidden()

    def set_optional(self, optional: bool) -> None:
        if optional != self._optional:
            self._optional = optional
            self.optional_mark.setVisible(optional)

    def show_message(self, text: str | None) -> None:
        if text:
            shown = "⚠ " + text
            if self.message.text() != shown:
                self.message.setText(shown)
            if self.message.isHidden():
                self.message.show()
        elif not self.message.isHidden():
            self.message.hide()
            self.message.setText("")

    def message_text(self) -> str:
        return self.message.text() if not self.message.isHidden() else ""

    def set_read_only(self, read_only: bool) -> None:
        self.editor.setEnabled(not read_only)


class _ExclusiveChoiceWidget(QuestionWidget):
    """One answer out of several buttons in an exclusive group (single choice, yes/no)."""

    group: QButtonGroup
    buttons: dict[str, QAbstractButton]

    def _toggled(self, _button: QAbstractButton, checked: bool) -> None:
        if checked:
            self._emit()

    def value(self) -> object:
        for value, button in self.buttons.items():
            if button.isChecked():
                return value
        return None

    def _apply(self, value: object) -> None:
        button = self.buttons.get(value) if isinstance(value, str) else None
        if button is not None:
            button.setChecked(True)
        else:  # clear: an exclusive group will not uncheck its last button
            self.group.setExclusive(False)
            for b in self.buttons.values():
                b.setChecked(False)
            self.group.setExclusive(True)

    def choose(self, value: str) -> None:
        """Select a choice as the user would (tests, demos)."""
        self.buttons[value].click()


class SingleChoiceWidget(_ExclusiveChoiceWidget):
    def _build_editor(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(12, 0, 0, 0)
        layout.setSpacing(2)
        self.group = QButtonGroup(box)
        self.group.setExclusive(True)
        self.buttons = {}
        for choice in self.question.choices:
            button = QRadioButton(choice.label)
            button.setObjectName(f"choice_{choice.value}")
            if choice.hint:
                button.setToolTip(choice.hint)
            self.group.addButton(button)
            self.buttons[choice.value] = button
            layout.addWidget(button)
            if choice.hint:
                hint = _label(choice.hint, "hint")
                hint.setContentsMargins(24, 0, 0, 0)
                layout.addWidget(hint)
        self.group.buttonToggled.connect(self._toggled)
        return box


class MultipleChoiceWidget(QuestionWidget):
    def _build_editor(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(12, 0, 0, 0)
        layout.setSpacing(2)
        self.boxes: dict[str, QCheckBox] = {}
        for choice in self.question.choices:
            check = QCheckBox(choice.label)
            check.setObjectName(f"choice_{choice.value}")
            if choice.hint:
                check.setToolTip(choice.hint)
            check.toggled.connect(self._emit)
            self.boxes[choice.value] = check
            layout.addWidget(check)
        return box

    def value(self) -> object:
        chosen = [v for v, check in self.boxes.items() if check.isChecked()]
        return chosen or None

    def _apply(self, value: object) -> None:
        chosen = set(value) if isinstance(value, list) else set()
        for v, check in self.boxes.items():
            check.setChecked(v in chosen)


class YesNoWidget(_ExclusiveChoiceWidget):
    def _build_editor(self) -> QWidget:
        box = QWidget()
        layout = QHBoxLayout(box)
        layout.setContentsMargins(12, 0, 0, 0)
        self.group = QButtonGroup(box)
        self.buttons = {}
        for value, text in (("yes", self.tr("是")), ("no", self.tr("否"))):
            button = QPushButton(text)
            button.setObjectName(f"choice_{value}")
            button.setCheckable(True)
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance("是") * 5)
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.group.buttonToggled.connect(self._toggled)
        return box


class IntegerWidget(QuestionWidget):
    """A spin box whose lowest value (-1) reads '未填': answers here are counts and ages."""

    EMPTY = -1

    def _build_editor(self) -> QWidget:
        self.spin = QSpinBox()
        self.spin.setRange(self.EMPTY, 999_999_999)
        self.spin.setSpecialValueText(self.tr(EMPTY_TEXT))
        self.spin.setValue(self.EMPTY)
        self.spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.spin.installEventFilter(_WHEEL_GUARD)
        self.spin.setMinimumWidth(self.spin.fontMetrics().horizontalAdvance("0") * 12)
        self.spin.valueChanged.connect(self._emit)
        return _left(self.spin)

    def value(self) -> object:
        v = self.spin.value()
        return None if v == self.EMPTY else v

    def _apply(self, value: object) -> None:
        is_int = isinstance(value, int | float) and not isinstance(value, bool)
        self.spin.setValue(int(value) if is_int else self.EMPTY)  # type: ignore[call-overload]


class DecimalWidget(QuestionWidget):
    EMPTY = -1.0

    def _build_editor(self) -> QWidget:
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(2)
        self.spin.setRange(self.EMPTY, 1_000_000_000.0)
        self.spin.setSpecialValueText(self.tr(EMPTY_TEXT))
        self.spin.setValue(self.EMPTY)
        self.spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.spin.installEventFilter(_WHEEL_GUARD)
        self.spin.setMinimumWidth(self.spin.fontMetrics().horizontalAdvance("0") * 14)
        self.spin.valueChanged.connect(self._emit)
        return _left(self.spin)

    def value(self) -> object:
        v = round(self.spin.value(), 2)
        if v <= self.EMPTY:
            return None
        return int(v) if v.is_integer() else v

    def _apply(self, value: object) -> None:
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        self.spin.setValue(float(value) if is_number else self.EMPTY)  # type: ignore[arg-type]


class TextWidget(QuestionWidget):
    def _build_editor(self) -> QWidget:
        self.line = QLineEdit()
        self.line.textChanged.connect(self._emit)
        return self.line

    def value(self) -> object:
        text = self.line.text()
        return text if text.strip() else None

    def _apply(self, value: object) -> None:
        self.line.setText(value if isinstance(value, str) else "")


class DateWidget(QuestionWidget):
    def __init__(self, question: Question, path: str, today: date) -> None:
        self._today = today
        super().__init__(question, path)

    def _build_editor(self) -> QWidget:
        self.date_edit = OptionalDateEdit(self._today, self.tr(EMPTY_TEXT))
        self.date_edit.setMinimumWidth(self.date_edit.fontMetrics().horizontalAdvance("0") * 14)
        self.date_edit.dateChanged.connect(self._emit)
        return _left(self.date_edit)

    def value(self) -> object:
        chosen = self.date_edit.value()
        return chosen.isoformat() if chosen else None

    def _apply(self, value: object) -> None:
        parsed: date | None = None
        if isinstance(value, str):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                parsed = None
        self.date_edit.set_value(parsed)


def _left(widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(12, 0, 0, 0)
    layout.addWidget(widget)
    layout.addStretch(1)
    return box


def make_question_widget(question: Question, path: str, today: date) -> QuestionWidget:
    kinds: dict[QuestionType, type[QuestionWidget]] = {
        QuestionType.SINGLE_CHOICE: SingleChoiceWidget,
        QuestionType.MULTIPLE_CHOICE: MultipleChoiceWidget,
        QuestionType.YES_NO: YesNoWidget,
        QuestionType.INTEGER: IntegerWidget,
        QuestionType.DECIMAL: DecimalWidget,
        QuestionType.TEXT: TextWidget,
    }
    if question.type is QuestionType.DATE:
        return DateWidget(question, path, today)
    return kinds[question.type](question, path)
