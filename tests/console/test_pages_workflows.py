"""The workflow pages of the console (issue 17) on a real ``childdesk-district serve``, with real
laptops (vaults, the laptop sync engine over HTTP) filing reports, applications and escalated
cases: each workflow goes laptop → console forms over HTTP (CSRF) → laptop sync → the laptop
service shows the result. Also: another town's record by URL is 403 and logged, two users acting
on the same report (the second is told who did what, 409, never 500), district-only pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.demo_caseload import fill_vault
from app.domain import case_conference as cc
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.services.workflows import WorkflowService
from storage.vault import Vault
from sync.keys import read_public_keys
from sync.laptop.engine import LaptopSync
from sync.server.console import tables as t
from sync.server.district import District
from tests.conftest import VaultCopies
from tests.console.site import Account, Site, csrf_of
from tests.console.test_query_tables import TODAY
from tests.sync.conftest import VILLAGE_A, VILLAGE_C

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-workflows")

TOWN_A = VILLAGE_A[:9]
TOWN_C = VILLAGE_C[:9]
FLAG = '<span class="outcome-denied">超时未签收</span>'
VERSION = re.compile(r'name="version" value="(\d+)"')


@dataclass
class Laptop:
    vault: Vault
    sync: LaptopSync
    service: WorkflowService
    children: list[str]

    def sync_now(self) -> None:
        report = self.sync.sync_now()
        assert report.rejected == 0


@dataclass
class World:
    site: Site
    a: Laptop
    c: Laptop
    clients: dict[str, httpx.Client]
    accounts: dict[str, Account]


@pytest.fixture(scope="module")
def world(
    site: Site, vault_templates: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    copies = VaultCopies(vault_templates)  # type: ignore[arg-type]
    folder = tmp_path_factory.mktemp("wf-laptops")
    facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
    laptops = {}
    for name, village in (("a", VILLAGE_A), ("c", VILLAGE_C)):
        vault = copies.open(folder / name, village_code=village).vault
        fill_vault(vault, children=4, seed=7, village_code=village, today=TODAY, author="王")
        sync = LaptopSync(vault, author="王", sleep=lambda _s: None)
        sync.enroll_network(
            site.serve.url, facade.create_enroll_code([village], 3600), label=f"{name}村"
        )
        children = sorted(r.record_id for r in vault.load("child").revisions)
        laptop = Laptop(vault, sync, WorkflowService(vault, author="王秀英"), children)
        laptop.sync_now()
        laptops[name] = laptop
    accounts = {
        "district": site.add("区民政局-流程", "district"),
        "town": site.add("镇督导-甲", "town", (TOWN_A,)),
        "town2": site.add("镇督导-乙", "town", (TOWN_A,)),
        "other": site.add("外镇督导-丙", "town", (TOWN_C,)),
    }
    clients = {key: site.sign_in(account) for key, account in accounts.items()}
    yield World(site, laptops["a"], laptops["c"], clients, accounts)
    for client in clients.values():
        client.close()
    copies.lock_all()


def file_report(laptop: Laptop, child_id: str, service: WorkflowService | None = None) -> str:
    return (service or laptop.service).file_report(
        child_id,
        source="child_file",
        seen="孩子手臂上有多处淤青，说是被打的",
        seen_at="2026-11-02 下午",
        at_risk="孩子本人",
        immediate_danger=True,
        told={"police": True, "school": False, "hospital": False},
        concern="abuse",
    )


def act(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """Load the page, then POST its form with the page's CSRF token and version."""
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    version = VERSION.search(page.text)
    fields = {"csrf": csrf_of(page.text), **data}
    if version and "version" not in data:
        fields["version"] = version.group(1)
    return client.post(path, data=fields)


def log_rows(site: Site, action: str) -> list[tuple[str, str]]:
    with site.engine.connect() as conn:
        return [
            (r.target, r.outcome)
            for r in conn.execute(select(t.access_log).where(t.access_log.c.action == action))
        ]


def test_a_report_filed_on_a_laptop_is_handled_in_the_console(world: World) -> None:
    laptop, town, town2 = world.a, world.clients["town"], world.clients["town2"]
    child_id = laptop.children[0]
    report_id = file_report(laptop, child_id)
    laptop.sync_now()
    assert laptop.service.report_status(report_id).state == mr.DELIVERED

    inbox = town.get("/console/reports")
    assert inbox.status_code == 200
    assert f"/console/reports/{report_id}" in inbox.text and "已送达" in inbox.text
    assert "分钟" in inbox.text  # the time since filing
    assert report_id not in world.clients["other"].get("/console/reports").text
    page = town.get(f"/console/reports/{report_id}")
    assert "孩子手臂上有多处淤青" in page.text and "公安（报警）" in page.text
    assert (report_id, "ok") in log_rows(world.site, "report_view")

    # two town users loaded the page; the first 签收 wins, the second is told who did what
    stale_page = town2.get(f"/console/reports/{report_id}")
    answer = act(town, f"/console/reports/{report_id}", {"action": "acknowledge"})
    assert answer.status_code == 303
    assert "已签收" in town.get(answer.headers["location"]).text
    late = town2.post(
        f"/console/reports/{report_id}",
        data={"csrf": csrf_of(stale_page.text), "version": "0", "action": "acknowledge"},
    )
    assert late.status_code == 409
    assert "镇督导-甲" in late.text and "签收" in late.text and "未保存" in late.text
    assert (report_id, "stale") in log_rows(world.site, "report_acknowledge")
    log_page = world.clients["district"].get("/console/log?action=report_acknowledge").text
    assert "签收强制报告" in log_page and "他人已先处理" in log_page
    # without the CSRF token: refused
    forged = town2.post(f"/console/reports/{report_id}", data={"action": "close", "version": "1"})
    assert forged.status_code == 403

    # assign, record an action; an outcome is needed to close
    answer = act(
        town,
        f"/console/reports/{report_id}",
        {
            "action": "assign",
            "assignee_kind": "rescue_center",
            "assignee": "区未成年人救助保护中心",
        },
    )
    assert answer.status_code == 303
    answer = act(
        world.clients["district"],
        f"/console/reports/{report_id}",
        {"action": "record_action", "text": "已会同派出所上门"},
    )
    assert answer.status_code == 303
    empty = act(town, f"/console/reports/{report_id}", {"action": "close", "outcome": " "})
    assert empty.status_code == 400 and "请填写理由" in empty.text
    answer = act(town, f"/console/reports/{report_id}", {"action": "close", "outcome": "已安置"})
    assert answer.status_code == 303
    assert report_id not in town.get("/console/reports").text
    assert report_id in town.get("/console/reports?closed=1").text

    laptop.sync_now()
    status = laptop.service.report_status(report_id)
    assert status.state == mr.CLOSED and status.outcome == "已安置"
    assert status.assignee == "未成年人救助保护中心：区未成年人救助保护中心"


def test_another_towns_report_by_url_is_refused_and_logged(world: World) -> None:
    laptop, other = world.a, world.clients["other"]
    report_id = file_report(laptop, laptop.children[1])
    laptop.sync_now()
    answer = other.get(f"/console/reports/{report_id}")
    assert answer.status_code == 403 and "不在您负责的范围内" in answer.text
    assert (report_id, "denied") in log_rows(world.site, "report_view")
    token = csrf_of(other.get("/console/reports").text)
    answer = other.post(
        f"/console/reports/{report_id}",
        data={"csrf": token, "version": "0", "action": "acknowledge"},
    )
    assert answer.status_code == 403
    assert (report_id, "denied") in log_rows(world.site, "report_acknowledge")
    assert world.clients["town"].get(f"/console/reports/{report_id}").status_code == 200
    assert other.get("/console/reports/" + "0" * 32).status_code == 404
    assert other.get("/console/reports/x%27--").status_code == 404


def test_an_old_unacknowledged_report_is_flagged_and_the_threshold_is_the_districts(
    world: World,
) -> None:
    laptop = world.a
    three_days_ago = WorkflowService(
        laptop.vault, author="王秀英", now=lambda: datetime.now(UTC) - timedelta(days=3)
    )
    report_id = file_report(laptop, laptop.children[2], three_days_ago)
    laptop.sync_now()
    inbox = world.clients["town"].get("/console/reports").text
    assert FLAG in inbox and "3天" in inbox
    overview = world.clients["town"].get("/console/overview").text
    assert "条强制报告超时未签收" in overview and TOWN_A in overview
    assert "条强制报告超时未签收" not in world.clients["other"].get("/console/overview").text
    district = world.clients["district"]
    assert world.clients["town"].get("/console/workflow-settings").status_code == 403
    page = district.get("/console/workflow-settings")
    token = csrf_of(page.text)
    bad = district.post("/console/workflow-settings/threshold", data={"csrf": token, "hours": "0"})
    assert bad.status_code == 400 and "1到720" in bad.text
    ok = district.post("/console/workflow-settings/threshold", data={"csrf": token, "hours": "100"})
    assert ok.status_code == 303
    assert FLAG not in world.clients["town"].get("/console/reports").text
    district.post("/console/workflow-settings/threshold", data={"csrf": token, "hours": "24"})
    assert (
        act(
            world.clients["town"], f"/console/reports/{report_id}", {"action": "acknowledge"}
        ).status_code
        == 303
    )


def test_a_recognition_application_is_verified_and_confirmed(world: World) -> None:
    laptop, town, district = world.a, world.clients["town"], world.clients["district"]
    child_id = laptop.children[3]
    app_id = laptop.service.create_application(child_id)
    laptop.service.submit_application(app_id, guardian_signed=True)
    laptop.sync_now()
    listing = town.get("/console/applications").text
    assert f"/console/applications/{app_id}" in listing and "个工作日" in listing
    assert app_id not in world.clients["other"].get("/console/applications").text
    assert world.clients["other"].get(f"/console/applications/{app_id}").status_code == 403
    assert (app_id, "denied") in log_rows(world.site, "application_view")
    path = f"/console/applications/{app_id}"
    page = town.get(path).text
    assert "<h2>乡镇（街道）查验</h2>" in page and "<h2>区民政局复核</h2>" not in page

    no_reason = act(town, path, {"action": "return", "reason": ""})
    assert no_reason.status_code == 400 and "请填写理由" in no_reason.text
    stale_page = world.clients["town2"].get(path).text
    assert act(town, path, {"action": "return", "reason": "缺少派出所证明"}).status_code == 303
    late = world.clients["town2"].post(
        path, data={"csrf": csrf_of(stale_page), "version": "0", "action": "pass"}
    )
    assert late.status_code == 409
    assert "镇督导-甲" in late.text and "退回补充材料" in late.text
    laptop.sync_now()
    status = laptop.service.application_status(app_id)
    assert status.state == ra.RETURNED and status.reason == "缺少派出所证明"
    laptop.service.submit_application(app_id, guardian_signed=True)
    laptop.sync_now()

    assert act(town, path, {"action": "pass"}).status_code == 303
    # a town user cannot confirm
    answer = act(town, path, {"action": "confirm", "version": "2"})
    assert answer.status_code == 403 and "角色" in answer.text
    assert "<h2>区民政局复核</h2>" in district.get(path).text
    assert act(district, path, {"action": "confirm"}).status_code == 303
    assert "已复核确认" in district.get(path + "?done=confirm").text

    laptop.sync_now()
    status = laptop.service.application_status(app_id)
    assert status.state == ra.CONFIRMED and status.confirmed_on is not None


def test_a_clock_through_an_unknown_year_says_it_is_approximate(world: World) -> None:
    laptop, district = world.c, world.clients["district"]
    late_december = WorkflowService(
        laptop.vault, author="王", now=lambda: datetime(2026, 12, 24, 2, tzinfo=UTC)
    )
    app_id = late_december.create_application(laptop.children[0])
    late_december.submit_application(app_id, guardian_signed=True)
    laptop.sync_now()
    listing = world.clients["other"].get("/console/applications").text
    assert "2027-01-07（约）" in listing and "估算" in listing
    page = world.clients["other"].get(f"/console/applications/{app_id}").text
    assert "是约数" in page
    # the district enters 2027: the count is exact (1 January is a holiday)
    token = csrf_of(district.get("/console/workflow-settings").text)
    bad = district.post(
        "/console/workflow-settings/calendar",
        data={"csrf": token, "year": "2027", "holidays": "2027-13-01", "workdays": ""},
    )
    assert bad.status_code == 400 and "不是日期" in bad.text
    both = district.post(
        "/console/workflow-settings/calendar",
        data={"csrf": token, "year": "2027", "holidays": "2027-01-01", "workdays": "2027-01-01"},
    )
    assert both.status_code == 400 and "既是假日" in both.text
    ok = district.post(
        "/console/workflow-settings/calendar",
        data={"csrf": token, "year": "2027", "holidays": "2027-01-01", "workdays": ""},
    )
    assert ok.status_code == 303
    assert "2027-01-01" in district.get("/console/workflow-settings").text
    listing = world.clients["other"].get("/console/applications").text
    assert "2027-01-08" in listing and "（约）" not in listing


def test_a_case_conference_reaches_the_laptop_and_follow_ups_come_back(world: World) -> None:
    laptop, district, town = world.a, world.clients["district"], world.clients["town"]
    child_id = laptop.children[0]
    case = laptop.vault.put(
        "case",
        {"child_id": child_id, "stage": "intervening", "escalated_on": "2026-11-01"},
        author="王",
    )
    laptop.sync_now()
    listing = town.get("/console/conferences").text
    assert "2026-11-01" in listing and "/conferences/new" not in listing
    assert case.record_id in district.get("/console/conferences").text
    assert town.get(f"/console/conferences/new?case={case.record_id}").status_code == 403
    assert world.clients["other"].get("/console/conferences").text.count("2026-11-01") == 0

    path = f"/console/conferences/new?case={case.record_id}"
    form: dict[str, Any] = {
        "case_id": case.record_id,
        "held_on": "2026-11-20",
        "people": "区民政局 张\n派出所 李",
        "findings": "父亲服刑，祖母年迈",
        "decisions": "申请认定；学校每周谈心",
        "what_1": "协助申请认定",
        "who_1": "村儿童主任",
        "due_1": "2026-11-30",
        "what_2": "每周谈心",
        "who_2": "学校",
        "due_2": "2026-12-31",
        "next_review": "2026-12-20",
    }
    token = csrf_of(district.get(path).text)
    missing = district.post("/console/conferences/new", data={"csrf": token, **form})
    assert missing.status_code == 400 and "请选择参加会商的部门" in missing.text
    assert "父亲服刑" in missing.text  # the input is kept
    answer = district.post(
        "/console/conferences/new",
        data={"csrf": token, **form, "departments": ["民政", "公安", "学校"]},
    )
    assert answer.status_code == 303, answer.text[:500]
    conference_path = answer.headers["location"].split("?")[0]
    conference_id = conference_path.rsplit("/", 1)[1]

    laptop.sync_now()
    [(pulled, status)] = laptop.service.conferences(child_id)
    assert pulled["departments"] == ["民政", "公安", "学校"] and status.state == cc.RECORDED
    laptop.service.conference_follow_up(conference_id, "1", "已帮助家属提交申请", done=True)
    laptop.sync_now()
    page = town.get(conference_path)
    assert "已帮助家属提交申请" in page.text and "已完成" in page.text
    assert (conference_id, "ok") in log_rows(world.site, "conference_view")
    assert world.clients["other"].get(conference_path).status_code == 403

    # the town reports progress on the open item; the district sets the next review
    answer = act(
        town, conference_path, {"action": "progress", "action_id": "2", "reason": "已谈心两次"}
    )
    assert answer.status_code == 303
    bad = act(district, conference_path, {"action": "review", "next_review": "明年"})
    assert bad.status_code == 400
    answer = act(district, conference_path, {"action": "review", "next_review": "2027-01-20"})
    assert answer.status_code == 303
    laptop.sync_now()
    status = laptop.service.conference_status(conference_id)
    assert status.next_review == "2027-01-20"
    assert status.actions[1].notes == ("已谈心两次",)


def test_workflow_pages_need_a_supervising_role(world: World, site: Site) -> None:
    partner = site.sign_in(site.add("妇联-流程", "partner"))
    for path in ("/console/reports", "/console/applications", "/console/conferences"):
        assert partner.get(path).status_code == 403
    nav = world.clients["town"].get("/console/overview").text
    assert "强制报告" in nav and "认定申请" in nav and "个案会商" in nav
