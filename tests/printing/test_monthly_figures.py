"""The monthly figures and what due / done / overdue / pending mean (hand-made caseload)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.case import Case, CaseKind, CaseStage
from app.domain.categories import ChildCategory
from app.domain.child_file import ChildFile, FileStatus, Gender, Transfer
from app.domain.visit import Visit, VisitForm
from app.services.assessments import FINISHED, Assessment
from app.services.monthly_report import (
    CaseloadRecords,
    MonthError,
    ReportMonth,
    monthly_figures,
)
from app.services.stored import Stored

VILLAGE = "500119104201"
NOVEMBER = ReportMonth(2026, 11)
_hlc = iter(range(10**6))


def _stored(record_id: str, value: object) -> Stored[object]:
    return Stored(record_id, 1, "t", f"{next(_hlc):012d}", value)


def _child(name: str, *, born: date = date(2015, 5, 1), **kw: object) -> ChildFile:
    return ChildFile(
        name=name,
        gender=Gender.FEMALE,
        birth_date=born,
        village_code=str(kw.pop("village_code", VILLAGE)),
        categories=[ChildCategory.OTHER_HARDSHIP],
        opened_on=kw.pop("opened_on", date(2025, 1, 1)),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def _visit(child_id: str, on: date) -> Visit:
    return Visit(child_id=child_id, on=on, form=VisitForm.HOME, met=["祖母"])


def _assessment(child_id: str, on: date, level: str) -> Assessment:
    return Assessment(
        child_id=child_id,
        definition_id="d",
        definition_version="1",
        started_on=on,
        status=FINISHED,
        finished_on=on,
        result={"level": level},
    )


def _records() -> CaseloadRecords:
    # Yellow since 2025 (the schedule: a visit at least every 30 days), four green (90 days).
    children = {
        "on_time": _child("按时"),
        "late": _child("补访"),
        "overdue": _child("逾期"),
        "pending": _child("待访"),
        "not_due": _child("未到期"),
        "carried": _child("结转"),
        "new": _child("新建", opened_on=date(2026, 11, 3)),
        "closed": _child("关闭", status=FileStatus.CLOSED),
        "moved": _child(
            "转出",
            status=FileStatus.TRANSFERRED,
            transfer=Transfer("500119104299", date(2026, 11, 10)),
        ),
        "elsewhere": _child("外村", village_code="500119104299"),
        "eighteen": _child("成年", born=date(2008, 11, 15)),
        "soon18": _child("将成年", born=date(2009, 3, 1)),
    }
    visits = [
        _visit("on_time", date(2026, 10, 20)),  # due 19 Nov
        _visit("on_time", date(2026, 11, 12)),
        _visit("late", date(2026, 10, 5)),  # due 4 Nov
        _visit("late", date(2026, 11, 9)),
        _visit("overdue", date(2026, 10, 10)),  # due 9 Nov, no visit since
        _visit("pending", date(2026, 10, 28)),  # due 27 Nov, today is the 22nd
        _visit("not_due", date(2026, 10, 15)),  # green: due 13 January
        _visit("not_due", date(2026, 11, 1)),  # counted as a visit of the month, not as due
        _visit("carried", date(2026, 9, 1)),  # due 1 Oct: overdue coming into November
        _visit("moved", date(2026, 10, 1)),  # due 31 Oct, moved out on 10 Nov
        _visit("elsewhere", date(2026, 11, 2)),
        _visit("eighteen", date(2026, 10, 15)),
        _visit("eighteen", date(2026, 11, 1)),
        _visit("soon18", date(2026, 10, 15)),
        _visit("soon18", date(2026, 11, 1)),
    ]
    for child_id in ("new", "closed"):
        assert child_id in children
    green = {"not_due", "eighteen", "soon18", "elsewhere"}
    assessments = [
        _assessment(child_id, date(2025, 6, 1), "green" if child_id in green else "yellow")
        for child_id in children
        if child_id != "new"
    ]
    assessments += [
        _assessment("late", date(2026, 11, 9), "green"),  # 降码 in the month
        _assessment("new", date(2026, 11, 5), "orange"),  # first assessment
    ]
    cases = [
        Case(
            "overdue",
            CaseKind.ABUSE,
            date(2026, 11, 8),
            mandatory_report=True,
            mandatory_report_on=date(2026, 11, 8),
            escalated_on=date(2026, 11, 9),
        ),
        Case(
            "late",
            CaseKind.IMPROPER,
            date(2026, 6, 1),
            stage=CaseStage.CLOSED,
            closed_on=date(2026, 11, 20),
            closure_reason="好转",
        ),
        Case("pending", CaseKind.ABSENCE, date(2026, 3, 1), stage=CaseStage.INTERVENING),
        Case("elsewhere", CaseKind.ABSENCE, date(2026, 11, 1)),
    ]
    return CaseloadRecords(
        children=children,
        visits=[_stored(f"v{i}", v) for i, v in enumerate(visits)],  # type: ignore[misc]
        assessments=[_stored(f"a{i}", a) for i, a in enumerate(assessments)],  # type: ignore[misc]
        cases=[_stored(f"c{i}", c) for i, c in enumerate(cases)],  # type: ignore[misc]
    )


def test_due_done_overdue_pending_in_the_current_month() -> None:
    f = monthly_figures(_records(), NOVEMBER, today=date(2026, 11, 22), village_code=VILLAGE)
    status = {d.child_id: d.status for d in f.due}
    assert status == {
        "on_time": "on_time",
        "late": "late",
        "overdue": "overdue",
        "pending": "pending",
        "carried": "overdue",
        "new": "overdue",  # opened 3 Nov, first visit due within 7 days, none yet
        "moved": "overdue",
    }
    assert (f.due_count, f.done_count, f.on_time_count, f.late_count) == (7, 2, 1, 1)
    assert (f.overdue_count, f.pending_count, f.carried_over_count) == (4, 1, 2)
    assert f.due_count == f.done_count + f.overdue_count + f.pending_count
    assert not f.complete and f.as_of == date(2026, 11, 22)
    carried = next(d for d in f.due if d.child_id == "carried")
    assert carried.due == date(2026, 10, 1) and carried.days_overdue(f.as_of) == 52
    # followed: all but the closed file and the other village's child
    assert f.children_followed == 10
    assert f.visit_count == 5 and f.children_visited == 5  # the other village's is not ours
    assert f.visits_by_form[VisitForm.HOME] == 5


def test_a_finished_month_has_nothing_pending() -> None:
    f = monthly_figures(_records(), NOVEMBER, today=date(2026, 12, 3), village_code=VILLAGE)
    assert f.complete and f.as_of == date(2026, 11, 30)
    status = {d.child_id: d.status for d in f.due}
    assert status["pending"] == "overdue" and f.pending_count == 0
    assert f.due_count == f.on_time_count + f.late_count + f.overdue_count


def test_levels_cases_reports_and_turning_18() -> None:
    f = monthly_figures(_records(), NOVEMBER, today=date(2026, 11, 22), village_code=VILLAGE)
    assert f.levels_at_end == {"green": 4, "yellow": 5, "orange": 1, "red": 0, "none": 0}
    changes = {(c.child_id, c.before, c.after, c.direction) for c in f.level_changes}
    assert changes == {("late", "yellow", "green", "down"), ("new", None, "orange", "first")}
    assert [c.child_id for c in f.new_cases] == ["overdue"]
    assert [c.child_id for c in f.closed_cases] == ["late"]
    assert f.open_cases_at_end == 2
    (report,) = f.reports
    assert (report.reported_on, report.escalated_on) == (date(2026, 11, 8), date(2026, 11, 9))
    assert [t.child_id for t in f.turning_18] == ["eighteen"]
    assert [t.child_id for t in f.approaching_18] == ["soon18"]


def test_all_villages_when_no_village_is_given() -> None:
    f = monthly_figures(_records(), NOVEMBER, today=date(2026, 11, 22))
    assert f.children_followed == 11 and len(f.new_cases) == 2


def test_months_that_cannot_be_reported() -> None:
    with pytest.raises(MonthError):
        monthly_figures(_records(), ReportMonth(2026, 12), today=date(2026, 11, 22))
    for bad in ("2026-13", "2026-1", "26-11", "November", "2026-00", ""):
        with pytest.raises(MonthError) as caught:
            ReportMonth.parse(bad)
        assert "月份格式不对" in caught.value.message_zh
    month = ReportMonth.parse("2024-02")
    assert (month.first_day, month.last_day, str(month)) == (
        date(2024, 2, 1),
        date(2024, 2, 29),
        "2024-02",
    )
