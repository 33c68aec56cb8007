"""Scoring and grading as data: choice scores, subtotals, repeat aggregation, thresholds,
override rules, and results that survive a JSON round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from app.questionnaire import AssessmentResult, Definition, evaluate, score

LoadItems = Callable[..., Definition]
LEVEL_INFO = {
    level: {"label": label, "recommendations": [f"{label}的建议"]}
    for level, label in [
        ("green", "正常"),
        ("yellow", "不足"),
        ("orange", "严重不足"),
        ("red", "缺失"),
    ]
}


def choice(item_id: str, scores: dict[str, float | None], **extra: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "single_choice",
        "label": item_id,
        "required": True,
        "choices": [{"value": v, "label": v, "score": s} for v, s in scores.items()],
        **extra,
    }


def grading(**extra: Any) -> dict[str, Any]:
    return {
        "thresholds": [
            {"level": "green", "min": 80},
            {"level": "yellow", "min": 60},
            {"level": "orange", "min": 40},
            {"level": "red"},
        ],
        "levels": LEVEL_INFO,
        **extra,
    }


@pytest.fixture
def form(load_items: LoadItems) -> Definition:
    items = [
        {
            "id": "health",
            "type": "group",
            "label": "健康",
            "items": [
                choice("h1", {"good": 3, "fair": 1, "bad": 0}),
                choice("h2", {"good": 3, "bad": 0, "na": None}),
            ],
        },
        {
            "id": "home",
            "type": "group",
            "label": "居住",
            "items": [
                {
                    "id": "safe",
                    "type": "yes_no",
                    "label": "安全",
                    "required": True,
                    "scores": {"yes": 4, "no": 0},
                },
                {
                    "id": "income",
                    "type": "decimal",
                    "label": "收入",
                    "required": True,
                    "score": "if(. >= 1000, 2, 0)",
                    "max_score": 2,
                },
                {
                    "id": "aids",
                    "type": "multiple_choice",
                    "label": "补贴",
                    "max_score": 3,
                    "choices": [
                        {"value": "a", "label": "A", "score": 2},
                        {"value": "b", "label": "B", "score": 2},
                        {"value": "c", "label": "C"},
                    ],
                },
            ],
        },
        {"id": "alone", "type": "yes_no", "label": "独居", "required": True},
    ]
    rules = [
        {
            "id": "alone",
            "when": "${alone} = 'yes'",
            "effect": "force",
            "level": "red",
            "reason": "独居",
            "mandatory_report": True,
            "recommendations": ["立即上报"],
        },
        {
            "id": "health_low",
            "when": "score-percent('health') < 50",
            "effect": "at_least",
            "level": "orange",
            "reason": "健康得分低",
        },
    ]
    return load_items(items, grading=grading(rules=rules))


def answers(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "h1": "good",
        "h2": "good",
        "safe": "yes",
        "income": 1500,
        "aids": ["a"],
        "alone": "no",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_subtotals_and_total(form: Definition) -> None:
    result = score(form, answers())
    assert [(s.id, s.score, s.max_score) for s in result.sections] == [
        ("health", 6, 6),
        ("home", 8, 9),
    ]
    assert (result.total_score, result.total_max) == (14, 15)
    assert result.level == "green" and result.score_level == "green"
    assert result.recommendations == ("正常的建议",)


def test_not_applicable_and_unanswered_optionals_leave_the_maximum(
    form: Definition,
) -> None:
    result = score(form, answers(h2="na", aids=None))
    assert result.section("health").max_score == 3
    assert result.section("home").max_score == 6  # aids unanswered: not counted at all


def test_multiple_choice_scores_are_capped(form: Definition) -> None:
    assert score(form, answers(aids=["a", "b"])).section("home").score == 4 + 2 + 3
    assert score(form, answers(aids=["c"])).section("home").max_score == 6  # no scored choice


def test_thresholds_on_percent(form: Definition) -> None:
    # health 4/6, home 2/9 -> 6/15 = 40 %: exactly orange's minimum, which is inclusive
    result = score(form, answers(h1="fair", h2="good", safe="no", income=10))
    assert result.graded == 40
    assert result.score_level == "orange" and result.level == "orange"
    result = score(form, answers(h1="bad", h2="good", safe="no", income=10))  # 5/15
    assert result.score_level == "red"


def test_force_rule_sets_the_level_and_adds_its_advice(form: Definition) -> None:
    result = score(form, answers(alone="yes"))
    assert result.score_level == "green"
    assert result.level == "red" and result.level_label == "缺失"
    assert [r.id for r in result.fired_rules] == ["alone"]
    assert result.mandatory_report
    assert result.recommendations == ("缺失的建议", "立即上报")


def test_at_least_rule_only_raises(form: Definition) -> None:
    result = score(form, answers(h1="bad", h2="bad"))  # health 0 %, total 8/15 = 53 %
    assert result.score_level == "orange"
    assert [r.id for r in result.fired_rules] == ["health_low"]
    assert result.level == "orange"
    result = score(form, answers(h1="bad", h2="bad", safe="no", income=0))  # 2/15: red
    assert result.score_level == "red" and result.level == "red"


def test_total_grading_and_a_graded_section(load_items: LoadItems) -> None:
    items = [
        {"id": "a", "type": "group", "label": "A", "items": [choice("q1", {"x": 10, "y": 0})]},
        {"id": "b", "type": "group", "label": "B", "items": [choice("q2", {"x": 10, "y": 0})]},
    ]
    on_total = load_items(
        items,
        grading={
            "graded_value": "total",
            "thresholds": [{"level": "green", "min": 15}, {"level": "red"}],
            "levels": LEVEL_INFO,
        },
    )
    assert score(on_total, {"q1": "x", "q2": "x"}).level == "green"
    assert score(on_total, {"q1": "x", "q2": "y"}).level == "red"
    on_section = load_items(
        items,
        grading={
            "graded_section": "b",
            "thresholds": [{"level": "green", "min": 50}, {"level": "red"}],
            "levels": LEVEL_INFO,
        },
    )
    assert score(on_section, {"q1": "y", "q2": "x"}).level == "green"
    assert score(on_section, {"q1": "x", "q2": "y"}).level == "red"


@pytest.mark.parametrize(
    ("how", "expected"),
    # Blocks score 3/6, 0/3 and 0/3; max and min compare each block's share of its maximum.
    [("sum", (3, 12)), ("mean", (1, 4)), ("max", (3, 6)), ("min", (0, 3))],
)
def test_repeat_aggregation(load_items: LoadItems, how: str, expected: tuple[float, float]) -> None:
    items = [
        {
            "id": "carers",
            "type": "repeat",
            "label": "照料人",
            "score_aggregate": how,
            "items": [
                choice("present", {"yes": 3, "no": 0}),
                choice("health", {"good": 3, "poor": 0}, relevant="${present} = 'yes'"),
                {
                    "id": "present_flag",
                    "type": "calculate",
                    "calculation": "if(${present} = 'yes', 1, 0)",
                },
            ],
        },
        {
            "id": "absent",
            "type": "calculate",
            "calculation": "count(${carers}) - sum(${present_flag})",
        },
    ]
    definition = load_items(items)
    blocks = [
        {"present": "yes", "health": "poor"},
        {"present": "no"},
        {"present": "no", "health": "good"},  # health is not asked here: ignored, not scored
    ]
    result = score(definition, {"carers": blocks})
    section = result.section("carers")
    assert (section.score, section.max_score) == expected
    assert result.total_score == expected[0]


def test_calculations_aggregate_repeat_blocks(load_items: LoadItems) -> None:
    items = [
        {
            "id": "kids",
            "type": "repeat",
            "label": "子女",
            "items": [{"id": "age", "type": "integer", "label": "年龄"}],
        },
        {"id": "n", "type": "calculate", "calculation": "count(${kids})"},
        {"id": "answered", "type": "calculate", "calculation": "count(${age})"},
        {"id": "total", "type": "calculate", "calculation": "sum(${age})"},
        {"id": "oldest", "type": "calculate", "calculation": "max(${age})"},
    ]

    state = evaluate(load_items(items), {"kids": [{"age": 3}, {}, {"age": 9}]})
    assert state.calculated == {"n": 3, "answered": 2, "total": 12, "oldest": 9}


def test_result_round_trips_through_json(form: Definition) -> None:
    result = score(form, answers(alone="yes"), today=date(2026, 5, 20))
    data = json.loads(json.dumps(result.to_json(), ensure_ascii=False))
    assert data["definition"] == {"id": "test_form", "version": "1.0"}
    assert data["assessed_on"] == "2026-05-20"
    assert AssessmentResult.from_json(data) == result


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("level"), "missing 'level'"),
        (lambda d: d.update(level="purple"), "unknown level 'purple'"),
        (lambda d: d.update(format="other/1"), "format is 'other/1'"),
        (lambda d: d.update(assessed_on="yesterday"), "Invalid isoformat"),
        (lambda d: d["total"].update(score="x"), "expected a number"),
    ],
)
def test_result_from_bad_json_is_refused(
    form: Definition, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = score(form, answers()).to_json()
    change(data)
    with pytest.raises(ValueError, match=message):
        AssessmentResult.from_json(data)
    with pytest.raises(ValueError, match="expected a JSON object"):
        AssessmentResult.from_json([1])


def test_definition_without_grading_still_scores(load_items: LoadItems) -> None:
    definition = load_items([choice("q", {"a": 2, "b": 1})])
    result = score(definition, {"q": "b"})
    assert result.level is None and result.fired_rules == ()
    assert (result.total_score, result.total_max) == (1, 2)
