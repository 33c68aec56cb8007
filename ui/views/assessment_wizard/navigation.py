"""Moving through the wizard: 上一页 / 下一页 over the pages that apply, the page list, the
result page (a preview while the draft is complete, or the missing answers marked in place) and
which buttons show where. Which page comes next is decided in app/questionnaire/wizard_flow.py."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from app.questionnaire import AnswerError, AnswerProblem, score
from app.questionnaire.wizard_flow import next_page, previous_page, problem_page
from ui.views.assessment_wizard.base import WizardBase


class NavigationPart(WizardBase):
    @property
    def current_page(self) -> int:
        """Index of the shown page; ``len(definition.pages)`` is the result page."""
        return self._current

    def current_page_id(self) -> str:
        if self._current < len(self._pages):
            return self._pages[self._current].page.id
        return "result"

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
        if self._current != row:  # sent elsewhere (answers missing): once the click is over,
            QTimer.singleShot(0, self, self._mark_current_in_list)  # mark the page shown

    def _mark_current_in_list(self) -> None:
        self.page_list.blockSignals(True)
        self.page_list.setCurrentRow(self._current)
        self.page_list.blockSignals(False)

    def _update_buttons(self) -> None:
        on_result = self._current >= len(self._pages)
        has_earlier = previous_page(self.state, self._current) is not None
        self.back_button.setEnabled(on_result or has_earlier)
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
            is_last = next_page(self.state, self._current) is None
            self.next_button.setText(self.tr("查看结果 →") if is_last else self.tr("下一页 →"))
        self.close_button.setText(self.tr("关闭") if self.is_finished else self.tr("保存并关闭"))

    def go_next(self) -> None:
        later = next_page(self.state, self._current)
        self.notice.hide()
        if later is not None:
            self.go_to_page(later)
        else:
            self.show_result()

    def go_back(self) -> None:
        earlier = previous_page(self.state, self._current)
        self.notice.hide()
        if earlier is not None:
            self.go_to_page(earlier)

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
        target = problem_page(problems, self._page_of_item)
        self.go_to_page(self._current if target is None else target)
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
        assert self.assessment_result is not None
        self._result_page.show_result(self.assessment_result, self.is_finished, self._finished_on)
        self._current = len(self._pages)
        self.stack.setCurrentWidget(self._result_page)
        self.page_list.blockSignals(True)
        self.page_list.setCurrentRow(len(self._pages))
        self.page_list.blockSignals(False)
        self._update_progress()
        self._update_buttons()
