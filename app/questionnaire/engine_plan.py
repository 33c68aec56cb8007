"""What the engine works out once per definition, rather than on every answer set.

A :class:`Definition` does not change once loaded, so its tree walks (which questions a page
holds, which repeat group a question lives in, the evaluation steps, the document order of
problems) are flattened here once and reused by every :func:`engine.run_answers` and
:func:`engine.evaluate` on it — the wizard evaluates on every answer, and the demo caseload draws
hundreds of answer sets per pool (issue 15).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from app.questionnaire.expression_compiler import Compiled
from app.questionnaire.model import (
    Calculation,
    Definition,
    Group,
    Item,
    Page,
    Question,
    QuestionType,
    Repeat,
)

# What an evaluation step does with its item's value.
OTHER, QUESTION, CALCULATION = 0, 1, 2

# How an item counts towards a score: a scored single choice, another scored question or
# calculation, a group holding scores, a repeat group holding scores.
SCORE_CHOICE, SCORE_FIELD, SCORE_GROUP, SCORE_REPEAT = 0, 1, 2, 3

# How an answer's key at the top level reads (engine_read.read_answers).
TOP_QUESTION, TOP_REPEAT, TOP_WRONG_PLACE, TOP_NOT_ANSWERABLE = 0, 1, 2, 3


class Step(NamedTuple):
    """One item of ``Definition.order``: how its relevance and value are found (a tuple, so the
    engine's loop unpacks it cheaply)."""

    id: str
    repeat_id: str | None  # the repeat group it lives in
    parent_id: str | None  # the group whose relevance it inherits (None: none, or its repeat)
    relevant: Compiled | None
    does: int  # OTHER, QUESTION or CALCULATION
    calculation: Compiled | None
    is_repeat: bool


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of question states in document order: one top-level question, or every question
    of a repeat group (repeated per block)."""

    question: Question | None  # a top-level question
    repeat_id: str | None  # else the repeat group
    questions: tuple[Question, ...]  # the repeat group's questions, document order


@dataclass(frozen=True, slots=True)
class PagePlan:
    page: Page
    segments: tuple[int, ...]  # indexes into Plan.segments, in the page's order


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    repeats: tuple[Repeat, ...]  # in evaluation order
    top_keys: dict[str, tuple[int, Item]]  # answer key -> (TOP_*, item)
    # Question id -> the texts taken as they are (check_value's answers to a single choice or a
    # yes/no question; everything else goes through check_value).
    accepts: dict[str, Collection[str]]
    # Every question in document order, with its repeat group's id (None at the top level).
    questions: tuple[tuple[Question, str | None], ...]
    order: dict[str, int]  # question id -> document position, for sorting problems
    segments: tuple[Segment, ...]
    pages: tuple[PagePlan, ...]
    top_calculations: tuple[str, ...]  # ids of top-level calculations, evaluation order
    # Group id ('' for the top level) -> its items that count towards a score, in order, each
    # with how it counts (SCORE_*).
    scored: dict[str, tuple[tuple[Item, int], ...]]


_PLANS: dict[int, tuple[Definition, Plan]] = {}
_PLANS_MAX = 32


def plan_for(definition: Definition) -> Plan:
    """The plan of ``definition``, made on first use (kept for the last few definitions; the
    entry holds the definition itself, so its ``id()`` cannot be reused while it is kept)."""
    entry = _PLANS.get(id(definition))
    if entry is not None and entry[0] is definition:
        return entry[1]
    plan = _make_plan(definition)
    if len(_PLANS) >= _PLANS_MAX:
        _PLANS.clear()
    _PLANS[id(definition)] = (definition, plan)
    return plan


def _make_plan(definition: Definition) -> Plan:
    steps: list[Step] = []
    for item in definition.order:
        parent = item.parent
        does = OTHER
        calculation: Compiled | None = None
        if isinstance(item, Question):
            does = QUESTION
        elif isinstance(item, Calculation):
            does = CALCULATION
            calculation = item.calculation
        steps.append(
            Step(
                id=item.id,
                repeat_id=item.repeat.id if item.repeat is not None else None,
                parent_id=None if parent is None or parent is item.repeat else parent.id,
                relevant=item.relevant,
                does=does,
                calculation=calculation,
                is_repeat=isinstance(item, Repeat),
            )
        )
    top_keys: dict[str, tuple[int, Item]] = {}
    for key, item in definition.by_id.items():
        if isinstance(item, Repeat):
            top_keys[key] = (TOP_REPEAT, item)
        elif item.repeat is not None:
            top_keys[key] = (TOP_WRONG_PLACE, item)
        elif isinstance(item, Question):
            top_keys[key] = (TOP_QUESTION, item)
        else:
            top_keys[key] = (TOP_NOT_ANSWERABLE, item)
    segments: list[Segment] = []
    segment_of: dict[str, int] = {}  # top-level question or repeat id -> its segment

    def walk(items: list[Item]) -> None:
        for item in items:
            if isinstance(item, Repeat):
                segment_of[item.id] = len(segments)
                segments.append(Segment(None, item.id, tuple(_questions_under(item.items))))
            elif isinstance(item, Group):
                walk(item.items)
            elif isinstance(item, Question):
                segment_of[item.id] = len(segments)
                segments.append(Segment(item, None, ()))

    walk(definition.items)
    pages = tuple(
        PagePlan(page, tuple(i for item in page.items for i in _segments_under(item, segment_of)))
        for page in definition.pages
    )
    return Plan(
        steps=tuple(steps),
        repeats=tuple(i for i in definition.order if isinstance(i, Repeat)),
        top_keys=top_keys,
        accepts={
            q.id: q.choice_by_value if q.type is QuestionType.SINGLE_CHOICE else ("yes", "no")
            for q in definition.questions
            if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.YES_NO)
        },
        questions=tuple(
            (q, q.repeat.id if q.repeat is not None else None) for q in definition.questions
        ),
        order={q.id: i for i, q in enumerate(definition.questions)},
        segments=tuple(segments),
        pages=pages,
        top_calculations=tuple(
            i.id for i in definition.order if isinstance(i, Calculation) and i.repeat is None
        ),
        scored={
            "": _scored(definition.items),
            **{i.id: _scored(i.items) for i in definition.by_id.values() if isinstance(i, Group)},
        },
    )


def _scored(items: list[Item]) -> tuple[tuple[Item, int], ...]:
    found: list[tuple[Item, int]] = []
    for item in items:
        if isinstance(item, Question | Calculation) and item.max_score is not None:
            choice = isinstance(item, Question) and item.type is QuestionType.SINGLE_CHOICE
            found.append((item, SCORE_CHOICE if choice else SCORE_FIELD))
        elif isinstance(item, Group) and item.has_scores:
            found.append((item, SCORE_REPEAT if isinstance(item, Repeat) else SCORE_GROUP))
    return tuple(found)


def _questions_under(items: list[Item]) -> list[Question]:
    found: list[Question] = []
    for item in items:
        if isinstance(item, Repeat):
            continue  # a repeat group inside a repeat group is refused by the loader
        if isinstance(item, Group):
            found += _questions_under(item.items)
        elif isinstance(item, Question):
            found.append(item)
    return found


def _segments_under(item: Item, segment_of: dict[str, int]) -> list[int]:
    """The segments whose states a page shows for ``item`` (the engine's old ``_states_under``:
    a top-level question, every block of a repeat group, or what a group holds)."""
    if isinstance(item, Question) and item.repeat is None:
        return [segment_of[item.id]] if item.id in segment_of else []
    if isinstance(item, Repeat):
        return [segment_of[item.id]] if item.id in segment_of else []
    if isinstance(item, Group):
        return [i for child in item.items for i in _segments_under(child, segment_of)]
    return []
