"""年度汇总 counted in SQL, the sections of cases and of the few records: cases by kind, open at
the end, flagged 强制报告, escalated (one GROUP BY over the case records' dated fields); the
records read whole in Python, streamed, because they are few or their dates need Python (强制报告
filed: a UTC time to a China date; recognition workflow steps; screenings and referrals;
typical cases); the youths who turned 18 and their transition plans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    func,
    or_,
    select,
)

from app.domain.case import CaseKind
from app.domain.referral import REFERRAL_TYPE, SCREENING_TYPE, finished_screening
from app.domain.transition_plan import TRANSITION_PLAN_TYPE, PlanStatus, TransitionPlan
from app.domain.typical_case import TYPICAL_CASE_TYPE, TypicalCase
from app.domain.working_days import china_date
from app.services.monthly_report import CaseloadRecords
from app.services.stored import Stored
from app.services.year_summary import (
    MANDATORY_REPORT_TYPE,
    RECOGNITION_TYPE,
    WORKFLOW_STEP_TYPE,
    CaseKindFigures,
)
from sync.server.console.scope import Scope
from sync.server.console.summary_sql_fields import (
    Json,
    R,
    child_fields,
    count_if,
    linked_records,
    load_json,
    streamed,
)


def case_figures(
    conn: Connection, scope: Scope, first: date, as_of: date
) -> tuple[tuple[CaseKindFigures, ...], int, int, int]:
    j = Json(conn)
    kind = j("kind")
    opened = func.substr(j("opened_on"), 1, 10)
    closed = func.substr(j("closed_on"), 1, 10)
    reported_on = func.substr(j("mandatory_report_on"), 1, 10)
    escalated = func.substr(j("escalated_on"), 1, 10)
    f, a = first.isoformat(), as_of.isoformat()
    rows = conn.execute(
        select(
            kind,
            count_if(and_(opened >= f, opened <= a)),
            count_if(and_(closed.is_not(None), closed >= f, closed <= a)),
            count_if(and_(opened <= a, or_(closed.is_(None), closed > a))),
            count_if(and_(j.true("mandatory_report"), reported_on >= f, reported_on <= a)),
            count_if(and_(escalated >= f, escalated <= a)),
        )
        .where(linked_records("case", scope))
        .group_by(kind)
    ).all()
    by_kind = {str(r[0]): r for r in rows}
    kinds = tuple(
        CaseKindFigures(
            k,
            int(by_kind[k.value][1] or 0) if k.value in by_kind else 0,
            int(by_kind[k.value][2] or 0) if k.value in by_kind else 0,
        )
        for k in CaseKind
    )
    open_at_end = sum(int(r[3] or 0) for r in rows)
    reports = sum(int(r[4] or 0) for r in rows)
    escalations = sum(int(r[5] or 0) for r in rows)
    return kinds, open_at_end, reports, escalations


@dataclass
class FewRecords:
    """The figures of the few records read whole in Python."""

    reports_filed: int
    steps: dict[str, int]
    screening: dict[str, int]
    typical: tuple[Stored[TypicalCase], ...]
    damaged: list[str]


def few_records(conn: Connection, scope: Scope, first: date, last: date, as_of: date) -> FewRecords:
    from app.services.screening import summary_figures

    filed = 0
    subjects: dict[str, set[str]] = {}
    screenings: list[dict[str, Any]] = []
    referrals: list[dict[str, Any]] = []
    typical: list[Stored[TypicalCase]] = []
    damaged: list[str] = []
    types = (
        MANDATORY_REPORT_TYPE,
        WORKFLOW_STEP_TYPE,
        SCREENING_TYPE,
        REFERRAL_TYPE,
        TYPICAL_CASE_TYPE,
    )
    for row in streamed(
        conn,
        select(R.record_id, R.record_type, R.child_id, R.head_hlc, R.data).where(
            linked_records(types, scope)
        ),
    ):
        data = load_json(row.data)
        if data is None:
            damaged.append(row.record_id)
            continue
        ours = str(data.get("child_id", "")) == row.child_id
        try:
            if row.record_type == MANDATORY_REPORT_TYPE:
                if data.get("filed_at"):
                    on = china_date(str(data["filed_at"]))
                    if ours and first <= on <= as_of:
                        filed += 1
            elif row.record_type == WORKFLOW_STEP_TYPE:
                if data.get("at"):
                    on = china_date(str(data["at"]))
                    if str(data.get("subject_type", "")) == RECOGNITION_TYPE and (
                        first <= on <= as_of
                    ):
                        subjects.setdefault(str(data.get("action", "")), set()).add(
                            str(data.get("subject_id", ""))
                        )
            elif row.record_type == SCREENING_TYPE:
                if finished_screening(data) and ours:
                    screenings.append(data)
            elif row.record_type == REFERRAL_TYPE:
                if ours:
                    referrals.append(data)
            else:
                story = TypicalCase.from_json(data)
                if story.in_summary and ours and first <= story.written_on <= last:
                    typical.append(Stored(row.record_id, 0, "", row.head_hlc, story))
        except (KeyError, TypeError, ValueError):
            damaged.append(row.record_id)
    caseload = CaseloadRecords({}, [], [], [], [], screenings, referrals)
    return FewRecords(
        reports_filed=filed,
        steps={k: len(v) for k, v in subjects.items()},
        screening=summary_figures(caseload, first, as_of),
        typical=tuple(sorted(typical, key=lambda s: (s.value.written_on, s.value.title))),
        damaged=damaged,
    )


def newest_plans(conn: Connection, child_ids: Iterable[str]) -> dict[str, TransitionPlan]:
    """The newest transition plan of each of these children (a damaged one is skipped)."""
    found: dict[str, tuple[str, TransitionPlan]] = {}
    ids = sorted(set(child_ids))
    for start in range(0, len(ids), 500):
        for row in conn.execute(
            select(R.child_id, R.head_hlc, R.data).where(
                R.record_type == TRANSITION_PLAN_TYPE,
                R.deleted.is_(False),
                R.child_id.in_(ids[start : start + 500]),
            )
        ):
            data = load_json(row.data)
            if data is None:
                continue
            try:
                plan = TransitionPlan.from_json(data)
            except (KeyError, TypeError, ValueError):
                continue
            known = found.get(plan.child_id)
            if known is None or row.head_hlc > known[0]:
                found[plan.child_id] = (row.head_hlc, plan)
    return {cid: plan for cid, (_hlc, plan) in found.items()}


def ageing_out(
    conn: Connection, scope: Scope, first: date, as_of: date
) -> tuple[int, dict[PlanStatus, int], int, int]:
    """(turned 18 in the period, by their plan's status, archived 年满18, of them handed over)."""
    kids = child_fields(conn, scope)
    k = kids.c
    f, a = first.isoformat(), as_of.isoformat()
    archive_on = func.substr(k.archive_on, 1, 10)
    turned_in = and_(k.eighteenth >= f, k.eighteenth <= a)
    archived_in = and_(k.archive_reason == "turned_18", archive_on >= f, archive_on <= a)
    rows = conn.execute(
        select(k.child_id, turned_in.label("turned"), archived_in.label("archived")).where(
            or_(turned_in, archived_in)
        )
    ).all()
    plans = newest_plans(conn, (r.child_id for r in rows))
    statuses: Counter[PlanStatus] = Counter()
    turned = archived = handed_over = 0
    for row in rows:
        plan = plans.get(row.child_id)
        if row.turned:
            turned += 1
            statuses[plan.status if plan else PlanStatus.NONE] += 1
        if row.archived:
            archived += 1
            if plan is not None and plan.handed_over_on is not None:
                handed_over += 1
    return turned, {s: statuses.get(s, 0) for s in PlanStatus}, archived, handed_over
