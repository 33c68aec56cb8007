"""The workflow pages in a real browser (Debian's chromium through Playwright) at 1366×768: a
town supervisor signs in through the form, finds the flagged report in the inbox, 签收 it and
records an action, then opens an application with its working-day clock and returns it with a
reason; the district user records a case conference and sees the settings. Data comes from a real
laptop synced over HTTP. Screenshots go to ``$CHILDDESK_CONSOLE_SHOTS`` when set (to look at
them), else to a temporary folder."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.demo_caseload import fill_vault
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.services.workflows import WorkflowService
from sync.keys import read_public_keys
from sync.laptop.engine import LaptopSync
from sync.server.district import District
from tests.conftest import VaultCopies, under_ci
from tests.console.screenshots import HEADLESS_SHELL, launch, shoot
from tests.console.site import Site, fresh_code
from tests.console.test_query_tables import TODAY
from tests.sync.conftest import VILLAGE_A

pytestmark = pytest.mark.xdist_group(name="console-browser")

if not Path(HEADLESS_SHELL).exists():
    if under_ci():
        raise RuntimeError(
            f"{HEADLESS_SHELL} is missing: ./setup.sh installs chromium-headless-shell"
        )
    pytest.skip(
        f"{HEADLESS_SHELL} is missing (./setup.sh installs chromium-headless-shell)",
        allow_module_level=True,
    )

from playwright.sync_api import Page, sync_playwright  # noqa: E402


def _sign_in(page: Page, base: str, name: str, password: str, secret: str = "") -> None:
    page.goto(f"{base}/console/signin")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if page.url.endswith("/console/totp"):
        page.fill("input[name=code]", fresh_code(secret))
        page.click("main button[type=submit]")
        page.wait_for_load_state()
    assert page.url.endswith("/console/overview"), page.url


def test_a_town_user_handles_a_report_and_an_application_in_chromium(
    site: Site, vault_templates: object, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("CHILDDESK_CONSOLE_SHOTS") or tmp_path / "shots")
    vault = (
        VaultCopies(vault_templates)
        .open(  # type: ignore[arg-type]
            tmp_path / "laptop", village_code=VILLAGE_A
        )
        .vault
    )
    fill_vault(vault, children=3, seed=11, village_code=VILLAGE_A, today=TODAY, author="王")
    facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
    laptop = LaptopSync(vault, author="王", sleep=lambda _s: None)
    laptop.enroll_network(site.serve.url, facade.create_enroll_code([VILLAGE_A], 3600), label="村")
    children = sorted(r.record_id for r in vault.load("child").revisions)
    earlier = WorkflowService(
        vault, author="王秀英", now=lambda: datetime.now(UTC) - timedelta(hours=30)
    )
    report_id = earlier.file_report(
        children[0],
        source="child_file",
        seen="孩子连续三天没有饭吃，家中无成人",
        seen_at="昨天傍晚",
        at_risk="孩子本人和妹妹",
        immediate_danger=True,
        told={"police": True, "school": True, "hospital": False},
        concern="absence",
    )
    service = WorkflowService(vault, author="王秀英")
    app_id = service.create_application(children[1])
    service.submit_application(app_id, guardian_signed=True)
    case = vault.put(
        "case",
        {"child_id": children[0], "stage": "intervening", "escalated_on": "2026-11-28"},
        author="王",
    )
    assert laptop.sync_now().rejected == 0
    town = site.add("镇督导-浏览器", "town", (VILLAGE_A[:9],))
    district = site.add("区民政局-浏览器", "district")
    site.sign_in(town).close()  # first-time password change done over HTTP
    site.sign_in(district).close()  # and the district's TOTP enrolment

    base = site.serve.url
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page = context.new_page()
            _sign_in(page, base, town.name, town.password)
            page.click("nav.main a:has-text('强制报告')")
            page.wait_for_url("**/console/reports")
            row = page.locator("tbody tr").first
            assert "超时未签收" in row.inner_text() and "是" in row.inner_text()
            shoot(page, shots, "town-reports")
            row.locator("a").first.click()
            page.wait_for_url(f"**/console/reports/{report_id}")
            assert "孩子连续三天没有饭吃" in page.inner_text("main")
            shoot(page, shots, "town-report")
            page.click("button:has-text('签收')")
            page.wait_for_url("**?done=acknowledge")
            assert "已签收" in page.inner_text("p.ok")
            page.fill("textarea[name=text]", "已电话联系派出所，民警已上门")
            page.click("button:has-text('记录')")
            page.wait_for_url("**?done=record_action")
            assert "已电话联系派出所" in page.inner_text("main")
            shoot(page, shots, "town-report-acted")

            page.click("nav.main a:has-text('认定申请')")
            page.wait_for_url("**/console/applications")
            assert "个工作日" in page.inner_text("table")
            shoot(page, shots, "town-applications")
            page.click(f"a[href$='/applications/{app_id}']")
            page.wait_for_url(f"**/console/applications/{app_id}")
            shoot(page, shots, "town-application")
            page.check("input[value=return]")
            page.click("button:has-text('提交查验意见')")
            page.wait_for_load_state()
            assert "请填写理由" in page.inner_text("p.error")  # no reason: refused, kept
            assert page.is_checked("input[value=return]")
            page.fill("textarea[name=reason]", "请补充派出所出具的失联证明")
            page.click("button:has-text('提交查验意见')")
            page.wait_for_url("**?done=return")
            assert "退回补充材料" in page.inner_text("main")
            shoot(page, shots, "town-application-returned")
            page.click("nav.main a:has-text('个案会商')")
            shoot(page, shots, "town-conferences")
            page.set_viewport_size({"width": 390, "height": 844})  # a phone, for a look
            for path, name in ((f"reports/{report_id}", "report"), ("applications", "apps")):
                page.goto(f"{base}/console/{path}")
                shoot(page, shots, f"town-{name}-narrow")
            context.close()

            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page = context.new_page()
            _sign_in(page, base, district.name, district.password, district.totp_secret)
            page.goto(f"{base}/console/conferences")
            page.click(f"a[href$='/conferences/new?case={case.record_id}']")
            page.fill("input[name=held_on]", "2026-12-01")
            for name in ("民政", "公安", "学校"):
                page.check(f"input[name=departments][value={name}]")
            page.fill("textarea[name=people]", "区民政局 张\n派出所 李\n学校 赵老师")
            page.fill("textarea[name=findings]", "父母均在外地务工且失联，祖母年迈")
            page.fill("textarea[name=decisions]", "协助申请认定；学校每周谈心；派出所查找父母")
            page.fill("input[name=what_1]", "协助家属准备认定材料")
            page.fill("input[name=who_1]", "村儿童主任")
            page.fill("input[name=due_1]", "2026-12-10")
            page.fill("input[name=next_review]", "2026-12-31")
            shoot(page, shots, "district-conference-new")
            page.click("button:has-text('保存会商记录')")
            page.wait_for_url("**?done=recorded")
            assert "协助家属准备认定材料" in page.inner_text("main")
            shoot(page, shots, "district-conference")
            page.goto(f"{base}/console/workflow-settings")
            shoot(page, shots, "district-settings")
            page.goto(f"{base}/console/reports?closed=1")
            shoot(page, shots, "district-reports")
            context.close()
        finally:
            browser.close()
    laptop.sync_now()
    assert service.report_status(report_id).state == mr.IN_PROGRESS
    status = service.application_status(app_id)
    assert status.state == ra.RETURNED and status.reason == "请补充派出所出具的失联证明"
    assert len(service.conferences(children[0])) == 1
