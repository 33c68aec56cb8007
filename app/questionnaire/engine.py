"""Evaluates answers against a definition: relevance, calculations, required and constraints.

Works on partial answers as well as complete ones. :func:`evaluate` returns a
:class:`DraftState` that the wizard can draw from (what is relevant, required, missing, which
messages to show, progress per page); :mod:`grading` builds on the same run to score.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from app.questionnaire.answers import check_value, json_type, to_json_value
from app.questionnaire.errors import AnswerProblem
from app.questionnaire.expression_compiler import EvalContext
from app.questionnaire.expression_values import Value, clean_number, is_empty, to_bool
from app.questionnaire.model import (
    Calculation,
    Definition,
    Group,
    Item,
    Question,
    Repeat,
)


@dataclass(slots=True)
class QuestionState:
    """One question as the wizard shows it (one per block for questions in a repeat group)."""

    path: str  # 'ph_meals' or 'guardians[1].g_age'
    question_id: str
    relevant: bool
    required: bool
    answered: bool
    # Every problem at this path, a missing required answer included (with its message).
    errors: list[AnswerProblem] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.relevant and self.required and not self.answered


@dataclass(frozen=True, slots=True)
class PageState:
    id: str
    label: str
    relevant: bool
    answered: int  # relevant questions answered
    total: int  # relevant questions
    missing: int  # relevant required questions not answered
    errors: int  # answers on this page that are invalid (missing ones are counted apart)


@dataclass(slots=True)
class DraftState:
    """Where a set of (possibly partial) answers stands."""

    definition_id: str
    definition_version: str
    questions: list[QuestionState]  # document order, repeat blocks expanded
    pages: list[PageState]
    problems: list[AnswerProblem]  # everything that stops scoring, in document order
    ignored: list[str]  # answered but not relevant: kept, but not used or scored
    calculated: dict[str, object]  # top-level calculations, as JSON values
    repeat_counts: dict[str, int]

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.relevant and q.answered)

    @property
    def total(self) -> int:
        return sum(1 for q in self.questions if q.relevant)

    @property
    def progress(self) -> float:
        """Share of relevant questions answered, 0.0 to 1.0."""
        return self.answered / self.total if self.total else 1.0

    @property
    def complete(self) -> bool:
        """True when the answers can be scored: nothing missing, nothing invalid."""
        return not self.problems

    def missing(self) -> list[str]:
        return [q.path for q in self.questions if q.missing]

    def question(self, path: str) -> QuestionState:
        for state in self.questions:
            if state.path == path:
                return state
        raise KeyError(path)


class Run:
    """The evaluated answers: values and relevance in every scope, and the problems found."""

    __slots__ = (
        "block_contexts",
        "block_relevance",
        "definition",
        "problems",
        "top",
        "top_relevance",
    )

    def __init__(self, definition: Definition, today: date) -> None:
        self.definition = definition
        values: dict[str, Value] = {}
        self.top = EvalContext(values, values, {}, today)
        self.top_relevance: dict[str, bool] = {}
        self.block_contexts: dict[str, list[EvalContext]] = {}
        self.block_relevance: dict[str, list[dict[str, bool]]] = {}
        self.problems: list[AnswerProblem] = []

    def scopes(self, item: Item) -> Iterator[tuple[str, EvalContext, dict[str, bool]]]:
        """(path prefix, context, relevance) for each scope the item lives in."""
        if item.repeat is None:
            yield "", self.top, self.top_relevance
            return
        rid = item.repeat.id
        contexts = self.block_contexts.get(rid, [])
        relevance = self.block_relevance.get(rid, [])
        for index, (ctx, rel) in enumerate(zip(contexts, relevance, strict=True)):
            yield f"{rid}[{index}].", ctx, rel


def run_answers(definition: Definition, answers: object, today: date | None = None) -> Run:
    run = Run(definition, today or date.today())
    top_answers, block_answers = _read_answers(definition, answers, run.problems)
    repeats = run.top.repeats
    for item in definition.order:
        if item.repeat is None:
            _evaluate_item(run, item, run.top, run.top_relevance, top_answers)
            if isinstance(item, Repeat):
                blocks = block_answers.get(item.id, []) if run.top_relevance[item.id] else []
                repeats[item.id] = [{} for _ in blocks]
                run.block_contexts[item.id] = [
                    EvalContext(values, run.top.values, repeats, run.top.today)
                    for values in repeats[item.id]
                ]
                run.block_relevance[item.id] = [{} for _ in blocks]
        else:
            rid = item.repeat.id
            for ctx, rel, raw in zip(
                run.block_contexts[rid],
                run.block_relevance[rid],
                block_answers.get(rid, []),
                strict=False,
            ):
                _evaluate_item(run, item, ctx, rel, raw)
    _check_questions(run, block_answers)
    return run


def _evaluate_item(
    run: Run,
    item: Item,
    ctx: EvalContext,
    relevance: dict[str, bool],
    answers: Mapping[str, Value],
) -> None:
    parent = item.parent
    relevant = True if parent is None or parent is item.repeat else relevance[parent.id]
    if relevant and item.relevant is not None:
        relevant = to_bool(item.relevant(ctx))
    relevance[item.id] = relevant
    if isinstance(item, Question):
        ctx.values[item.id] = answers.get(item.id) if relevant else None
    elif isinstance(item, Calculation):
        value = item.calculation(ctx) if relevant and item.calculation is not None else None
        if isinstance(value, float):
            value = clean_number(value)
        ctx.values[item.id] = value


def _read_answers(
    definition: Definition, answers: object, problems: list[AnswerProblem]
) -> tuple[dict[str, Value], dict[str, list[dict[str, Value]]]]:
    """Type-check the answers; return top-level values and each repeat group's block values."""
    top: dict[str, Value] = {}
    blocks: dict[str, list[dict[str, Value]]] = {}
    if not isinstance(answers, Mapping):
        problems.append(
            AnswerProblem(
                "", "not_an_object", f"answers must be a JSON object, got {json_type(answers)}"
            )
        )
        return top, blocks
    for key, raw in answers.items():
        item = definition.by_id.get(key) if isinstance(key, str) else None
        if item is None:
            problems.append(_unknown(definition, str(key), ""))
        elif isinstance(item, Repeat):
            blocks[key] = _read_blocks(definition, item, raw, problems)
        elif item.repeat is not None:
            problems.append(
                AnswerProblem(
                    key,
                    "wrong_place",
                    f"'{key}' belongs to repeat group '{item.repeat.id}'; answer it inside "
                    f"{item.repeat.id}[n]",
                )
            )
        else:
            _read_value(item, raw, key, top, problems, path=key)
    return top, blocks


def _read_blocks(
    definition: Definition, repeat: Repeat, raw: object, problems: list[AnswerProblem]
) -> list[dict[str, Value]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(
            AnswerProblem(
                repeat.id,
                "wrong_type",
                f"expected a list of blocks (one object per block), got {json_type(raw)}",
            )
        )
        return []
    if repeat.max_count is not None and len(raw) > repeat.max_count:
        problems.append(
            AnswerProblem(
                repeat.id,
                "too_many",
                f"{len(raw)} blocks given; at most {repeat.max_count} allowed",
            )
        )
    result: list[dict[str, Value]] = []
    for index, block in enumerate(raw):
        prefix = f"{repeat.id}[{index}]"
        values: dict[str, Value] = {}
        if not isinstance(block, Mapping):
            problems.append(
                AnswerProblem(prefix, "wrong_type", f"expected an object, got {json_type(block)}")
            )
            result.append(values)
            continue
        for key, answer in block.items():
            path = f"{prefix}.{key}"
            item = definition.by_id.get(key) if isinstance(key, str) else None
            if item is None:
                problems.append(_unknown(definition, str(key), f"{prefix}."))
            elif item.repeat is not repeat:
                where = f"repeat group '{item.repeat.id}'" if item.repeat else "the top level"
                problems.append(
                    AnswerProblem(
                        path,
                        "wrong_place",
                        f"'{key}' is not in this repeat group; it belongs at {where}",
                    )
                )
            else:
                _read_value(item, answer, key, values, problems, path=path)
        result.append(values)
    return result


def _read_value(
    item: Item,
    raw: object,
    key: str,
    into: dict[str, Value],
    problems: list[AnswerProblem],
    *,
    path: str,
) -> None:
    """An answer given in its right place: kept in ``into`` when ``item`` is a question and the
    value checks out (a problem at ``path`` otherwise; an empty answer is left out)."""
    if not isinstance(item, Question):
        problems.append(_not_answerable(item, path))
        return
    value, problem = check_value(item, raw, path)
    if problem is not None:
        problems.append(problem)
    elif value is not None:
        into[key] = value


def _unknown(definition: Definition, key: str, prefix: str) -> AnswerProblem:
    return AnswerProblem(
        prefix + key,
        "unknown_field",
        f"unknown field '{key}': no question has this id in {definition.id} {definition.version}",
    )


def _not_answerable(item: Item, path: str) -> AnswerProblem:
    what = {"group": "a group", "note": "a note", "calculate": "a calculation"}.get(
        item.kind, item.kind
    )
    return AnswerProblem(path, "not_answerable", f"'{item.id}' is {what}; it takes no answer")


def _check_questions(run: Run, block_answers: dict[str, list[dict[str, Value]]]) -> None:
    """Required and constraint checks, once every value and relevance is known."""
    bad_paths = {p.path for p in run.problems}
    for repeat in (i for i in run.definition.order if isinstance(i, Repeat)):
        given = len(block_answers.get(repeat.id, []))
        if run.top_relevance.get(repeat.id) and given < repeat.min_count:
            run.problems.append(
                AnswerProblem(
                    repeat.id,
                    "too_few",
                    f"{given} block{'s' if given != 1 else ''} given; at least {repeat.min_count} "
                    f"needed ({repeat.label})",
                )
            )
    for question in run.definition.questions:
        for prefix, ctx, relevance in run.scopes(question):
            if not relevance.get(question.id):
                continue
            path = prefix + question.id
            value = ctx.values.get(question.id)
            if is_empty(value):
                if path not in bad_paths and _is_required(question, ctx):
                    run.problems.append(
                        AnswerProblem(
                            path,
                            "required",
                            f"required question not answered: {question.label}",
                            question.required_message,
                        )
                    )
            elif question.constraint is not None:
                ctx.self_value = value
                if not to_bool(question.constraint(ctx)):
                    shown = json.dumps(to_json_value(value), ensure_ascii=False)
                    run.problems.append(
                        AnswerProblem(
                            path,
                            "constraint",
                            f"{shown} fails the constraint `{question.constraint_text}`",
                            question.constraint_message,
                        )
                    )
                ctx.self_value = None
    order = {q.id: i for i, q in enumerate(run.definition.questions)}
    run.problems.sort(key=lambda p: _problem_order(p.path, order))


def _problem_order(path: str, order: Mapping[str, int]) -> tuple[int, str]:
    """Sort problems into document order (paths that name no question go first)."""
    leaf = path.rsplit(".", 1)[-1]
    return order.get(leaf, -1), path


def _is_required(question: Question, ctx: EvalContext) -> bool:
    if question.required:
        return True
    return question.required_fn is not None and to_bool(question.required_fn(ctx))


def evaluate(definition: Definition, answers: object, today: date | None = None) -> DraftState:
    """The state of a draft: relevance, required, missing, errors and progress.

    ``today`` is what ``today()`` returns in expressions (default: the real date).
    """
    run = run_answers(definition, answers, today)
    problems_by_path: dict[str, list[AnswerProblem]] = {}
    for problem in run.problems:
        problems_by_path.setdefault(problem.path, []).append(problem)
    questions = list(_question_states(run, problems_by_path))
    ignored = _ignored(run, answers)
    pages = _page_states(run, questions)
    calculated = {
        item.id: to_json_value(run.top.values.get(item.id))
        for item in definition.order
        if isinstance(item, Calculation) and item.repeat is None
    }
    return DraftState(
        definition_id=definition.id,
        definition_version=definition.version,
        questions=questions,
        pages=pages,
        problems=list(run.problems),
        ignored=ignored,
        calculated=calculated,
        repeat_counts={rid: len(blocks) for rid, blocks in run.top.repeats.items()},
    )


def _question_states(
    run: Run, problems_by_path: Mapping[str, list[AnswerProblem]]
) -> Iterator[QuestionState]:
    def walk(
        items: list[Item], prefix: str, ctx: EvalContext, rel: dict[str, bool]
    ) -> Iterator[QuestionState]:
        for item in items:
            if isinstance(item, Repeat):
                contexts = run.block_contexts.get(item.id, [])
                relevances = run.block_relevance.get(item.id, [])
                for index, (block_ctx, block_rel) in enumerate(
                    zip(contexts, relevances, strict=True)
                ):
                    yield from walk(item.items, f"{item.id}[{index}].", block_ctx, block_rel)
            elif isinstance(item, Group):
                yield from walk(item.items, prefix, ctx, rel)
            elif isinstance(item, Question):
                path = prefix + item.id
                relevant = rel.get(item.id, False)
                yield QuestionState(
                    path=path,
                    question_id=item.id,
                    relevant=relevant,
                    required=relevant and _is_required(item, ctx),
                    answered=not is_empty(ctx.values.get(item.id)),
                    errors=list(problems_by_path.get(path, [])),
                )

    yield from walk(run.definition.items, "", run.top, run.top_relevance)


def _ignored(run: Run, answers: object) -> list[str]:
    """Paths of answers given to questions that are not relevant (stale after a change)."""
    if not isinstance(answers, Mapping):
        return []
    ignored: list[str] = []
    for question in run.definition.questions:
        if question.repeat is None:
            if answers.get(question.id) not in (None, "", []) and not run.top_relevance.get(
                question.id
            ):
                ignored.append(question.id)
            continue
        rid = question.repeat.id
        raw_blocks = answers.get(rid)
        if not isinstance(raw_blocks, list):
            continue
        relevances = run.block_relevance.get(rid, [])
        for index, block in enumerate(raw_blocks):
            if not isinstance(block, Mapping) or block.get(question.id) in (None, "", []):
                continue
            relevant = index < len(relevances) and relevances[index].get(question.id, False)
            if not relevant:
                ignored.append(f"{rid}[{index}].{question.id}")
    return ignored


def _page_states(run: Run, questions: list[QuestionState]) -> list[PageState]:
    by_path = {q.path: q for q in questions}
    states: list[PageState] = []
    for page in run.definition.pages:
        page_questions: list[QuestionState] = []
        for item in page.items:
            page_questions += _states_under(item, questions, by_path)
        if page.group is not None:
            relevant = run.top_relevance.get(page.group.id, False)
        else:
            relevant = any(q.relevant for q in page_questions) or not page_questions
        states.append(
            PageState(
                id=page.id,
                label=page.label,
                relevant=relevant,
                answered=sum(1 for q in page_questions if q.relevant and q.answered),
                total=sum(1 for q in page_questions if q.relevant),
                missing=sum(1 for q in page_questions if q.missing),
                errors=sum(1 for q in page_questions for e in q.errors if e.code != "required"),
            )
        )
    return states


def _states_under(
    item: Item, questions: list[QuestionState], by_path: Mapping[str, QuestionState]
) -> list[QuestionState]:
    if isinstance(item, Question) and item.repeat is None:
        state = by_path.get(item.id)
        return [state] if state else []
    if isinstance(item, Repeat):
        prefix = f"{item.id}["
        return [q for q in questions if q.path.startswith(prefix)]
    if isinstance(item, Group):
        found: list[QuestionState] = []
        for child in item.items:
            found += _states_under(child, questions, by_path)
        return found
    return []
