"""The figures of the 月度工作报表 (monthly report) for one month and one village.

Used by the printed report (``app.printing.monthly_report``) and the GUI's 报表 screen, so
both show the same numbers. Plain values in, a plain dataclass out::

    records = CaseloadRecords.from_vault(vault)            # on the vault worker
    figures = monthly_figures(records, ReportMonth.parse("2026-11"), today=date.today(),
                              village_code="500119104201")

Definitions (``app.domain.schedule`` decides every due date):

- **Children followed** (在册儿童): files of the village opened by the end of the month that
  are active, or were transferred out during or after the month. Closed files are left out:
  the vault keeps no closing date, only the reason.
- **Due** (应走访): a followed child whose next visit, as the schedule computes it from the
  visits recorded *before the month began* (last visit, the next-visit date written on it,
  the level then, the date the file was opened), falls on or before the last day of the
  month. This includes children already overdue when the month began (``carried_over``).
- **Done** (已走访): a due child with at least one visit recorded in the month, by today.
  ``on_time`` when the first such visit was on or before the due date, ``late`` otherwise.
- **Overdue** (逾期未走访): a due child with no visit in the month whose due date has passed —
  it is before today, or the month is over.
- **Pending** (待走访): only in the current month — due later this month (or today), not yet
  visited.

So due = on time + late + overdue + pending; for a past month pending is 0.

Other figures: every visit recorded in the month (of any child of the village, due or not);
children by level at the end of the month (or today) from the latest assessment finished by
then; each assessment finished in the month with the level before it (降码 when lower); cases
opened and closed in the month and those open at its end; mandatory reports (强制报告) and
escalations to the district made in the month; children turning 18 in the month and in the
six months after it; psychological screening (心理状况筛查, seed 000 四): children of the village
screened in the month, flagged (建议关注 or 建议转介), referred to a professional body and
evaluated by it (``app.domain.referral.screening_figures``, the console's own count too).

Why one long file: every figure's definition sits next to the code that counts it, so the
report's definitions can be checked against the code in one read.
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from app.domain.case import Case, CaseKind, CaseStage
from app.domain.child_file import (
    TRANSITION_WINDOW_MONTHS,
    ArchiveReason,
    ChildFile,
    FileStatus,
)
from app.domain.referral import (
    REFERRAL_TYPE,
    SCREENING_TYPE,
    ScreeningFigures,
    finished_screening,
    screening_figures,
)
from app.domain.schedule import LEVELS, ScheduleFacts, VisitSchedule, load_schedule, next_due
from app.domain.visit import Visit, VisitForm
from app.services.assessments import ASSESSMENT_TYPE, FINISHED, Assessment
from app.services.cases import CASE_TYPE
from app.services.children import CHILD_TYPE
from app.services.stored import Stored
from app.services.visits import VISIT_TYPE

if TYPE_CHECKING:
    from storage.vault import Vault  # annotations only: the district server imports this module

NO_SCREENING = ScreeningFigures(0, 0, 0, 0)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    """A month that cannot be reported on; ``message_zh`` says why in plain Chinese."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh


@dataclass(frozen=True, order=True)
class ReportMonth:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> ReportMonth:
        """``2026-11``; raises :class:`MonthError` for anything else."""
        match = _MONTH_RE.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
            raise MonthError(
                f"not a month in the form YYYY-MM: {text!r}",
                f"月份格式不对：应为“年-月”，如 2026-11（收到的是“{text}”）。",
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> ReportMonth:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def label_zh(self) -> str:
        return f"{self.year}年{self.month}月"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class CaseloadRecords:
    """Every child, visit, finished assessment and case of a vault, read once."""

    children: dict[str, ChildFile]
    visits: list[Stored[Visit]]
    assessments: list[Stored[Assessment]]  # finished ones only
    cases: list[Stored[Case]]
    damaged_ids: list[str] = field(default_factory=list)
    # psychological screening (issue 19): the finished screenings' and the referrals' data
    screenings: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_vault(cls, vault: Vault) -> CaseloadRecords:
        children = vault.load(CHILD_TYPE)
        visits = vault.load(VISIT_TYPE)
        assessments = vault.load(ASSESSMENT_TYPE)
        cases = vault.load(CASE_TYPE)
        screenings = vault.load(SCREENING_TYPE)
        referrals = vault.load(REFERRAL_TYPE)
        return cls(
            children={r.record_id: ChildFile.from_json(r.data) for r in children.revisions},
            visits=[Stored.of(r, Visit.from_json(r.data)) for r in visits.revisions],
            assessments=[
                Stored.of(r, Assessment.from_json(r.data))
                for r in assessments.revisions
                if r.data.get("status") == FINISHED and r.data.get("result")
            ],
            cases=[Stored.of(r, Case.from_json(r.data)) for r in cases.revisions],
            damaged_ids=(
                children.damaged_ids
                + visits.damaged_ids
                + assessments.damaged_ids
                + cases.damaged_ids
                + screenings.damaged_ids
                + referrals.damaged_ids
            ),
            screenings=[r.data for r in screenings.revisions if finished_screening(r.data)],
            referrals=[r.data for r in referrals.revisions],
        )


@dataclass(frozen=True)
class DueVisit:
    """A child whose visit was due in the month, and what happened."""

    child_id: str
    name: str
    level: str | None  # at the end of the month (or today)
    due: date
    carried_over: bool  # already overdue when the month began
    status: str  # 'on_time', 'late', 'overdue' or 'pending'
    visited_on: date | None  # first visit in the month
    last_visit_before: date | None  # last visit before the month

    def days_overdue(self, as_of: date) -> int:
        """Days past the due date: until the visit, or until ``as_of`` when not visited."""
        end = self.visited_on or as_of
        return max(0, (end - self.due).days)


@dataclass(frozen=True)
class MonthVisit:
    visit_id: str
    child_id: str
    name: str
    on: date
    form: VisitForm
    met: tuple[str, ...]
    problems: str
    help_given: str


@dataclass(frozen=True)
class MonthLevelChange:
    child_id: str
    name: str
    on: date
    before: str | None  # None: the child's first assessment
    after: str
    assessment_id: str

    @property
    def direction(self) -> str:
        """'first', 'down' (降码, better), 'up' (worse) or 'same'."""
        if self.before is None:
            return "first"
        change = LEVELS.index(self.after) - LEVELS.index(self.before)
        return "down" if change < 0 else "up" if change > 0 else "same"


@dataclass(frozen=True)
class MonthCase:
    case_id: str
    child_id: str
    name: str
    kind: CaseKind
    stage: CaseStage
    opened_on: date
    closed_on: date | None
    summary: str
    closure_reason: str


@dataclass(frozen=True)
class MonthReport:
    """A mandatory report (强制报告) and/or escalation to the district made in the month."""

    case_id: str
    child_id: str
    name: str
    kind: CaseKind
    reported_on: date | None  # 强制报告
    escalated_on: date | None  # 上报区民政局
    notes: str


@dataclass(frozen=True)
class TurningEighteen:
    child_id: str
    name: str
    birth_date: date
    eighteenth_birthday: date


@dataclass(frozen=True)
class MonthlyFigures:
    month: ReportMonth
    village_code: str | None  # None: every child in the vault
    today: date
    as_of: date  # the last day counted: the month's last day, or today in the current month
    children_followed: int
    due: tuple[DueVisit, ...]  # sorted by due date
    visits: tuple[MonthVisit, ...]  # every visit recorded in the month, by date
    levels_at_end: dict[str, int]  # green/yellow/orange/red and 'none' (not assessed)
    level_changes: tuple[MonthLevelChange, ...]
    new_cases: tuple[MonthCase, ...]
    closed_cases: tuple[MonthCase, ...]
    open_cases_at_end: int
    reports: tuple[MonthReport, ...]
    turning_18: tuple[TurningEighteen, ...]  # 18th birthday in the month
    approaching_18: tuple[TurningEighteen, ...]  # in the six months after it
    damaged_ids: tuple[str, ...]
    # 心理状况筛查: screened / flagged / referred / evaluated children in the month
    screening: ScreeningFigures = NO_SCREENING

    @property
    def complete(self) -> bool:
        """The month is over (not the current month)."""
        return self.as_of == self.month.last_day and self.today > self.as_of

    def _count(self, *statuses: str) -> int:
        return sum(1 for d in self.due if d.status in statuses)

    @property
    def due_count(self) -> int:
        return len(self.due)

    @property
    def carried_over_count(self) -> int:
        return sum(1 for d in self.due if d.carried_over)

    @property
    def done_count(self) -> int:
        return self._count("on_time", "late")

    @property
    def on_time_count(self) -> int:
        return self._count("on_time")

    @property
    def late_count(self) -> int:
        return self._count("late")

    @property
    def overdue_count(self) -> int:
        return self._count("overdue")

    @property
    def pending_count(self) -> int:
        return self._count("pending")

    @property
    def overdue(self) -> tuple[DueVisit, ...]:
        return tuple(d for d in self.due if d.status == "overdue")

    @property
    def visit_count(self) -> int:
        return len(self.visits)

    @property
    def children_visited(self) -> int:
        return len({v.child_id for v in self.visits})

    @property
    def visits_by_form(self) -> dict[VisitForm, int]:
        counts = Counter(v.form for v in self.visits)
        return {form: counts.get(form, 0) for form in VisitForm}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def followed_children(records: CaseloadRecords, figures: MonthlyFigures) -> list[ChildFile]:
    """The children counted as 在册儿童 in ``figures`` (its month and village), by name."""
    first, last, village = figures.month.first_day, figures.month.last_day, figures.village_code
    return sorted(
        (
            child
            for child in records.children.values()
            if (village is None or child.village_code == village) and _followed(child, first, last)
        ),
        key=lambda child: child.name,
    )


def _followed(child: ChildFile, first: date, last: date) -> bool:
    if (child.opened_on or date.min) > last:
        return False
    archive = child.archive  # 归档 before the month, or a duplicate file: not followed
    if archive is not None and (archive.on < first or archive.reason == ArchiveReason.DUPLICATE):
        return False
    if child.status == FileStatus.ACTIVE:
        return True
    return (
        child.status == FileStatus.TRANSFERRED
        and child.transfer is not None
        and child.transfer.on >= first
    )


def monthly_figures(
    records: CaseloadRecords,
    month: ReportMonth,
    *,
    today: date,
    village_code: str | None = None,
    schedule: VisitSchedule | None = None,
) -> MonthlyFigures:
    """The month's figures (see the module docstring for what each one means).

    Raises :class:`MonthError` for a month that has not begun yet.
    """
    first, last = month.first_day, month.last_day
    if first > today:
        raise MonthError(
            f"{month} has not begun yet (today is {today.isoformat()})",
            f"{month.label_zh}还没有开始，无法生成报表。",
        )
    schedule = schedule or load_schedule()
    as_of = min(last, today)
    overdue_before = last + timedelta(days=1) if today > last else today

    in_village = {
        cid: child
        for cid, child in records.children.items()
        if village_code is None or child.village_code == village_code
    }
    followed = {cid: c for cid, c in in_village.items() if _followed(c, first, last)}

    visits_by_child: dict[str, list[Stored[Visit]]] = {}
    for stored_visit in records.visits:
        visits_by_child.setdefault(stored_visit.value.child_id, []).append(stored_visit)
    for child_visits in visits_by_child.values():
        child_visits.sort(key=lambda s: (s.value.on, s.hlc))

    history: dict[str, list[tuple[date, str, str]]] = {}  # child -> (finished, level, id)
    for stored_assessment in records.assessments:
        a = stored_assessment.value
        if a.level and a.finished_on:
            entry = (a.finished_on, a.level, stored_assessment.record_id)
            history.setdefault(a.child_id, []).append(entry)
    for levels in history.values():
        levels.sort()

    def level_at(child_id: str, day: date) -> str | None:
        items = history.get(child_id, [])
        index = bisect.bisect_right(items, (day, "\uffff", "\uffff"))
        return items[index - 1][1] if index else None

    due: list[DueVisit] = []
    levels_at_end: Counter[str] = Counter()
    for child_id, child in followed.items():
        level_end = level_at(child_id, as_of)
        levels_at_end[level_end or "none"] += 1
        visits = visits_by_child.get(child_id, [])
        days = [s.value.on for s in visits]
        before = bisect.bisect_left(days, first)
        last_before = visits[before - 1].value if before else None
        facts = ScheduleFacts(
            child_id=child_id,
            categories=frozenset(c.value for c in child.categories),
            level=level_at(child_id, first - timedelta(days=1)),
            last_visit=last_before.on if last_before else None,
            requested_next=last_before.next_visit_on if last_before else None,
            opened_on=child.opened_on or date.min,
            recognized_on=child.recognition_confirmed_on,
        )
        info = next_due(facts, schedule)
        if info.due > last:
            continue
        after = bisect.bisect_right(days, as_of)
        visited_on = days[before] if before < after else None
        if visited_on is not None:
            status = "on_time" if visited_on <= info.due else "late"
        else:
            status = "overdue" if info.due < overdue_before else "pending"
        due.append(
            DueVisit(
                child_id=child_id,
                name=child.name,
                level=level_end,
                due=info.due,
                carried_over=info.due < first,
                status=status,
                visited_on=visited_on,
                last_visit_before=last_before.on if last_before else None,
            )
        )
    due.sort(key=lambda d: (d.due, d.name))

    def name_of(child_id: str) -> str:
        child = records.children.get(child_id)
        return child.name if child else f"（档案 {child_id[:8]} 缺失）"

    def ours(child_id: str) -> bool:
        return village_code is None or child_id in in_village

    month_visits = sorted(
        (
            MonthVisit(
                visit_id=s.record_id,
                child_id=s.value.child_id,
                name=name_of(s.value.child_id),
                on=s.value.on,
                form=s.value.form,
                met=tuple(s.value.met),
                problems=s.value.problems,
                help_given=s.value.help_given,
            )
            for s in records.visits
            if first <= s.value.on <= as_of and ours(s.value.child_id)
        ),
        key=lambda v: (v.on, v.name),
    )

    changes: list[MonthLevelChange] = []
    for child_id, child_levels in history.items():
        if not ours(child_id):
            continue
        previous: str | None = None
        for finished, level, assessment_id in child_levels:
            if first <= finished <= as_of:
                changes.append(
                    MonthLevelChange(
                        child_id, name_of(child_id), finished, previous, level, assessment_id
                    )
                )
            previous = level
    changes.sort(key=lambda c: (c.on, c.name))

    def month_case(stored: Stored[Case]) -> MonthCase:
        c = stored.value
        return MonthCase(
            stored.record_id,
            c.child_id,
            name_of(c.child_id),
            c.kind,
            c.stage,
            c.opened_on,
            c.closed_on,
            c.summary,
            c.closure_reason,
        )

    cases = [s for s in records.cases if ours(s.value.child_id)]
    new_cases = [month_case(s) for s in cases if first <= s.value.opened_on <= as_of]
    closed_cases = [
        month_case(s)
        for s in cases
        if s.value.closed_on is not None and first <= s.value.closed_on <= as_of
    ]
    open_at_end = sum(
        1
        for s in cases
        if s.value.opened_on <= as_of and (s.value.closed_on is None or s.value.closed_on > as_of)
    )
    reports = []
    for stored_case in cases:
        c = stored_case.value
        reported = (
            c.mandatory_report_on
            if c.mandatory_report
            and c.mandatory_report_on is not None
            and first <= c.mandatory_report_on <= as_of
            else None
        )
        escalated = (
            c.escalated_on
            if c.escalated_on is not None and first <= c.escalated_on <= as_of
            else None
        )
        if reported or escalated:
            reports.append(
                MonthReport(
                    stored_case.record_id,
                    c.child_id,
                    name_of(c.child_id),
                    c.kind,
                    reported,
                    escalated,
                    c.escalation_notes or c.summary,
                )
            )
    reports.sort(key=lambda r: (min(d for d in (r.reported_on, r.escalated_on) if d), r.name))

    window_end = _add_months(last, TRANSITION_WINDOW_MONTHS)
    turning: list[TurningEighteen] = []
    approaching: list[TurningEighteen] = []
    for child_id, child in followed.items():
        eighteen = child.eighteenth_birthday()
        person = TurningEighteen(child_id, child.name, child.birth_date, eighteen)
        if first <= eighteen <= last:
            turning.append(person)
        elif last < eighteen <= window_end:
            approaching.append(person)
    turning.sort(key=lambda t: (t.eighteenth_birthday, t.name))
    approaching.sort(key=lambda t: (t.eighteenth_birthday, t.name))

    return MonthlyFigures(
        month=month,
        village_code=village_code,
        today=today,
        as_of=as_of,
        children_followed=len(followed),
        due=tuple(due),
        visits=tuple(month_visits),
        levels_at_end={key: levels_at_end.get(key, 0) for key in (*LEVELS, "none")},
        level_changes=tuple(changes),
        new_cases=tuple(sorted(new_cases, key=lambda c: (c.opened_on, c.name))),
        closed_cases=tuple(
            sorted(closed_cases, key=lambda c: (c.closed_on or c.opened_on, c.name))
        ),
        open_cases_at_end=open_at_end,
        reports=tuple(reports),
        turning_18=tuple(turning),
        approaching_18=tuple(approaching),
        damaged_ids=tuple(records.damaged_ids),
        screening=screening_figures(
            [d for d in records.screenings if d.get("child_id") in in_village],
            [d for d in records.referrals if d.get("child_id") in in_village],
            first,
            as_of,
        ),
    )
