"""Review corrections (issue 19): "有人不给饭吃" is neglect and carries the mandatory-report flag
(not "经常吃不饱"); the printed red/orange advice says the visit frequency the schedule in force
asks for (red weekly, orange every 15 days), derived from it — not "每月至少入户一次"; the 1.0.0
instrument still loads for assessments made with it."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from app.domain.schedule import load_schedule, schedule_from_json
from app.domain.visit_advice import (
    SUPERSEDED_VISIT_ADVICE,
    interval_zh,
    visit_advice_zh,
    without_superseded_visit_advice,
)
from app.printing import assessment_report_pdf
from app.printing.assessment_report import render_assessment_report
from app.printing.sources import load_assessment_report
from app.questionnaire import load_default_definition, score
from app.questionnaire.loader import load_bundled_definitions
from app.questionnaire.model import Question
from app.services.assessments import ASSESSMENT_TYPE
from app.services.definitions import DefinitionService
from resources import resource_path
from storage.vault import Vault
from tests.printing.conftest import TODAY
from tests.printing.helpers import flat, pdf_text
from tests.questionnaire.helpers import read_answers


def _best_case() -> dict[str, Any]:
    return copy.deepcopy(read_answers("best_case"))


def test_food_withheld_is_neglect_and_must_be_reported() -> None:
    instrument = load_default_definition()
    answers = _best_case()
    answers["ph_meals"] = "food_withheld"
    result = score(instrument, answers, today=TODAY)
    assert "food_withheld" in [r.id for r in result.fired_rules]
    assert result.mandatory_report
    assert result.level in ("orange", "red")
    assert any("强制报告" in r for r in result.recommendations)
    # going hungry (poverty) is help, not a report
    answers["ph_meals"] = "hungry"
    result = score(instrument, answers, today=TODAY)
    assert [r.id for r in result.fired_rules] == ["hunger"]
    assert not result.mandatory_report
    meals = instrument.by_id["ph_meals"]
    assert isinstance(meals, Question)
    labels = {c.value: c.label for c in meals.choices}
    assert "不给饭吃" in labels["food_withheld"] and "不给饭吃" not in labels["hungry"]


def test_the_instrument_no_longer_states_a_visit_frequency() -> None:
    instrument = load_default_definition()
    assert instrument.grading is not None
    texts = [r for lv in instrument.grading.levels.values() for r in lv.recommendations]
    texts += [r for rule in instrument.grading.rules for r in rule.recommendations]
    assert not SUPERSEDED_VISIT_ADVICE & set(texts)
    assert not [t for t in texts if "每月至少" in t or "每周" in t]


def test_the_superseded_version_still_loads() -> None:
    bundled = load_bundled_definitions()
    assert [(d.id, d.version) for d in bundled] == [
        ("guardianship_capacity", load_default_definition().version),
        ("guardianship_capacity", "1.0.0"),
        ("psych_screening", "1.0.0"),  # the other kind (issue 19), after the guardianship ones
    ]
    assert {(d.id, d.version) for d in DefinitionService(None).questionnaires()} == {
        ("guardianship_capacity", "1.1.0"),
        ("guardianship_capacity", "1.0.0"),
        ("psych_screening", "1.0.0"),
    }
    assert DefinitionService(None).questionnaire().version == "1.1.0"  # new ones use the new


def test_advice_is_derived_from_the_schedule() -> None:
    bundled = load_schedule()
    assert visit_advice_zh(bundled, "red") is not None
    assert "每周至少入户走访1次" in (visit_advice_zh(bundled, "red") or "")
    assert "相隔不超过7天" in (visit_advice_zh(bundled, "red") or "")
    assert "每半月至少入户走访1次" in (visit_advice_zh(bundled, "orange") or "")
    assert visit_advice_zh(bundled, "yellow") is None and visit_advice_zh(bundled, None) is None
    # a 事实无人抚养 child on orange: the stricter of both rules, and the calendar month
    both = visit_advice_zh(bundled, "orange", ["de_facto_unsupported"]) or ""
    assert "相隔不超过15天，且每个自然月至少1次" in both
    # a district publishing other numbers changes the sentence, with no second copy to edit
    body = json.loads(resource_path("schedule", "visit_schedule.json").read_text("utf-8"))
    for rule in body["rules"]:
        if rule["id"] == "level_orange":
            rule["max_interval_days"] = 10
    published = schedule_from_json(body)
    assert "每10天至少入户走访1次（两次走访相隔不超过10天）" in (
        visit_advice_zh(published, "orange") or ""
    )
    assert interval_zh(30) == "每月" and interval_zh(90) == "每季度"


def _finished_at(vault: Vault, levels: tuple[str, ...]) -> str:
    for revision in vault.load(ASSESSMENT_TYPE).revisions:
        result = revision.data.get("result") or {}
        if revision.data["status"] == "finished" and result.get("level") in levels:
            return revision.record_id
    raise AssertionError(f"the demo caseload has no finished {levels} assessment")


@pytest.mark.parametrize(("level", "says"), [("red", "每周"), ("orange", "每半月")])
def test_printed_report_says_what_the_schedule_does(
    filled_vault: Vault, level: str, says: str
) -> None:
    assessment_id = _finished_at(filled_vault, (level,))
    data = load_assessment_report(filled_vault, assessment_id, load_bundled_definitions())
    if data.result.level != level:  # the child's categories may add a stricter rule
        pytest.skip("level differs")
    pdf = assessment_report_pdf(filled_vault, assessment_id, printed_on=TODAY)
    text = flat(pdf_text(pdf))
    expected = visit_advice_zh(load_schedule(), level, data.child.categories) or ""
    assert says in expected
    assert flat(expected) in text
    assert "每月至少入户" not in text


def test_a_result_made_with_1_0_0_prints_the_schedule_not_its_old_sentence(
    filled_vault: Vault,
) -> None:
    assessment_id = _finished_at(filled_vault, ("red",))
    data = load_assessment_report(filled_vault, assessment_id, load_bundled_definitions())
    old = replace(
        data,
        result=replace(
            data.result, recommendations=(*data.result.recommendations, *SUPERSEDED_VISIT_ADVICE)
        ),
    )
    text = flat(pdf_text(render_assessment_report(old, printed_on=TODAY)))
    assert "每月至少入户" not in text
    assert "每周至少入户走访1次" in text
    assert without_superseded_visit_advice(["a", *SUPERSEDED_VISIT_ADVICE]) == ["a"]


def test_the_report_follows_a_published_schedule(filled_vault: Vault) -> None:
    body = json.loads(resource_path("schedule", "visit_schedule.json").read_text("utf-8"))
    for rule in body["rules"]:
        if rule["id"] == "level_red":
            rule["max_interval_days"] = 3
    published = schedule_from_json(body)
    assessment_id = _finished_at(filled_vault, ("red",))
    pdf = assessment_report_pdf(filled_vault, assessment_id, printed_on=TODAY, schedule=published)
    assert "每3天至少入户走访1次" in flat(pdf_text(pdf))
