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

The wizard is a package of parts: questions.py and repeats.py (the widgets), base.py (frame and
shared state), pages.py, answers.py, navigation.py, result_view.py, saving.py and demo.py (the
screenshot factories). The rules (which page is next, which message shows when, how the result
reads) are plain Python in app/questionnaire/wizard_flow.py, answer_paths.py and
result_summary.py.
"""

from ui.views.assessment_wizard.base import SAVE_DELAY_MS
from ui.views.assessment_wizard.demo import demo_assessment_wizard, demo_result_page
from ui.views.assessment_wizard.questions import (
    PREFILLED_TEXT,
    DateWidget,
    DecimalWidget,
    IntegerWidget,
    MultipleChoiceWidget,
    QuestionWidget,
    SingleChoiceWidget,
    TextWidget,
    YesNoWidget,
    make_question_widget,
)
from ui.views.assessment_wizard.repeats import RepeatWidget
from ui.views.assessment_wizard.result_view import FINISH_WARNING, ResultPage
from ui.views.assessment_wizard.wizard import AssessmentWizard

__all__ = [
    "FINISH_WARNING",
    "PREFILLED_TEXT",
    "SAVE_DELAY_MS",
    "AssessmentWizard",
    "DateWidget",
    "DecimalWidget",
    "IntegerWidget",
    "MultipleChoiceWidget",
    "QuestionWidget",
    "RepeatWidget",
    "ResultPage",
    "SingleChoiceWidget",
    "TextWidget",
    "YesNoWidget",
    "demo_assessment_wizard",
    "demo_result_page",
    "make_question_widget",
]
