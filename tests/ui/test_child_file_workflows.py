"""The child file's 报告与申请 tab and the 待办 lines of the workflows (issue 17), on a real vault:
reports with their status, applications with their deadline, reasons and the 兜底 alternatives,
conferences with their actions; the buttons and double-clicks open the report and application
windows or the case; 待办 lists the items urgent first, in red, and opens the right window."""

from __future__ import annotations

from datetime import UTC, date, datetime

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from app.domain import case_conference as cc
from app.domain import recognition_application as ra
from app.domain.case import CaseKind
from app.domain.categories import GuardianRelation
from app.domain.child_file import ChildFile, Gender, Guardian
from app.domain.guardian_situation import GuardianSituation
from app.domain.workflow import STEP_TYPE, Role, Transition
from app.domain.working_days import YearCalendar
from app.services.workflows import WorkflowService
from storage import definitions_store
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.theme import OVERDUE_COLOUR
from ui.views.child_file_dialog import ChildFileDialog
from ui.views.child_file_dialog.workflows_tab import APPLICATION, ID_ROLE, REPORT
from ui.views.mandatory_report_dialog import MandatoryReportDialog
from ui.views.recognition_application_dialog import RecognitionApplicationDialog
from ui.views.todo_lists import (
    OPEN_APPLICATION,
    OPEN_NEW_REPORT,
    OPEN_REPORT,
    WORKFLOWS,
    TodoEntry,
)
from ui.views.todo_page import TodoPage

TODAY = date(2026, 11, 22)  # tests/ui/conftest.py


def add_child(desk: DeskServices, name: str = "刘小川") -> str:
    child = ChildFile(
        name=name,
        gender=Gender.MALE,
        birth_date=date(2016, 5, 1),
        village_code=desk.village_code,
        guardians=[
            Guardian(
                GuardianRelation.FATHER,
                situations=[GuardianSituation.IMPRISONED],
                facts={"restriction_months": 60},
            ),
            Guardian(GuardianRelation.MOTHER, situations=[GuardianSituation.LOST_CONTACT]),
        ],
    )
    return desk.children.create(child).record_id


def file_report(service: WorkflowService, child_id: str) -> str:
    return service.file_report(
        child_id,
        source="child_file",
        seen="孩子手臂上有多处淤青",
        seen_at="2026-11-20 下午",
        at_risk="孩子本人",
        immediate_danger=True,
        told={"police": True, "school": False, "hospital": False},
        concern="abuse",
    )


def pulled_step(
    desk: DeskServices,
    subject: str,
    kind: str,
    child_id: str,
    action: str,
    role: Role,
    **kw: object,
) -> None:
    """A step as it arrives from the district (a pulled ``workflow_step`` record)."""
    step = Transition(action, "镇督导甲", role, "2026-11-21T02:00:00Z", **kw)  # type: ignore[arg-type]
    desk.vault.put(STEP_TYPE, step.to_data(subject, kind, child_id), author="镇督导甲")


def conference(desk: DeskServices, child_id: str) -> tuple[str, str]:
    case_id = desk.cases.open(child_id, CaseKind.ABSENCE, "父亲服刑，母亲失联").record_id
    data = {
        "child_id": child_id,
        "case_id": case_id,
        "held_on": "2026-11-15",
        "departments": ["民政", "公安", "学校"],
        "people": ["区民政局 张"],
        "findings": "祖母年迈",
        "decisions": "申请认定；学校每周谈心",
        "actions": [
            {"id": "1", "what": "协助申请认定", "who": "村儿童主任", "due": "2026-11-20"},
            {"id": "2", "what": "每周谈心", "who": "学校", "due": "2026-12-31"},
        ],
        "next_review": "2026-12-20",
    }
    assert cc.conference_problems(data) == []
    return case_id, desk.vault.put(cc.RECORD_TYPE, data, author="区民政局张").record_id


def test_the_tab_shows_each_workflow_and_opens_it(qtbot: QtBot, desk: DeskServices) -> None:
    child_id = add_child(desk)
    service = desk.workflows
    report_id = file_report(service, child_id)
    returned = service.create_application(child_id)
    service.submit_application(returned, guardian_signed=True)
    pulled_step(
        desk, returned, ra.RECORD_TYPE, child_id, ra.RETURN, Role.TOWN, reason="缺派出所证明"
    )
    case_id, _conference_id = conference(desk, child_id)

    dialog = ChildFileDialog(desk, child_id)
    qtbot.addWidget(dialog)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "报告与申请" in titles
    tab = dialog.workflows_tab
    dialog.tabs.setCurrentWidget(tab)
    [report] = tab.items(REPORT)
    assert report.text(1) == "待送达" and report.foreground(1).color() == OVERDUE_COLOUR
    assert "填报人" in report.text(3) and "优先报送" in report.text(3)
    tab.tree.setCurrentItem(report)
    assert "孩子手臂上有多处淤青" in tab.detail.text() and "公安（报警）" in tab.detail.text()
    [application] = tab.items(APPLICATION)
    assert application.text(1) == "退回补充材料" and "缺派出所证明" in application.text(3)
    tab.tree.setCurrentItem(application)
    assert "乡镇（街道）儿童督导员 镇督导甲" in tab.detail.text()
    actions = tab.items("action")
    assert [a.text(0) for a in actions] == ["协助申请认定", "每周谈心"]
    assert actions[0].text(1) == "已过期" and actions[1].text(1) == "待落实"

    # the buttons and double-clicks open the windows H2 made, on the right record
    dialog.findChild(QPushButton, "file_mandatory_report").click()
    assert isinstance(dialog.workflow_dialog, MandatoryReportDialog)
    assert dialog.workflow_dialog.report_id is None
    dialog.workflow_dialog.close()
    tab.tree.itemActivated.emit(report, 0)
    assert isinstance(dialog.workflow_dialog, MandatoryReportDialog)
    assert dialog.workflow_dialog.report_id == report_id
    dialog.workflow_dialog.close()
    # an application not decided yet: the button opens it rather than making a second
    button = dialog.findChild(QPushButton, "apply_recognition")
    assert button.text() == "查看认定申请"
    button.click()
    assert isinstance(dialog.workflow_dialog, RecognitionApplicationDialog)
    assert dialog.workflow_dialog.application_id == returned
    dialog.workflow_dialog.close()
    opened: list[tuple[str, str, str]] = []
    dialog.open_editor = lambda *args: opened.append(args)
    tab.tree.itemActivated.emit(actions[0], 0)
    assert opened == [("case", child_id, case_id)]

    # a refusal at the town: the reason and the 兜底 alternatives; a new application is offered
    service.withdraw_application(returned, "重新准备材料")
    refused = service.create_application(child_id)
    service.submit_application(refused, guardian_signed=True)
    pulled_step(
        desk, refused, ra.RECORD_TYPE, child_id, ra.REFUSE_TOWN, Role.TOWN, reason="母亲已联系上"
    )
    dialog.reload()
    rows = {i.data(0, ID_ROLE): i for i in tab.items(APPLICATION)}
    row = rows[refused]
    assert row.text(1) == "不予认定" and "母亲已联系上" in row.text(3)
    assert "低保" in row.text(3) and "临时救助" in row.text(3)
    assert rows[returned].text(1) == "已撤回"
    assert button.text() == "申请事实无人抚养认定"


def test_todo_lists_the_workflows_urgent_first(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    child_id = add_child(desk)
    other = add_child(desk, "王小梅")
    service = WorkflowService(
        desk.vault, author=desk.author, now=lambda: datetime(2026, 11, 20, 2, tzinfo=UTC)
    )
    application = service.create_application(other)
    service.submit_application(application, guardian_signed=True)
    report_id = file_report(service, child_id)
    case_id, conference_id = conference(desk, child_id)

    page = TodoPage(desk, store)
    qtbot.addWidget(page)
    store.load()
    header = page.section_items[WORKFLOWS].text(0)
    entries = page.entries(WORKFLOWS)
    assert header == f"强制报告、认定申请、会商事项与转介（{len(entries)}）"
    # urgent first: the report not yet sent, the overdue conference action
    assert [e.alert for e in entries] == sorted((e.alert for e in entries), reverse=True)
    by_record = {(e.opens, e.record_id): e for e in entries}
    report = by_record[(OPEN_REPORT, report_id)]
    assert report.alert and report.status == "强制报告待送达" and report.name == "刘小川"
    assert page.entry_item(WORKFLOWS, entries.index(report)).foreground(2).color() == OVERDUE_COLOUR
    waiting = by_record[(OPEN_APPLICATION, application)]
    assert waiting.status == "认定申请待乡镇查验" and "期限2026-12-04" in waiting.detail
    [action] = [e for e in entries if e.record_id == conference_id and "协助申请认定" in e.detail]
    assert action.alert and action.case_id == case_id and "协助申请认定" in action.detail
    assert "项紧急" in page.summary.text()

    # activating opens the matching window: the report, the application, the case, and a new
    # report for an assessment whose rules demand one
    seen: list[tuple[str, ...]] = []
    page.open_report.connect(lambda *a: seen.append(("report", *a)))
    page.open_application.connect(lambda *a: seen.append(("application", *a)))
    page.open_case.connect(lambda *a: seen.append(("case", *a)))
    page.new_report.connect(lambda *a: seen.append(("new_report", *a)))
    for entry in (report, waiting, action):
        page.activate(entry)
    page.activate(
        TodoEntry(WORKFLOWS, OPEN_NEW_REPORT, child_id, "刘小川", None, "", "", assessment_id="a1")
    )
    assert seen == [
        ("report", child_id, "刘小川", report_id),
        ("application", other, "王小梅", application),
        ("case", child_id, case_id, "conference"),
        ("new_report", child_id, "刘小川", "a1"),
    ]
    # the case opens on 个案会商, once its conferences have loaded (the tab shows only then)
    from ui.views.case_dialog import CaseDialog

    dialog = CaseDialog(desk, child_id, case_id, tab=action.case_tab)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.tabs.currentWidget() is dialog._conference_tab, timeout=3000)


def test_the_desk_follows_a_calendar_a_sync_installs(desk: DeskServices) -> None:
    """DeskServices.workflows counts with the district's published years: a year a sync
    installs while the window is open is used once the definitions are re-read (on the vault
    worker, as the 同步 page does), without unlocking again."""
    child_id = add_child(desk)
    late_december = WorkflowService(
        desk.vault, author="王", now=lambda: datetime(2026, 12, 24, 2, tzinfo=UTC)
    )
    application = late_december.create_application(child_id)
    late_december.submit_application(application, guardian_signed=True)
    before = desk.workflows.application_status(application).deadline
    assert before is not None and before.approximate and before.due == date(2027, 1, 7)
    year = YearCalendar(2027, frozenset([date(2027, 1, 1)]), frozenset())
    definitions_store.install(
        desk.vault,
        kind="calendar",
        name="working_days",
        version="2027",
        sha256="0" * 64,
        body=year.to_data(),
    )
    assert desk.refresh_definitions()
    after = desk.workflows.application_status(application).deadline
    assert after is not None and not after.approximate and after.due == date(2027, 1, 8)
