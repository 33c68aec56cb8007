"""Building the wizard's pages from the definition (a widget per question, repeat groups as
blocks), loading the assessment on the vault worker, and taking what the child file knows into a
new draft (marked for the director to check)."""

from __future__ import annotations

import copy
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QListWidgetItem, QScrollArea, QVBoxLayout, QWidget

from app.domain.child_file import ChildFile
from app.questionnaire import AssessmentResult, Definition
from app.questionnaire.answer_paths import blocks_touched, in_repeat
from app.questionnaire.model import Group, Item, Note, Question, Repeat
from app.questionnaire.naming import label_of
from app.questionnaire.wizard_flow import first_incomplete_page, missing_blocks
from app.services.assessment_prefill import prefill_answers
from app.services.assessments import FINISHED, Assessment
from app.services.stored import Stored
from ui.views import messages
from ui.views.assessment_wizard.base import PageView, WizardBase
from ui.views.assessment_wizard.questions import make_question_widget
from ui.views.assessment_wizard.repeats import RepeatWidget
from ui.views.widgets import plain_label as _label


class PagesPart(WizardBase):
    def _build_pages(self, definition: Definition) -> None:
        today = self._desk.today()
        width = 0
        for index, page in enumerate(definition.pages):
            # top-down: the scroll area in the stack and the page in it before the page fills,
            # so each question widget is parented once, not the whole page moved twice after
            # (each move carries fonts and style over the page's every widget)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.stack.addWidget(scroll)
            body = QWidget()
            body.setObjectName(f"page_{page.id}")
            layout = QVBoxLayout(body)
            layout.setContentsMargins(16, 8, 16, 16)
            layout.setSpacing(6)
            scroll.setWidget(body)
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
            self._pages.append(PageView(page, scroll))
            self.page_list.addItem(QListWidgetItem(page.label))
            width = max(
                width, self.page_list.fontMetrics().horizontalAdvance(page.label + "  缺 99 ")
            )
        self.page_list.setFixedWidth(width + 40)
        self.stack.addWidget(self._result_page)
        self.page_list.addItem(QListWidgetItem(self.RESULT_ZH))

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
        for path in [p for p in self._widgets if in_repeat(p, repeat_id)]:
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
            service = self._service()
            if requested:
                stored = service.get(requested)
            else:
                stored = service.start(child_id, self._new_definition(), [desk.author])
            corrected_on = None
            if stored.value.corrects:
                original = service.get(stored.value.corrects).value
                corrected_on = original.finished_on or original.started_on
            return child, stored, service.definition_for(stored.value), corrected_on

        self._busy = True
        desk.runner.submit(task, self._loaded, self._load_failed)

    def _load_failed(self, err: BaseException) -> None:
        self._busy = False
        self.loading.setText(self.tr("没能打开这份评估。请关闭后重试。"))
        messages.show_error(self, err, self.tr("没能打开评估"))

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
        self.heading.setText(f"{self.KIND_ZH} · {child.name}")
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
            missing = 0 if self.is_finished else missing_blocks(repeat_widget.repeat, self.answers)
            if missing:
                blocks = self.answers.get(repeat_id) or []
                self.answers[repeat_id] = list(blocks) + [{} for _ in range(missing)]
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
            assert self.state is not None
            self.go_to_page(first_incomplete_page(self.state, len(self._pages)))
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
            count = blocks_touched(prefill.paths, repeat_id)
            if count:
                repeat_widget.prefill_note.setText(
                    self.tr(
                        "已按儿童档案“监护人”页填写了 {0} 位的关系、状况等，请当面逐项核对："
                        "与实际不符的直接改正，没填的补上，档案里没有的人请“再添加一位”。"
                    ).format(count)
                )
                repeat_widget.prefill_note.show()
