"""Answers and live evaluation: an answer changed (typed, clicked, a block added or removed),
the engine's ``evaluate`` run again, and what is shown brought up to date (relevance, messages,
page marks, block titles, progress). The rules of what shows when are in
app/questionnaire/wizard_flow.py."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.questionnaire import AnswerProblem, evaluate
from app.questionnaire.answer_paths import in_repeat, set_answer, without_block
from app.questionnaire.wizard_flow import (
    PageMark,
    block_person,
    message_shown,
    minimum_count,
    page_mark,
    page_position,
    question_problem,
    repeat_problem,
)
from ui.views import messages
from ui.views.assessment_wizard.base import WizardBase
from ui.views.assessment_wizard.repeats import RepeatWidget


class AnswersPart(WizardBase):
    def _answer_changed(self, path: str, value: object) -> None:
        if self.is_finished:
            return
        set_answer(self.answers, path, value)
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
        if messages.confirm(
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
            self._touched = {p for p in self._touched if not in_repeat(p, repeat_id)}
            self._prefilled = without_block(self._prefilled, repeat_id, index)
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
            shown = self._message_shown(qstate.path)
            problem = question_problem(qstate.path, qstate.errors, qstate.missing, shown)
            widget.show_message(self._problem_text(problem) if problem is not None else None)
        for repeat_id, repeat_widget in self._repeats.items():
            problem = repeat_problem(state, repeat_id)
            shown = problem is not None and self._message_shown(repeat_id)
            repeat_widget.show_message(
                self._problem_text(problem) if problem is not None and shown else None
            )
            self._update_block_titles(repeat_widget)
        for index, page_state in enumerate(state.pages):
            mark, count = page_mark(page_state, index in self._checked_pages)
            self._update_page_item(index, mark, count)
        if state.complete and self.notice.isVisible():
            self.notice.hide()
        self._update_progress()

    def _message_shown(self, path: str) -> bool:
        return message_shown(path, self._page_of_item, self._checked_pages, self._touched)

    def _update_block_titles(self, repeat_widget: RepeatWidget) -> None:
        """'第 1 位：母亲' — the first choice question of a block names the person."""
        assert self.definition is not None
        repeat = repeat_widget.repeat
        blocks = self.answers.get(repeat.id) or []
        for index, title in enumerate(repeat_widget.block_titles):
            text = self.tr("第 {0} 位").format(index + 1)
            block = blocks[index] if index < len(blocks) else {}
            choice = block_person(self.definition, repeat, block)
            if choice is not None:
                text += "：" + choice.label
            if title.text() != text:
                title.setText(text)

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
            text = text.format(minimum_count(self.definition, problem.path))
        return text

    def _update_page_item(self, index: int, mark: PageMark, count: int) -> None:
        item = self.page_list.item(index)
        if item is None:
            return
        label = self._pages[index].page.label
        if mark is PageMark.NOT_APPLICABLE:
            text = self.tr("{0}（不适用）").format(label)
        elif mark is PageMark.MISSING:
            text = self.tr("{0}  缺 {1}").format(label, count)
        elif mark is PageMark.DONE:
            text = "✓ " + label
        else:
            text = label
        if item.text() != text:
            item.setText(text)
        flags = item.flags()
        enabled = mark is not PageMark.NOT_APPLICABLE
        wanted = (
            flags | Qt.ItemFlag.ItemIsEnabled if enabled else flags & ~Qt.ItemFlag.ItemIsEnabled
        )
        if wanted != flags:
            item.setFlags(wanted)

    def _update_progress(self) -> None:
        state = self.state
        if state is None:
            return
        if self._current < len(self._pages):
            position, count = page_position(state, self._current)
            page_text = self.tr("第 {0}/{1} 页").format(position, count)
        else:
            page_text = self.RESULT_ZH
        self.progress.setText(
            self.tr("{0} · 已答 {1}/{2} 题").format(page_text, state.answered, state.total)
        )
        self.progress_bar.setMaximum(max(state.total, 1))
        self.progress_bar.setValue(state.answered)
