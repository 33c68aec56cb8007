"""强制报告 — a mandatory report (seed 004, 三（四）（六）; issue 17).

Filed on the laptop by the village child director (from a case, from an assessment or a
psychological screening whose rules demand a report, or from a child's file) and sent ahead of
everything else at the next sync. States: ``filed`` (on the laptop, not at the district yet)
→ ``delivered`` 已送达 (the district holds it: on the laptop, a verified receipt names it) →
``acknowledged`` 已签收 (a town or district user) → ``in_progress`` 处理中 (assigned to a town,
a department or the 未成年人救助保护中心; actions recorded) → ``closed`` 已办结 (with the
outcome). The director may add information at any time before it is closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.workflow import Folded, Machine, Role, Transition, fold, rule

RECORD_TYPE = "mandatory_report"

FILED = "filed"
DELIVERED = "delivered"
ACKNOWLEDGED = "acknowledged"
IN_PROGRESS = "in_progress"
CLOSED = "closed"

STATE_ZH = {
    FILED: "待送达",
    DELIVERED: "已送达",
    ACKNOWLEDGED: "已签收",
    IN_PROGRESS: "处理中",
    CLOSED: "已办结",
}

DELIVER = "deliver"
ACKNOWLEDGE = "acknowledge"
ASSIGN = "assign"
RECORD_ACTION = "record_action"
CLOSE = "close"
ADD_INFO = "add_info"

ACTION_ZH = {
    DELIVER: "送达",
    ACKNOWLEDGE: "签收",
    ASSIGN: "交办",
    RECORD_ACTION: "记录处置",
    CLOSE: "办结",
    ADD_INFO: "补充情况",
}

# Whom a report is assigned to (details["assignee_kind"]).
ASSIGNEE_KINDS = {
    "town": "乡镇（街道）",
    "department": "部门",
    "rescue_center": "未成年人救助保护中心",
}

# Where a report came from (``source``; ``source_id`` the case, assessment or screening). A
# screening whose rules demand a report (self-harm: 心理状况筛查, issue 19) is ``screening``.
SOURCES = {
    "case": "个案",
    "assessment": "监护能力评估",
    "screening": "心理状况筛查",
    "child_file": "儿童档案",
}
LINKED_SOURCES = ("case", "assessment", "screening")  # sources whose source_id names a record
RESULT_SOURCES = ("assessment", "screening")  # sources whose source_id is a questionnaire result
CONCERNS = {
    "abuse": "监护侵害",
    "absence": "监护缺失",
    "improper": "监护不当",
    "other": "其他",
}
TOLD = {"police": "公安（报警）", "school": "学校", "hospital": "医院"}

_OFFICE = (Role.TOWN, Role.DISTRICT)
_OPEN = (FILED, DELIVERED, ACKNOWLEDGED, IN_PROGRESS)

MACHINE = Machine(
    initial=FILED,
    rules={
        DELIVER: rule(DELIVER, [FILED], DELIVERED, [Role.SYSTEM]),
        ACKNOWLEDGE: rule(ACKNOWLEDGE, [DELIVERED], ACKNOWLEDGED, _OFFICE),
        ASSIGN: rule(
            ASSIGN,
            [ACKNOWLEDGED, IN_PROGRESS],
            IN_PROGRESS,
            _OFFICE,
            needs_details=("assignee_kind", "assignee"),
        ),
        RECORD_ACTION: rule(
            RECORD_ACTION, [ACKNOWLEDGED, IN_PROGRESS], IN_PROGRESS, _OFFICE, needs_reason=True
        ),
        CLOSE: rule(CLOSE, [ACKNOWLEDGED, IN_PROGRESS], CLOSED, _OFFICE, needs_reason=True),
        ADD_INFO: rule(ADD_INFO, _OPEN, None, [Role.DIRECTOR], needs_reason=True),
    },
    final=frozenset({CLOSED}),
)


def report_problems(data: Mapping[str, Any]) -> list[str]:
    """What a report must say before it can be filed (Chinese, for the form)."""
    problems: list[str] = []
    if not str(data.get("child_id") or ""):
        problems.append("请选择儿童。")
    if not str(data.get("seen") or "").strip():
        problems.append("请写明看到或听到了什么。")
    if not str(data.get("seen_at") or "").strip():
        problems.append("请写明发现的时间。")
    if not str(data.get("at_risk") or "").strip():
        problems.append("请写明谁处于危险之中。")
    if not isinstance(data.get("immediate_danger"), bool):
        problems.append("请选择是否有紧迫危险。")
    if data.get("source") not in SOURCES:
        problems.append("报告来源不明。")
    if data.get("concern") not in CONCERNS:
        problems.append("请选择情形（监护侵害、监护缺失、监护不当或其他）。")
    told = data.get("told")
    if not isinstance(told, dict) or not all(isinstance(told.get(k), bool) for k in TOLD):
        problems.append("请分别选择是否已告知公安、学校、医院。")
    return problems


@dataclass(frozen=True)
class ReportStatus:
    report_id: str
    state: str
    folded: Folded

    @property
    def state_zh(self) -> str:
        return STATE_ZH[self.state]

    @property
    def acknowledged_at(self) -> str | None:
        t = self.folded.last(ACKNOWLEDGE)
        return t.at if t else None

    @property
    def outcome(self) -> str | None:
        t = self.folded.last(CLOSE)
        return t.reason if t else None

    @property
    def assignee(self) -> str | None:
        t = self.folded.last(ASSIGN)
        if t is None:
            return None
        kind = ASSIGNEE_KINDS.get(str(t.details.get("assignee_kind")), "")
        return f"{kind}：{t.details.get('assignee')}" if kind else str(t.details.get("assignee"))


def status(
    report_id: str, transitions: Iterable[Transition], *, delivered_at: str | None
) -> ReportStatus:
    """The report's state from its stored steps. Delivery is a fact, not a stored step: the
    district holds the report (``delivered_at`` = when it arrived, or when the laptop verified
    the receipt naming it); it is put first in the fold as a system transition."""
    steps = list(transitions)
    if delivered_at is not None:
        steps.append(Transition(DELIVER, "系统", Role.SYSTEM, delivered_at, order=""))
    return ReportStatus(report_id, *_fold(steps))


def _fold(steps: list[Transition]) -> tuple[str, Folded]:
    folded = fold(MACHINE, steps)
    return folded.state, folded
