"""个案会商 — a case conference (seed 004, 三（四）; issue 17).

Recorded at the district on an escalated case: the date, the departments and people present,
findings, decisions, actions (what, who, by when) and the next review date. It reaches the
laptop's case as the plan to carry out. States: ``recorded`` → ``closed`` (the district, when the
case no longer needs conferences). Each action is ``open`` until marked ``done`` — by the village
director (a follow-up from the laptop, with what was done) or by the district; the district may
``cancel`` an action (with a reason). ``review`` (district) records a review and the next review
date while the conference stays open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.workflow import Folded, Machine, Refused, Role, Transition, fold, rule

RECORD_TYPE = "case_conference"

RECORDED = "recorded"
CLOSED = "closed"
STATE_ZH = {RECORDED: "执行中", CLOSED: "已结束"}

# Departments that may sit on a conference (seed 004, 三（四）; DOMAIN.md).
DEPARTMENTS = ("民政", "教育", "公安", "妇联", "残联", "法院", "检察院", "卫健", "学校")

ACTION_DONE = "action_done"
ACTION_PROGRESS = "action_progress"
ACTION_CANCEL = "action_cancel"
REVIEW = "review"
CLOSE = "close"

ACTION_ZH = {
    ACTION_DONE: "完成事项",
    ACTION_PROGRESS: "报告进展",
    ACTION_CANCEL: "取消事项",
    REVIEW: "复查",
    CLOSE: "结束会商跟踪",
}

MACHINE = Machine(
    initial=RECORDED,
    rules={
        ACTION_DONE: rule(
            ACTION_DONE,
            [RECORDED],
            None,
            [Role.DIRECTOR, Role.DISTRICT],
            needs_reason=True,
            needs_details=("action_id",),
        ),
        ACTION_PROGRESS: rule(
            ACTION_PROGRESS,
            [RECORDED],
            None,
            [Role.DIRECTOR, Role.TOWN, Role.DISTRICT],
            needs_reason=True,
            needs_details=("action_id",),
        ),
        ACTION_CANCEL: rule(
            ACTION_CANCEL,
            [RECORDED],
            None,
            [Role.DISTRICT],
            needs_reason=True,
            needs_details=("action_id",),
        ),
        REVIEW: rule(REVIEW, [RECORDED], None, [Role.DISTRICT], needs_details=("next_review",)),
        CLOSE: rule(CLOSE, [RECORDED], CLOSED, [Role.DISTRICT], needs_reason=True),
    },
    final=frozenset({CLOSED}),
)


def _valid_date(value: object) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def conference_problems(data: Mapping[str, Any]) -> list[str]:
    """What a conference record must hold (Chinese, for the console's form)."""
    problems: list[str] = []
    if not str(data.get("child_id") or "") or not str(data.get("case_id") or ""):
        problems.append("请选择个案。")
    if not _valid_date(data.get("held_on")):
        problems.append("请填写会商日期。")
    departments = data.get("departments")
    if not isinstance(departments, list) or not departments:
        problems.append("请选择参加会商的部门。")
    elif any(d not in DEPARTMENTS for d in departments):
        problems.append("部门只能从列表中选择：" + "、".join(DEPARTMENTS) + "。")
    people = data.get("people")
    if not isinstance(people, list) or not all(isinstance(p, str) and p.strip() for p in people):
        problems.append("请填写参加人员。")
    for key, label in (("findings", "会商发现"), ("decisions", "会商决定")):
        if not str(data.get(key) or "").strip():
            problems.append(f"请填写{label}。")
    actions = data.get("actions")
    if not isinstance(actions, list) or not actions:
        problems.append("请至少填写一项落实事项。")
    else:
        ids: set[str] = set()
        for n, action in enumerate(actions, 1):
            if not isinstance(action, dict):
                problems.append(f"第{n}项事项格式不对。")
                continue
            action_id = str(action.get("id") or "")
            if not action_id or action_id in ids:
                problems.append(f"第{n}项事项缺少编号。")
            ids.add(action_id)
            if not str(action.get("what") or "").strip():
                problems.append(f"第{n}项：请写明做什么。")
            if not str(action.get("who") or "").strip():
                problems.append(f"第{n}项：请写明由谁负责。")
            if not _valid_date(action.get("due")):
                problems.append(f"第{n}项：请填写完成期限。")
    if not _valid_date(data.get("next_review")):
        problems.append("请填写下次复查日期。")
    return problems


@dataclass(frozen=True)
class ActionStatus:
    action_id: str
    what: str
    who: str
    due: str
    state: str  # open / done / cancelled
    notes: tuple[str, ...]

    @property
    def state_zh(self) -> str:
        return {"open": "待落实", "done": "已完成", "cancelled": "已取消"}[self.state]

    def overdue(self, today: date) -> bool:
        return (
            self.state == "open" and _valid_date(self.due) and date.fromisoformat(self.due) < today
        )


@dataclass(frozen=True)
class ConferenceStatus:
    conference_id: str
    folded: Folded
    actions: tuple[ActionStatus, ...]
    next_review: str

    @property
    def state(self) -> str:
        return self.folded.state


def status(
    conference_id: str, data: Mapping[str, Any], transitions: Iterable[Transition]
) -> ConferenceStatus:
    """The conference's state and each action's, from the record and its steps. A step naming
    an action the conference does not have, or one already done or cancelled, is void."""
    actions = [a for a in data.get("actions") or [] if isinstance(a, dict)]
    known = {str(a.get("id")) for a in actions}
    steps = list(transitions)
    folded = fold(MACHINE, steps)
    state: dict[str, str] = dict.fromkeys(known, "open")
    notes: dict[str, list[str]] = {k: [] for k in known}
    effective: list[Transition] = []
    void = list(folded.void)
    next_review = str(data.get("next_review") or "")
    for t in folded.effective:
        action_id = str(t.details.get("action_id") or "")
        if t.action in (ACTION_DONE, ACTION_PROGRESS, ACTION_CANCEL):
            if action_id not in known:
                void.append((t, Refused.DETAIL_MISSING))
                continue
            if state[action_id] != "open":
                void.append((t, Refused.CLOSED))
                continue
            notes[action_id].append(t.reason)
            if t.action == ACTION_DONE:
                state[action_id] = "done"
            elif t.action == ACTION_CANCEL:
                state[action_id] = "cancelled"
        elif t.action == REVIEW:
            next_review = str(t.details.get("next_review"))
        effective.append(t)
    refolded = Folded(folded.state, tuple(effective), tuple(void))
    return ConferenceStatus(
        conference_id,
        refolded,
        tuple(
            ActionStatus(
                str(a.get("id")),
                str(a.get("what", "")),
                str(a.get("who", "")),
                str(a.get("due", "")),
                state[str(a.get("id"))],
                tuple(notes[str(a.get("id"))]),
            )
            for a in actions
        ),
        next_review,
    )
