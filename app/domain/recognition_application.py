"""事实无人抚养儿童认定申请 — a recognition application (seed 000, 一; issue 17).

Created on the laptop from the recognition helper's reasoning (:mod:`app.domain.recognition`):
``draft`` → ``submitted`` (the director confirms the guardian signed the paper 申请表) → the
town's 查验 within 10 working days: ``verified`` (pass), ``returned`` (more material needed, with
a reason; the director may submit again) or ``refused`` (with a reason) → the district's
复核确认: ``confirmed`` or ``refused`` (with a reason). The laptop may withdraw it before a final
decision (``withdrawn``).

A decision on an application the laptop withdrew: the transitions are ordered by their clocks
(causal order). A withdrawal made before the decision was seen makes the later decision void,
reported with the reason ``withdrawn`` (the console shows it; the decision is kept in the
history). A withdrawal made after the laptop saw a final decision is void (``closed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.guardian_situation import SITUATION_LABELS_ZH, GuardianSituation
from app.domain.workflow import Folded, Machine, Refused, Role, Transition, fold, rule
from app.domain.working_days import Calendar, Deadline, china_date, deadline_after

RECORD_TYPE = "recognition_application"

DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
VERIFIED = "verified"
CONFIRMED = "confirmed"
REFUSED = "refused"
WITHDRAWN = "withdrawn"

STATE_ZH = {
    DRAFT: "草稿",
    SUBMITTED: "待乡镇查验",
    RETURNED: "退回补充材料",
    VERIFIED: "查验通过，待区级复核",
    CONFIRMED: "已认定",
    REFUSED: "不予认定",
    WITHDRAWN: "已撤回",
}

SUBMIT = "submit"
VERIFY = "verify"  # town: pass
RETURN = "return"  # town: more material
REFUSE_TOWN = "refuse_town"
CONFIRM = "confirm"  # district
REFUSE = "refuse"  # district
WITHDRAW = "withdraw"

ACTION_ZH = {
    SUBMIT: "提交申请",
    VERIFY: "查验通过",
    RETURN: "退回补充材料",
    REFUSE_TOWN: "查验不通过",
    CONFIRM: "复核确认",
    REFUSE: "不予认定",
    WITHDRAW: "撤回申请",
}

FINAL = frozenset({CONFIRMED, REFUSED, WITHDRAWN})
DECISIONS = frozenset({VERIFY, RETURN, REFUSE_TOWN, CONFIRM, REFUSE})

# Working days the town has for 查验 (seed 000, 一).
TOWN_WORKING_DAYS = 10

# What a refused family can still get (seed 000, 一: 政策有边界、关爱无盲区).
FALLBACK_ZH = ("低保", "临时救助", "慈善帮扶")

PARENTS_ZH = {"father": "父亲", "mother": "母亲"}


def parent_situations_zh(parent: Mapping[str, Any]) -> str:
    """One parent's situations in the application's facts, in Chinese (不清楚 when none); a
    value this version does not know is shown as written (the form and the printed 申请表)."""
    words = []
    for value in parent.get("situations") or []:
        try:
            words.append(SITUATION_LABELS_ZH[GuardianSituation(value)])
        except ValueError:
            words.append(str(value))
    return "、".join(words) or "不清楚"


_TOWN = (Role.TOWN, Role.DISTRICT)  # a district user may act for a town

MACHINE = Machine(
    initial=DRAFT,
    rules={
        SUBMIT: rule(
            SUBMIT,
            [DRAFT, RETURNED],
            SUBMITTED,
            [Role.DIRECTOR],
            needs_details=("guardian_signed",),
        ),
        VERIFY: rule(VERIFY, [SUBMITTED], VERIFIED, _TOWN),
        RETURN: rule(RETURN, [SUBMITTED], RETURNED, _TOWN, needs_reason=True),
        REFUSE_TOWN: rule(REFUSE_TOWN, [SUBMITTED], REFUSED, _TOWN, needs_reason=True),
        CONFIRM: rule(CONFIRM, [VERIFIED], CONFIRMED, [Role.DISTRICT]),
        REFUSE: rule(REFUSE, [VERIFIED], REFUSED, [Role.DISTRICT], needs_reason=True),
        WITHDRAW: rule(
            WITHDRAW, [DRAFT, SUBMITTED, RETURNED, VERIFIED], WITHDRAWN, [Role.DIRECTOR]
        ),
    },
    final=FINAL,
)


def _refine(state: str, t: Transition, code: Refused) -> Refused:
    if state == WITHDRAWN and t.action in DECISIONS:
        return Refused.WITHDRAWN
    return code


def application_problems(data: Mapping[str, Any]) -> list[str]:
    """What an application must hold before it can be submitted (Chinese, for the form)."""
    problems: list[str] = []
    if not str(data.get("child_id") or ""):
        problems.append("请选择儿童。")
    facts = data.get("facts")
    if not isinstance(facts, dict) or not facts:
        problems.append("请先在认定助手中填写父母情况。")
    if not isinstance(data.get("materials"), list):
        problems.append("材料清单缺失。")
    return problems


@dataclass(frozen=True)
class ApplicationStatus:
    application_id: str
    folded: Folded
    submitted_on: date | None
    deadline: Deadline | None  # the town's 查验 deadline, when submitted

    @property
    def state(self) -> str:
        return self.folded.state

    @property
    def state_zh(self) -> str:
        return STATE_ZH[self.state]

    @property
    def reason(self) -> str | None:
        """The reason of the last return or refusal."""
        for t in reversed(self.folded.effective):
            if t.action in (RETURN, REFUSE_TOWN, REFUSE):
                return t.reason
        return None

    @property
    def confirmed_on(self) -> str | None:
        t = self.folded.last(CONFIRM)
        return china_date(t.at).isoformat() if t and self.state == CONFIRMED else None

    @property
    def void_decisions(self) -> list[tuple[Transition, Refused]]:
        return [v for v in self.folded.void if v[0].action in DECISIONS]

    def working_days_left(self, today: date, calendar: Calendar) -> int | None:
        """Working days until the town's deadline (negative: overdue), while 待乡镇查验."""
        if self.state != SUBMITTED or self.deadline is None:
            return None
        return calendar.days_until(today, self.deadline.due)


def status(
    application_id: str, transitions: Iterable[Transition], calendar: Calendar
) -> ApplicationStatus:
    folded = fold(MACHINE, transitions, refine=_refine)
    submit = folded.last(SUBMIT)
    submitted_on = china_date(submit.at) if submit else None
    deadline = (
        deadline_after(submitted_on, TOWN_WORKING_DAYS, calendar)
        if submitted_on is not None and folded.state in (SUBMITTED, VERIFIED, RETURNED)
        else None
    )
    return ApplicationStatus(application_id, folded, submitted_on, deadline)
