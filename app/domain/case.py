"""Cases (个案): the closed loop 识别 → 评估 → 介入 → 跟踪 → 结案 as a state machine with gates
(seed 004, 三（四）). Each transition is a new revision of the case record, so who moved it and
when is kept by the vault."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from app.domain.jsonable import date_or_none, jsonable
from app.domain.problems import FieldProblem


class CaseStage(StrEnum):
    IDENTIFIED = "identified"  # 识别
    ASSESSED = "assessed"  # 评估
    INTERVENING = "intervening"  # 介入
    FOLLOWING_UP = "following_up"  # 跟踪
    CLOSED = "closed"  # 结案


STAGE_LABELS_ZH = {
    CaseStage.IDENTIFIED: "识别",
    CaseStage.ASSESSED: "评估",
    CaseStage.INTERVENING: "介入",
    CaseStage.FOLLOWING_UP: "跟踪",
    CaseStage.CLOSED: "结案",
}

# Forward along the loop, back from 跟踪 to 介入 when the plan must change, and reopening.
ALLOWED_TRANSITIONS: dict[CaseStage, frozenset[CaseStage]] = {
    CaseStage.IDENTIFIED: frozenset({CaseStage.ASSESSED}),
    CaseStage.ASSESSED: frozenset({CaseStage.INTERVENING}),
    CaseStage.INTERVENING: frozenset({CaseStage.FOLLOWING_UP}),
    CaseStage.FOLLOWING_UP: frozenset({CaseStage.INTERVENING, CaseStage.CLOSED}),
    CaseStage.CLOSED: frozenset({CaseStage.ASSESSED}),  # reopening: reassess first
}


class CaseKind(StrEnum):
    ABUSE = "abuse"  # 监护侵害
    ABSENCE = "absence"  # 监护缺失
    IMPROPER = "improper"  # 监护不当
    OTHER = "other"


@dataclass
class PlanAction:
    what: str
    who: str
    by_when: date | None
    done_on: date | None = None  # 完成日期: the action was carried out (None: not yet)

    @property
    def done(self) -> bool:
        return self.done_on is not None


def _by_when(action: PlanAction) -> date:
    return action.by_when or date.max


@dataclass
class Plan:
    """个性化帮扶方案."""

    goals: list[str] = field(default_factory=list)
    actions: list[PlanAction] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            goals=list(data.get("goals", [])),
            actions=[
                PlanAction(
                    a["what"],
                    a["who"],
                    date_or_none(a.get("by_when")),
                    date_or_none(a.get("done_on")),  # older records: not done
                )
                for a in data.get("actions", [])
            ],
        )

    def open_actions_due(self, horizon: date) -> list[PlanAction]:
        """Actions not done yet whose date is on or before ``horizon``, the earliest first (待办:
        an action due or overdue; a done action never is)."""
        due = [
            a for a in self.actions if not a.done and a.by_when is not None and a.by_when <= horizon
        ]
        return sorted(due, key=_by_when)

    def done_problems(self, opened_on: date, today: date) -> list[FieldProblem]:
        """A done date is a day that has been: not after today, not before the case was opened."""
        found = []
        for index, action in enumerate(self.actions):
            if action.done_on is None:
                continue
            if action.done_on > today:
                message = f"第 {index + 1} 项措施的完成日期不能晚于今天。"
                english = f"action {index + 1} is done in the future"
            elif action.done_on < opened_on:
                message = (
                    f"第 {index + 1} 项措施的完成日期不能早于开案日期（{opened_on.isoformat()}）。"
                )
                english = f"action {index + 1} is done before the case was opened"
            else:
                continue
            found.append(FieldProblem(f"plan.actions[{index}].done_on", message, english))
        return found

    def gate_problems(self) -> list[FieldProblem]:
        found = []
        if not [g for g in self.goals if g.strip()]:
            found.append(
                FieldProblem("plan.goals", "帮扶方案至少要有一个目标。", "the plan needs a goal")
            )
        if not self.actions:
            found.append(
                FieldProblem(
                    "plan.actions", "帮扶方案至少要有一项措施。", "the plan needs an action"
                )
            )
        for index, action in enumerate(self.actions):
            missing = [
                label
                for label, value in (("做什么", action.what), ("谁负责", action.who))
                if not value.strip()
            ]
            if action.by_when is None:
                missing.append("完成时间")
            if missing:
                found.append(
                    FieldProblem(
                        f"plan.actions[{index}]",
                        f"第 {index + 1} 项措施缺少：{'、'.join(missing)}。",
                        f"action {index + 1} needs what, who and by when",
                    )
                )
        return found


@dataclass
class FollowUp:
    on: date
    notes: str
    by: str = ""


@dataclass
class Case:
    child_id: str
    kind: CaseKind
    opened_on: date
    stage: CaseStage = CaseStage.IDENTIFIED
    summary: str = ""
    assessment_id: str = ""  # the assessment the 评估 stage rests on
    assessment_notes: str = ""
    plan: Plan = field(default_factory=Plan)
    follow_ups: list[FollowUp] = field(default_factory=list)
    closure_reason: str = ""
    closed_on: date | None = None
    reopen_reason: str = ""
    escalated_on: date | None = None  # 上报区民政局
    escalation_notes: str = ""
    mandatory_report: bool = False  # 强制报告: the child is urgent for the next sync
    mandatory_report_on: date | None = None
    demo: str = ""

    def gate_problems(self, target: CaseStage) -> list[FieldProblem]:
        """Why the case cannot move to ``target`` now (empty when it can)."""
        if target not in ALLOWED_TRANSITIONS[self.stage]:
            return [
                FieldProblem(
                    "stage",
                    f"个案不能从“{STAGE_LABELS_ZH[self.stage]}”直接转到"
                    f"“{STAGE_LABELS_ZH[target]}”。",
                    f"cannot move from {self.stage} to {target}",
                )
            ]
        if target == CaseStage.ASSESSED:
            found = []
            if not (self.assessment_id or self.assessment_notes.strip()):
                found.append(
                    FieldProblem(
                        "assessment",
                        "进入“评估”前需要关联一次监护能力评估，或填写评估情况。",
                        "assessing needs a linked assessment or assessment notes",
                    )
                )
            if self.stage == CaseStage.CLOSED and not self.reopen_reason.strip():
                found.append(
                    FieldProblem(
                        "reopen_reason", "重新开案需要说明原因。", "reopening needs a reason"
                    )
                )
            return found
        if target == CaseStage.INTERVENING:
            return self.plan.gate_problems()
        if target == CaseStage.CLOSED:
            found = []
            if not self.follow_ups:
                found.append(
                    FieldProblem(
                        "follow_ups",
                        "结案前至少要有一次跟踪回访记录。",
                        "closing needs at least one follow-up",
                    )
                )
            if not self.closure_reason.strip():
                found.append(
                    FieldProblem("closure_reason", "请填写结案原因。", "closing needs a reason")
                )
            return found
        return []

    @property
    def is_open(self) -> bool:
        return self.stage != CaseStage.CLOSED

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        plan = data.get("plan", {})
        return cls(
            child_id=data["child_id"],
            kind=CaseKind(data["kind"]),
            opened_on=date.fromisoformat(data["opened_on"]),
            stage=CaseStage(data["stage"]),
            summary=data.get("summary", ""),
            assessment_id=data.get("assessment_id", ""),
            assessment_notes=data.get("assessment_notes", ""),
            plan=Plan.from_json(plan),
            follow_ups=[
                FollowUp(date.fromisoformat(f["on"]), f["notes"], f.get("by", ""))
                for f in data.get("follow_ups", [])
            ],
            closure_reason=data.get("closure_reason", ""),
            closed_on=date_or_none(data.get("closed_on")),
            reopen_reason=data.get("reopen_reason", ""),
            escalated_on=date_or_none(data.get("escalated_on")),
            escalation_notes=data.get("escalation_notes", ""),
            mandatory_report=bool(data.get("mandatory_report", False)),
            mandatory_report_on=date_or_none(data.get("mandatory_report_on")),
            demo=data.get("demo", ""),
        )
