"""The case dialog's rules, without Qt: the kind of each move, the reason it asks for, the case
with the edits on screen (what the gates are checked against), the loop marks, and what a new
case and an escalation must say."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.case import Case, CaseKind, CaseStage, FollowUp, Plan, PlanAction
from app.domain.case_editing import (
    CLOSURE_REASON,
    REOPEN_REASON,
    MoveKind,
    StageMark,
    can_escalate,
    can_mark_mandatory_report,
    case_with_edits,
    escalation_problems,
    move_kind,
    new_case_problems,
    reason_field,
    reason_shown,
    stage_marks,
)
from app.domain.case_gates import gate_met


def case_at(stage: CaseStage, **changes: object) -> Case:
    return replace(Case("child", CaseKind.ABSENCE, date(2026, 10, 1)), stage=stage, **changes)


def test_moves_forward_back_and_reopening() -> None:
    following = case_at(CaseStage.FOLLOWING_UP)
    assert move_kind(following, CaseStage.CLOSED) is MoveKind.FORWARD
    assert move_kind(following, CaseStage.INTERVENING) is MoveKind.BACK
    assert move_kind(case_at(CaseStage.CLOSED), CaseStage.ASSESSED) is MoveKind.REOPEN


def test_closing_and_reopening_ask_for_a_reason() -> None:
    following = case_at(CaseStage.FOLLOWING_UP, closure_reason="目标达成")
    assert reason_field(following, CaseStage.CLOSED) == CLOSURE_REASON
    assert reason_field(following, CaseStage.INTERVENING) is None
    assert reason_shown(following, CaseStage.CLOSED) == "目标达成"
    closed = case_at(CaseStage.CLOSED, closure_reason="目标达成", reopen_reason="旧原因")
    assert reason_field(closed, CaseStage.ASSESSED) == REOPEN_REASON
    assert reason_shown(closed, CaseStage.ASSESSED) == ""  # a reopening starts empty


def test_the_gates_see_the_edits_on_screen_before_they_are_saved() -> None:
    case = case_at(CaseStage.ASSESSED, assessment_id="a1", assessment_notes="入户了解")
    assert not gate_met(case, CaseStage.INTERVENING)
    plan = Plan(["复学"], [PlanAction("联系学校", "村儿童主任", date(2026, 11, 1))])
    edited = case_with_edits(case, plan=plan, assessment_id="", assessment_notes="  ", reasons={})
    assert gate_met(edited, CaseStage.INTERVENING)
    assert edited.assessment_id == "a1" and edited.assessment_notes == "入户了解"  # kept
    relinked = case_with_edits(
        case, plan=plan, assessment_id="a2", assessment_notes=" 新情况 ", reasons={}
    )
    assert relinked.assessment_id == "a2" and relinked.assessment_notes == "新情况"


def test_the_reason_typed_is_checked_by_the_closing_gate() -> None:
    follow_up = FollowUp(date(2026, 10, 20), "情况好转", "村儿童主任")
    case = case_at(CaseStage.FOLLOWING_UP, follow_ups=[follow_up])
    assert not gate_met(case, CaseStage.CLOSED)
    edited = case_with_edits(
        case,
        plan=case.plan,
        assessment_id="",
        assessment_notes="",
        reasons={CaseStage.CLOSED: " 目标达成 ", CaseStage.INTERVENING: "ignored"},
    )
    assert edited.closure_reason == "目标达成"
    assert gate_met(edited, CaseStage.CLOSED)
    closed = case_at(CaseStage.CLOSED)
    reopened = case_with_edits(
        closed, plan=closed.plan, assessment_id="", assessment_notes="",
        reasons={CaseStage.ASSESSED: "发现新的风险线索"},
    )  # fmt: skip
    assert reopened.reopen_reason == "发现新的风险线索"
    assert reopened.closure_reason == closed.closure_reason


def test_stage_marks_along_the_loop() -> None:
    marks = dict(stage_marks(CaseStage.INTERVENING))
    assert marks[CaseStage.IDENTIFIED] is StageMark.DONE
    assert marks[CaseStage.ASSESSED] is StageMark.DONE
    assert marks[CaseStage.INTERVENING] is StageMark.CURRENT
    assert marks[CaseStage.CLOSED] is StageMark.AHEAD


def test_a_new_case_and_an_escalation_must_say_what_happened() -> None:
    assert [p.message_zh for p in new_case_problems("  ")] == [
        "请简要写明情况，方便以后跟进和上报。"
    ]
    assert new_case_problems("走访发现儿童独自在家") == []
    assert [p.field for p in escalation_problems("")] == ["escalation_notes"]
    assert escalation_problems("需要区里协调临时监护") == []


def test_escalation_is_for_open_cases_and_a_mandatory_report_is_marked_once() -> None:
    assert can_escalate(case_at(CaseStage.INTERVENING))
    assert not can_escalate(case_at(CaseStage.CLOSED))
    assert can_mark_mandatory_report(case_at(CaseStage.IDENTIFIED))
    marked = case_at(
        CaseStage.IDENTIFIED, mandatory_report=True, mandatory_report_on=date(2026, 10, 2)
    )
    assert not can_mark_mandatory_report(marked)
