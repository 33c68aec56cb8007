"""归档: an archived child's cases leave 待办 (个案跟进) and the 个案 list — the cases stay in the
vault and come back when the file is restored; 待办 lists a child with several unfinished
assessment drafts once."""

from __future__ import annotations

from datetime import date, timedelta

from pytestqt.qtbot import QtBot

from app.domain.case import CaseKind, CaseStage, Plan, PlanAction
from app.domain.categories import ChildCategory
from app.domain.child_file import ArchiveReason, ChildFile, Gender
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.cases_page import CasesPage
from ui.views.todo_page import ASSESSMENTS, CASES, OPEN_DRAFT, TodoPage

TODAY = date(2026, 11, 22)


def add_child(desk: DeskServices, name: str) -> str:
    child = ChildFile(
        name=name,
        gender=Gender.FEMALE,
        birth_date=date(2015, 3, 1),
        village_code=desk.village_code,
        categories=[ChildCategory.LEFT_BEHIND],
    )
    return desk.children.create(child).record_id


def urgent_case(desk: DeskServices, child_id: str) -> str:
    case = desk.cases.open(child_id, CaseKind.IMPROPER, "监护不当")
    desk.cases.mark_mandatory_report(case.record_id)
    desk.cases.link_assessment(case.record_id, notes="已入户核实")
    desk.cases.move(case.record_id, CaseStage.ASSESSED)
    plan = Plan(["孩子按时上学"], [PlanAction("联系学校", "班主任", TODAY - timedelta(days=2))])
    desk.cases.update_plan(case.record_id, plan)
    desk.cases.move(case.record_id, CaseStage.INTERVENING)
    return case.record_id


def test_archived_childs_cases_leave_todo_and_the_cases_list(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    kept = add_child(desk, "陈雨桐")
    leaving = add_child(desk, "李明")
    kept_case = urgent_case(desk, kept)
    leaving_case = urgent_case(desk, leaving)
    todo = TodoPage(desk, store)
    cases = CasesPage(desk, store)
    qtbot.addWidget(todo)
    qtbot.addWidget(cases)
    todo.show()
    cases.show()
    store.load()
    assert {e.case_id for e in todo.entries(CASES)} == {kept_case, leaving_case}
    assert {r.case_id for r in cases.model.rows()} == {kept_case, leaving_case}

    desk.children.archive(leaving, ArchiveReason.MOVED_OUT)
    store.refresh()
    assert {e.case_id for e in todo.entries(CASES)} == {kept_case}
    assert {r.case_id for r in cases.model.rows()} == {kept_case}
    assert "李明" not in cases.count.text()
    assert desk.cases.get(leaving_case).value.is_open  # the data stays

    desk.children.restore(leaving)
    store.refresh()
    assert {e.case_id for e in todo.entries(CASES)} == {kept_case, leaving_case}
    assert {r.case_id for r in cases.model.rows()} == {kept_case, leaving_case}


def test_a_child_with_two_drafts_is_listed_once_with_the_newest(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    child_id = add_child(desk, "李明")
    desk.assessments.start(child_id, desk.definition, ["王秀英"])
    newest = desk.assessments.start(child_id, desk.definition, ["王秀英"])
    page = TodoPage(desk, store)
    qtbot.addWidget(page)
    page.show()
    store.load()
    [entry] = [e for e in page.entries(ASSESSMENTS) if e.child_id == child_id]
    assert entry.opens == OPEN_DRAFT and entry.assessment_id == newest.record_id
    assert "2 份" in entry.detail
    assert page.section_items[ASSESSMENTS].text(0) == "需要评估（1）"
