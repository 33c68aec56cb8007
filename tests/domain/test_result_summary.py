"""How the result page reads an assessment result, without Qt: the level moved by rules, rule
effects, the section tree as indented rows, numbers as the director reads them."""

from __future__ import annotations

from datetime import date

from app.questionnaire import AssessmentResult, FiredRule, SectionScore
from app.questionnaire.result_summary import (
    format_number,
    level_adjustment,
    rule_forces,
    section_rows,
)


def result(
    level: str, score_level: str, sections: tuple[SectionScore, ...] = ()
) -> AssessmentResult:
    return AssessmentResult(
        "d", "1", date(2026, 6, 1), level, "x", score_level, "percent", 80.0, 40.0, 50.0,
        sections, (), (), False,
    )  # fmt: skip


def test_numbers_have_one_decimal_at_most_and_no_trailing_zero() -> None:
    assert format_number(12.0) == "12"
    assert format_number(12.54) == "12.5"
    assert format_number(0.04) == "0"
    assert format_number(99.96) == "100"


def test_a_level_moved_by_a_rule_is_told_apart() -> None:
    assert level_adjustment(result("red", "yellow")) == ("yellow", "red")
    assert level_adjustment(result("green", "green")) is None


def test_rules_either_force_a_level_or_set_a_floor() -> None:
    assert rule_forces(FiredRule("r", "force", "red", "遭受侵害", True))
    assert not rule_forces(FiredRule("r", "at_least", "orange", "无人照料", False))


def test_sections_as_an_indented_tree() -> None:
    sections = (
        SectionScore("child", "儿童", None, 10, 20, True),
        SectionScore("health", "健康", "child", 5, 10, True),
        SectionScore("meals", "饮食", "health", 0, 0, True),  # nothing to score
        SectionScore("school", "上学", "child", 3, 10, False),  # skipped
    )
    rows = section_rows(result("green", "green", sections))
    assert [(r.id, r.depth, r.applicable) for r in rows] == [
        ("child", 0, True),
        ("health", 1, True),
        ("meals", 2, False),
        ("school", 1, False),
    ]
    assert rows[1].percent == 50
