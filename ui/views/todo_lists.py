"""The 待办 lists, worked out from the caseload, the open cases, the assessment drafts and the
workflows (plain Python, no Qt: it runs on the vault worker): overdue and due visits,
assessments to do or finish, case follow-ups (强制报告 first), reports, applications, case
conference actions (issue 17) and open referrals of psychological screening (issue 19), urgent
first, and children approaching or past 18 (with their 转衔计划's status)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.domain import case_conference as cc
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.domain.case import STAGE_LABELS_ZH, Case, CaseStage
from app.domain.child_file import eighteenth_birthday
from app.domain.labels_zh import CASE_KIND_ZH
from app.domain.schedule import VisitSchedule
from app.domain.transition_plan import PLAN_STATUS_LABELS_ZH, PlanStatus
from app.services.assessments import Assessment
from app.services.caseload import Caseload
from app.services.stored import Stored
from app.services.workflows import ASSESSMENT_KIND, REFERRAL_KIND, TodoItem

# Sections, in the order shown.
OVERDUE = "overdue"
DUE_SOON = "due_soon"
ASSESSMENTS = "assessments"
CASES = "cases"
WORKFLOWS = "workflows"  # 强制报告, 认定申请, 个案会商 (issue 17), 转介 (issue 19)
TRANSITIONS = "transitions"
SECTIONS = (OVERDUE, DUE_SOON, ASSESSMENTS, CASES, WORKFLOWS, TRANSITIONS)

# What activating an entry opens.
OPEN_CHILD = "child"
OPEN_CASE = "case"
OPEN_DRAFT = "draft"
OPEN_TRANSITION = "transition"  # 转衔计划 (ui/views/transition_plan_dialog.py)
OPEN_REPORT = "report"  # a mandatory report (record_id)
OPEN_NEW_REPORT = "new_report"  # a new report from an assessment (assessment_id)
OPEN_APPLICATION = "application"  # a recognition application (record_id)
OPEN_REFERRALS = "referrals"  # the child's 心理状况筛查与转介 (record_id: the open referral)
# The case window's tab an OPEN_CASE line opens on (TodoEntry.case_tab; "": the stage's own):
# what the line is about, not where the stage would put the director.
CASE_TAB_PLAN = "plan"  # a 措施 due or overdue: its row and 完成日期 are in 帮扶方案
CASE_TAB_REPORT = "report"  # a 强制报告 not yet passed on (上报) to the district
CASE_TAB_CONFERENCE = "conference"  # a 会商事项


@dataclass(frozen=True)
class TodoEntry:
    section: str
    opens: str  # OPEN_CHILD, OPEN_CASE, OPEN_DRAFT, OPEN_REPORT… (what activating opens)
    child_id: str
    name: str
    level: str | None
    status: str  # short: 已逾期 12 天, 还有 3 天, 强制报告 …
    detail: str  # the reason, in a sentence
    alert: bool = False  # shown in red
    case_id: str = ""
    assessment_id: str = ""
    record_id: str = ""  # a report or an application
    case_tab: str = ""  # OPEN_CASE: CASE_TAB_PLAN, CASE_TAB_REPORT… ("": the stage's tab)


@dataclass
class TodoLists:
    today: date
    due_soon_days: int
    sections: dict[str, list[TodoEntry]] = field(default_factory=dict)

    def entries(self, section: str) -> list[TodoEntry]:
        return self.sections.get(section, [])

    def count(self, section: str) -> int:
        return len(self.entries(section))


def _days_text(days: int) -> str:
    return "今天" if days == 0 else f"还有 {days} 天"


def _visit_entries(
    caseload: Caseload, schedule: VisitSchedule, today: date
) -> tuple[list[TodoEntry], list[TodoEntry]]:
    due = caseload.due(schedule, today)
    overdue: list[TodoEntry] = []
    for info in due.overdue:  # most overdue first
        s = caseload.summaries[info.child_id]
        last = f"上次走访 {s.last_visit.isoformat()}" if s.last_visit else "还没有走访过"
        overdue.append(
            TodoEntry(
                OVERDUE,
                OPEN_CHILD,
                s.child_id,
                s.name,
                s.level,
                f"已逾期 {info.days_overdue(today)} 天",
                f"应于 {info.due.isoformat()} 走访（{last}）。依据：{'；'.join(info.reasons_zh)}",
                alert=True,
            )
        )
    soon: list[TodoEntry] = []
    for info in due.due_soon:  # soonest first
        s = caseload.summaries[info.child_id]
        soon.append(
            TodoEntry(
                DUE_SOON,
                OPEN_CHILD,
                s.child_id,
                s.name,
                s.level,
                _days_text((info.due - today).days),
                f"应于 {info.due.isoformat()} 走访。依据：{'；'.join(info.reasons_zh)}",
            )
        )
    return overdue, soon


def _assessment_entries(
    caseload: Caseload, drafts: Iterable[Stored[Assessment]]
) -> list[TodoEntry]:
    entries: list[TodoEntry] = []
    # One entry per child: the newest unfinished draft (opening it continues it), however many
    # drafts the child has.
    by_child: dict[str, list[Stored[Assessment]]] = {}
    for stored in sorted(drafts, key=lambda d: (d.value.started_on, d.hlc)):
        by_child.setdefault(stored.value.child_id, []).append(stored)
    with_draft: set[str] = set()
    for child_id, own in sorted(by_child.items(), key=lambda item: item[1][0].value.started_on):
        child = caseload.summaries.get(child_id)
        if child is None or not child.active:
            continue
        with_draft.add(child.child_id)
        newest = own[-1]
        more = f"（共有 {len(own)} 份评估未填完，打开的是最近的一份）" if len(own) > 1 else ""
        entries.append(
            TodoEntry(
                ASSESSMENTS,
                OPEN_DRAFT,
                child.child_id,
                child.name,
                child.level,
                "评估未填完",
                f"{newest.value.started_on.isoformat()} 开始的评估还没有完成，可以接着填写。"
                + more,
                assessment_id=newest.record_id,
            )
        )
    never = [s for s in caseload.active() if s.level is None and s.child_id not in with_draft]
    never.sort(key=lambda s: (s.data.get("opened_on") or "", s.name))
    for s in never:
        opened = s.data.get("opened_on")
        since = f"{opened} 建档，" if opened else ""
        entries.append(
            TodoEntry(
                ASSESSMENTS,
                OPEN_CHILD,
                s.child_id,
                s.name,
                None,
                "尚未评估",
                f"{since}还没有做过家庭监护能力评估，请安排评估。",
            )
        )
    return entries


def _case_entries(
    caseload: Caseload, cases: Iterable[Stored[Case]], today: date, horizon_days: int
) -> list[TodoEntry]:
    """Open cases in 介入/跟踪 with plan actions not done yet and due within the horizon or
    overdue (Plan.open_actions_due: a done action never counts), and every open case carrying
    a mandatory report (强制报告), whatever its stage; urgent ones first."""
    horizon = today + timedelta(days=horizon_days)
    ranked: list[tuple[tuple[int, date, str], TodoEntry]] = []
    for stored in cases:
        case = stored.value
        if not case.is_open:
            continue
        child = caseload.summaries.get(case.child_id)
        if child is not None and child.archived:
            continue  # 归档: the child's cases leave 待办 with the child (they stay in the vault)
        name = child.name if child else "（档案缺失）"
        level = child.level if child else None
        stage = STAGE_LABELS_ZH[case.stage]
        kind = CASE_KIND_ZH.get(case.kind, "")
        acting = case.stage in (CaseStage.INTERVENING, CaseStage.FOLLOWING_UP)
        due_actions = case.plan.open_actions_due(horizon)  # done actions never count
        if not case.mandatory_report and not (acting and due_actions):
            continue
        parts = [f"{kind}个案，{stage}阶段"]
        first_due = date.max
        if acting and due_actions:
            action = due_actions[0]
            first_due = action.by_when or date.max
            late = (today - first_due).days
            when = (
                f"已过期 {late} 天"
                if late > 0
                else "今天到期"
                if late == 0
                else f"{-late} 天后到期"
            )
            who = f"（{action.who}）" if action.who.strip() else ""
            more = f"，另有 {len(due_actions) - 1} 项" if len(due_actions) > 1 else ""
            parts.append(f"措施“{action.what}”{who}应于 {first_due.isoformat()} 完成，{when}{more}")
            status = f"措施已过期 {late} 天" if late > 0 else f"措施{_days_text(-late)}到期"
            alert = late > 0
            tab = CASE_TAB_PLAN
        else:
            status = ""
            alert = False
            # only a 强制报告 brings a case without a due 措施 here: its 上报 is what is asked
            # while it is not done; once done, the stage's tab shows the next step
            tab = CASE_TAB_REPORT if case.escalated_on is None else ""
        if case.mandatory_report:
            reported = (
                f"{case.mandatory_report_on.isoformat()} " if case.mandatory_report_on else ""
            )
            parts.insert(1, f"{reported}已强制报告")
            if case.escalated_on is None:
                parts.append("请尽快上报区民政局")
            status = "强制报告" + (f"，{status}" if status else "")
            alert = True
        entry = TodoEntry(
            CASES,
            OPEN_CASE,
            case.child_id,
            name,
            level,
            status,
            "；".join(parts) + "。",
            alert=alert,
            case_id=stored.record_id,
            case_tab=tab,
        )
        ranked.append(((0 if case.mandatory_report else 1, first_due, name), entry))
    ranked.sort(key=lambda item: item[0])
    return [entry for _key, entry in ranked]


def _transition_entries(
    caseload: Caseload, today: date, plans: dict[str, PlanStatus] | None = None
) -> list[TodoEntry]:
    turned: list[TodoEntry] = []
    approaching: list[TodoEntry] = []
    for s, flag in caseload.transitions(today):
        eighteen = eighteenth_birthday(s.birth_date)
        if flag == "turned_18":
            turned.append(
                TodoEntry(
                    TRANSITIONS,
                    OPEN_TRANSITION,  # the hand-over is recorded there, then the file closes
                    s.child_id,
                    s.name,
                    s.level,
                    "已满18岁",
                    f"已于 {eighteen.isoformat()} 年满18岁：请在转衔计划中记录交接"
                    "（转介人力社保），完成交接后归档结案。",
                    alert=True,
                )
            )
        else:
            plan = (plans or {}).get(s.child_id, PlanStatus.NONE)
            advice = (
                "请填写转衔计划，提前转介人力社保（就业、实习、技能培训）。"
                if plan in (PlanStatus.NONE, PlanStatus.STARTED)
                else "请跟进转介结果，按时完成交接。"
                if plan == PlanStatus.REFERRED
                else "转衔已交接，满18岁后办理结案。"
            )
            approaching.append(
                TodoEntry(
                    TRANSITIONS,
                    OPEN_TRANSITION,
                    s.child_id,
                    s.name,
                    s.level,
                    f"{_days_text((eighteen - today).days)}满18岁，{PLAN_STATUS_LABELS_ZH[plan]}",
                    f"{eighteen.isoformat()} 年满18岁（{PLAN_STATUS_LABELS_ZH[plan]}）：{advice}",
                )
            )
    return turned + approaching


_WORKFLOW_OPENS = {
    ASSESSMENT_KIND: OPEN_NEW_REPORT,
    mr.RECORD_TYPE: OPEN_REPORT,
    ra.RECORD_TYPE: OPEN_APPLICATION,
    cc.RECORD_TYPE: OPEN_CASE,
    REFERRAL_KIND: OPEN_REFERRALS,
}
_WORKFLOW_STATUS = {
    ASSESSMENT_KIND: "应填写强制报告",
    mr.RECORD_TYPE: "强制报告",
    ra.RECORD_TYPE: "认定申请",
    cc.RECORD_TYPE: "会商事项",
    REFERRAL_KIND: "转介跟进",
}


def _workflow_entries(caseload: Caseload, items: Iterable[TodoItem]) -> list[TodoEntry]:
    """What the workflows ask (``WorkflowService.todo()``: urgent first, kept in that order);
    an archived child's items leave 待办 with the child."""
    entries: list[TodoEntry] = []
    for item in items:
        child = caseload.summaries.get(item.child_id)
        if child is not None and child.archived:
            continue
        opens = _WORKFLOW_OPENS.get(item.kind, OPEN_CHILD)
        if opens == OPEN_CASE and not item.case_id:
            opens = OPEN_CHILD
        entries.append(
            TodoEntry(
                WORKFLOWS,
                opens,
                item.child_id,
                child.name if child else "（档案缺失）",
                child.level if child else None,
                item.short_zh or _WORKFLOW_STATUS.get(item.kind, ""),
                item.text_zh,
                alert=item.urgent,
                case_id=item.case_id,
                assessment_id=item.record_id if item.kind == ASSESSMENT_KIND else "",
                record_id=item.record_id,
                case_tab=CASE_TAB_CONFERENCE if opens == OPEN_CASE else "",
            )
        )
    entries.sort(key=lambda e: not e.alert)  # stable: the service's order within each
    return entries


def build_todo_lists(
    caseload: Caseload,
    cases: Iterable[Stored[Case]],
    drafts: Iterable[Stored[Assessment]],
    schedule: VisitSchedule,
    today: date,
    workflow_items: Iterable[TodoItem] = (),
    plans: dict[str, PlanStatus] | None = None,
) -> TodoLists:
    """Every section of the 待办 page (pure: no vault, no Qt). ``workflow_items``:
    ``WorkflowService.todo()``; ``plans``: ``TransitionPlanService.statuses()``."""
    overdue, soon = _visit_entries(caseload, schedule, today)
    return TodoLists(
        today,
        schedule.due_soon_days,
        {
            OVERDUE: overdue,
            DUE_SOON: soon,
            ASSESSMENTS: _assessment_entries(caseload, drafts),
            CASES: _case_entries(caseload, cases, today, schedule.due_soon_days),
            WORKFLOWS: _workflow_entries(caseload, workflow_items),
            TRANSITIONS: _transition_entries(caseload, today, plans),
        },
    )
