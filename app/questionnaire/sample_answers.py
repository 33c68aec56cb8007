"""Random but valid, complete answer sets for a definition: for benchmarks, demos and tests.

Values are drawn per question type; answers that break a constraint are drawn again, and
answers to questions that turn out not to be relevant are dropped, so the result scores.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from app.questionnaire.engine import Run, ignored_answers, run_answers
from app.questionnaire.model import Definition, Question, QuestionType, Repeat

_MAX_ROUNDS = 50


def sample_answers(definition: Definition, rng: random.Random, today: date) -> dict[str, Any]:
    """A complete answer set that :func:`score` accepts (for sane definitions)."""
    answers: dict[str, Any] = {}
    for question in definition.questions:
        if question.repeat is None:
            answers[question.id] = _draw(question, rng, today)
    for item in definition.order:
        if isinstance(item, Repeat):
            upper = item.max_count if item.max_count is not None else 3
            count = rng.randint(max(item.min_count, 1), max(min(upper, 3), item.min_count, 1))
            answers[item.id] = [
                {q.id: _draw(q, rng, today) for q in definition.questions if q.repeat is item}
                for _ in range(count)
            ]
    # The engine's run is all this needs (problems, and relevance for what is ignored): the
    # wizard's per-question and per-page states that evaluate() adds are left out.
    settled: Run | None = None
    for _ in range(_MAX_ROUNDS):
        run = run_answers(definition, answers, today)
        failing = [p.path for p in run.problems if p.code in ("constraint", "required")]
        if not failing:
            settled = run  # the answers stand as they were run
            break
        for path in failing:
            _redraw(definition, answers, path, rng, today)
    if settled is None:
        settled = run_answers(definition, answers, today)
    for path in ignored_answers(settled, answers):
        _remove(answers, path)
    return answers


def _draw(question: Question, rng: random.Random, today: date) -> Any:
    qtype = question.type
    if qtype is QuestionType.SINGLE_CHOICE:
        return rng.choice(question.choices).value
    if qtype is QuestionType.MULTIPLE_CHOICE:
        size = rng.randint(1, min(3, len(question.choices)))
        return [c.value for c in rng.sample(question.choices, size)]
    if qtype is QuestionType.YES_NO:
        return rng.choice(("yes", "no"))
    if qtype is QuestionType.INTEGER:
        return rng.randint(0, 100)
    if qtype is QuestionType.DECIMAL:
        return round(rng.uniform(0, 5000), 2)
    if qtype is QuestionType.DATE:
        return (today - timedelta(days=rng.randint(0, 17 * 365))).isoformat()
    return "样例"


def _split(path: str) -> tuple[str | None, int, str]:
    if "." not in path:
        return None, 0, path
    head, leaf = path.split(".", 1)
    repeat_id, index = head[:-1].split("[")
    return repeat_id, int(index), leaf


def _redraw(
    definition: Definition, answers: dict[str, Any], path: str, rng: random.Random, today: date
) -> None:
    repeat_id, index, leaf = _split(path)
    question = definition.by_id.get(leaf)
    if not isinstance(question, Question):
        return
    if repeat_id is None:
        answers[leaf] = _draw(question, rng, today)
    else:
        answers[repeat_id][index][leaf] = _draw(question, rng, today)


def _remove(answers: dict[str, Any], path: str) -> None:
    repeat_id, index, leaf = _split(path)
    if repeat_id is None:
        answers.pop(leaf, None)
    else:
        answers[repeat_id][index].pop(leaf, None)
