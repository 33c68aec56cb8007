"""The console's date fields in a real chromium with an English locale (where the browser's own
date picker shows mm/dd/yyyy): they show and take 年-月-日, the browser refuses another shape
before sending, and the server refuses a date that does not exist, in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import under_ci
from tests.console.screenshots import HEADLESS_SHELL, launch, shoot
from tests.console.site import Site, fresh_code

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

from playwright.sync_api import sync_playwright  # noqa: E402


@pytest.fixture
def site(shared_site: Site) -> Site:
    """The worker's server (conftest.py): these tests only add their own accounts."""
    return shared_site


def test_date_fields_read_year_month_day_in_an_english_browser(site: Site, tmp_path: Path) -> None:
    account = site.add("区民政局-日期", "district")
    site.sign_in(account).close()  # new password and TOTP set up over HTTP
    base = site.serve.url
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="en-US", timezone_id="UTC"
            )
            page = context.new_page()
            page.goto(f"{base}/console/signin")
            page.fill("input[name=name]", account.name)
            page.fill("input[name=password]", account.password)
            page.click("button[type=submit]")
            page.wait_for_url("**/console/totp")
            page.fill("input[name=code]", fresh_code(account.totp_secret))  # not one used yet
            page.click("main button[type=submit]")
            page.wait_for_url("**/console/overview")
            page.goto(f"{base}/console/overview")
            start = page.locator("input[name=start]")
            assert start.get_attribute("type") == "text"
            value = start.input_value()
            assert len(value) == 10 and value[4] == "-" and value[7] == "-", value
            assert start.get_attribute("placeholder") == "如 2026-05-01"
            # another shape: the browser does not send the form
            start.fill("05/01/2026")
            assert start.evaluate("e => e.validity.patternMismatch")
            page.click("main form button[type=submit]")
            assert "start=" not in page.url
            # a day that does not exist: the server says so, in Chinese
            start.fill("2026-02-31")
            page.click("main form button[type=submit]")
            page.wait_for_url("**/console/overview?start=2026-02-31*")
            assert "没有这一天：2026年2月31日" in page.inner_text("p.error")
            # a good one is kept as typed
            page.locator("input[name=start]").fill("2026-05-01")
            page.click("main form button[type=submit]")
            page.wait_for_url("**/console/overview?start=2026-05-01*")
            assert page.locator("p.error").count() == 0
            assert page.locator("input[name=start]").input_value() == "2026-05-01"
            shoot(page, tmp_path, "overview-dates")
            # the access log's search takes 2026/5/1 typed with the form bypassed, as 2026-05-01
            page.goto(f"{base}/console/log?since=2026/5/1")
            assert page.locator("input[name=since]").input_value() == "2026-05-01"
            page.goto(f"{base}/console/log?since=2026-02-30")
            assert "没有这一天" in page.inner_text("p.error")
            for path in ("/console/exports", "/console/log"):
                page.goto(base + path)
                kinds = page.eval_on_selector_all("input", "els => els.map(e => e.type)")
                assert "date" not in kinds and "text" in kinds, (path, kinds)
            context.close()
        finally:
            browser.close()
