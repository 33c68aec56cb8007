"""Checks answer values against their question types and turns them into expression values.

Answers are plain JSON: a dict from question id to value, with a repeat group's answers as a
list of such dicts (one per block). The same shape is what the vault stores, so a draft can be
saved and resumed as-is.

Per type: single choice and yes/no take a string ("yes"/"no"), multiple choice a list of
strings, integer a whole number, decimal any number, text a string, date "YYYY-MM-DD". ``null``,
``""`` and ``[]`` all mean "not answered".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

from app.questionnaire.errors import AnswerProblem
from app.questionnaire.expression_values import Value, parse_date
from app.questionnaire.model import Question, QuestionType

MAX_TEXT_LENGTH = 20_000
_MAX_EXACT = 2**53


def json_type(value: object) -> str:
    """How a JSON value reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def check_value(question: Question, raw: object, path: str) -> tuple[Value, AnswerProblem | None]:
    """The typed value of an answer, or ``None`` and the problem with it."""
    if raw is None:
        return None, None
    qtype = question.type
    if qtype is QuestionType.SINGLE_CHOICE:
        return _single_choice(question, raw, path)
    if qtype is QuestionType.MULTIPLE_CHOICE:
        return _multiple_choice(question, raw, path)
    if qtype is QuestionType.YES_NO:
        if raw in ("yes", "no"):
            return raw, None
        return None, _wrong(path, f'expected "yes" or "no", got {json_type(raw)}')
    if qtype is QuestionType.INTEGER:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) <= _MAX_EXACT:
            return raw, None
        return None, _wrong(path, f"expected a whole number, got {json_type(raw)}")
    if qtype is QuestionType.DECIMAL:
        is_number = isinstance(raw, int | float) and not isinstance(raw, bool)
        if is_number and math.isfinite(raw) and abs(raw) <= _MAX_EXACT:  # type: ignore[arg-type]
            return raw, None  # type: ignore[return-value]
        return None, _wrong(path, f"expected a number, got {json_type(raw)}")
    if qtype is QuestionType.TEXT:
        if not isinstance(raw, str):
            return None, _wrong(path, f"expected text, got {json_type(raw)}")
        if len(raw) > MAX_TEXT_LENGTH:
            return None, _wrong(path, f"text is longer than {MAX_TEXT_LENGTH} characters")
        return (raw if raw.strip() else None), None
    if qtype is QuestionType.DATE:
        if isinstance(raw, str):
            if not raw:
                return None, None
            parsed: date | None = parse_date(raw)
            if parsed is not None:
                return parsed, None
        return None, _wrong(path, f"expected a date written YYYY-MM-DD, got {json_type(raw)}")
    raise AssertionError(f"unhandled question type {qtype}")  # pragma: no cover


def _wrong(path: str, message: str) -> AnswerProblem:
    return AnswerProblem(path, "wrong_type", message)


def _choice_list(question: Question) -> str:
    values = [c.value for c in question.choices]
    shown = ", ".join(values[:12]) + (", ..." if len(values) > 12 else "")
    return shown


def _single_choice(
    question: Question, raw: object, path: str
) -> tuple[Value, AnswerProblem | None]:
    if not isinstance(raw, str):
        return None, _wrong(path, f"expected one choice value (text), got {json_type(raw)}")
    if raw == "":
        return None, None
    if raw not in question.choice_by_value:
        message = f"{raw!r} is not one of the choices ({_choice_list(question)})"
        return None, AnswerProblem(path, "invalid_choice", message)
    return raw, None


def _multiple_choice(
    question: Question, raw: object, path: str
) -> tuple[Value, AnswerProblem | None]:
    if not isinstance(raw, list):
        return None, _wrong(path, f"expected a list of choice values, got {json_type(raw)}")
    chosen: set[str] = set()
    for value in raw:
        if not isinstance(value, str):
            return None, _wrong(path, f"expected choice values (text), got {json_type(value)}")
        if value not in question.choice_by_value:
            message = f"{value!r} is not one of the choices ({_choice_list(question)})"
            return None, AnswerProblem(path, "invalid_choice", message)
        if value in chosen:
            return None, _wrong(path, f"{value!r} is chosen more than once")
        chosen.add(value)
    if not chosen:
        return None, None
    # Document order, so equal answers give equal values whatever order the GUI sent.
    return tuple(c.value for c in question.choices if c.value in chosen), None


def to_json_value(value: Value) -> object:
    """The JSON form of a typed answer or calculated value."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value
