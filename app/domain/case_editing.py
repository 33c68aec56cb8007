"""The rules the case dialog applies around the gates of app/domain/case_gates.py: what kind of
move each next stage is (forward, back to adjust the plan, reopening), which reason a move asks
for, the case as it would be with the edits on screen (what the gates are checked against before
anything is saved), where each stage stands on the loop, what a new case and an escalation must
say, and when escalating or a mandatory report is still offered.

Plain Python so the rules are tested without Qt; the dialog only draws and words them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import Enum

from app.domain.case import Case, CaseStage, Plan
from app.domain.case_gates import LOOP, is_backwards, is_reopening
from app.domain.problems import FieldProblem


class MoveKind(Enum):
    FORWARD = "forward"  # 转到“…” →
    BACK = "back"  # 退回“…” (to adjust the plan)
    REOPEN = "reopen"  # 重新开案 (a closed case back to 评估)


def move_kind(case: Case, target: CaseStage) -> MoveKind:
    if is_reopening(case):
        return MoveKind.REOPEN
    if is_backwards(case, target):
        return MoveKind.BACK
    return MoveKind.FORWARD


CLOSURE_REASON = "closure_reason"
REOPEN_REASON = "reopen_reason"


def reason_field(case: Case, target: CaseStage) -> str | None:
    """The reason a move asks for: 'closure_reason' to close, 'reopen_reason' to reopen."""
    if is_reopening(case):
        return REOPEN_REASON
    if target == CaseStage.CLOSED:
        return CLOSURE_REASON
    return None


def reason_shown(case: Case, target: CaseStage) -> str:
    """What the reason field starts with: the stored closure reason (a reopening starts empty)."""
    return case.closure_reason if reason_field(case, target) == CLOSURE_REASON else ""


def case_with_edits(
    case: Case,
    *,
    plan: Plan,
    assessment_id: str,
    assessment_notes: str,
    reasons: Mapping[CaseStage, str],
) -> Case:
    """The case as it would be with the edits on screen: the plan, the assessment link (an empty
    choice or empty notes keep what is stored) and the reason typed for each next stage."""
    edited = replace(
        case,
        plan=plan,
        assessment_id=assessment_id or case.assessment_id,
        assessment_notes=assessment_notes.strip() or case.assessment_notes,
    )
    for target, text in reasons.items():
        field = reason_field(case, target)
        if field == CLOSURE_REASON:
            edited = replace(edited, closure_reason=text.strip())
        elif field == REOPEN_REASON:
            edited = replace(edited, reopen_reason=text.strip())
    return edited


class StageMark(Enum):
    DONE = "done"  # ✓, behind the current stage
    CURRENT = "current"
    AHEAD = "ahead"


def stage_marks(current: CaseStage) -> list[tuple[CaseStage, StageMark]]:
    """Each stage of the loop and where it stands relative to ``current``."""
    position = LOOP.index(current)
    marks = []
    for index, stage in enumerate(LOOP):
        if index < position:
            marks.append((stage, StageMark.DONE))
        elif index == position:
            marks.append((stage, StageMark.CURRENT))
        else:
            marks.append((stage, StageMark.AHEAD))
    return marks


def new_case_problems(summary: str) -> list[FieldProblem]:
    """A case is opened with a short account of what was found."""
    if summary.strip():
        return []
    return [
        FieldProblem(
            "summary", "请简要写明情况，方便以后跟进和上报。", "a summary of the case is required"
        )
    ]


def escalation_problems(notes: str) -> list[FieldProblem]:
    """Escalating to the district says what happened and what the district should coordinate."""
    if notes.strip():
        return []
    return [
        FieldProblem(
            "escalation_notes",
            "请先写上报说明：发生了什么、需要区里协调什么。",
            "escalation notes are required",
        )
    ]


def can_escalate(case: Case) -> bool:
    """Escalation (again, too) is for an open case."""
    return case.is_open


def can_mark_mandatory_report(case: Case) -> bool:
    """A mandatory report is marked once."""
    return not case.mandatory_report
