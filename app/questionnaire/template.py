"""A JSON skeleton of a definition's answers, with every question's allowed values and scores.

For preparing test answers by hand: fill in ``answers`` and pass the whole file (or just the
``answers`` object) to ``childdesk questionnaire score``.
"""

from __future__ import annotations

from typing import Any

from app.questionnaire.model import Definition, Group, Item, Question, QuestionType, Repeat

_VALUE_FORMS = {
    QuestionType.INTEGER: "a whole number",
    QuestionType.DECIMAL: "a number",
    QuestionType.TEXT: "text",
    QuestionType.DATE: "a date, YYYY-MM-DD",
    QuestionType.MULTIPLE_CHOICE: "a list of choice values",
    QuestionType.SINGLE_CHOICE: "one choice value",
    QuestionType.YES_NO: '"yes" or "no"',
}


def answer_template(definition: Definition) -> dict[str, Any]:
    questions: dict[str, Any] = {}
    for question in definition.questions:
        questions[question.id] = _describe(question)
    return {
        "definition": {
            "id": definition.id,
            "version": definition.version,
            "title": definition.title,
        },
        "questions": questions,
        "answers": _skeleton(definition.items),
    }


def _describe(question: Question) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "label": question.label,
        "type": question.type.value,
        "answer": _VALUE_FORMS[question.type],
    }
    if question.parent is not None:
        spec["group"] = question.parent.id
    if question.repeat is not None:
        spec["repeat"] = question.repeat.id
    spec["required"] = question.required_text or question.required
    if question.relevant_text:
        spec["relevant"] = question.relevant_text
    if question.constraint_text:
        spec["constraint"] = question.constraint_text
        if question.constraint_message:
            spec["constraint_message"] = question.constraint_message
    if question.choices:
        spec["choices"] = [
            {"value": c.value, "label": c.label, "score": c.score} for c in question.choices
        ]
    if question.type is QuestionType.YES_NO:
        scores = question.yes_no_scores or {}
        spec["choices"] = [
            {"value": "yes", "label": "是", "score": scores.get("yes")},
            {"value": "no", "label": "否", "score": scores.get("no")},
        ]
    if question.score_text:
        spec["score"] = question.score_text
    if question.max_score is not None:
        spec["max_score"] = question.max_score
    return spec


def _skeleton(items: list[Item]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in items:
        if isinstance(item, Repeat):
            answers[item.id] = [_skeleton(item.items)]  # one block to copy for each more
        elif isinstance(item, Group):
            answers.update(_skeleton(item.items))
        elif isinstance(item, Question):
            answers[item.id] = None
    return answers
