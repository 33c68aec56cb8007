"""The questionnaire engine: versioned JSON definitions, skip logic, scoring and grading.

Plain Python (no Qt, no storage). Typical use::

    definition = load_default_definition()          # or load_definition(path)
    state = evaluate(definition, answers, today=d)   # a draft: relevant, required, missing
    result = score(definition, answers, today=d)     # AssessmentResult, or AnswerError
    stored = result.to_json()                        # AssessmentResult.from_json(stored)

Answers are plain JSON-able dicts: question id -> value, a repeat group as a list of dicts.
The format is documented in docs/questionnaire-format.md.
"""

from app.questionnaire.engine import DraftState, PageState, QuestionState, evaluate
from app.questionnaire.errors import (
    AnswerError,
    AnswerProblem,
    DefinitionError,
    DefinitionProblem,
    ExpressionSyntaxError,
)
from app.questionnaire.grading import score
from app.questionnaire.loader import (
    bundled_definition_path,
    definition_from_json,
    load_default_definition,
    load_definition,
    load_definition_text,
)
from app.questionnaire.model import LEVELS, Definition
from app.questionnaire.result import AssessmentResult, FiredRule, SectionScore
from app.questionnaire.template import answer_template

__all__ = [
    "LEVELS",
    "AnswerError",
    "AnswerProblem",
    "AssessmentResult",
    "Definition",
    "DefinitionError",
    "DefinitionProblem",
    "DraftState",
    "ExpressionSyntaxError",
    "FiredRule",
    "PageState",
    "QuestionState",
    "SectionScore",
    "answer_template",
    "bundled_definition_path",
    "definition_from_json",
    "evaluate",
    "load_default_definition",
    "load_definition",
    "load_definition_text",
    "score",
]
