"""How a form walks through a definition's pages, worked out from a draft's state: which pages
count (skip logic can make a page not apply), where 下一页 and 上一页 go, where a resumed draft
opens, which page a problem is on, how each page is marked in the page list, which message a
question shows and when, and what names a repeat block ('第 1 位：母亲').

Plain Python so the rules are tested without Qt; the assessment wizard only draws the result.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import Enum
from typing import Any

from app.questionnaire.answer_paths import head_of, leaf_of
from app.questionnaire.engine import DraftState, PageState
from app.questionnaire.errors import AnswerProblem
from app.questionnaire.model import Choice, Definition, Repeat

REQUIRED = "required"


def relevant_pages(state: DraftState | None) -> list[int]:
    """Indexes of the pages that apply to these answers."""
    if state is None:
        return []
    return [i for i, p in enumerate(state.pages) if p.relevant]


def next_page(state: DraftState | None, current: int) -> int | None:
    """The next page that applies, or None when the result comes next."""
    later = [i for i in relevant_pages(state) if i > current]
    return later[0] if later else None


def previous_page(state: DraftState | None, current: int) -> int | None:
    earlier = [i for i in relevant_pages(state) if i < current]
    return earlier[-1] if earlier else None


def page_position(state: DraftState, current: int) -> tuple[int, int]:
    """('第 {0}/{1} 页') the shown page's place among the pages that apply, and their count."""
    relevant = relevant_pages(state)
    return sum(1 for i in relevant if i <= current), len(relevant)


def first_incomplete_page(state: DraftState, page_count: int) -> int:
    """Where a draft opens: the first page that applies with something missing or wrong, else
    the last page."""
    for index, page_state in enumerate(state.pages):
        if page_state.relevant and (page_state.missing or page_state.errors):
            return index
    return page_count - 1


def problem_page(problems: Sequence[AnswerProblem], page_of_item: Mapping[str, int]) -> int | None:
    """The page of the first problem that names an item on a page (None if none does)."""
    for problem in problems:
        page = page_of_item.get(leaf_of(problem.path), page_of_item.get(head_of(problem.path)))
        if page is not None:
            return page
    return None


class PageMark(Enum):
    NOT_APPLICABLE = "not_applicable"  # '（不适用）', and the page cannot be chosen
    MISSING = "missing"  # '缺 N': something wrong, or missing on a page already checked
    DONE = "done"  # '✓': everything answered
    OPEN = "open"  # not yet checked: no marks


def page_mark(page: PageState, checked: bool) -> tuple[PageMark, int]:
    """How a page shows in the page list, and the count for '缺 N'."""
    if not page.relevant:
        return PageMark.NOT_APPLICABLE, 0
    if page.errors or (page.missing and checked):
        return PageMark.MISSING, page.missing + page.errors
    if not page.missing and not page.errors:
        return PageMark.DONE, 0
    return PageMark.OPEN, 0


def message_shown(
    path: str,
    page_of_item: Mapping[str, int],
    checked_pages: Collection[int],
    touched: Collection[str],
) -> bool:
    """Whether 'not answered' may show under a question: once its page was checked (left, or
    the result asked for) or the question itself was answered and cleared."""
    return page_of_item.get(leaf_of(path), -1) in checked_pages or path in touched


def question_problem(
    path: str, errors: Sequence[AnswerProblem], missing: bool, shown: bool
) -> AnswerProblem | None:
    """The one problem a question shows: a wrong answer at once, a missing one only when
    ``shown`` (see message_shown)."""
    for problem in errors:
        if problem.code != REQUIRED:
            return problem
    if missing and shown:
        for problem in errors:
            return problem
        return AnswerProblem(path, REQUIRED, "this question is not answered")
    return None


def repeat_problem(state: DraftState, repeat_id: str) -> AnswerProblem | None:
    """The problem with a repeat group as a whole (too few or too many blocks)."""
    return next((p for p in state.problems if p.path == repeat_id), None)


def minimum_count(definition: Definition, repeat_id: str) -> int:
    """The fewest blocks a repeat needs ('至少需要填写 {0} 位')."""
    repeat = definition.by_id.get(repeat_id)
    return repeat.min_count if isinstance(repeat, Repeat) else 1


def block_person(definition: Definition, repeat: Repeat, block: object) -> Choice | None:
    """The choice that names a repeat block's person: the answer to the block's first
    question, when that question is a choice (e.g. 关系：母亲)."""
    first = next((q for q in definition.questions if q.repeat is repeat), None)
    if first is None or not first.choices or not isinstance(block, dict):
        return None
    answer: Any = block.get(first.id, "")
    return first.choice_by_value.get(answer) if isinstance(answer, str) else None


def missing_blocks(repeat: Repeat, answers: Mapping[str, Any]) -> int:
    """How many empty blocks a draft needs to reach the repeat's minimum."""
    return max(repeat.min_count - len(answers.get(repeat.id) or []), 0)
