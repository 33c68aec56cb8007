"""The assessment wizard, put together from its parts (one module each): pages.py builds and
loads, answers.py evaluates live, navigation.py moves between pages and the result, saving.py
saves and finishes."""

from __future__ import annotations

from ui.views.assessment_wizard.answers import AnswersPart
from ui.views.assessment_wizard.navigation import NavigationPart
from ui.views.assessment_wizard.pages import PagesPart
from ui.views.assessment_wizard.questions import QuestionWidget
from ui.views.assessment_wizard.saving import SavingPart


class AssessmentWizard(PagesPart, AnswersPart, NavigationPart, SavingPart):
    """Start a new assessment for a child, or resume a draft / view a finished one by id."""

    # for tests and screenshots -----------------------------------------------------------------

    def question_widget(self, path: str) -> QuestionWidget:
        return self._widgets[path]

    def is_shown(self, path: str) -> bool:
        """Whether a question is shown (relevant), whatever page is on screen."""
        return self._widgets[path].relevant
