"""The case gates as the director reads them, without Qt: checklist rows, the order of the next
stages, and the road ahead."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.case import Case, CaseKind, CaseStage, FollowUp, Plan, PlanAction
from app.domain.case_gates import (
    NOTHING_NEEDED,
    gate_checklist,
    gate_met,
    is_backwards,
    is_reopening,
    next_stages,
    road_ahead,
)


def case_at(stage: CaseStage, **changes: object) -> Case:
    return replace(Case("child", CaseKind.ABSENCE, date(2026, 10, 1)), stage=stage, **changes)


def test_an_empty_plan_shows_both_requirements_unmet_with_the_domains_words() -> None:
    rows = gate_checklist(case_at(CaseStage.ASSESSED), CaseStage.INTERVENING)
    assert rows == [
        (False, "帮扶方案至少要有一个目标。"),
        (False, "帮扶方案至少要有一项措施。"),
    ]
    assert not gate_met(case_at(CaseStage.ASSESSED), CaseStage.INTERVENING)


def test_a_complete_plan_shows_each_requirement_met() -> None:
    plan = Plan(["复学"], [PlanAction("联系学校", "村儿童主任", date(2026, 11, 1))])
    case = case_at(CaseStage.ASSESSED, plan=plan)
    assert all(met for met, _text in gate_checklist(case, CaseStage.INTERVENING))
    assert gate_met(case, CaseStage.INTERVENING)


def test_a_gate_with_no_condition_says_so() -> None:
    rows = gate_checklist(case_at(CaseStage.INTERVENING), CaseStage.FOLLOWING_UP)
    assert rows == [(True, NOTHING_NEEDED)]


def test_reopen_reason_is_asked_only_when_reopening() -> None:
    identified = [t for _m, t in gate_checklist(case_at(CaseStage.IDENTIFIED), CaseStage.ASSESSED)]
    closed = gate_checklist(case_at(CaseStage.CLOSED), CaseStage.ASSESSED)
    assert not any("重新开案" in text for text in identified)
    assert any(not met for met, _text in closed)
    assert is_reopening(case_at(CaseStage.CLOSED))
    assert not is_backwards(case_at(CaseStage.CLOSED), CaseStage.ASSESSED)


def test_forward_stages_come_before_the_way_back() -> None:
    stages = next_stages(case_at(CaseStage.FOLLOWING_UP))
    assert stages[0] == CaseStage.CLOSED
    assert all(is_backwards(case_at(CaseStage.FOLLOWING_UP), s) for s in stages[1:])


def test_the_road_ahead_names_what_the_stage_after_next_will_need() -> None:
    text = road_ahead(case_at(CaseStage.INTERVENING))
    assert text.startswith("之后转到“结案”还需要：")
    assert text.endswith("。")
    done = case_at(
        CaseStage.INTERVENING,
        follow_ups=[FollowUp(date(2026, 11, 2), "已复学")],
        closure_reason="目标达成",
    )
    assert road_ahead(done) == ""
    assert road_ahead(case_at(CaseStage.FOLLOWING_UP)) == ""
