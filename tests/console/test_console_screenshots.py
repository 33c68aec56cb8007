"""The screenshot tool's demo district (three real laptops synced over HTTP) in chromium: every
page of each role's menu and the detail pages answer as they should, show data, and at a
narrow 390 px screen never make the page wider than the screen (a table scrolls inside its
box instead). The walk done by hand with ``python -m tests.console.screenshots``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import under_ci
from tests.console.screenshots import HEADLESS_SHELL, SIZES, demo_site, launch, sign_in

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


def test_every_page_shows_data_and_fits_a_narrow_screen() -> None:
    with demo_site() as demo, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            width, height = SIZES["narrow"]
            for role, login in demo.logins.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale="zh-CN"
                )
                page = context.new_page()
                sign_in(page, demo.base, login)
                for path in demo.pages(role):
                    response = page.goto(f"{demo.base}/console{path}")
                    assert response is not None
                    expected = 403 if (role, path) == ("partner", "/overview") else 200
                    assert response.status == expected, (role, path, response.status)
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    assert wide <= width, (role, path, wide)
                page.goto(f"{demo.base}/console/children")
                rows = page.locator("main table tbody tr").count()
                assert rows >= {"district": 30, "town": 20, "partner": 5}[role], (role, rows)
                context.close()
        finally:
            browser.close()
