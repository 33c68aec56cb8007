"""The second kind of questionnaire: the psychological screening checklist (心理状况筛查),
whose result is 未见异常 / 建议关注 / 建议转介 (result kind 'screening'), thresholds in the file."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.questionnaire import (
    AssessmentResult,
    Definition,
    DefinitionError,
    definition_from_json,
    score,
)
from app.questionnaire.loader import (
    SCREENING_ID,
    load_bundled_definitions,
    load_screening_definition,
)
from app.questionnaire.model import RESULT_KINDS
from app.services.definitions import PublishedDefinitionError, parse_published
from tests.questionnaire.helpers import minimal_definition

TODAY = date(2026, 5, 20)
SIGNS = (
    "sl_sleep",
    "sl_appetite",
    "sl_body",
    "mo_low",
    "mo_irritable",
    "mo_worry",
    "be_withdrawn",
    "be_interest",
    "be_aggressive",
    "be_school_refusal",
    "be_school_drop",
)
FILE = Path(__file__).resolve().parents[2] / "resources" / "questionnaires" / "psych_screening.json"


def calm(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "child_birth_date": "2016-05-20",
        "sources": ["observation", "guardian"],
        **dict.fromkeys(SIGNS, "never"),
        "sh_self_harm": "none",
        "sh_runaway": "no",
        "life_events": ["none"],
    }
    answers.update(changes)
    return answers


def test_the_bundled_checklist_is_a_screening_labelled_not_a_diagnosis() -> None:
    definition = load_screening_definition()
    assert definition.id == SCREENING_ID
    assert definition.result_kind == "screening"
    assert "初步筛查，不是诊断" in definition.description
    assert "初步筛查，不是诊断" in definition.item("not_diagnosis_note").label
    assert definition.grading is not None
    labels = {k: v.label for k, v in definition.grading.levels.items()}
    assert labels == {"clear": "未见异常", "watch": "建议关注", "refer": "建议转介"}
    # it travels with the bundled definitions, after the guardianship ones (the default first)
    bundled = load_bundled_definitions()
    assert bundled[0].id == "guardianship_capacity"
    assert bundled[-1].id == SCREENING_ID


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({}, "clear"),
        ({"sl_sleep": "sometimes", "mo_low": "sometimes", "be_withdrawn": "sometimes"}, "clear"),
        # 4 points reach 建议关注 (the file's threshold), 10 reach 建议转介
        ({s: "sometimes" for s in SIGNS[:4]}, "watch"),
        ({s: "sometimes" for s in SIGNS[:9]}, "watch"),
        ({s: "sometimes" for s in SIGNS[:10]}, "refer"),
    ],
)
def test_the_thresholds_on_the_total(changes: dict[str, Any], level: str) -> None:
    result = score(load_screening_definition(), calm(**changes), today=TODAY)
    assert result.level == level
    assert result.result_kind == "screening"
    assert not result.mandatory_report


def test_self_harm_talk_forces_a_referral_and_a_mandatory_report() -> None:
    definition = load_screening_definition()
    for answer in ("talk", "act"):
        result = score(definition, calm(sh_self_harm=answer), today=TODAY)
        assert (result.score_level, result.level) == ("clear", "refer")
        assert result.mandatory_report
        assert [r.id for r in result.fired_rules] == [f"self_harm_{answer}"]
        assert any("报告" in text for text in result.recommendations)


def test_three_frequent_signs_refer_and_bullying_is_watched() -> None:
    definition = load_screening_definition()
    three = calm(sl_sleep="often", mo_low="often", be_withdrawn="often")  # 6 points
    assert score(definition, three, today=TODAY).level == "refer"
    bullied = calm(life_events=["bullied"])
    assert score(definition, bullied, today=TODAY).level == "watch"


def test_school_questions_are_skipped_under_six_on_the_calendar_age() -> None:
    definition = load_screening_definition()
    young = calm(child_birth_date="2020-05-21")  # five, six tomorrow
    del young["be_school_refusal"], young["be_school_drop"]
    assert score(definition, young, today=TODAY).total_max == 18
    on_birthday = calm(child_birth_date="2020-05-20")  # six today: asked
    assert score(definition, on_birthday, today=TODAY).total_max == 22


def test_the_result_round_trips_with_its_kind_and_a_guardianship_one_is_unchanged(
    instrument: Any, best_case: dict[str, Any]
) -> None:
    result = score(load_screening_definition(), calm(sh_self_harm="talk"), today=TODAY)
    data = result.to_json()
    assert data["result_kind"] == "screening" and data["level"] == "refer"
    assert AssessmentResult.from_json(json.loads(json.dumps(data))) == result
    guardianship = score(instrument, best_case, today=TODAY).to_json()
    assert "result_kind" not in guardianship  # a guardianship result reads as it always did
    assert AssessmentResult.from_json(guardianship).result_kind == "guardianship"
    # a level of the other kind is refused
    wrong = dict(data, level="red")
    with pytest.raises(ValueError, match="unknown level 'red'"):
        AssessmentResult.from_json(wrong)
    with pytest.raises(ValueError, match="unknown level 'refer'"):
        AssessmentResult.from_json(dict(guardianship, level="refer"))
    with pytest.raises(ValueError, match="unknown result kind"):
        AssessmentResult.from_json(dict(data, result_kind="mood"))


def _graded(kind: str | None, levels: list[str]) -> dict[str, Any]:
    items = [
        {
            "id": "q",
            "type": "yes_no",
            "label": "问题",
            "scores": {"yes": 1, "no": 0},
            "required": True,
        }
    ]
    grading = {
        "graded_value": "total",
        "thresholds": [{"level": levels[0], "min": 1}, {"level": levels[1]}],
        "levels": {lv: {"label": lv, "recommendations": []} for lv in levels},
    }
    extra: dict[str, Any] = {"grading": grading}
    if kind is not None:
        extra["result_kind"] = kind
    return minimal_definition(items, **extra)


def test_a_definition_uses_only_the_levels_of_its_kind() -> None:
    assert set(RESULT_KINDS) == {"guardianship", "screening"}
    definition_from_json(_graded("screening", ["refer", "clear"]))
    definition_from_json(_graded(None, ["red", "green"]))  # the default kind: four colours
    with pytest.raises(DefinitionError) as err:
        definition_from_json(_graded(None, ["refer", "clear"]))
    assert "level 'refer' is not one of the result kind 'guardianship'" in str(err.value)
    with pytest.raises(DefinitionError) as err:
        definition_from_json(_graded("screening", ["red", "clear"]))
    assert "level 'red' is not one of the result kind 'screening'" in str(err.value)
    with pytest.raises(DefinitionError):
        definition_from_json(_graded("mood", ["refer", "clear"]))  # the schema's enum


def test_a_district_publishes_its_own_screening_instrument() -> None:
    body = json.loads(FILE.read_text(encoding="utf-8"))
    own = copy.deepcopy(body)
    own["version"] = "2.0"
    own["grading"]["thresholds"][1]["min"] = 2  # the district watches earlier
    definition = parse_published("questionnaire", SCREENING_ID, "2.0", own)
    assert isinstance(definition, Definition)
    result = score(definition, calm(sl_sleep="sometimes", mo_low="sometimes"), today=TODAY)
    assert result.level == "watch"
    assert result.definition_version == "2.0"
    broken = copy.deepcopy(own)
    broken["grading"]["levels"]["red"] = {"label": "红", "recommendations": []}
    with pytest.raises(PublishedDefinitionError, match="result kind 'screening'"):
        parse_published("questionnaire", SCREENING_ID, "2.0", broken)
