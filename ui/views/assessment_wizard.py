"""评估: the guardianship-capacity assessment wizard.

One page per indicator group of the definition; a widget per question type; repeat groups as
blocks (one per guardian) that can be added and removed. Skip logic is live: every change runs
the engine's ``evaluate`` (well under a millisecond) and only the visibility and messages of the
already-built widgets are updated. The draft is saved as the user goes (debounced, through the
serial runner) and can be resumed. The result page shows the level, the section scores, the
rules that fired and the recommended support (分层赋能), with 完成评估 in the bottom bar;
finishing asks first because a finished assessment's answers are frozen (a correction is a new
assessment, started from the child file). A new draft takes what the child file already knows
(birth date, each guardian's relation, situation, age, care) and marks it for the director to
check.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.child_file import ChildFile
from app.questionnaire import (
    AnswerError,
    AnswerProblem,
    AssessmentResult,
    Definition,
    DraftState,
    evaluate,
    score,
)
from app.questionnaire.model import Group, Item, Note, Page, Question, QuestionType, Repeat
from app.questionnaire.naming import label_of
from app.services.assessment_prefill import prefill_answers
from app.services.assessments import CORRECTION_HOW, FINISHED, Assessment
from app.services.stored import Stored
from ui.desk_services import DeskServices
from ui.theme import LEVEL_LABELS, LEVEL_WORDS
from ui.views.level_badge import LevelBadge
from ui.views.messages import confirm, show_error
from ui.views.widgets import EMPTY_TEXT, OptionalDateEdit
from ui.views.widgets import WHEEL_GUARD as _WHEEL_GUARD
from ui.views.widgets import clear_layout as _clear_layout
from ui.views.widgets import plain_label as _label
from ui.views.widgets import run_and_wait as _run_sync
from ui.window_fit import fit_window

SAVE_DELAY_MS = 800
FINISH_WARNING = CORRECTION_HOW
PREFILLED_TEXT = "已按儿童档案填写，请核对"


# --- question widgets --------------------------------------------------------------------------


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


class RepeatWidget(QFrame):
    """A repeat group: one block per person, with 添加 and 删除 buttons."""

    add_requested = Signal(str)
    remove_requested = Signal(str, int)

    def __init__(self, repeat: Repeat) -> None:
        super().__init__()
        self.repeat = repeat
        self.setObjectName(repeat.id)
        self.setProperty("role", "repeat")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.addWidget(_label(repeat.label, "title"))
        if repeat.hint:
            layout.addWidget(_label(repeat.hint, "hint"))
        self.prefill_note = _label("", "hint")
        self.prefill_note.setObjectName("prefill_note")
        self.prefill_note.setFrameShape(QFrame.Shape.StyledPanel)
        self.prefill_note.setContentsMargins(8, 6, 8, 6)
        self.prefill_note.hide()
        layout.addWidget(self.prefill_note)
        self.blocks_layout = QVBoxLayout()
        self.blocks_layout.setSpacing(12)
        layout.addLayout(self.blocks_layout)
        self.message = _label("", "error")
        self.message.setObjectName("message")
        self.message.hide()
        layout.addWidget(self.message)
        self.add_button = QPushButton(self.tr("＋ 再添加一位"))
        self.add_button.setObjectName(f"add_{repeat.id}")
        self.add_button.clicked.connect(lambda: self.add_requested.emit(self.repeat.id))
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.blocks: list[QFrame] = []
        self.block_titles: list[QLabel] = []
        self.remove_buttons: list[QPushButton] = []

    def clear_blocks(self) -> None:
        _clear_layout(self.blocks_layout)
        self.blocks.clear()
        self.block_titles.clear()
        self.remove_buttons.clear()

    def add_block(self, index: int, widgets: list[QuestionWidget]) -> None:
        block = QFrame()
        block.setObjectName(f"{self.repeat.id}[{index}]")
        block.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(block)
        header = QHBoxLayout()
        title = _label("", "title")
        header.addWidget(title, 1)
        remove = QPushButton(self.tr("删除这一位"))
        remove.setObjectName(f"remove_{self.repeat.id}[{index}]")
        remove.clicked.connect(lambda: self.remove_requested.emit(self.repeat.id, index))
        header.addWidget(remove)
        layout.addLayout(header)
        for widget in widgets:
            layout.addWidget(widget)
        self.blocks_layout.addWidget(block)
        block.show()  # now, not when the layout gets round to it
        self.blocks.append(block)
        self.block_titles.append(title)
        self.remove_buttons.append(remove)

    def update_controls(self, read_only: bool) -> None:
        count = len(self.blocks)
        can_add = self.repeat.max_count is None or count < self.repeat.max_count
        self.add_button.setVisible(not read_only)
        self.add_button.setEnabled(can_add)
        for button in self.remove_buttons:
            button.setVisible(not read_only and count > self.repeat.min_count)

    def show_message(self, text: str | None) -> None:
        self.message.setText("⚠ " + text if text else "")
        self.message.setVisible(bool(text))


# --- the wizard --------------------------------------------------------------------------------


class _PageView:
    """The widgets of one definition page."""

    def __init__(self, page: Page, scroll: QScrollArea) -> None:
        self.page = page
        self.scroll = scroll


class AssessmentWizard(QDialog):
    """Start a new assessment for a child, or resume a draft / view a finished one by id."""

    assessment_finished = Signal(str)  # the assessment's record id

    def __init__(
        self,
        desk: DeskServices,
        child_id: str,
        assessment_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("assessment_wizard")
        self.setWindowTitle(self.tr("监护能力评估"))
        self._desk = desk
        self._child_id = child_id
        self._requested_id = assessment_id
        self.record_id: str | None = None
        self.definition: Definition | None = None
        self.child: ChildFile | None = None
        self.answers: dict[str, Any] = {}
        self.state: DraftState | None = None
        self.assessment_result: AssessmentResult | None = None
        self.is_finished = False
        self._finished_on: date | None = None
        self._pages: list[_PageView] = []
        self._widgets: dict[str, QuestionWidget] = {}
        self._repeats: dict[str, RepeatWidget] = {}
        self._notes: list[tuple[Note, QLabel]] = []
        self._page_of_item: dict[str, int] = {}
        self._checked_pages: set[int] = set()
        self._touched: set[str] = set()
        self._prefilled: set[str] = set()  # answer paths taken from the child file, unchanged
        self._current = 0
        self._dirty = False
        self._saving = False
        self._busy = False

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_now)

        self._build_shell()
        fit_window(self, 980, 720)
        self._load()

    # layout ------------------------------------------------------------------------------------

    def _build_shell(self) -> None:
        self.heading = _label(self.tr("监护能力评估"), "title", wrap=False)
        self.heading.setObjectName("heading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.heading.setFont(font)
        self.subheading = _label("", "hint")
        self.subheading.setObjectName("subheading")

        self.page_list = QListWidget()
        self.page_list.setObjectName("page_list")
        self.page_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.page_list.setSpacing(3)
        self.page_list.currentRowChanged.connect(self._page_list_clicked)

        self.notice = _label("", "error")
        self.notice.setObjectName("notice")
        self.notice.hide()
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        self.loading = _label(self.tr("正在打开评估……"), "hint")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.loading)

        self.progress = QLabel("")
        self.progress.setObjectName("progress")
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("progress_bar")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(10)
        self.progress_bar.setMaximumWidth(220)
        self.save_status = _label("", "hint", wrap=False)
        self.save_status.setObjectName("save_status")

        self.back_button = QPushButton(self.tr("← 上一页"))
        self.back_button.setObjectName("back")
        self.next_button = QPushButton(self.tr("下一页 →"))
        self.next_button.setObjectName("next")
        self.next_button.setDefault(True)
        self.finish_button = QPushButton(self.tr("完成评估"))
        self.finish_button.setObjectName("finish")
        self.finish_button.setToolTip(self.tr(FINISH_WARNING))
        self.finish_button.hide()  # only on the result page of an assessment that can finish
        self.close_button = QPushButton(self.tr("保存并关闭"))
        self.close_button.setObjectName("close")
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.finish_button.clicked.connect(self.finish)
        self.close_button.clicked.connect(self.reject)

        header = QVBoxLayout()
        header.setSpacing(2)
        header.addWidget(self.heading)
        header.addWidget(self.subheading)

        content = QVBoxLayout()
        content.addWidget(self.notice)
        content.addWidget(self.stack, 1)
        middle = QHBoxLayout()
        middle.addWidget(self.page_list, 0)
        middle.addLayout(content, 1)

        status = QHBoxLayout()
        status.addWidget(self.progress)
        status.addWidget(self.progress_bar)
        status.addStretch(1)
        status.addWidget(self.save_status)

        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.finish_button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(middle, 1)
        layout.addLayout(status)
        layout.addLayout(buttons)
        self.back_button.setEnabled(False)
        self.next_button.setEnabled(False)

    def _build_pages(self, definition: Definition) -> None:
        today = self._desk.today()
        width = 0
        for index, page in enumerate(definition.pages):
            body = QWidget()
            body.setObjectName(f"page_{page.id}")
            layout = QVBoxLayout(body)
            layout.setContentsMargins(16, 8, 16, 16)
            layout.setSpacing(6)
            title = _label(page.label, "title")
            font = title.font()
            font.setPointSizeF(font.pointSizeF() * 1.2)
            title.setFont(font)
            layout.addWidget(title)
            if page.group is not None and page.group.hint:
                layout.addWidget(_label(page.group.hint, "hint"))
            for item in page.items:
                self._add_item(item, layout, index, today)
            layout.addStretch(1)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(body)
            self.stack.addWidget(scroll)
            self._pages.append(_PageView(page, scroll))
            self.page_list.addItem(QListWidgetItem(page.label))
            width = max(
                width, self.page_list.fontMetrics().horizontalAdvance(page.label + "  缺 99 ")
            )
        self.page_list.setFixedWidth(width + 40)
        self._result_page = QScrollArea()
        self._result_page.setObjectName("result_page")
        self._result_page.setWidgetResizable(True)
        self._result_page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._result_page.setFrameShape(QFrame.Shape.NoFrame)
        self.stack.addWidget(self._result_page)
        self.page_list.addItem(QListWidgetItem(self.tr("评估结果")))

    def _add_item(self, item: Item, layout: QVBoxLayout, page_index: int, today: date) -> None:
        self._page_of_item[item.id] = page_index
        if isinstance(item, Repeat):
            repeat_widget = RepeatWidget(item)
            repeat_widget.add_requested.connect(self.add_block)
            repeat_widget.remove_requested.connect(self._confirm_remove_block)
            self._repeats[item.id] = repeat_widget
            for child in item.items:
                self._page_of_item[child.id] = page_index
            layout.addWidget(repeat_widget)
        elif isinstance(item, Group):
            if item.label and not item.page:
                layout.addWidget(_label(item.label, "title"))
            for child in item.items:
                self._add_item(child, layout, page_index, today)
        elif isinstance(item, Question):
            widget = make_question_widget(item, item.id, today)
            widget.changed.connect(self._answer_changed)
            self._widgets[item.id] = widget
            layout.addWidget(widget)
        elif isinstance(item, Note):
            note = _label(item.label, "hint")
            note.setObjectName(item.id)
            note.setFrameShape(QFrame.Shape.StyledPanel)
            note.setContentsMargins(8, 6, 8, 6)
            self._notes.append((item, note))
            layout.addWidget(note)
        # calculations are not shown: their values show up through skip logic and the result

    def _build_blocks(self, repeat_id: str) -> None:
        """(Re)build a repeat group's blocks from the answers (after a block was removed)."""
        assert self.definition is not None
        repeat_widget = self._repeats[repeat_id]
        for path in [p for p in self._widgets if p.startswith(repeat_id + "[")]:
            del self._widgets[path]
        repeat_widget.clear_blocks()
        blocks = self.answers.get(repeat_id) or []
        repeat = repeat_widget.repeat
        questions = [q for q in self.definition.questions if q.repeat is repeat]
        for index, block in enumerate(blocks):
            widgets = []
            for question in questions:
                path = f"{repeat_id}[{index}].{question.id}"
                widget = make_question_widget(question, path, self._desk.today())
                widget.set_value(block.get(question.id) if isinstance(block, dict) else None)
                widget.set_read_only(self.is_finished)
                widget.set_prefilled(path in self._prefilled)
                widget.changed.connect(self._answer_changed)
                self._widgets[path] = widget
                widgets.append(widget)
            repeat_widget.add_block(index, widgets)
        repeat_widget.update_controls(self.is_finished)

    # loading -----------------------------------------------------------------------------------

    def _load(self) -> None:
        desk, child_id, requested = self._desk, self._child_id, self._requested_id

        def task() -> tuple[ChildFile, Stored[Assessment], Definition, date | None]:
            child = desk.children.get(child_id).value
            if requested:
                stored = desk.assessments.get(requested)
            else:
                stored = desk.assessments.start(child_id, desk.definition, [desk.author])
            corrected_on = None
            if stored.value.corrects:
                original = desk.assessments.get(stored.value.corrects).value
                corrected_on = original.finished_on or original.started_on
            return child, stored, desk.assessments.definition_for(stored.value), corrected_on

        self._busy = True
        desk.runner.submit(task, self._loaded, self._load_failed)

    def _load_failed(self, err: BaseException) -> None:
        self._busy = False
        self.loading.setText(self.tr("没能打开这份评估。请关闭后重试。"))
        show_error(self, err, self.tr("没能打开评估"))

    def _loaded(
        self, loaded: tuple[ChildFile, Stored[Assessment], Definition, date | None]
    ) -> None:
        self._busy = False
        child, stored, definition, corrected_on = loaded
        self.child = child
        self.record_id = stored.record_id
        self.definition = definition
        assessment = stored.value
        self.is_finished = assessment.status == FINISHED
        self._finished_on = assessment.finished_on
        self.answers = copy.deepcopy(assessment.answers)
        started = assessment.started_on.isoformat()
        self.heading.setText(self.tr("监护能力评估 · {0}").format(child.name))
        subheading = self.tr("{0} · 开始于 {1}").format(label_of(definition), started)
        if corrected_on is not None:
            subheading += self.tr(" · 更正 {0} 的评估（原来的评估仍然保留）").format(
                corrected_on.isoformat()
            )
        self.subheading.setText(subheading)
        self._build_pages(definition)
        if not self.is_finished:
            self._prefill(child)
        for repeat_id, repeat_widget in self._repeats.items():
            if not self.is_finished:
                blocks = self.answers.get(repeat_id)
                missing = repeat_widget.repeat.min_count - len(blocks or [])
                if missing > 0:
                    self.answers[repeat_id] = list(blocks or []) + [{} for _ in range(missing)]
                    self._dirty = True
            self._build_blocks(repeat_id)
        for path, widget in self._widgets.items():
            if "[" not in path:
                widget.set_value(self.answers.get(path))
                widget.set_read_only(self.is_finished)
                widget.set_prefilled(path in self._prefilled)
        self._refresh()
        if self.is_finished and assessment.result is not None:
            self.assessment_result = AssessmentResult.from_json(assessment.result)
            self._show_result_page()
        else:
            self.go_to_page(self._first_incomplete_page())
        if self._dirty:
            self._save_timer.start()

    def _prefill(self, child: ChildFile) -> None:
        """Take what the child's file knows (birth date, guardians) into a draft that has no
        answer for it yet; mark it for the director to check."""
        assert self.definition is not None
        prefill = prefill_answers(self.definition, child, self.answers, self._desk.today())
        if not prefill.paths:
            return
        self.answers = prefill.answers
        self._prefilled = set(prefill.paths)
        self._dirty = True
        for repeat_id, repeat_widget in self._repeats.items():
            count = len(
                {p.split("]", 1)[0] for p in prefill.paths if p.startswith(repeat_id + "[")}
            )
            if count:
                repeat_widget.prefill_note.setText(
                    self.tr(
                        "已按儿童档案“监护人”页填写了 {0} 位的关系、状况等，请当面逐项核对："
                        "与实际不符的直接改正，没填的补上，档案里没有的人请“再添加一位”。"
                    ).format(count)
                )
                repeat_widget.prefill_note.show()

    def _first_incomplete_page(self) -> int:
        assert self.state is not None
        for index, page_state in enumerate(self.state.pages):
            if page_state.relevant and (page_state.missing or page_state.errors):
                return index
        return len(self._pages) - 1

    # answers and live evaluation ---------------------------------------------------------------

    def _answer_changed(self, path: str, value: object) -> None:
        if self.is_finished:
            return
        if "." in path:
            head, leaf = path.split(".", 1)
            repeat_id, index_text = head[:-1].split("[")
            block = self.answers[repeat_id][int(index_text)]
            if value is None:
                block.pop(leaf, None)
            else:
                block[leaf] = value
        elif value is None:
            self.answers.pop(path, None)
        else:
            self.answers[path] = value
        self._touched.add(path)
        if path in self._prefilled:  # the director has answered it now
            self._prefilled.discard(path)
            self._widgets[path].set_prefilled(False)
        self._mark_dirty()
        self._refresh()

    def set_answer(self, path: str, value: object) -> None:
        """Set an answer as if typed (demos, tests): the widget shows it and the draft saves."""
        self._widgets[path].set_value(value)
        self._answer_changed(path, self._widgets[path].value())

    def add_block(self, repeat_id: str) -> None:
        if self.is_finished:
            return
        blocks = self.answers.setdefault(repeat_id, [])
        blocks.append({})
        self._build_blocks(repeat_id)
        self._mark_dirty()
        self._refresh()

    def _confirm_remove_block(self, repeat_id: str, index: int) -> None:
        if confirm(
            self,
            self.tr("删除"),
            self.tr("删除第 {0} 位的全部答案吗？").format(index + 1),
            self.tr("删除"),
        ):
            self.remove_block(repeat_id, index)

    def remove_block(self, repeat_id: str, index: int) -> None:
        if self.is_finished:
            return
        blocks = self.answers.get(repeat_id) or []
        if 0 <= index < len(blocks):
            del blocks[index]
            self._touched = {p for p in self._touched if not p.startswith(repeat_id + "[")}
            self._prefilled = _without_block(self._prefilled, repeat_id, index)
            self._build_blocks(repeat_id)
            self._mark_dirty()
            self._refresh()

    def _mark_dirty(self) -> None:
        self._dirty = True
        self.save_status.setText(self.tr("有改动，稍后自动保存"))
        self._save_timer.start()

    def _refresh(self) -> None:
        """Evaluate the answers and update what is shown: relevance, messages, progress."""
        if self.definition is None:
            return
        state = evaluate(self.definition, self.answers, today=self._desk.today())
        self.state = state
        for qstate in state.questions:
            widget = self._widgets.get(qstate.path)
            if widget is None:
                continue
            widget.set_relevant(qstate.relevant)
            widget.set_optional(not qstate.required)
            widget.show_message(self._message_for(qstate.path, qstate.errors, qstate.missing))
        for repeat_id, repeat_widget in self._repeats.items():
            repeat_problems = [p for p in state.problems if p.path == repeat_id]
            page = self._page_of_item.get(repeat_id, -1)
            shown = page in self._checked_pages or repeat_id in self._touched
            repeat_widget.show_message(
                self._problem_text(repeat_problems[0]) if repeat_problems and shown else None
            )
            self._update_block_titles(repeat_widget)
        for index, page_state in enumerate(state.pages):
            self._update_page_item(
                index, page_state.relevant, page_state.missing, page_state.errors
            )
        if state.complete and self.notice.isVisible():
            self.notice.hide()
        self._update_progress()

    def _update_block_titles(self, repeat_widget: RepeatWidget) -> None:
        """'第 1 位：母亲' — the first choice question of a block names the person."""
        assert self.definition is not None
        repeat = repeat_widget.repeat
        first = next((q for q in self.definition.questions if q.repeat is repeat), None)
        blocks = self.answers.get(repeat.id) or []
        for index, title in enumerate(repeat_widget.block_titles):
            text = self.tr("第 {0} 位").format(index + 1)
            block = blocks[index] if index < len(blocks) else {}
            if first is not None and first.choices and isinstance(block, dict):
                choice = first.choice_by_value.get(block.get(first.id, ""))
                if choice is not None:
                    text += "：" + choice.label
            if title.text() != text:
                title.setText(text)

    def _message_for(self, path: str, errors: list[AnswerProblem], missing: bool) -> str | None:
        for problem in errors:
            if problem.code != "required":
                return self._problem_text(problem)
        if missing:
            leaf = path.rsplit(".", 1)[-1]
            page = self._page_of_item.get(leaf, -1)
            if page in self._checked_pages or path in self._touched:
                for problem in errors:
                    return self._problem_text(problem)
                return self.tr("这一题还没有回答。")
        return None

    def _problem_text(self, problem: AnswerProblem) -> str:
        if problem.definition_message:
            return problem.definition_message
        defaults = {
            "required": self.tr("这一题还没有回答。"),
            "constraint": self.tr("填写的内容不符合要求，请检查。"),
            "too_few": self.tr("至少需要填写 {0} 位。"),
            "too_many": self.tr("填写的人数超过了上限。"),
        }
        text = defaults.get(problem.code, self.tr("这一项的答案无法识别，请重新填写。"))
        if problem.code == "too_few" and self.definition is not None:
            repeat = self.definition.by_id.get(problem.path)
            text = text.format(repeat.min_count if isinstance(repeat, Repeat) else 1)
        return text

    def _update_page_item(self, index: int, relevant: bool, missing: int, errors: int) -> None:
        item = self.page_list.item(index)
        if item is None:
            return
        page = self._pages[index].page
        if not relevant:
            text = self.tr("{0}（不适用）").format(page.label)
        elif errors or (missing and index in self._checked_pages):
            text = self.tr("{0}  缺 {1}").format(page.label, missing + errors)
        elif not missing and not errors:
            text = "✓ " + page.label
        else:
            text = page.label
        if item.text() != text:
            item.setText(text)
        flags = item.flags()
        enabled = relevant
        wanted = (
            flags | Qt.ItemFlag.ItemIsEnabled if enabled else flags & ~Qt.ItemFlag.ItemIsEnabled
        )
        if wanted != flags:
            item.setFlags(wanted)

    def _update_progress(self) -> None:
        state = self.state
        if state is None:
            return
        relevant = [i for i, p in enumerate(state.pages) if p.relevant]
        if self._current < len(self._pages):
            position = sum(1 for i in relevant if i <= self._current)
            page_text = self.tr("第 {0}/{1} 页").format(position, len(relevant))
        else:
            page_text = self.tr("评估结果")
        self.progress.setText(
            self.tr("{0} · 已答 {1}/{2} 题").format(page_text, state.answered, state.total)
        )
        self.progress_bar.setMaximum(max(state.total, 1))
        self.progress_bar.setValue(state.answered)

    # navigation --------------------------------------------------------------------------------

    @property
    def current_page(self) -> int:
        """Index of the shown page; ``len(definition.pages)`` is the result page."""
        return self._current

    def current_page_id(self) -> str:
        if self._current < len(self._pages):
            return self._pages[self._current].page.id
        return "result"

    def _relevant_pages(self) -> list[int]:
        if self.state is None:
            return []
        return [i for i, p in enumerate(self.state.pages) if p.relevant]

    def go_to_page(self, index: int) -> None:
        if not self._pages:
            return
        if self._current < len(self._pages) and self._current != index:
            self._checked_pages.add(self._current)
            self.save_now()
        self._current = index
        self.stack.setCurrentIndex(index + 1)  # the loading label is first
        if self.page_list.currentRow() != index:
            self.page_list.blockSignals(True)
            self.page_list.setCurrentRow(index)
            self.page_list.blockSignals(False)
        self._refresh()
        self._update_buttons()
        if index < len(self._pages):
            self._pages[index].scroll.verticalScrollBar().setValue(0)

    def _page_list_clicked(self, row: int) -> None:
        if row < 0 or self._busy:
            return
        if row >= len(self._pages):
            self.show_result()
        else:
            self.notice.hide()
            self.go_to_page(row)

    def _update_buttons(self) -> None:
        relevant = self._relevant_pages()
        on_result = self._current >= len(self._pages)
        self.back_button.setEnabled(on_result or any(i < self._current for i in relevant))
        can_finish = on_result and not self.is_finished and self.assessment_result is not None
        self.finish_button.setVisible(can_finish)
        self.finish_button.setEnabled(can_finish and not self._busy)
        self.finish_button.setDefault(can_finish)
        self.next_button.setDefault(not on_result)
        if on_result:
            self.next_button.setVisible(False)
        else:
            self.next_button.setVisible(True)
            self.next_button.setEnabled(True)
            is_last = not any(i > self._current for i in relevant)
            self.next_button.setText(self.tr("查看结果 →") if is_last else self.tr("下一页 →"))
        self.close_button.setText(self.tr("关闭") if self.is_finished else self.tr("保存并关闭"))

    def go_next(self) -> None:
        later = [i for i in self._relevant_pages() if i > self._current]
        self.notice.hide()
        if later:
            self.go_to_page(later[0])
        else:
            self.show_result()

    def go_back(self) -> None:
        earlier = [i for i in self._relevant_pages() if i < self._current]
        self.notice.hide()
        if earlier:
            self.go_to_page(earlier[-1])

    def show_result(self) -> None:
        """The result page: a preview while the draft is complete, or the missing answers."""
        if self.definition is None:
            return
        if self.is_finished:
            self._show_result_page()
            return
        self._refresh()
        assert self.state is not None
        if not self.state.complete:
            self._show_problems(self.state.problems)
            return
        try:
            self.assessment_result = score(self.definition, self.answers, today=self._desk.today())
        except AnswerError as err:
            self._show_problems(err.problems)
            return
        self._show_result_page()

    def _show_problems(self, problems: list[AnswerProblem]) -> None:
        """Mark every page checked, show the messages in place, go to the first problem."""
        if self._current < len(self._pages):
            self._checked_pages.add(self._current)
        self._checked_pages.update(range(len(self._pages)))
        self._refresh()
        count = len(problems)
        target = self._current
        for problem in problems:
            leaf = problem.path.rsplit(".", 1)[-1]
            head = problem.path.split("[", 1)[0]
            page = self._page_of_item.get(leaf, self._page_of_item.get(head))
            if page is not None:
                target = page
                break
        self.go_to_page(target)
        self.notice.setText(
            self.tr(
                "还有 {0} 处需要填写或修改，已在题目下方用红字标出。补好后再点“查看结果”。"
            ).format(count)
        )
        self.notice.show()

    def _show_result_page(self) -> None:
        if self._current < len(self._pages):
            self._checked_pages.add(self._current)
            self.save_now()
        self._fill_result_page()
        self._current = len(self._pages)
        self.stack.setCurrentWidget(self._result_page)
        self.page_list.blockSignals(True)
        self.page_list.setCurrentRow(len(self._pages))
        self.page_list.blockSignals(False)
        self._update_progress()
        self._update_buttons()

    def _fill_result_page(self) -> None:
        result = self.assessment_result
        assert result is not None
        body = QWidget()
        body.setObjectName("result_body")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 8, 16, 16)
        layout.setSpacing(10)
        title = _label(self.tr("评估结果"), "title")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        layout.addWidget(title)

        if self.is_finished:
            when = self._finished_on.isoformat() if self._finished_on else ""
            status = self.tr("已于 {0} 完成。").format(when) + self.tr(FINISH_WARNING)
        else:
            status = self.tr(
                "这是预览，评估还没有完成。请核对后点右下角的“完成评估”；"
                "需要改答案可点“上一页”或左边的页名。"
            )
        status_label = _label(status, "hint")
        status_label.setObjectName("result_status")
        layout.addWidget(status_label)

        level_row = QHBoxLayout()
        badge = LevelBadge(result.level)
        badge.setObjectName("result_level")
        level_row.addWidget(badge)
        level_text = result.level_label or ""
        level_label = _label(level_text, "title", wrap=False)
        level_label.setObjectName("result_level_label")
        level_row.addWidget(level_label)
        level_row.addStretch(1)
        layout.addLayout(level_row)

        percent = result.total_percent
        total_text = self.tr("总分 {0}/{1}").format(
            _number(result.total_score), _number(result.total_max)
        )
        if percent is not None:
            total_text += self.tr("（{0}%）").format(_number(percent))
        if result.score_level and result.level and result.score_level != result.level:
            total_text += self.tr("。按得分为“{0}”，因下列情况调整为“{1}”。").format(
                LEVEL_WORDS.get(result.score_level, result.score_level),
                LEVEL_WORDS.get(result.level, result.level),
            )
        total = _label(total_text)
        total.setObjectName("result_total")
        layout.addWidget(total)

        if result.mandatory_report:
            report = _label(
                self.tr(
                    "⚠ 本次评估发现须强制报告的情况：请立即报告镇（街道）和区民政局；"
                    "涉及侵害的，依法向公安机关报案。"
                ),
                "error",
            )
            report.setObjectName("result_mandatory_report")
            layout.addWidget(report)

        if result.fired_rules:
            layout.addWidget(_label(self.tr("触发的规则"), "title"))
            rules = QWidget()
            rules.setObjectName("result_rules")
            rules_layout = QVBoxLayout(rules)
            rules_layout.setContentsMargins(12, 0, 0, 0)
            for rule in result.fired_rules:
                text = f"● {rule.reason}"
                effect = self.tr("定为") if rule.effect == "force" else self.tr("至少为")
                text += self.tr("（{0}“{1}”").format(
                    effect, LEVEL_WORDS.get(rule.level, rule.level)
                )
                text += self.tr("，须强制报告）") if rule.mandatory_report else "）"
                rules_layout.addWidget(_label(text))
            layout.addWidget(rules)

        layout.addWidget(_label(self.tr("各部分得分"), "title"))
        layout.addWidget(self._sections_widget(result))

        if result.recommendations:
            layout.addWidget(_label(self.tr("建议的帮扶措施（分层赋能）"), "title"))
            recs = QWidget()
            recs.setObjectName("result_recommendations")
            recs_layout = QVBoxLayout(recs)
            recs_layout.setContentsMargins(12, 0, 0, 0)
            for number, text in enumerate(result.recommendations, 1):
                recs_layout.addWidget(_label(f"{number}. {text}"))
            layout.addWidget(recs)

        layout.addStretch(1)
        old = self._result_page.takeWidget()
        if old is not None:
            old.deleteLater()
        self._result_page.setWidget(body)

    def _sections_widget(self, result: AssessmentResult) -> QWidget:
        box = QWidget()
        box.setObjectName("result_sections")
        grid = QGridLayout(box)
        grid.setContentsMargins(12, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        parents = {s.id: s.parent for s in result.sections}
        bar_width = self.fontMetrics().horizontalAdvance("0") * 8
        for row, section in enumerate(result.sections):
            depth, parent = 0, section.parent
            while parent is not None:
                depth += 1
                parent = parents.get(parent)
            name = _label(
                "    " * depth + section.label, "title" if depth == 0 else None, wrap=False
            )
            grid.addWidget(name, row, 0)
            if not section.relevant or not section.max_score:
                grid.addWidget(_label(self.tr("不适用"), "hint", wrap=False), row, 1)
                continue
            grid.addWidget(
                _label(f"{_number(section.score)}/{_number(section.max_score)}", wrap=False), row, 1
            )
            bar = QProgressBar()
            bar.setObjectName(f"section_{section.id}")
            bar.setRange(0, 100)
            bar.setValue(round(section.percent or 0))
            bar.setFormat(f"{_number(section.percent or 0)}%")
            bar.setMinimumWidth(bar_width)
            bar.setMaximumWidth(bar_width * 4)
            grid.addWidget(bar, row, 2)
        grid.setColumnStretch(2, 1)
        return box

    # saving and finishing ----------------------------------------------------------------------

    def save_now(self) -> None:
        """Save the draft at once if anything changed (otherwise nothing happens)."""
        self._save_timer.stop()
        if not self._dirty or self.is_finished or self.record_id is None:
            return
        record_id, answers = self.record_id, copy.deepcopy(self.answers)
        service = self._desk.assessments
        self._dirty = False
        self._saving = True
        self.save_status.setText(self.tr("正在保存……"))
        self._desk.runner.submit(
            lambda: service.save_draft(record_id, answers), self._saved, self._save_failed
        )

    def _saved(self, _stored: object) -> None:
        self._saving = False
        if not self._dirty:
            now = QTime.currentTime().toString("HH:mm")
            self.save_status.setText(self.tr("草稿已自动保存（{0}）").format(now))

    def _save_failed(self, err: BaseException) -> None:
        self._saving = False
        self._dirty = True
        self.save_status.setText(self.tr("草稿没有保存"))
        show_error(self, err, self.tr("草稿没有保存"))

    def finish(self) -> None:
        """Ask, then score and freeze the assessment (immutable from then on)."""
        if self.is_finished or self.record_id is None or self._busy:
            return
        if self.assessment_result is None or self._current < len(self._pages):
            self.show_result()  # finishing is from the result the director has seen
            return
        level = self.assessment_result.level
        outcome = (
            self.tr("评估结果：{0}。").format(LEVEL_LABELS.get(level, level)) + "\n\n"
            if level
            else ""
        )
        if not confirm(
            self,
            self.tr("完成评估"),
            outcome + self.tr("{0}\n\n确定完成这次评估吗？").format(self.tr(FINISH_WARNING)),
            self.tr("完成评估"),
        ):
            return
        self._save_timer.stop()
        record_id, answers = self.record_id, copy.deepcopy(self.answers)
        service = self._desk.assessments

        def task() -> tuple[Stored[Assessment], AssessmentResult]:
            service.save_draft(record_id, answers)
            return service.finish(record_id)

        self._busy = True
        self._dirty = False
        self.finish_button.setEnabled(False)
        self.save_status.setText(self.tr("正在完成评估……"))
        self._desk.runner.submit(task, self._finished, self._finish_failed)

    def _finished(self, done: tuple[Stored[Assessment], AssessmentResult]) -> None:
        self._busy = False
        stored, result = done
        self.is_finished = True
        self._finished_on = stored.value.finished_on
        self.assessment_result = result
        for widget in self._widgets.values():
            widget.set_read_only(True)
        for repeat_widget in self._repeats.values():
            repeat_widget.update_controls(True)
        self.save_status.setText(self.tr("评估已完成"))
        self._show_result_page()
        self.assessment_finished.emit(stored.record_id)

    def _finish_failed(self, err: BaseException) -> None:
        self._busy = False
        self._dirty = True
        self.save_status.setText("")
        if isinstance(err, AnswerError):
            self._show_problems(err.problems)
            return
        self.finish_button.setEnabled(True)
        show_error(self, err, self.tr("评估没有完成"))

    def done(self, code: int) -> None:
        self.save_now()  # drafts are never lost when the window closes
        super().done(code)

    # the session's editor contract (ui/editor_contract.py): the wizard keeps its own drafts
    def unsaved_draft(self) -> dict[str, Any] | None:
        return None

    def discard_changes(self) -> None:
        """Nothing to forget: done() saves the in-progress assessment as its draft."""

    def reload(self) -> None:
        """Nothing elsewhere changes what the wizard shows."""

    # for tests and screenshots -----------------------------------------------------------------

    def question_widget(self, path: str) -> QuestionWidget:
        return self._widgets[path]

    def is_shown(self, path: str) -> bool:
        """Whether a question is shown (relevant), whatever page is on screen."""
        return self._widgets[path].relevant


def _without_block(paths: set[str], repeat_id: str, index: int) -> set[str]:
    """Answer paths after block ``index`` of a repeat was removed (later blocks move up)."""
    kept: set[str] = set()
    prefix = repeat_id + "["
    for path in paths:
        if not path.startswith(prefix):
            kept.add(path)
            continue
        number, rest = path[len(prefix) :].split("]", 1)
        if int(number) < index:
            kept.add(path)
        elif int(number) > index:
            kept.add(f"{prefix}{int(number) - 1}]{rest}")
    return kept


def _number(value: float) -> str:
    rounded = round(value, 1)
    return str(int(rounded)) if float(rounded).is_integer() else str(rounded)


# --- factories for the screenshot tool ---------------------------------------------------------


def _wait_loaded(wizard: AssessmentWizard) -> None:
    loop = QEventLoop()
    while wizard.definition is None and wizard._busy:
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def _demo_child_id(desk: DeskServices, level: str | None = None) -> str:
    def task() -> str:
        children, _damaged = desk.children.list_all()
        if not children:
            raise LookupError("no children in the vault")
        if level is not None:
            for stored in children:
                if desk.assessments.current_level(stored.record_id) == level:
                    return stored.record_id
        return children[0].record_id

    return str(_run_sync(desk, task))


def demo_assessment_wizard(desk: DeskServices) -> AssessmentWizard:
    """A new assessment on a demo child, partly filled, on the guardians page (a middle page)
    with one required message showing."""
    import random

    from app.questionnaire.sample_answers import sample_answers

    child_id = _demo_child_id(desk)
    wizard = AssessmentWizard(desk, child_id)
    _wait_loaded(wizard)
    assert wizard.definition is not None
    definition = wizard.definition
    answers = sample_answers(definition, random.Random(11), desk.today())
    page_ids = [p.id for p in definition.pages]
    middle = page_ids.index("guardian_health") if "guardian_health" in page_ids else 3
    for question in definition.questions:
        page = wizard._page_of_item.get(question.id, 0)
        wanted = question.repeat is None and page < middle and question.id in answers
        if wanted and question.id != "child_birth_date":  # keep the one from the child file
            wizard.set_answer(question.id, answers[question.id])
    for repeat_id in wizard._repeats:
        if wizard._page_of_item.get(repeat_id) == middle:
            # the guardians come prefilled from the child file; add and answer what is missing
            while len(wizard.answers.get(repeat_id) or []) < 2:
                wizard.add_block(repeat_id)
            first: dict[str, object] = {
                "g_relation": "mother",
                "g_situation": "working_away",
                "g_care": "regular_contact",
            }
            second: dict[str, object] = {
                "g_relation": "grandparent",
                "g_situation": "at_home",
                "g_age": 67,
            }
            for index, block in enumerate((first, second)):
                for leaf, value in block.items():
                    path = f"{repeat_id}[{index}].{leaf}"
                    if path in wizard._widgets and wizard._widgets[path].value() is None:
                        wizard.set_answer(path, value)
    wizard.go_to_page(middle)
    wizard._checked_pages.add(middle)
    wizard._refresh()
    wizard.save_now()
    return wizard


def demo_result_page(desk: DeskServices) -> AssessmentWizard:
    """A finished demo assessment, opened read-only on its result page (a red or orange level
    with fired rules when the demo caseload has one)."""

    def task() -> tuple[str, str]:
        best: tuple[int, str, str] | None = None
        for stored in desk.assessments.list_all():
            value = stored.value
            if value.status != FINISHED or not value.result:
                continue
            fired = len(value.result.get("fired_rules") or [])
            # a typical worrying family: red or orange, with one to three rules fired
            rank = (value.result.get("level") in ("red", "orange")) * 10 - abs(fired - 2)
            if best is None or rank > best[0]:
                best = (rank, value.child_id, stored.record_id)
        if best is None:
            raise LookupError("no finished assessment in the vault")
        return best[1], best[2]

    child_id, assessment_id = _run_sync(desk, task)
    wizard = AssessmentWizard(desk, child_id, assessment_id)
    _wait_loaded(wizard)
    return wizard
