"""The cross-level workflows end to end (issue 17) over the network: real laptops (vaults, the
laptop sync engine) and the real district server on loopback (uvicorn, SQLite). Each workflow
goes laptop → district function (sync/server/workflows.py, what the console pages call) →
laptop sees the result. Also: two town users at once, a decision on a withdrawn application,
forged or district-only records from a laptop, a revoked device's pending report."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.demo_caseload import fill_vault
from app.domain import case_conference as cc
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.domain.categories import ChildCategory
from app.domain.workflow import Refused, TransitionRefused
from app.domain.working_days import YearCalendar
from app.services.workflows import WorkflowService
from storage.vault import Vault
from sync.laptop.engine import LaptopSync
from sync.server import db
from sync.server.console.routes_overview import today as china_today  # the district's day (UTC+8)
from sync.server.console.scope import Scope
from sync.server.district import District
from sync.server.workflows import WorkflowError, Workflows
from tests.sync.conftest import VILLAGE_A, ServerThread
from tests.sync.test_district_core import TODAY

TOWN_A = Scope("town", (VILLAGE_A[:9],), 11)
OTHER_TOWN = Scope("town", ("500119105",), 12)
DISTRICT = Scope("district", (), 1)
PARTNER = Scope("partner", (), 5)


def no_sleep(_s: float) -> None:
    return None


def enrolled(district: District, url: str, vault: Vault) -> LaptopSync:
    engine = LaptopSync(vault, author="王", sleep=no_sleep)
    engine.enroll_network(url, district.create_enroll_code([VILLAGE_A], 3600), label="一村")
    return engine


def a_child(vault: Vault) -> str:
    fill_vault(vault, children=3, seed=5, village_code=VILLAGE_A, today=TODAY, author="王")
    return str(vault.load("child").revisions[0].record_id)


def file_report(service: WorkflowService, child_id: str, **extra: Any) -> str:
    fields: dict[str, Any] = {
        "source": "child_file",
        "seen": "孩子手臂上有多处淤青，说是被打的",
        "seen_at": "2026-11-02 下午",
        "at_risk": "孩子本人",
        "immediate_danger": True,
        "told": {"police": True, "school": False, "hospital": False},
        "concern": "abuse",
    }
    fields.update(extra)
    return service.file_report(child_id, **fields)


@pytest.fixture
def setup(server: ServerThread, sqlite_district: District, vaults: Any) -> Any:
    vault = vaults("a")
    laptop = enrolled(sqlite_district, server.url, vault)
    child_id = a_child(vault)
    service = WorkflowService(vault, author="王秀英", today=lambda: TODAY)
    flows = Workflows(sqlite_district.engine, sqlite_district.district_id)
    return laptop, service, flows, child_id


def test_mandatory_report_goes_first_and_comes_back_closed(setup: Any) -> None:
    laptop, service, flows, child_id = setup
    report_id = file_report(service, child_id)
    assert service.report_status(report_id).state == mr.FILED
    [todo] = [i for i in service.todo() if i.record_id == report_id]
    assert todo.urgent and "尚未送达" in todo.text_zh
    # the report is in the first batch, right after its child's file
    first = laptop.build_pending()[0]
    ids = [r for r, _h in first.revisions]
    assert ids.index(child_id) < ids.index(report_id) < 3
    report = laptop.sync_now()
    assert report.rejected == 0
    assert service.report_status(report_id).state == mr.DELIVERED

    inbox = flows.report_inbox(TOWN_A, now=datetime.now(UTC))
    assert [r.report_id for r in inbox] == [report_id]
    row = inbox[0]
    assert row.state == mr.DELIVERED and row.version == 0 and row.immediate_danger
    assert row.hours_since_filing < 1 and not row.unacknowledged_too_long
    later = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1)
    assert flows.report_inbox(TOWN_A, now=later)[0].unacknowledged_too_long
    assert flows.report_inbox(OTHER_TOWN) == []
    with pytest.raises(WorkflowError) as err:
        flows.acknowledge(OTHER_TOWN, report_id, actor="外镇", expected_version=0)
    assert err.value.code == "out_of_scope"
    with pytest.raises(WorkflowError):
        flows.report_inbox(PARTNER)

    row = flows.acknowledge(TOWN_A, report_id, actor="镇督导员甲", expected_version=0)
    assert row.state == mr.ACKNOWLEDGED and row.version == 1
    # a second town user acting on the page they loaded before: refused and told who acted
    with pytest.raises(WorkflowError) as err:
        flows.acknowledge(TOWN_A, report_id, actor="镇督导员乙", expected_version=0)
    assert err.value.code == Refused.STALE and "镇督导员甲" in err.value.message_zh
    with pytest.raises(WorkflowError) as err:
        flows.close_report(TOWN_A, report_id, actor="甲", expected_version=1, outcome=" ")
    assert err.value.code == Refused.REASON_REQUIRED
    row = flows.assign(
        TOWN_A,
        report_id,
        actor="镇督导员甲",
        expected_version=1,
        assignee_kind="rescue_center",
        assignee="区未成年人救助保护中心",
    )
    row = flows.record_action(
        DISTRICT, report_id, actor="区民政局张", expected_version=2, text="已会同派出所上门"
    )
    row = flows.close_report(
        DISTRICT, report_id, actor="区民政局张", expected_version=3, outcome="孩子已临时安置"
    )
    assert row.state == mr.CLOSED and flows.report_inbox(DISTRICT) == []
    assert [s.action for s in row.steps] == [
        mr.DELIVER,
        mr.ACKNOWLEDGE,
        mr.ASSIGN,
        mr.RECORD_ACTION,
        mr.CLOSE,
    ]

    # the director adds information meanwhile (offline): it does not make the pages stale
    laptop.sync_now()
    status = service.report_status(report_id)
    assert status.state == mr.CLOSED and status.state_zh == "已办结"
    assert status.outcome == "孩子已临时安置"
    assert status.assignee == "未成年人救助保护中心：区未成年人救助保护中心"
    with pytest.raises(TransitionRefused) as refused:
        service.add_report_info(report_id, "又看到一次")
    assert refused.value.code == Refused.CLOSED
    assert all(i.record_id != report_id for i in service.todo())


def test_added_information_reaches_the_district_without_making_pages_stale(setup: Any) -> None:
    laptop, service, flows, child_id = setup
    report_id = file_report(service, child_id, immediate_danger=False)
    laptop.sync_now()
    service.add_report_info(report_id, "今天孩子没有去上学")
    laptop.sync_now()
    row = flows.report(TOWN_A, report_id)
    assert row.version == 0 and row.steps[-1].reason == "今天孩子没有去上学"
    assert flows.acknowledge(TOWN_A, report_id, actor="甲", expected_version=0).version == 1


def test_recognition_application_verified_and_confirmed(setup: Any) -> None:
    laptop, service, flows, child_id = setup
    child = laptop.vault.get(child_id)
    categories = [c for c in child.data.get("categories", []) if c != "de_facto_unsupported"]
    laptop.vault.put(
        "child", {**child.data, "categories": categories}, author="王", record_id=child_id
    )
    app_id = service.create_application(child_id)
    status = service.application_status(app_id)
    assert status.state == ra.DRAFT
    material = service.attach_material(
        app_id,
        io.BytesIO(b"%PDF-1.4 police report"),
        filename="报警回执.pdf",
        mime="application/pdf",
    )
    with pytest.raises(TransitionRefused):
        service.submit_application(app_id, guardian_signed=False)
    laptop.sync_now()
    assert flows.applications(TOWN_A) == []  # drafts stay the laptop's business
    service.submit_application(app_id, guardian_signed=True)
    laptop.sync_now()
    [row] = flows.applications(TOWN_A, today=china_today())
    assert row.state == ra.SUBMITTED and row.version == 0
    with flows.engine.connect() as conn:  # the material file arrived with its application
        stored = conn.execute(
            select(db.records.c.child_id).where(db.records.c.record_id == material)
        ).scalar_one()
        assert stored == child_id
        assert conn.execute(select(func.count()).select_from(db.blobs)).scalar_one() >= 1
    assert row.submitted_on is not None and row.due is not None
    assert row.working_days_left is not None and 0 < row.working_days_left <= 10
    assert row.town_code == VILLAGE_A[:9]
    late = row.due.replace(year=row.due.year + 1)
    assert flows.overdue_per_town(DISTRICT, today=late) == {VILLAGE_A[:9]: 1}
    assert flows.overview(TOWN_A, today=late) == {
        VILLAGE_A[:9]: {"reports_open": 0, "reports_late": 0, "applications": 1, "overdue": 1}
    }

    # the town returns it for more material; the laptop sees the reason and submits again
    flows.verify(
        TOWN_A, app_id, actor="镇甲", expected_version=0, outcome="return", reason="缺少证明"
    )
    laptop.sync_now()
    status = service.application_status(app_id)
    assert status.state == ra.RETURNED and status.reason == "缺少证明"
    assert any("缺少证明" in i.text_zh for i in service.todo())
    service.submit_application(app_id, guardian_signed=True)
    laptop.sync_now()
    row = flows.application(TOWN_A, app_id)
    assert row.state == ra.SUBMITTED and row.version == 1
    # a town user cannot confirm; the district can only after 查验
    with pytest.raises(WorkflowError) as err:
        flows.decide(DISTRICT, app_id, actor="区", expected_version=1, confirm=True)
    assert err.value.code == Refused.NOT_FROM_STATE
    flows.verify(TOWN_A, app_id, actor="镇甲", expected_version=1, outcome="pass")
    with pytest.raises(WorkflowError) as err:
        flows.decide(TOWN_A, app_id, actor="镇甲", expected_version=2, confirm=True)
    assert err.value.code == Refused.ROLE
    row = flows.decide(DISTRICT, app_id, actor="区民政局张", expected_version=2, confirm=True)
    assert row.state == ra.CONFIRMED

    # the sync that brings the confirmation applies it (sync/laptop/engine.py finish)
    assert laptop.sync_now().recognitions_applied == 1
    status = service.application_status(app_id)
    assert status.state == ra.CONFIRMED and status.confirmed_on is not None
    child = laptop.vault.get(child_id).data
    assert ChildCategory.DE_FACTO_UNSUPPORTED.value in child["categories"]
    assert child["recognition_confirmed_on"] == status.confirmed_on
    assert service.apply_confirmed_recognitions() == []
    report = laptop.sync_now()
    assert report.rejected == 0


def test_a_decision_on_an_application_the_laptop_withdrew(setup: Any) -> None:
    laptop, service, flows, child_id = setup
    app_id = service.create_application(child_id)
    service.submit_application(app_id, guardian_signed=True)
    laptop.sync_now()
    flows.verify(TOWN_A, app_id, actor="镇甲", expected_version=0, outcome="pass")
    # offline: the family withdraws before the district's decision
    service.withdraw_application(app_id, "家长决定不申请了")
    # the district decides, not knowing yet
    flows.decide(DISTRICT, app_id, actor="区民政局张", expected_version=1, confirm=True)
    assert flows.application(DISTRICT, app_id).state == ra.CONFIRMED
    laptop.sync_now()  # the withdrawal arrives, the decision comes back
    row = flows.application(DISTRICT, app_id)
    assert row.state == ra.WITHDRAWN
    void = [s for s in row.steps if s.void_reason]
    assert [(s.action, s.void_reason) for s in void] == [(ra.CONFIRM, Refused.WITHDRAWN)]
    status = service.application_status(app_id)
    assert status.state == ra.WITHDRAWN
    assert [v[1] for v in status.void_decisions] == [Refused.WITHDRAWN]
    # once the withdrawal is known, a further decision is refused with that reason
    with pytest.raises(WorkflowError) as err:
        flows.decide(
            DISTRICT, app_id, actor="区民政局张", expected_version=1, confirm=False, reason="x"
        )
    assert err.value.code == Refused.WITHDRAWN


def test_case_conference_reaches_the_laptop_and_follow_ups_come_back(setup: Any) -> None:
    laptop, service, flows, child_id = setup
    case = laptop.vault.put(
        "case",
        {"child_id": child_id, "stage": "intervening", "escalated_on": "2026-11-01"},
        author="王",
    )
    plain = laptop.vault.put("case", {"child_id": child_id, "stage": "identified"}, author="王")
    laptop.sync_now()
    data = {
        "case_id": case.record_id,
        "held_on": "2026-11-20",
        "departments": ["民政", "公安", "学校"],
        "people": ["区民政局 张", "派出所 李"],
        "findings": "父亲服刑，祖母年迈",
        "decisions": "申请认定；学校每周谈心",
        "actions": [
            {"id": "1", "what": "协助申请认定", "who": "村儿童主任", "due": "2026-11-30"},
            {"id": "2", "what": "每周谈心", "who": "学校", "due": "2026-12-31"},
        ],
        "next_review": "2026-12-20",
    }
    with pytest.raises(WorkflowError) as err:
        flows.record_conference(TOWN_A, data, actor="镇甲")
    assert err.value.code == Refused.ROLE
    with pytest.raises(WorkflowError) as err:
        flows.record_conference(DISTRICT, {**data, "case_id": plain.record_id}, actor="区")
    assert err.value.code == "invalid"
    with pytest.raises(WorkflowError) as err:
        flows.record_conference(DISTRICT, {**data, "departments": ["街道办"]}, actor="区")
    assert err.value.problems
    conference_id = flows.record_conference(DISTRICT, data, actor="区民政局张")

    laptop.sync_now()
    [(pulled, status)] = service.conferences(child_id)
    assert pulled["case_id"] == case.record_id and status.state == cc.RECORDED
    assert [a.state for a in status.actions] == ["open", "open"]
    assert any("协助申请认定" in i.text_zh for i in service.todo())
    service.conference_follow_up(conference_id, "1", "已帮助家属提交申请", done=True)
    with pytest.raises(TransitionRefused):
        service.conference_follow_up(conference_id, "1", "again", done=True)
    laptop.sync_now()
    [row] = flows.conferences(TOWN_A, case_id=case.record_id)
    assert [a.state for a in row.actions] == ["done", "open"]
    assert row.actions[0].notes == ("已帮助家属提交申请",)
    row = flows.conference_step(
        DISTRICT, conference_id, cc.REVIEW, actor="区", expected_version=0, next_review="2027-01-20"
    )
    assert row.next_review == "2027-01-20"
    laptop.sync_now()
    assert service.conference_status(conference_id).next_review == "2027-01-20"


def test_forged_and_district_only_records_from_a_laptop_are_refused(setup: Any) -> None:
    laptop, service, flows, child_id = setup
    report_id = file_report(service, child_id)
    laptop.sync_now()
    vault = laptop.vault
    # a laptop acting as a town (a tampered or buggy laptop): refused, the report unchanged
    vault.put(
        "workflow_step",
        {
            "subject_id": report_id,
            "subject_type": "mandatory_report",
            "child_id": child_id,
            "action": "close",
            "actor": "假冒",
            "role": "town",
            "at": "2026-11-02T01:00:00Z",
            "reason": "自己办结",
            "details": {},
        },
        author="王",
    )
    vault.put("case_conference", {"child_id": child_id, "case_id": report_id}, author="王")
    # a step naming the report but another child counts for neither end
    other_child = next(
        c.record_id for c in vault.load("child").revisions if c.record_id != child_id
    )
    vault.put(
        "workflow_step",
        {
            "subject_id": report_id,
            "subject_type": "mandatory_report",
            "child_id": other_child,
            "action": "add_info",
            "actor": "王",
            "role": "director",
            "at": "2026-11-02T01:00:00Z",
            "reason": "写错了孩子",
            "details": {},
        },
        author="王",
    )
    report = laptop.sync_now()
    assert report.rejected == 2
    reasons = sorted(q.reason for q in laptop.quarantine())
    assert reasons == ["district_only", "malformed"]
    row = flows.report(TOWN_A, report_id)
    assert row.state == mr.DELIVERED and all(s.reason != "写错了孩子" for s in row.steps)
    assert service.report_status(report_id).folded.effective[-1].action == mr.DELIVER


def test_a_revoked_devices_pending_report_is_not_taken(
    setup: Any, sqlite_district: District
) -> None:
    """Decision (docs/sync-protocol.md §16): a revoked device's batches are refused whole, its
    reports included — the district no longer trusts its signature. The report stays 待送达 on
    the laptop and 待办 tells the director to report by telephone."""
    laptop, service, flows, child_id = setup
    laptop.sync_now()
    report_id = file_report(service, child_id)
    sqlite_district.revoke(laptop.vault.device_id)
    report = laptop.sync_now()
    assert report.revoked
    assert flows.report_inbox(DISTRICT) == []
    assert service.report_status(report_id).state == mr.FILED
    [todo] = [i for i in service.todo() if i.record_id == report_id]
    assert "电话" in todo.text_zh


def test_district_calendar_years(setup: Any) -> None:
    _laptop, _service, flows, _child = setup
    year = YearCalendar(2027, frozenset([date(2027, 1, 1)]), frozenset([date(2027, 2, 14)]))
    with pytest.raises(WorkflowError):
        flows.save_calendar_year(TOWN_A, year, actor="镇")
    flows.save_calendar_year(DISTRICT, year, actor="区")
    flows.save_calendar_year(DISTRICT, year, actor="区")  # again: replaced, not doubled
    assert flows.calendar_years() == [year]
    assert flows.calendar().knows(2027)


def test_the_districts_threshold_for_unacknowledged_reports(setup: Any) -> None:
    laptop, service, flows, child_id = setup
    file_report(service, child_id)
    laptop.sync_now()
    assert flows.ack_hours() == 24
    with pytest.raises(WorkflowError):
        flows.set_ack_hours(TOWN_A, 2, actor="镇")
    with pytest.raises(WorkflowError):
        flows.set_ack_hours(DISTRICT, 0, actor="区")
    flows.set_ack_hours(DISTRICT, 2, actor="区")
    assert flows.ack_hours() == 2
    soon = datetime.now(UTC) + timedelta(hours=3)
    assert flows.report_inbox(TOWN_A, now=soon)[0].unacknowledged_too_long
    assert not flows.report_inbox(TOWN_A)[0].unacknowledged_too_long


def test_a_report_for_a_child_being_transferred_is_seen_by_both_towns(setup: Any) -> None:
    laptop, service, flows, child_id = setup
    report_id = file_report(service, child_id)
    child = laptop.vault.get(child_id)
    elsewhere = "500119105003"  # a village of another town
    laptop.vault.put(
        "child",
        {**child.data, "transfer": {"to_village_code": elsewhere}},
        author="王",
        record_id=child_id,
    )
    laptop.sync_now()
    # filed offline before the transfer: the report follows the child, and while the transfer
    # is under way both towns see it
    assert [r.report_id for r in flows.report_inbox(OTHER_TOWN)] == [report_id]
    assert flows.report(OTHER_TOWN, report_id).village_code == elsewhere
    assert flows.report(TOWN_A, report_id).village_code == VILLAGE_A


def test_an_assessment_that_demands_a_report(setup: Any) -> None:
    laptop, service, flows, child_id = setup
    assessment = laptop.vault.put(
        "assessment",
        {
            "child_id": child_id,
            "status": "finished",
            "result": {
                "level": "red",
                "assessed_on": "2026-11-02",
                "mandatory_report": True,
                "fired_rules": [
                    {
                        "reason": "发现监护侵害：打骂、虐待、遗弃或性侵害儿童。",
                        "mandatory_report": True,
                    },
                    {"reason": "居住环境差。", "mandatory_report": False},
                ],
            },
        },
        author="王",
    )
    assert assessment.record_id in service.assessments_needing_report()
    assert any(i.record_id == assessment.record_id and i.urgent for i in service.todo())
    draft = service.report_draft(assessment_id=assessment.record_id)
    assert draft["concern"] == "abuse" and "居住环境" not in draft["seen"]
    report_id = service.file_report(
        child_id,
        source="assessment",
        source_id=assessment.record_id,
        seen=draft["seen"],
        seen_at=draft["seen_at"],
        at_risk="孩子本人",
        immediate_danger=False,
        told=draft["told"],
        concern=draft["concern"],
    )
    assert assessment.record_id not in service.assessments_needing_report()
    laptop.sync_now()
    assert flows.report(TOWN_A, report_id).data["source_id"] == assessment.record_id


def test_the_laptop_counts_with_installed_calendar_years(setup: Any) -> None:
    laptop, _service, _flows, child_id = setup
    from storage import definitions_store

    vault = laptop.vault
    app_id = WorkflowService(vault, author="王").create_application(child_id)
    late_december = WorkflowService(
        vault, author="王", now=lambda: datetime(2026, 12, 24, 2, tzinfo=UTC)
    )
    late_december.submit_application(app_id, guardian_signed=True)
    deadline = late_december.application_status(app_id).deadline
    assert deadline is not None and deadline.approximate and deadline.due == date(2027, 1, 7)
    year = YearCalendar(2027, frozenset([date(2027, 1, 1)]), frozenset())
    definitions_store.install(
        vault,
        kind="calendar",
        name="working_days",
        version="2027",
        sha256="0" * 64,
        body=year.to_data(),
    )
    deadline = WorkflowService(vault, author="王").application_status(app_id).deadline
    assert deadline is not None and not deadline.approximate and deadline.due == date(2027, 1, 8)
