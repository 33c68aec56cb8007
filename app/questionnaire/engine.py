"""Evaluates answers against a definition: relevance, calculations, required and constraints.

Works on partial answers as well as complete ones. :func:`evaluate` returns a
:class:`DraftState` that the wizard can draw from (what is relevant, required, missing, which
messages to show, progress per page); :mod:`grading` builds on the same run to score.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from app.questionnaire.answers import to_json_value
from app.questionnaire.engine_plan import (
    CALCULATION,
    QUESTION,
    Plan,
    plan_for,
)
from app.questionnaire.engine_read import read_answers
from app.questionnaire.errors import AnswerProblem
from app.questionnaire.expression_compiler import EvalContext
from app.questionnaire.expression_values import Value, clean_number, to_bool
from app.questionnaire.model import Definition, Question


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


def run_answers(definition: Definition, answers: object, today: date | None = None) -> Run:
    run = Run(definition, today or date.today())
    plan = plan_for(definition)
    top_answers, block_answers = read_answers(definition, plan, answers, run.problems)
    top = run.top
    top_values = top.values
    top_relevance = run.top_relevance
    repeats = top.repeats
    block_contexts = run.block_contexts
    block_relevance = run.block_relevance
    top_scope = [(top, top_relevance, top_answers)]
    # Each step is one item of definition.order (see engine_plan.Step): its relevance from its
    # parent group's and its own expression, then its value.
    for item_id, repeat_id, parent_id, relevant_fn, does, calculation, is_repeat in plan.steps:
        if repeat_id is None:
            scopes: Iterable[tuple[EvalContext, dict[str, bool], Mapping[str, Value]]] = top_scope
        else:
            scopes = zip(
                block_contexts[repeat_id],
                block_relevance[repeat_id],
                block_answers.get(repeat_id, []),
                strict=False,
            )
        for ctx, relevance, raw in scopes:
            relevant = True if parent_id is None else relevance[parent_id]
            if relevant and relevant_fn is not None:
                found = relevant_fn(ctx)
                relevant = found if found is True or found is False else to_bool(found)
            relevance[item_id] = relevant
            if does == QUESTION:
                ctx.values[item_id] = raw.get(item_id) if relevant else None
            elif does == CALCULATION:
                value = calculation(ctx) if relevant and calculation is not None else None
                if isinstance(value, float):
                    value = clean_number(value)
                ctx.values[item_id] = value
        if is_repeat and repeat_id is None:
            blocks = block_answers.get(item_id, []) if top_relevance[item_id] else []
            repeats[item_id] = [{} for _ in blocks]
            block_contexts[item_id] = [
                EvalContext(values, top_values, repeats, top.today) for values in repeats[item_id]
            ]
            block_relevance[item_id] = [{} for _ in blocks]
    _check_questions(run, plan, block_answers)
    return run


def _check_questions(
    run: Run, plan: Plan, block_answers: dict[str, list[dict[str, Value]]]
) -> None:
    """Required and constraint checks, once every value and relevance is known."""
    problems = run.problems
    bad_paths = {p.path for p in problems}
    for repeat in plan.repeats:
        given = len(block_answers.get(repeat.id, []))
        if run.top_relevance.get(repeat.id) and given < repeat.min_count:
            problems.append(
                AnswerProblem(
                    repeat.id,
                    "too_few",
                    f"{given} block{'s' if given != 1 else ''} given; at least {repeat.min_count} "
                    f"needed ({repeat.label})",
                )
            )
    top_scope = [("", run.top, run.top_relevance)]
    block_scopes: dict[str, list[tuple[str, EvalContext, dict[str, bool]]]] = {}
    for question, rid in plan.questions:
        qid = question.id
        if rid is None:
            scopes = top_scope
        elif rid in block_scopes:
            scopes = block_scopes[rid]
        else:
            scopes = block_scopes[rid] = _block_scopes(run, rid)
        for prefix, ctx, relevance in scopes:
            if not relevance.get(qid):
                continue
            value = ctx.values.get(qid)
            if value is None or value == "" or value == ():  # is_empty
                path = prefix + qid
                if path not in bad_paths and _is_required(question, ctx):
                    problems.append(
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
                    problems.append(
                        AnswerProblem(
                            prefix + qid,
                            "constraint",
                            f"{shown} fails the constraint `{question.constraint_text}`",
                            question.constraint_message,
                        )
                    )
                ctx.self_value = None
    if problems:
        order = plan.order
        problems.sort(key=lambda p: _problem_order(p.path, order))


def _block_scopes(run: Run, rid: str) -> list[tuple[str, EvalContext, dict[str, bool]]]:
    contexts = run.block_contexts.get(rid, [])
    relevance = run.block_relevance.get(rid, [])
    return [
        (f"{rid}[{index}].", ctx, rel)
        for index, (ctx, rel) in enumerate(zip(contexts, relevance, strict=True))
    ]


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
    plan = plan_for(definition)
    problems_by_path: dict[str, list[AnswerProblem]] = {}
    for problem in run.problems:
        problems_by_path.setdefault(problem.path, []).append(problem)
    by_segment = _question_states(run, plan, problems_by_path)
    questions = [state for states in by_segment for state in states]
    ignored = ignored_answers(run, answers)
    pages = _page_states(run, plan, by_segment)
    top_values = run.top.values
    calculated = {cid: to_json_value(top_values.get(cid)) for cid in plan.top_calculations}
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
    run: Run, plan: Plan, problems_by_path: Mapping[str, list[AnswerProblem]]
) -> list[list[QuestionState]]:
    """The question states of each of the plan's segments (document order within each)."""
    found: list[list[QuestionState]] = []
    top_scope = [("", run.top, run.top_relevance)]
    for segment in plan.segments:
        states: list[QuestionState] = []
        if segment.question is not None:
            questions: tuple[Question, ...] = (segment.question,)
            scopes = top_scope
        else:
            questions = segment.questions
            scopes = _block_scopes(run, segment.repeat_id or "")
        for prefix, ctx, rel in scopes:
            values = ctx.values
            for question in questions:
                qid = question.id
                path = prefix + qid
                relevant = rel.get(qid, False)
                errors = problems_by_path.get(path)
                value = values.get(qid)
                states.append(
                    QuestionState(
                        path,
                        qid,
                        relevant,
                        relevant and _is_required(question, ctx),
                        not (value is None or value == "" or value == ()),  # not is_empty
                        list(errors) if errors else [],
                    )
                )
        found.append(states)
    return found


def ignored_answers(run: Run, answers: object) -> list[str]:
    """Paths of answers given to questions that are not relevant (stale after a change)."""
    if not isinstance(answers, Mapping):
        return []
    ignored: list[str] = []
    top_relevance = run.top_relevance
    for question, rid in plan_for(run.definition).questions:
        qid = question.id
        if rid is None:
            if answers.get(qid) not in (None, "", []) and not top_relevance.get(qid):
                ignored.append(qid)
            continue
        raw_blocks = answers.get(rid)
        if not isinstance(raw_blocks, list):
            continue
        relevances = run.block_relevance.get(rid, [])
        for index, block in enumerate(raw_blocks):
            if not isinstance(block, Mapping) or block.get(qid) in (None, "", []):
                continue
            relevant = index < len(relevances) and relevances[index].get(qid, False)
            if not relevant:
                ignored.append(f"{rid}[{index}].{qid}")
    return ignored


def _page_states(run: Run, plan: Plan, by_segment: list[list[QuestionState]]) -> list[PageState]:
    states: list[PageState] = []
    for page_plan in plan.pages:
        page = page_plan.page
        answered = total = missing = errors = 0
        any_relevant = False
        count = 0
        for index in page_plan.segments:
            for q in by_segment[index]:
                count += 1
                if q.relevant:
                    any_relevant = True
                    total += 1
                    if q.answered:
                        answered += 1
                    elif q.required:
                        missing += 1
                for e in q.errors:
                    if e.code != "required":
                        errors += 1
        if page.group is not None:
            relevant = run.top_relevance.get(page.group.id, False)
        else:
            relevant = any_relevant or not count
        states.append(
            PageState(
                id=page.id,
                label=page.label,
                relevant=relevant,
                answered=answered,
                total=total,
                missing=missing,
                errors=errors,
            )
        )
    return states
