"""Saving and finishing: the draft saved as the director goes (debounced, on the vault worker)
and when the window closes; finishing after a confirmation (a finished assessment's answers are
frozen); the session's editor contract (the wizard keeps its own drafts)."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QTime

from app.questionnaire import AnswerError, AssessmentResult
from app.services.assessments import Assessment
from app.services.stored import Stored
from ui.views import messages
from ui.views.assessment_wizard.base import WizardBase
from ui.views.assessment_wizard.result_view import FINISH_WARNING


class SavingPart(WizardBase):
    def save_now(self) -> None:
        """Save the draft at once if anything changed (otherwise nothing happens)."""
        self._save_timer.stop()
        if not self._dirty or self.is_finished or self.record_id is None:
            return
        record_id, answers = self.record_id, copy.deepcopy(self.answers)
        service = self._service()
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
        messages.show_error(self, err, self.tr("草稿没有保存"))

    def _finish_warning(self) -> str:
        return FINISH_WARNING

    def finish(self) -> None:
        """Ask, then score and freeze the assessment (immutable from then on)."""
        if self.is_finished or self.record_id is None or self._busy:
            return
        if self.assessment_result is None or self._current < len(self._pages):
            self.show_result()  # finishing is from the result the director has seen
            return
        level = self.assessment_result.level
        outcome = f"{self.RESULT_ZH}：{self._level_text(level)}。" + "\n\n" if level else ""
        if not messages.confirm(
            self,
            self.FINISH_ZH,
            outcome
            + self.tr("{0}\n\n{1}").format(self.tr(self._finish_warning()), self.CONFIRM_ZH),
            self.FINISH_ZH,
        ):
            return
        self._save_timer.stop()
        record_id, answers = self.record_id, copy.deepcopy(self.answers)
        service = self._service()

        def task() -> tuple[Stored[Assessment], AssessmentResult]:
            service.save_draft(record_id, answers)
            return service.finish(record_id)

        self._busy = True
        self._dirty = False
        self.finish_button.setEnabled(False)
        self.save_status.setText(self.tr("正在{0}……").format(self.FINISH_ZH))
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
        self.save_status.setText(self.DONE_ZH)
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
        messages.show_error(self, err, self.tr("评估没有完成"))

    def done(self, code: int) -> None:
        self.save_now()  # drafts are never lost when the window closes
        super().done(code)

    # the session's editor contract (ui/editor_contract.py): the wizard keeps its own drafts
    def unsaved_draft(self) -> dict[str, Any] | None:
        return None

    def discard_changes(self) -> None:
        """Nothing to forget, but the answers since the last save go to the draft now: a lock
        calls this and then ends the window without its done() (so done() cannot save), and
        the save is queued on the vault worker before the vault locks."""
        self.save_now()

    def reload(self) -> None:
        """Nothing elsewhere changes what the wizard shows."""
