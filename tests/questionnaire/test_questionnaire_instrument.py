"""The default instrument, 困境儿童家庭监护能力评估表: its structure, and that it grades a
best-case family green, a worst-case family red, and fired override rules at their level."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from app.questionnaire import LEVELS, Definition, evaluate, score
from app.questionnaire.model import Group, Question, QuestionType, Repeat
from app.questionnaire.sample_answers import sample_answers
from tests.questionnaire.helpers import TODAY_TEXT

TODAY = date.fromisoformat(TODAY_TEXT)

FIRST_LEVEL = {
    "growth": ("儿童成长", ["身体健康", "心理健康", "儿童安全", "教育情况", "社会参与"]),
    "capacity": ("监护能力", ["监护人健康状况", "收入水平", "情感交流"]),
    "support": ("监护保障", ["居住环境", "邻里关系", "亲属关系"]),
}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_three_first_level_and_eleven_second_level_indicators(instrument: Definition) -> None:
    top_groups = [i for i in instrument.items if isinstance(i, Group) and i.id != "basic"]
    assert [g.id for g in top_groups] == list(FIRST_LEVEL)
    for group in top_groups:
        label, second = FIRST_LEVEL[group.id]
        assert group.label == label
        pages = [c for c in group.items if isinstance(c, Group)]
        assert [p.label for p in pages] == second
        assert all(p.page and p.has_scores for p in pages)


def test_size_fits_a_fifteen_minute_visit(instrument: Definition) -> None:
    per_guardian = [q for q in instrument.questions if q.repeat is not None]
    family = [q for q in instrument.questions if q.repeat is None]
    # Roughly 40-70 questions for a family with one or two guardians.
    assert 40 <= len(family) + len(per_guardian) <= 70
    assert len(per_guardian) <= 8


def test_texts_are_chinese_and_choices_are_scored(instrument: Definition) -> None:
    for question in instrument.questions:
        assert _has_chinese(question.label), question.id
        for choice in question.choices:
            assert _has_chinese(choice.label), f"{question.id}.{choice.value}"
        in_indicator = question.parent is not None and question.parent.id != "basic"
        if in_indicator and question.type is QuestionType.SINGLE_CHOICE:
            if question.id in ("g_relation", "g_situation"):
                continue
            scores = [c.score for c in question.choices if c.score is not None]
            assert min(scores) == 0 and max(scores) > 0, question.id
    assert instrument.grading is not None
    for level in LEVELS:
        info = instrument.grading.levels[level]
        assert _has_chinese(info.label) and info.recommendations


def test_best_case_family_is_green(instrument: Definition, best_case: dict[str, Any]) -> None:
    result = score(instrument, best_case, today=TODAY)
    assert result.level == "green" and result.level_label == "家庭监护能力正常"
    assert result.fired_rules == () and not result.mandatory_report
    assert result.total_score == result.total_max
    assert result.definition_id == "guardianship_capacity"
    assert result.definition_version == instrument.version
    assert {s.id for s in result.sections} >= {"growth", "capacity", "support", "kinship"}


def test_worst_case_family_is_red(instrument: Definition, worst_case: dict[str, Any]) -> None:
    result = score(instrument, worst_case, today=TODAY)
    assert result.level == "red" and result.level_label == "家庭监护能力缺失"
    assert result.score_level == "red"  # red from the scores alone, not only from the rules
    assert result.mandatory_report
    assert result.recommendations[0].startswith("第一时间对接落实国家兜底监护保障政策")


def test_a_middling_family_is_yellow(instrument: Definition, best_case: dict[str, Any]) -> None:
    """Every answer one step below the best ('一般'), and no override: yellow."""
    middling = dict(best_case)
    for question in instrument.questions:
        if question.repeat is None and question.id in middling and question.choices:
            scored = sorted(
                (c for c in question.choices if c.score is not None),
                key=lambda c: c.score or 0,
                reverse=True,
            )
            if len(scored) >= 2:
                middling[question.id] = scored[1].value
    middling["sf_abuse"] = "none"  # the step below is a suspicion, which is an override
    middling["ed_stage"] = "primary"
    result = score(instrument, middling, today=TODAY)
    assert result.fired_rules == ()
    assert result.level == "yellow", result.graded


def _guardians_detained(answers: dict[str, Any]) -> None:
    for block in answers["guardians"]:
        block["g_situation"] = "detained"
        block["g_care"] = "little_contact"


def _safety_low(answers: dict[str, Any]) -> None:
    answers.update(
        sf_supervision="often_alone",
        sf_home_hazards="present",
        sf_knowledge="poor",
        sf_injury="serious",
    )


def _dropout(answers: dict[str, Any]) -> None:
    answers["ed_stage"] = "dropped_out"


TRIGGERS: dict[str, Callable[[dict[str, Any]], object]] = {
    "child_living_alone": lambda a: a.update(child_living="alone", ec_parent_contact="weekly"),
    "no_actual_carer": lambda a: a.update(someone_caring="no"),
    "abuse_confirmed": lambda a: a.update(sf_abuse="confirmed"),
    "all_guardians_unable": _guardians_detained,
    "abuse_suspected": lambda a: a.update(sf_abuse="suspected"),
    "domestic_violence": lambda a: a.update(ec_family_climate="violence"),
    "self_harm": lambda a: a.update(mh_mood="self_harm"),
    "hunger": lambda a: a.update(ph_meals="hungry"),
    "food_withheld": lambda a: a.update(ph_meals="food_withheld"),
    "compulsory_education_dropout": _dropout,
    "child_safety_low": _safety_low,
    "untreated_illness": lambda a: a.update(ph_health="untreated"),
    "unsafe_housing": lambda a: a.update(lv_housing="unsafe"),
}


def test_every_rule_has_a_trigger_here(instrument: Definition) -> None:
    assert instrument.grading is not None
    assert {r.id for r in instrument.grading.rules} == set(TRIGGERS)


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_a_fired_override_rule_sets_its_level(
    instrument: Definition, best_case: dict[str, Any], rule_id: str
) -> None:
    assert instrument.grading is not None
    rule = next(r for r in instrument.grading.rules if r.id == rule_id)
    TRIGGERS[rule_id](best_case)
    result = score(instrument, best_case, today=TODAY)
    assert rule_id in [r.id for r in result.fired_rules]
    assert result.score_level == "green"  # the scores alone would say green
    assert result.level == rule.level
    assert result.mandatory_report == rule.mandatory_report
    for advice in rule.recommendations:
        assert advice in result.recommendations


def test_force_rules_override_even_a_better_score(
    instrument: Definition, worst_case: dict[str, Any]
) -> None:
    """On the worst family several rules fire; the most severe forced level wins."""
    result = score(instrument, worst_case, today=TODAY)
    fired = {r.id for r in result.fired_rules}
    assert {"no_actual_carer", "abuse_confirmed", "all_guardians_unable", "hunger"} <= fired
    assert result.level == "red"


def test_random_complete_families_always_grade(instrument: Definition) -> None:
    rng = random.Random(20260520)
    for _ in range(60):
        answers = sample_answers(instrument, rng, TODAY)
        assert evaluate(instrument, answers, today=TODAY).complete
        result = score(instrument, answers, today=TODAY)
        assert result.level in LEVELS
        if result.fired_rules:
            worst_forced = [r.level for r in result.fired_rules if r.effect == "force"]
            if worst_forced:
                assert LEVELS.index(result.level) >= max(LEVELS.index(x) for x in worst_forced)
        assert 0 <= result.total_score <= result.total_max


def test_guardian_capacity_is_carried_by_the_most_capable_carer(
    instrument: Definition, best_case: dict[str, Any]
) -> None:
    best_case["guardians"] = [
        {
            "g_relation": "father",
            "g_situation": "working_away",
            "g_care": "regular_contact",
            "g_age": 40,
            "g_health": "good",
            "g_mental": "none",
            "g_education": "secondary",
            "g_willingness": "passive",
        },
        {
            "g_relation": "grandparent",
            "g_situation": "at_home",
            "g_care": "daily",
            "g_age": 68,
            "g_health": "chronic",
            "g_mental": "none",
            "g_education": "primary",
            "g_willingness": "willing",
        },
    ]
    best_case["child_living"] = "with_grandparents"
    best_case.update(ec_parent_contact="weekly", kn_entrustment="verbal")
    result = score(instrument, best_case, today=TODAY)
    section = result.section("guardians")
    # grandparent: care 4 + age 1 + health 2 + mental 3 + education 1 + willing 3 = 14 / 17
    assert (section.score, section.max_score) == (14, 17)
    repeat = instrument.by_id["guardians"]
    assert isinstance(repeat, Repeat) and repeat.score_aggregate == "max"
    assert isinstance(instrument.by_id["g_age"], Question)
