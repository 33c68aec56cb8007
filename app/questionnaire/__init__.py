"""The questionnaire engine: versioned JSON definitions, skip logic, scoring and grading.

Plain Python (no Qt, no storage). Typical use::

    definition = load_default_definition()          # or load_definition(path)
    state = evaluate(definition, answers, today=d)   # a draft: relevant, required, missing
    result = score(definition, answers, today=d)     # AssessmentResult, or AnswerError
    stored = result.to_json()                        # AssessmentResult.from_json(stored)

Answers are plain JSON-able dicts: question id -> value, a repeat group as a list of dicts.
The format is documented in docs/questionnaire-format.md.

The names below load on first use (PEP 562): ``app.questionnaire.ages`` is imported by the
district server and every command-line start, and importing this package used to load the
engine, jsonschema and lark with it (about 0.1 s of each program start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "DraftState": "engine",
    "PageState": "engine",
    "QuestionState": "engine",
    "evaluate": "engine",
    "AnswerError": "errors",
    "AnswerProblem": "errors",
    "DefinitionError": "errors",
    "DefinitionProblem": "errors",
    "ExpressionSyntaxError": "errors",
    "score": "grading",
    "bundled_definition_path": "loader",
    "definition_from_json": "loader",
    "load_default_definition": "loader",
    "load_definition": "loader",
    "load_definition_text": "loader",
    "LEVELS": "model",
    "Definition": "model",
    "AssessmentResult": "result",
    "FiredRule": "result",
    "SectionScore": "result",
    "answer_template": "template",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


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
