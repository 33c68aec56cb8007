"""待办: the lists match the caseload, counts in the headers, activating opens the right ids."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.case import CaseKind, CaseStage, Plan, PlanAction
from app.domain.categories import ChildCategory
from app.domain.child_file import ChildFile, Gender
from app.domain.transition_plan import TransitionPlan
from app.domain.visit import Visit, VisitForm
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.theme import apply_text_scale
from ui.views.todo_page import (
    ASSESSMENTS,
    CASES,
    DUE_SOON,
    OVERDUE,
    TRANSITIONS,
    TodoPage,
)

TODAY = date(2026, 11, 22)  # the desk fixtures' fixed today (tests/ui/conftest.py)


def make_page(qtbot: QtBot, desk: DeskServices, store: CaseloadStore) -> TodoPage:
    page = TodoPage(desk, store)
    qtbot.addWidget(page)
    store.load()
    return page


def add_child(desk: DeskServices, name: str = "陈雨桐", birth: date = date(2015, 3, 1)) -> str:
    child = ChildFile(
        name=name,
        gender=Gender.FEMALE,
        birth_date=birth,
        village_code=desk.village_code,
        categories=[ChildCategory.LEFT_BEHIND],
    )
    return desk.children.create(child).record_id


def test_visit_lists_match_the_caseload(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, demo_desk, store)
    assert store.caseload is not None
    due = store.caseload.due(demo_desk.schedule, TODAY)
    assert due.overdue, "the demo caseload has overdue children"

    overdue = page.entries(OVERDUE)
    assert [e.child_id for e in overdue] == [i.child_id for i in due.overdue]
    assert [e.child_id for e in page.entries(DUE_SOON)] == [i.child_id for i in due.due_soon]
    # Most overdue first, with the days overdue and the reason.
    first = overdue[0]
    assert first.status == f"已逾期 {due.overdue[0].days_overdue(TODAY)} 天"
    assert first.alert
    assert due.overdue[0].reasons_zh[0] in first.detail
    days = [int(e.status.split()[1]) for e in overdue]
    assert days == sorted(days, reverse=True)
    # Counts in the section headers, in the order the brief asks for.
    headers = [page.tree.topLevelItem(i).text(0) for i in range(page.tree.topLevelItemCount())]
    assert headers[0] == f"走访已逾期（{len(due.overdue)}）"
    assert headers[1] == f"一周内应走访（{len(due.due_soon)}）"
    assert headers[2].startswith("需要评估") and headers[3].startswith("个案跟进")
    assert headers[4].startswith("强制报告、认定申请、会商事项与转介")
    assert headers[5].startswith("即将年满18岁 / 已满18岁")
    assert f"{len(due.overdue)} 名儿童走访已逾期" in page.summary.text()
    # The overdue days are shown in red.
    item = page.entry_item(OVERDUE, 0)
    assert item.foreground(2).color().name() == "#c62828"


def test_transitions_and_case_follow_ups(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, demo_desk, store)
    assert store.caseload is not None
    flagged = store.caseload.transitions(TODAY)
    shown = page.entries(TRANSITIONS)
    assert sorted(e.child_id for e in shown) == sorted(s.child_id for s, _ in flagged)

    cases = demo_desk.cases.list_all()
    urgent = {s.record_id for s in cases if s.value.is_open and s.value.mandatory_report}
    horizon = TODAY + timedelta(days=demo_desk.schedule.due_soon_days)
    acting = {
        s.record_id
        for s in cases
        if s.value.stage in (CaseStage.INTERVENING, CaseStage.FOLLOWING_UP)
        and any(
            a.by_when and a.by_when <= horizon and a.done_on is None  # done: not 待办
            for a in s.value.plan.actions
        )
    }
    entries = page.entries(CASES)
    assert {e.case_id for e in entries} == urgent | acting
    # 强制报告 first.
    flags = [e.case_id in urgent for e in entries]
    assert flags == sorted(flags, reverse=True)
    assert all("强制报告" in e.status for e in entries if e.case_id in urgent)
    closed = {s.record_id for s in cases if not s.value.is_open}
    assert not closed & {e.case_id for e in entries}


def test_activating_entries_emits_the_ids(
    qtbot: QtBot, demo_desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, demo_desk, store)
    page.show()
    overdue = page.entries(OVERDUE)[0]
    item = page.entry_item(OVERDUE, 0)
    page.tree.setCurrentItem(item)
    assert page.open_button.isEnabled()
    assert overdue.name in page.detail.text()
    with qtbot.waitSignal(page.open_child) as opened:
        qtbot.keyClick(page.tree, Qt.Key.Key_Return)
    assert opened.args == [overdue.child_id]

    case = page.entries(CASES)[0]
    page.tree.setCurrentItem(page.entry_item(CASES, 0))
    with qtbot.waitSignal(page.open_case) as opened_case:
        page.open_button.click()
    assert opened_case.args == [case.child_id, case.case_id, case.case_tab]
    # the tab the line is about: a 措施's 帮扶方案, a report still to pass on, else the stage's
    about = "plan" if "措施“" in case.detail else "report" if "请尽快上报" in case.detail else ""
    assert case.case_tab == about

    # Section headers open nothing.
    page.tree.setCurrentItem(page.section_items[OVERDUE])
    assert not page.open_button.isEnabled()


def test_assessments_to_do_and_drafts(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    never = add_child(desk, "陈雨桐")
    drafted = add_child(desk, "李明")
    draft = desk.assessments.start(drafted, desk.definition, ["王秀英"])
    page = make_page(qtbot, desk, store)

    entries = {e.child_id: e for e in page.entries(ASSESSMENTS)}
    assert set(entries) == {never, drafted}  # the draft replaces "never assessed"
    assert entries[never].status == "尚未评估"
    assert entries[drafted].assessment_id == draft.record_id
    assert page.section_items[ASSESSMENTS].text(0) == "需要评估（2）"

    # Nothing listens for resume_assessment: the child's file opens instead.
    with qtbot.waitSignal(page.open_child) as opened:
        page.activate(entries[drafted])
    assert opened.args == [drafted]
    resumed: list[tuple[str, str]] = []
    page.resume_assessment.connect(lambda c, a: resumed.append((c, a)))
    page.activate(entries[drafted])
    assert resumed == [(drafted, draft.record_id)]

    # New files are due for a first visit within a week.
    assert {e.child_id for e in page.entries(DUE_SOON)} == {never, drafted}


def test_updates_when_the_caseload_changes(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    child_id = add_child(desk, "陈雨桐")
    page = make_page(qtbot, desk, store)
    page.show()
    assert [e.child_id for e in page.entries(DUE_SOON)] == [child_id]
    assert page.section_items[CASES].text(0) == "个案跟进（0）"

    desk.visits.record(Visit(child_id, TODAY, VisitForm.HOME, met=["祖母"]))
    case = desk.cases.open(child_id, CaseKind.IMPROPER, "监护不当")
    desk.cases.link_assessment(case.record_id, notes="已入户核实")
    desk.cases.move(case.record_id, CaseStage.ASSESSED)
    plan = Plan(["孩子按时上学"], [PlanAction("联系学校", "班主任", TODAY - timedelta(days=2))])
    desk.cases.update_plan(case.record_id, plan)
    desk.cases.move(case.record_id, CaseStage.INTERVENING)
    store.refresh()

    assert page.entries(DUE_SOON) == []
    [entry] = page.entries(CASES)
    assert entry.case_id == case.record_id
    assert entry.status == "措施已过期 2 天"
    assert "联系学校" in entry.detail and entry.alert


def test_hidden_page_waits_until_shown(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    page = make_page(qtbot, desk, store)  # loaded once, never shown
    assert page.entries(DUE_SOON) == []
    child_id = add_child(desk)
    store.refresh()
    assert page.entries(DUE_SOON) == []  # stale while hidden
    page.show()
    assert [e.child_id for e in page.entries(DUE_SOON)] == [child_id]


def test_turned_18_prompts_closure_or_transfer(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    adult = add_child(desk, "周强", birth=date(2008, 10, 1))
    soon = add_child(desk, "吴敏", birth=date(2009, 2, 1))
    page = make_page(qtbot, desk, store)
    entries = page.entries(TRANSITIONS)
    assert [e.child_id for e in entries] == [adult, soon]
    assert entries[0].status == "已满18岁" and "结案" in entries[0].detail
    assert entries[1].status == "还有 71 天满18岁，未建立转衔计划"
    # the plan's status follows the 转衔计划 (issue 19's record) once one is made
    desk.transition_plans.save(
        TransitionPlan(soon, TODAY, referred_on=TODAY, referral_outcome="已登记")
    )
    page.reload()
    qtbot.waitUntil(lambda: "已转介人力社保" in page.entries(TRANSITIONS)[1].status)
    assert "跟进转介结果" in page.entries(TRANSITIONS)[1].detail


def test_follows_the_text_scale(
    qtbot: QtBot, qapp: QApplication, desk: DeskServices, store: CaseloadStore
) -> None:
    font, sheet = qapp.font(), qapp.styleSheet()
    apply_text_scale(qapp, 1.0)  # as at start-up, before any window
    qapp.processEvents()
    try:
        add_child(desk)
        page = make_page(qtbot, desk, store)
        page.show()
        before = page.section_items[OVERDUE].font(0).pointSizeF()
        width = page.tree.columnWidth(0)
        apply_text_scale(qapp, 1.5)
        qtbot.waitUntil(
            lambda: page.section_items[OVERDUE].font(0).pointSizeF() == pytest.approx(before * 1.5)
        )
        header = page.section_items[OVERDUE]
        assert header.font(0).bold()
        assert page.tree.columnWidth(0) > width
        assert len(page.entries(DUE_SOON)) == 1  # rebuilt, not lost
    finally:
        qapp.setFont(font)
        qapp.setStyleSheet(sheet)
        qapp.processEvents()
