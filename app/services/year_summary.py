"""The figures of the 年度工作总结 (year-end summary, seed 004 四 3: "全面梳理工作成效 … 总结典型
案例；迎接区级评估验收") for a chosen period of whole months, for one village on the laptop or
for a town or the district on the console (the same function, fed from the vault or from the
server's merged records).

Plain records in (:class:`SummaryRecords`), a plain dataclass out (:class:`YearSummary`); the
print is :mod:`app.printing.year_summary`. Definitions:

- **Children followed** at the start / end: files followed on the first day of the period / on
  its last day (or today), as the monthly report counts them (:func:`monthly_report._followed`),
  by category (a child may count in several) and by level (the latest finished assessment by
  that day; 未评估 when none).
- **Level changes**: every assessment finished in the period compared with the child's previous
  one: 降码 (to a lighter colour), 升级 (to a heavier one), unchanged, first assessment; and how
  many red children came down.
- **Visits due and done**: the monthly report's due and done summed over the months of the
  period (a child due in three months counts three times: 应走访人次), and every visit recorded.
- **Assessments**: finished in the period (and how many children).
- **Cases** opened and closed in the period by kind, open at its end.
- **Mandatory reports**: 强制报告 filed through the workflow (``mandatory_report`` records) and
  cases flagged with a mandatory report dated in the period; escalations to the district.
- **Recognitions**: 事实无人抚养 applications submitted, confirmed and refused in the period
  (their workflow steps), and children of that category at the end.
- **Activities**: :func:`app.domain.activity.activity_figures` (人次 and distinct children).
- **Caring mothers**: children followed at the end paired with a 爱心妈妈, of them red/orange.
- **Ageing out**: youths whose 18th birthday fell in the period, with their transition plan's
  status, and how many files were archived with reason 年满18.
- **Screening** (心理状况初筛): screened, flagged, referred and evaluated in the period, as
  :func:`app.services.screening.summary_figures` counts them.
- **Typical cases** chosen for the summary (written in the period).

No child is named in the figures: the summary is a set of counts plus anonymised stories.

Why one long file: each figure below is a short function over the same plain records and
period; together they are the one definition of the summary the laptop and the console share,
read side by side with the seed's list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from app.domain import mandatory_report, recognition_application, workflow
from app.domain.activity import ACTIVITY_TYPE, Activity, ActivityFigures, activity_figures
from app.domain.case import Case, CaseKind
from app.domain.categories import ChildCategory
from app.domain.child_file import ArchiveReason, ChildFile
from app.domain.referral import REFERRAL_TYPE, SCREENING_TYPE, finished_screening
from app.domain.schedule import LEVELS, VisitSchedule, load_schedule
from app.domain.transition_plan import TRANSITION_PLAN_TYPE, PlanStatus, TransitionPlan
from app.domain.typical_case import TYPICAL_CASE_TYPE, TypicalCase
from app.domain.visit import Visit, VisitForm
from app.domain.visit_months import COUNTS, ChildMonthFacts, count_child_months, counted_months
from app.domain.working_days import china_date
from app.services.assessments import ASSESSMENT_TYPE, FINISHED, Assessment
from app.services.cases import CASE_TYPE
from app.services.children import CHILD_TYPE
from app.services.monthly_report import (
    CaseloadRecords,
    MonthError,
    ReportMonth,
    _followed,
)
from app.services.stored import Stored
from app.services.visits import VISIT_TYPE

if TYPE_CHECKING:
    from storage.vault import Vault  # annotations only: the district server imports this module

# the names the district server's summary queries use, defined beside their records
MANDATORY_REPORT_TYPE = mandatory_report.RECORD_TYPE
RECOGNITION_TYPE = recognition_application.RECORD_TYPE
WORKFLOW_STEP_TYPE = workflow.STEP_TYPE
SUMMARY_TYPES = (
    CHILD_TYPE,
    VISIT_TYPE,
    ASSESSMENT_TYPE,
    CASE_TYPE,
    ACTIVITY_TYPE,
    TRANSITION_PLAN_TYPE,
    TYPICAL_CASE_TYPE,
    MANDATORY_REPORT_TYPE,
    WORKFLOW_STEP_TYPE,
    SCREENING_TYPE,
    REFERRAL_TYPE,
)


@dataclass(frozen=True)
class RawRecord:
    record_type: str
    record_id: str
    hlc: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class SummaryRecords:
    """Every record the summary reads, parsed once."""

    caseload: CaseloadRecords
    activities: list[Activity]
    plans: dict[str, TransitionPlan]  # by child id, the newest
    typical_cases: list[Stored[TypicalCase]]
    reports_filed: list[tuple[str, date]]  # 强制报告 filed: child id, China date
    steps: list[tuple[str, str, str, date]]  # subject type, subject id, action, China date
    damaged_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[RawRecord],
        damaged_ids: Iterable[str] = (),
        visits: Iterable[Stored[Visit]] = (),
    ) -> SummaryRecords:
        """From plain records (the vault's current revisions or the server's merged rows);
        records that cannot be read are listed in ``damaged_ids``, never silently counted.
        ``visits``: visits already read by the caller (the console reads only the fields the
        summary counts, in SQL), added to those among ``rows``."""
        children: dict[str, ChildFile] = {}
        visits = list(visits)
        assessments: list[Stored[Assessment]] = []
        cases: list[Stored[Case]] = []
        activities: list[Activity] = []
        plans: dict[str, tuple[str, TransitionPlan]] = {}
        typical: list[Stored[TypicalCase]] = []
        filed: list[tuple[str, date]] = []
        steps: list[tuple[str, str, str, date]] = []
        screenings: list[dict[str, Any]] = []
        referrals: list[dict[str, Any]] = []
        damaged = list(damaged_ids)
        for row in rows:
            data = dict(row.data)
            try:
                if row.record_type == CHILD_TYPE:
                    children[row.record_id] = ChildFile.from_json(data)
                elif row.record_type == VISIT_TYPE:
                    visits.append(_stored(row, Visit.from_json(data)))
                elif row.record_type == ASSESSMENT_TYPE:
                    if data.get("status") == FINISHED and data.get("result"):
                        assessments.append(_stored(row, Assessment.from_json(data)))
                elif row.record_type == CASE_TYPE:
                    cases.append(_stored(row, Case.from_json(data)))
                elif row.record_type == ACTIVITY_TYPE:
                    activities.append(Activity.from_json(data))
                elif row.record_type == TRANSITION_PLAN_TYPE:
                    plan = TransitionPlan.from_json(data)
                    known = plans.get(plan.child_id)
                    if known is None or row.hlc > known[0]:
                        plans[plan.child_id] = (row.hlc, plan)
                elif row.record_type == TYPICAL_CASE_TYPE:
                    typical.append(_stored(row, TypicalCase.from_json(data)))
                elif row.record_type == MANDATORY_REPORT_TYPE:
                    if data.get("filed_at"):
                        filed.append(
                            (str(data.get("child_id", "")), china_date(str(data["filed_at"])))
                        )
                elif row.record_type == SCREENING_TYPE:
                    if finished_screening(data):
                        screenings.append(data)
                elif row.record_type == REFERRAL_TYPE:
                    referrals.append(data)
                elif row.record_type == WORKFLOW_STEP_TYPE and data.get("at"):
                    steps.append(
                        (
                            str(data.get("subject_type", "")),
                            str(data.get("subject_id", "")),
                            str(data.get("action", "")),
                            china_date(str(data["at"])),
                        )
                    )
            except (KeyError, TypeError, ValueError):
                damaged.append(row.record_id)
        return cls(
            caseload=CaseloadRecords(
                children, visits, assessments, cases, damaged, screenings, referrals
            ),
            activities=activities,
            plans={child_id: plan for child_id, (_hlc, plan) in plans.items()},
            typical_cases=typical,
            reports_filed=filed,
            steps=steps,
            damaged_ids=damaged,
        )

    @classmethod
    def from_vault(cls, vault: Vault) -> SummaryRecords:
        rows: list[RawRecord] = []
        damaged: list[str] = []
        for record_type in SUMMARY_TYPES:
            loaded = vault.load(record_type)
            damaged += loaded.damaged_ids
            rows += [
                RawRecord(record_type, r.record_id, r.meta.hlc, r.data) for r in loaded.revisions
            ]
        return cls.from_rows(rows, damaged)


def _stored(row: RawRecord, value: Any) -> Stored[Any]:
    return Stored(row.record_id, 0, "", row.hlc, value)


@dataclass(frozen=True)
class Period:
    start: ReportMonth
    end: ReportMonth

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        first, last = ReportMonth.parse(start), ReportMonth.parse(end)
        if last < first:
            raise MonthError(
                f"the period ends before it starts: {start} – {end}",
                "统计期间的结束月份早于开始月份。",
            )
        return cls(first, last)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(ReportMonth(year, 1), ReportMonth(year, 12))

    @property
    def first_day(self) -> date:
        return self.start.first_day

    @property
    def last_day(self) -> date:
        return self.end.last_day

    def check_begun(self, today: date) -> None:
        """Raises :class:`MonthError` when the period has not begun by ``today``."""
        if self.first_day > today:
            raise MonthError(
                f"the period {self.start} has not begun yet",
                f"{self.start.label_zh}还没有开始，无法生成总结。",
            )

    def months(self) -> list[ReportMonth]:
        out = []
        month = self.start
        while month <= self.end:
            out.append(month)
            month = ReportMonth.of(month.last_day + timedelta(days=1))
        return out

    @property
    def label_zh(self) -> str:
        if self.start.month == 1 and self.end.month == 12 and self.start.year == self.end.year:
            return f"{self.start.year}年度"
        return f"{self.start.label_zh}至{self.end.label_zh}"


@dataclass(frozen=True)
class CaseKindFigures:
    kind: CaseKind
    opened: int
    closed: int


@dataclass(frozen=True)
class YearSummary:
    period: Period
    today: date
    as_of: date  # the period's last day, or today when the period is not over
    children_start: int
    children_end: int
    categories_start: dict[str, int]  # every ChildCategory value
    categories_end: dict[str, int]
    levels_start: dict[str, int]  # green/yellow/orange/red and 'none'
    levels_end: dict[str, int]
    changes: dict[str, int]  # 'first', 'down', 'up', 'same'
    red_downgraded: int  # red children whose later assessment was lighter
    visits_due: int  # child-months due, summed over the months
    visits_done: int
    visits_on_time: int
    visits_overdue: int
    visits_pending: int
    visit_records: int
    children_visited: int
    visits_by_form: dict[VisitForm, int]
    assessments: int
    children_assessed: int
    cases_by_kind: tuple[CaseKindFigures, ...]
    cases_open_at_end: int
    reports_filed: int  # 强制报告 (workflow records)
    case_reports: int  # cases flagged 强制报告 in the period
    escalations: int
    recognitions_submitted: int
    recognitions_confirmed: int
    recognitions_refused: int
    de_facto_at_end: int
    activities: ActivityFigures
    caring_mother_paired: int
    caring_mother_red_orange: tuple[int, int]  # paired, of the red/orange children at the end
    turned_18: int
    turned_18_by_status: dict[PlanStatus, int]
    archived_18: int
    archived_18_handed_over: int  # of them, with the hand-over on their plan
    screening: dict[str, int]  # screened, flagged, referred, evaluated
    typical_cases: tuple[Stored[TypicalCase], ...]
    damaged: int

    @property
    def cases_opened(self) -> int:
        return sum(k.opened for k in self.cases_by_kind)

    @property
    def cases_closed(self) -> int:
        return sum(k.closed for k in self.cases_by_kind)


def _screening_figures(
    records: SummaryRecords, first: date, last: date, ours: Callable[[str], bool]
) -> dict[str, int]:
    """Screened / flagged / referred / evaluated in the period, of the children counted."""
    from app.services.screening import summary_figures  # it reads monthly_report too

    caseload = records.caseload
    mine = replace(
        caseload,
        screenings=[d for d in caseload.screenings if ours(str(d.get("child_id", "")))],
        referrals=[d for d in caseload.referrals if ours(str(d.get("child_id", "")))],
    )
    return summary_figures(mine, first, last)


def period_visit_counts(
    caseload: CaseloadRecords,
    period: Period,
    *,
    today: date,
    children: Mapping[str, ChildFile],
    schedule: VisitSchedule,
) -> dict[str, int]:
    """The monthly report's due list counted over the months of ``period`` (up to today):
    'due' (child-months), 'on_time', 'late', 'overdue', 'pending' — the sums of
    :func:`monthly_report.monthly_figures`' counts month by month, for ``children``, counted
    by :func:`app.domain.visit_months.count_child_months` (the rule the console's SQL count
    shares) in one pass over each child instead of one whole monthly report per month. The
    definitions are monthly_report's; a test holds the two equal.
    """
    months = counted_months(period.months(), today)
    counts = dict.fromkeys(COUNTS, 0)
    if not months or not children:
        return counts
    visits_by_child: dict[str, list[Stored[Visit]]] = {}
    for stored_visit in caseload.visits:
        if stored_visit.value.child_id in children:
            visits_by_child.setdefault(stored_visit.value.child_id, []).append(stored_visit)
    history: dict[str, list[tuple[date, str, str]]] = {}
    for stored_assessment in caseload.assessments:
        a = stored_assessment.value
        if a.level and a.finished_on and a.child_id in children:
            history.setdefault(a.child_id, []).append(
                (a.finished_on, a.level, stored_assessment.record_id)
            )
    for child_id, child in children.items():
        visits = sorted(visits_by_child.get(child_id, ()), key=lambda s: (s.value.on, s.hlc))
        facts = ChildMonthFacts(
            child_id=child_id,
            categories=frozenset(c.value for c in child.categories),
            opened_on=child.opened_on or date.min,
            recognized_on=child.recognition_confirmed_on,
            visits=[(s.value.on, s.value.next_visit_on) for s in visits],
            levels=sorted(history.get(child_id, ())),
        )
        followed = (m for m in months if _followed(child, m.first, m.last))
        count_child_months(counts, facts, followed, schedule)
    return counts


def year_summary(
    records: SummaryRecords,
    period: Period,
    *,
    today: date,
    village_code: str | None = None,
    schedule: VisitSchedule | None = None,
) -> YearSummary:
    """The period's figures (see the module docstring). ``village_code``: only that village's
    children (None: every child in ``records``, already limited to a scope by the caller).

    Raises :class:`MonthError` for a period that has not begun."""
    first, last = period.first_day, period.last_day
    period.check_begun(today)
    schedule = schedule or load_schedule()
    as_of = min(last, today)
    caseload = records.caseload
    mine = {
        cid: child
        for cid, child in caseload.children.items()
        if village_code is None or child.village_code == village_code
    }

    def ours(child_id: str) -> bool:
        return child_id in mine

    # ----- levels: each child's finished assessments in order
    history: dict[str, list[tuple[date, str]]] = {}
    assessed_in_period: list[str] = []
    for stored in caseload.assessments:
        a = stored.value
        if a.level and a.finished_on and ours(a.child_id):
            history.setdefault(a.child_id, []).append((a.finished_on, a.level))
            if first <= a.finished_on <= as_of:
                assessed_in_period.append(a.child_id)
    for items in history.values():
        items.sort()

    def level_at(child_id: str, day: date) -> str:
        found = [lv for on, lv in history.get(child_id, []) if on <= day]
        return found[-1] if found else "none"

    changes: Counter[str] = Counter()
    red_down: set[str] = set()
    for child_id, items in history.items():
        previous: str | None = None
        for on, level in items:
            if first <= on <= as_of:
                if previous is None:
                    changes["first"] += 1
                else:
                    step = LEVELS.index(level) - LEVELS.index(previous)
                    changes["down" if step < 0 else "up" if step > 0 else "same"] += 1
                    if previous == "red" and step < 0:
                        red_down.add(child_id)
            previous = level

    start_day = first
    followed_start = {c: f for c, f in mine.items() if _followed(f, first, first)}
    followed_end = {c: f for c, f in mine.items() if _followed(f, as_of, as_of)}

    def by_category(children: Mapping[str, ChildFile]) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for child in children.values():
            for category in set(child.categories):
                counts[category.value] += 1
        return {c.value: counts.get(c.value, 0) for c in ChildCategory}

    def by_level(children: Mapping[str, ChildFile], day: date) -> dict[str, int]:
        counts = Counter(level_at(cid, day) for cid in children)
        return {key: counts.get(key, 0) for key in (*LEVELS, "none")}

    # ----- visits: the monthly report's due and done, month by month (one pass per child)
    visit_counts = period_visit_counts(
        caseload, period, today=today, children=mine, schedule=schedule
    )
    due, done = visit_counts["due"], visit_counts["on_time"] + visit_counts["late"]
    on_time, overdue, pending = (
        visit_counts["on_time"],
        visit_counts["overdue"],
        visit_counts["pending"],
    )
    period_visits = [
        s.value for s in caseload.visits if ours(s.value.child_id) and first <= s.value.on <= as_of
    ]
    forms = Counter(v.form for v in period_visits)

    # ----- cases and reports
    cases = [s.value for s in caseload.cases if ours(s.value.child_id)]
    kinds = []
    for kind in CaseKind:
        of_kind = [c for c in cases if c.kind == kind]
        kinds.append(
            CaseKindFigures(
                kind,
                sum(1 for c in of_kind if first <= c.opened_on <= as_of),
                sum(1 for c in of_kind if c.closed_on and first <= c.closed_on <= as_of),
            )
        )
    open_at_end = sum(
        1 for c in cases if c.opened_on <= as_of and (c.closed_on is None or c.closed_on > as_of)
    )
    case_reports = sum(
        1
        for c in cases
        if c.mandatory_report and c.mandatory_report_on and first <= c.mandatory_report_on <= as_of
    )
    escalations = sum(1 for c in cases if c.escalated_on and first <= c.escalated_on <= as_of)

    def steps(action: str) -> int:
        return len(
            {
                subject
                for kind, subject, act, on in records.steps
                if kind == RECOGNITION_TYPE and act == action and first <= on <= as_of
            }
        )

    # ----- activities of these villages (a town's own activities count on the console)
    villages = {child.village_code for child in mine.values()}
    if village_code is not None:
        villages.add(village_code)
    activities = [
        a for a in records.activities if village_code is None or a.village_code in villages
    ]

    # ----- caring mothers at the end
    paired = {cid for cid, f in followed_end.items() if f.caring_mother is not None}
    heavy = {cid for cid in followed_end if level_at(cid, as_of) in ("red", "orange")}

    # ----- ageing out
    turned = [cid for cid, child in mine.items() if first <= child.eighteenth_birthday() <= as_of]
    statuses: Counter[PlanStatus] = Counter()
    for cid in turned:
        plan = records.plans.get(cid)
        statuses[plan.status if plan else PlanStatus.NONE] += 1
    archived_ids = [
        cid
        for cid, child in mine.items()
        if child.archive is not None
        and child.archive.reason == ArchiveReason.TURNED_18
        and first <= child.archive.on <= as_of
    ]
    archived_18 = len(archived_ids)
    archived_handed_over = sum(
        1
        for cid in archived_ids
        if (plan := records.plans.get(cid)) is not None and plan.handed_over_on is not None
    )

    typical = tuple(
        sorted(
            (
                s
                for s in records.typical_cases
                if s.value.in_summary
                and ours(s.value.child_id)
                and first <= s.value.written_on <= last
            ),
            key=lambda s: (s.value.written_on, s.value.title),
        )
    )

    return YearSummary(
        period=period,
        today=today,
        as_of=as_of,
        children_start=len(followed_start),
        children_end=len(followed_end),
        categories_start=by_category(followed_start),
        categories_end=by_category(followed_end),
        levels_start=by_level(followed_start, start_day - timedelta(days=1)),
        levels_end=by_level(followed_end, as_of),
        changes={key: changes.get(key, 0) for key in ("first", "down", "up", "same")},
        red_downgraded=len(red_down),
        visits_due=due,
        visits_done=done,
        visits_on_time=on_time,
        visits_overdue=overdue,
        visits_pending=pending,
        visit_records=len(period_visits),
        children_visited=len({v.child_id for v in period_visits}),
        visits_by_form={form: forms.get(form, 0) for form in VisitForm},
        assessments=len(assessed_in_period),
        children_assessed=len(set(assessed_in_period)),
        cases_by_kind=tuple(kinds),
        cases_open_at_end=open_at_end,
        reports_filed=sum(
            1 for cid, on in records.reports_filed if ours(cid) and first <= on <= as_of
        ),
        case_reports=case_reports,
        escalations=escalations,
        recognitions_submitted=steps("submit"),
        recognitions_confirmed=steps("confirm"),
        recognitions_refused=steps("refuse") + steps("refuse_town"),
        de_facto_at_end=sum(
            1 for f in followed_end.values() if ChildCategory.DE_FACTO_UNSUPPORTED in f.categories
        ),
        activities=activity_figures(activities, first, as_of),
        caring_mother_paired=len(paired),
        caring_mother_red_orange=(len(paired & heavy), len(heavy)),
        turned_18=len(turned),
        turned_18_by_status={s: statuses.get(s, 0) for s in PlanStatus},
        archived_18=archived_18,
        archived_18_handed_over=archived_handed_over,
        screening=_screening_figures(records, first, as_of, ours),
        typical_cases=typical,
        damaged=len(records.damaged_ids),
    )
