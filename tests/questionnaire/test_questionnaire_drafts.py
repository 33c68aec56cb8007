"""Drafts: partial answers give relevance, required, missing, errors and progress per page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from app.questionnaire import AnswerError, Definition, evaluate, score
from tests.questionnaire.helpers import TODAY_TEXT

TODAY = date.fromisoformat(TODAY_TEXT)
LoadItems = Callable[..., Definition]


def test_empty_draft_of_the_instrument(instrument: Definition) -> None:
    state = evaluate(instrument, {}, today=TODAY)
    assert state.answered == 0
    assert not state.complete
    assert state.progress == 0.0
    # Nothing is known about the child's age yet, so age-dependent questions are hidden.
    assert not state.question("ph_vaccination").relevant
    assert not state.question("mh_screening").relevant
    assert state.question("ph_health").missing
    assert [p.id for p in state.pages][:3] == ["basic", "physical_health", "mental_health"]
    assert {p.code for p in state.problems} == {"required", "too_few"}
    assert state.problems[0].path == "guardians"  # one block at least


def test_skip_logic_follows_the_answers(instrument: Definition) -> None:
    toddler = {"child_birth_date": "2024-01-10", "ed_stage": "under_school_age"}
    state = evaluate(instrument, toddler, today=TODAY)
    assert state.calculated["child_age"] == 2
    assert state.question("ph_vaccination").relevant
    assert state.question("ed_early_learning").relevant
    assert not state.question("ed_attendance").relevant  # not in school
    assert not state.question("sp_friends").relevant  # the whole page is for 3 and up
    page = next(p for p in state.pages if p.id == "social_participation")
    assert not page.relevant and page.total == 0

    pupil = {"child_birth_date": "2015-09-01", "ed_stage": "primary"}
    state = evaluate(instrument, pupil, today=TODAY)
    assert state.calculated == {"child_age": 10, "in_school": True}
    assert not state.question("ph_vaccination").relevant
    assert state.question("ed_attendance").relevant and state.question("ed_attendance").missing


def test_today_is_injectable(instrument: Definition) -> None:
    answers = {"child_birth_date": "2020-06-01"}
    assert evaluate(instrument, answers, today=date(2026, 5, 31)).calculated["child_age"] == 5
    assert evaluate(instrument, answers, today=date(2026, 6, 2)).calculated["child_age"] == 6


def test_repeat_blocks_are_evaluated_one_by_one(instrument: Definition) -> None:
    answers = {
        "guardians": [
            {"g_relation": "father", "g_situation": "deceased"},
            {"g_relation": "grandparent", "g_situation": "at_home", "g_age": 120},
        ]
    }
    state = evaluate(instrument, answers, today=TODAY)
    assert not state.question("guardians[0].g_health").relevant
    assert state.question("guardians[1].g_health").missing
    errors = state.question("guardians[1].g_age").errors
    assert [e.code for e in errors] == ["constraint"]
    assert errors[0].definition_message == "年龄应在14至110岁之间。"
    assert state.repeat_counts == {"guardians": 2}
    page = next(p for p in state.pages if p.id == "guardian_health")
    assert page.errors == 1
    assert page.total == 2 + 8  # the deceased father's block asks two questions


def test_progress_and_completion(instrument: Definition, best_case: dict[str, Any]) -> None:
    state = evaluate(instrument, best_case, today=TODAY)
    assert state.complete and state.progress == 1.0 and state.missing() == []
    del best_case["lv_bed"]
    state = evaluate(instrument, best_case, today=TODAY)
    assert not state.complete
    assert state.missing() == ["lv_bed"]
    assert state.answered == state.total - 1
    page = next(p for p in state.pages if p.id == "living_environment")
    assert (page.answered, page.total, page.missing) == (3, 4, 1)


def test_stale_answers_to_hidden_questions_are_ignored(
    instrument: Definition, best_case: dict[str, Any]
) -> None:
    best_case["ph_vaccination"] = "missed"  # the child is 10: not asked, so not scored
    state = evaluate(instrument, best_case, today=TODAY)
    assert state.complete
    assert state.ignored == ["ph_vaccination"]
    assert score(instrument, best_case, today=TODAY).level == "green"


def test_required_can_depend_on_answers(load_items: LoadItems) -> None:
    definition = load_items(
        [
            {"id": "has_disability", "type": "yes_no", "label": "是否残疾"},
            {
                "id": "certificate",
                "type": "text",
                "label": "残疾证号",
                "required": "${has_disability} = 'yes'",
                "required_message": "请填写残疾证号",
            },
        ]
    )
    assert evaluate(definition, {"has_disability": "no"}).complete
    state = evaluate(definition, {"has_disability": "yes"})
    assert state.missing() == ["certificate"]
    assert state.problems[0].definition_message == "请填写残疾证号"


def test_constraints_can_read_other_fields(instrument: Definition) -> None:
    answers = {"child_birth_date": "2014-01-01", "ed_stage": "under_school_age"}
    state = evaluate(instrument, answers, today=TODAY)
    [problem] = state.question("ed_stage").errors
    assert problem.code == "constraint"
    assert problem.definition_message == "所选就学状态与儿童年龄不符，请核对出生日期或就学状态。"


def test_incomplete_answers_cannot_be_scored(instrument: Definition) -> None:
    with pytest.raises(AnswerError) as caught:
        score(instrument, {"child_living": "alone"}, today=TODAY)
    paths = [p.path for p in caught.value.problems]
    assert "child_birth_date" in paths and "someone_caring" in paths
    assert all(p.code in ("required", "too_few") for p in caught.value.problems)


def test_notes_and_groups_are_not_counted_as_questions(instrument: Definition) -> None:
    state = evaluate(instrument, {}, today=TODAY)
    ids = {q.question_id for q in state.questions}
    assert "basic_note" not in ids and "child_age" not in ids and "growth" not in ids
