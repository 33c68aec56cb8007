"""Ageing out (成年后就业帮扶, seed 000 三): from 16, a transition plan on the child's file — what
the youth intends (school or work), the training wanted, the referral to 人力社保 (date, outcome)
and the subsidies applied for — so that at 18 the file is closed after a recorded hand-over.

One ``transition_plan`` record per child (child-linked, it syncs with the child's other
records); its status is what the 待办 list and the console show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from app.domain.ages import calendar_age
from app.domain.jsonable import date_or_none
from app.domain.problems import FieldProblem

TRANSITION_PLAN_TYPE = "transition_plan"  # the vault's record type

PLAN_FROM_AGE = 16
MAX_TEXT = 2000


class Intention(StrEnum):
    SCHOOL = "school"  # 继续升学
    WORK = "work"  # 就业
    TRAINING = "training"  # 职业技能培训
    MILITARY = "military"  # 参军
    BUSINESS = "business"  # 创业
    UNDECIDED = "undecided"  # 未定


INTENTION_LABELS_ZH: dict[Intention, str] = {
    Intention.SCHOOL: "继续升学",
    Intention.WORK: "就业",
    Intention.TRAINING: "职业技能培训",
    Intention.MILITARY: "参军",
    Intention.BUSINESS: "创业",
    Intention.UNDECIDED: "未定",
}

# The help 人力社保 offers young people leaving children's services (seed 000 三).
SUBSIDY_CHOICES_ZH: tuple[str, ...] = (
    "职业培训补贴",
    "就业见习（实习）",
    "招聘会推荐",
    "创业担保贷款",
    "一次性创业补贴",
    "求职创业补贴",
)


class PlanStatus(StrEnum):
    NONE = "none"  # 未建立
    STARTED = "started"  # 已建立，未转介
    REFERRED = "referred"  # 已转介人力社保
    HANDED_OVER = "handed_over"  # 已交接


PLAN_STATUS_LABELS_ZH: dict[PlanStatus, str] = {
    PlanStatus.NONE: "未建立转衔计划",
    PlanStatus.STARTED: "已建立转衔计划，未转介",
    PlanStatus.REFERRED: "已转介人力社保",
    PlanStatus.HANDED_OVER: "已完成交接",
}


@dataclass
class TransitionPlan:
    child_id: str
    made_on: date
    intention: Intention = Intention.UNDECIDED
    training_wanted: str = ""
    referred_on: date | None = None  # referral to 人力社保
    referred_to: str = "人力社保"
    referral_outcome: str = ""
    subsidies: list[str] = field(default_factory=list)  # applied for
    handed_over_on: date | None = None  # the hand-over before the file is closed at 18
    notes: str = ""

    @property
    def status(self) -> PlanStatus:
        if self.handed_over_on is not None:
            return PlanStatus.HANDED_OVER
        if self.referred_on is not None:
            return PlanStatus.REFERRED
        return PlanStatus.STARTED

    def problems_found(self, *, birth_date: date, today: date) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        if self.made_on > today:
            found.append(
                FieldProblem("made_on", "填写日期不能晚于今天。", "the plan date is in the future")
            )
        if calendar_age(birth_date, self.made_on) < PLAN_FROM_AGE:
            found.append(
                FieldProblem(
                    "made_on",
                    f"转衔计划从儿童年满{PLAN_FROM_AGE}周岁起填写。",
                    f"a transition plan starts at {PLAN_FROM_AGE}",
                )
            )
        if self.referred_on is not None and self.referred_on > today:
            found.append(
                FieldProblem(
                    "referred_on", "转介日期不能晚于今天。", "the referral date is in the future"
                )
            )
        if self.referral_outcome.strip() and self.referred_on is None:
            found.append(
                FieldProblem(
                    "referred_on",
                    "填写了转介结果，请同时填写转介日期。",
                    "an outcome without a referral date",
                )
            )
        if self.handed_over_on is not None:
            if self.handed_over_on > today:
                found.append(
                    FieldProblem(
                        "handed_over_on", "交接日期不能晚于今天。", "hand-over in the future"
                    )
                )
            if self.referred_on is None:
                found.append(
                    FieldProblem(
                        "handed_over_on",
                        "交接前请先记录转介人力社保的日期。",
                        "a hand-over needs the referral first",
                    )
                )
        for name in ("training_wanted", "referral_outcome", "notes", "referred_to"):
            if len(getattr(self, name)) > MAX_TEXT:
                found.append(FieldProblem(name, "内容太长，请精简。", f"{name} is too long"))
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "made_on": self.made_on.isoformat(),
            "intention": self.intention.value,
            "training_wanted": self.training_wanted,
            "referred_on": self.referred_on.isoformat() if self.referred_on else None,
            "referred_to": self.referred_to,
            "referral_outcome": self.referral_outcome,
            "subsidies": list(self.subsidies),
            "handed_over_on": self.handed_over_on.isoformat() if self.handed_over_on else None,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TransitionPlan:
        try:
            intention = Intention(data.get("intention", "undecided"))
        except ValueError:
            intention = Intention.UNDECIDED
        return cls(
            child_id=str(data["child_id"]),
            made_on=date.fromisoformat(data["made_on"]),
            intention=intention,
            training_wanted=str(data.get("training_wanted", "")),
            referred_on=date_or_none(data.get("referred_on")),
            referred_to=str(data.get("referred_to", "人力社保")),
            referral_outcome=str(data.get("referral_outcome", "")),
            subsidies=[str(s) for s in data.get("subsidies", [])],
            handed_over_on=date_or_none(data.get("handed_over_on")),
            notes=str(data.get("notes", "")),
        )


ADULT_AGE = 18


def archive_at_18_problems(
    plan: TransitionPlan | None, *, birth_date: date, today: date
) -> list[FieldProblem]:
    """Why a file cannot be archived with reason 年满18 yet (empty when it can): the youth is
    18 and the hand-over to 人力社保 is recorded on the transition plan (seed 000 三: the file
    is closed after the hand-over, not before)."""
    found: list[FieldProblem] = []
    if calendar_age(birth_date, today) < ADULT_AGE:
        found.append(
            FieldProblem(
                "archive",
                f"未满{ADULT_AGE}周岁，不能以“年满18周岁”归档。",
                f"not {ADULT_AGE} yet",
            )
        )
    if plan is None:
        found.append(
            FieldProblem(
                "archive",
                "还没有转衔计划：请先填写转衔计划，转介人力社保并记录交接日期，再以“年满18周岁”归档。",
                "no transition plan",
            )
        )
    elif plan.handed_over_on is None:
        found.append(
            FieldProblem(
                "archive",
                "转衔计划还没有记录交接日期：完成交接后才能以“年满18周岁”归档。",
                "the hand-over is not recorded",
            )
        )
    return found


def handed_over_note(plan: TransitionPlan) -> str:
    """The archive note of a file closed at 18: to whom and when the youth was handed over."""
    assert plan.handed_over_on is not None
    return f"已于{plan.handed_over_on.isoformat()}完成交接（转介{plan.referred_to or '人力社保'}）"
