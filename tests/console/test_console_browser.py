"""The console in a real browser: Debian's chromium driven by Playwright (no browser download),
against ``childdesk-district serve`` on loopback. Each role signs in for the first time through
the forms (new password; TOTP enrolment for the district, the code computed with pyotp), walks
its pages and is refused the others. Screenshots go to a temporary folder, or to
``$CHILDDESK_CONSOLE_SHOTS`` when set (to look at them)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sync.server.console import accounts
from tests.conftest import under_ci
from tests.console.screenshots import CHROMIUM, Login, launch, shoot, totp_now
from tests.console.site import NEW_PASSWORD, Site

pytestmark = pytest.mark.xdist_group(name="console-browser")

if not Path(CHROMIUM).exists():
    if under_ci():
        raise RuntimeError(f"{CHROMIUM} is missing: ./setup.sh installs chromium")
    pytest.skip(f"{CHROMIUM} is missing (./setup.sh installs chromium)", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402


@pytest.fixture
def site(shared_site: Site) -> Site:
    """The worker's server (conftest.py): these tests only add their own accounts."""
    return shared_site


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    chosen = os.environ.get("CHILDDESK_CONSOLE_SHOTS")
    return Path(chosen) if chosen else tmp_path / "shots"


def _first_sign_in(page: Page, base: str, name: str, password: str, shots: Path) -> Login:
    page.goto(f"{base}/console/signin")
    shoot(page, shots, f"{name}-signin")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/password")
    shoot(page, shots, f"{name}-password")
    # A weak new password is refused with the reason, in Chinese.
    page.fill("input[name=old_password]", password)
    page.fill("input[name=new_password]", "12345678")
    page.fill("input[name=again]", "12345678")
    page.click("main button[type=submit]")
    assert "连续" in page.inner_text(".error")
    page.fill("input[name=old_password]", password)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=again]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    login = Login(name, NEW_PASSWORD)
    if page.url.endswith("/console/enrol"):
        shoot(page, shots, f"{name}-enrol")
        assert page.locator("img[alt=两步验证二维码]").count() == 1
        login.totp_secret = page.inner_text("p.secret").replace(" ", "")
        page.fill("input[name=code]", totp_now(login.totp_secret))
        page.click("main button[type=submit]")
        page.wait_for_load_state()
    return login


def test_each_role_signs_in_and_walks_its_pages_in_chromium(site: Site, shots: Path) -> None:
    site.add("区民政局-王", "district")
    site.add("乡镇督导-李", "town", ("500119101",))
    site.add("妇联-陈", "partner")
    base = site.serve.url
    with sync_playwright() as playwright:
        browser = launch(playwright, whole_browser=True)  # the one walk in the whole browser
        try:
            # --- district: password change, TOTP enrolment, then every district page ---
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            page = context.new_page()
            first = site.accounts["区民政局-王"]
            login = _first_sign_in(page, base, first.name, first.password, shots)
            assert login.totp_secret
            assert page.url.endswith("/console/overview"), page.url
            assert page.inner_text("nav.main").split("\n") == [
                "总览",
                "名册",
                "村/儿童主任",
                "强制报告",
                "认定申请",
                "个案会商",
                "年度汇总",
                "心理筛查",
                "活动",
                "导出",
                "用户与设备",
                "访问日志",
            ]
            page.goto(f"{base}/console/users")
            page.fill("form[action$='/users/add'] input[name=name]", "<b>新</b>{{7*7}}")
            page.select_option("form[action$='/users/add'] select[name=role]", "partner")
            page.click("form[action$='/users/add'] button[type=submit]")
            assert page.locator("p.secret").count() == 1  # the one-time password, once
            assert "<b>新</b>{{7*7}}" in page.inner_text("table")
            shoot(page, shots, "district-users")
            page.goto(f"{base}/console/devices")
            page.fill("input[name=villages]", "500119101001")
            page.click("form[action$='/enroll-code'] button[type=submit]")
            assert re.fullmatch(r"[A-Z0-9-]{6,}", page.inner_text("p.secret").strip())
            shoot(page, shots, "district-devices")
            page.goto(f"{base}/console/log?action=sign_in")
            assert "登录" in page.inner_text("table")
            shoot(page, shots, "district-log")
            page.goto(f"{base}/console/account")
            assert "已设置" in page.inner_text("dl.facts")
            shoot(page, shots, "district-account")
            page.set_viewport_size({"width": 390, "height": 844})
            for path in ("users", "devices", "log"):
                page.goto(f"{base}/console/{path}")
                shoot(page, shots, f"district-{path}-narrow")
            page.click("header button:has-text('退出')")
            page.wait_for_url("**/console/signin?out=1")
            context.close()

            # --- the district signs in again: the second factor is asked every time ---
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            page = context.new_page()
            page.goto(f"{base}/console/signin")
            page.fill("input[name=name]", login.name)
            page.fill("input[name=password]", login.password)
            page.click("main button[type=submit]")
            page.wait_for_url("**/console/totp")
            shoot(page, shots, "district-totp")
            page.fill("input[name=code]", totp_now(login.totp_secret))
            page.click("main button[type=submit]")
            page.wait_for_url("**/console/overview")
            context.close()

            # --- town and partner: no second factor asked; district pages refused ---
            for name, home, refused in (
                ("乡镇督导-李", "/console/overview", "/console/users"),
                ("妇联-陈", "/console/children", "/console/log"),
            ):
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                page = context.new_page()
                account = site.accounts[name]
                _first_sign_in(page, base, name, account.password, shots)
                assert page.url.endswith(home), page.url
                assert "用户与设备" not in page.inner_text("nav.main")
                response = page.goto(f"{base}{refused}")
                assert response is not None and response.status == 403
                assert "没有权限" in page.inner_text("main")
                shoot(page, shots, f"{name}-refused")
                page.goto(f"{base}/console/account")
                shoot(page, shots, f"{name}-account")
                context.close()
        finally:
            browser.close()
    town = accounts.find_user(site.engine, "乡镇督导-李")
    assert town is not None
    rows, _total = accounts.search_log(site.engine, user_name="乡镇督导-李", outcome="denied")
    assert [r.target for r in rows] == ["/console/users"]
    assert len(list(shots.glob("*.png"))) >= 15
