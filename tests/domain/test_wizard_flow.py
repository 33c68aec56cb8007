"""How the assessment wizard walks the bundled definition, without Qt: pages that apply, next and
previous, where a draft opens, page marks, which message a question shows and when, the person
a guardian block names, and answer paths edited in place."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.questionnaire import AnswerProblem, evaluate, load_default_definition
from app.questionnaire.answer_paths import (
    blocks_touched,
    head_of,
    leaf_of,
    parse_path,
    set_answer,
    without_block,
)
from app.questionnaire.engine import PageState
from app.questionnaire.model import Definition, Repeat
from app.questionnaire.wizard_flow import (
    PageMark,
    block_person,
    first_incomplete_page,
    message_shown,
    minimum_count,
    missing_blocks,
    next_page,
    page_mark,
    page_position,
    previous_page,
    problem_page,
    question_problem,
    relevant_pages,
    repeat_problem,
)

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_default_definition()


def page_index(definition: Definition, page_id: str) -> int:
    return [p.id for p in definition.pages].index(page_id)


def test_a_toddler_skips_the_social_page_both_ways(definition: Definition) -> None:
    state = evaluate(definition, {"child_birth_date": "2025-01-10"}, today=TODAY)
    social = page_index(definition, "social_participation")
    assert social not in relevant_pages(state)
    assert next_page(state, social - 1) == social + 1
    assert previous_page(state, social + 1) == social - 1
    assert page_position(state, social + 1) == (social + 1, len(definition.pages) - 1)


def test_after_the_last_page_comes_the_result_and_before_the_first_nothing(
    definition: Definition,
) -> None:
    state = evaluate(definition, {}, today=TODAY)
    last = len(definition.pages) - 1
    assert next_page(state, last) is None
    assert previous_page(state, 0) is None
    assert relevant_pages(None) == [] and next_page(None, 0) is None


def test_a_draft_opens_on_its_first_page_with_something_missing(definition: Definition) -> None:
    state = evaluate(definition, {}, today=TODAY)
    assert first_incomplete_page(state, len(definition.pages)) == 0
    done = [PageState(p.id, p.label, p.relevant, p.total, p.total, 0, 0) for p in state.pages]
    state.pages[:] = done
    assert first_incomplete_page(state, len(definition.pages)) == len(definition.pages) - 1


def test_page_marks() -> None:
    def page(relevant: bool = True, missing: int = 0, errors: int = 0) -> PageState:
        return PageState("p", "页", relevant, 0, 5, missing, errors)

    assert page_mark(page(relevant=False, missing=3), True) == (PageMark.NOT_APPLICABLE, 0)
    assert page_mark(page(missing=2), False) == (PageMark.OPEN, 0)  # not checked: no nagging
    assert page_mark(page(missing=2), True) == (PageMark.MISSING, 2)
    assert page_mark(page(missing=2, errors=1), False) == (PageMark.MISSING, 3)  # wrong: at once
    assert page_mark(page(), False) == (PageMark.DONE, 0)


def test_a_wrong_answer_shows_at_once_a_missing_one_only_once_checked() -> None:
    required = AnswerProblem("ph_meals", "required", "required")
    wrong = AnswerProblem("g_age", "constraint", "too old", "年龄应在 14 到 100 岁之间")
    assert question_problem("g_age", [wrong], False, shown=False) == wrong
    assert question_problem("ph_meals", [required], True, shown=False) is None
    assert question_problem("ph_meals", [required], True, shown=True) == required
    shown = question_problem("ph_meals", [], True, shown=True)
    assert shown is not None and shown.code == "required" and shown.path == "ph_meals"
    assert question_problem("ph_meals", [], False, shown=True) is None


def test_messages_show_once_the_page_was_checked_or_the_question_touched() -> None:
    pages = {"ph_meals": 1, "guardians": 6, "g_age": 6}
    assert not message_shown("ph_meals", pages, set(), set())
    assert message_shown("ph_meals", pages, {1}, set())
    assert message_shown("guardians[1].g_age", pages, {6}, set())
    assert message_shown("guardians[1].g_age", pages, set(), {"guardians[1].g_age"})
    assert not message_shown("guardians[1].g_age", pages, {1}, {"guardians[0].g_age"})


def test_the_first_problem_on_a_page_is_where_the_wizard_goes(definition: Definition) -> None:
    state = evaluate(definition, {}, today=TODAY)
    pages = {"assessment_methods": 0, "guardians": 6, "g_age": 6}
    assert problem_page(state.problems, pages) == 6  # 'guardians' too few comes first
    assert problem_page([AnswerProblem("guardians[0].g_age", "required", "")], pages) == 6
    assert problem_page([AnswerProblem("unknown", "required", "")], pages) is None
    too_few = repeat_problem(state, "guardians")
    assert too_few is not None and too_few.code == "too_few"
    assert minimum_count(definition, "guardians") == 1
    assert minimum_count(definition, "not_a_repeat") == 1


def test_a_guardian_block_is_named_by_its_relation(definition: Definition) -> None:
    guardians = definition.by_id["guardians"]
    assert isinstance(guardians, Repeat)
    mother = block_person(definition, guardians, {"g_relation": "mother"})
    assert mother is not None and mother.label
    assert block_person(definition, guardians, {}) is None
    assert block_person(definition, guardians, {"g_relation": ["odd"]}) is None
    assert block_person(definition, guardians, None) is None
    assert missing_blocks(guardians, {}) == 1
    assert missing_blocks(guardians, {"guardians": [{}, {}]}) == 0


def test_answers_set_and_cleared_at_a_path() -> None:
    answers: dict[str, Any] = {"guardians": [{}, {"g_age": 40}]}
    set_answer(answers, "ph_meals", "three")
    set_answer(answers, "guardians[0].g_relation", "mother")
    set_answer(answers, "guardians[1].g_age", None)
    assert answers == {"guardians": [{"g_relation": "mother"}, {}], "ph_meals": "three"}
    set_answer(answers, "ph_meals", None)
    assert "ph_meals" not in answers
    assert parse_path("guardians[12].g_age").index == 12
    assert parse_path("ph_meals").repeat_id is None
    assert leaf_of("guardians[1].g_age") == "g_age" and head_of("guardians[1].g_age") == "guardians"


def test_removing_a_block_renumbers_the_later_ones() -> None:
    paths = {"ph_meals", "guardians[0].g_age", "guardians[1].g_age", "guardians[2].g_care"}
    assert without_block(paths, "guardians", 1) == {
        "ph_meals",
        "guardians[0].g_age",
        "guardians[1].g_care",
    }
    assert blocks_touched(paths, "guardians") == 3
    assert blocks_touched(paths, "others") == 0
