"""导出 in chromium (Playwright, Debian's browser): a town supervisor downloads the register and
the figures as .xlsx and the figures as the printed PDF from the 导出 page; the files read
back, the downloads are logged, and the server keeps no export file afterwards. Screenshots
at 1366×768 and 390×844 (to ``$CHILDDESK_CONSOLE_SHOTS`` when set)."""

from __future__ import annotations

import io
import os
import subprocess
import time
from pathlib import Path

import openpyxl
import pytest

from tests.console.screenshots import HEADLESS_SHELL, launch, shoot
from tests.console.site import Site

pytestmark = pytest.mark.xdist_group(name="console-browser")

if not Path(HEADLESS_SHELL).exists():
    pytest.skip(
        f"{HEADLESS_SHELL} is missing (./setup.sh installs chromium-headless-shell)",
        allow_module_level=True,
    )

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.console.test_console_browser import _first_sign_in  # noqa: E402


@pytest.fixture
def site(shared_site: Site) -> Site:
    """The worker's server (conftest.py): these tests only add their own accounts."""
    return shared_site


def test_a_town_downloads_the_register_and_the_figures(site: Site, tmp_path: Path) -> None:
    shots = Path(os.environ.get("CHILDDESK_CONSOLE_SHOTS") or tmp_path / "shots")
    account = site.add("乡镇督导-导出", "town", ("500119104",))
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(
                viewport={"width": 1366, "height": 768}, accept_downloads=True
            )
            page = context.new_page()
            _first_sign_in(page, site.serve.url, account.name, account.password, shots)
            page.goto(f"{site.serve.url}/console/exports")
            shoot(page, shots, "town-exports")
            assert "导出 PDF（打印用）" in page.inner_text("main")
            page.fill("input[name=start]", "2026-01-01")
            with page.expect_download() as pdf_download:
                page.click("button:has-text('导出 PDF')")
            pdf = tmp_path / "figures.pdf"
            pdf_download.value.save_as(pdf)
            assert pdf_download.value.suggested_filename.endswith(".pdf")
            text = subprocess.run(
                ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True
            ).stdout.decode()
            assert "统计数据" in text and "2026年1月1日" in text and "乡镇 500119104" in text
            with page.expect_download() as xlsx_download:
                page.click("button:has-text('导出 Excel')")
            book = openpyxl.load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
            assert book.sheetnames[0] == "总览"
            with page.expect_download() as register_download:
                page.click("a:has-text('导出全部名册')")
            saved = Path(register_download.value.path()).read_bytes()
            register = openpyxl.load_workbook(io.BytesIO(saved))
            assert register.active["B1"].value == "姓名"
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(f"{site.serve.url}/console/exports")
            shoot(page, shots, "town-exports-narrow")
            context.close()
        finally:
            browser.close()
    work = site.data_dir / "export-work"
    for _ in range(50):
        if not any(work.iterdir()):
            break
        time.sleep(0.1)
    assert list(work.iterdir()) == []
