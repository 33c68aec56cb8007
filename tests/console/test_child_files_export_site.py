"""The 登记表 export on a real ``childdesk-district serve`` with child files synced by real
laptops over HTTP: a town user's download reads back with the laptop's importer (every column
recognised, its town's children only, ID numbers as 18-character text, dates as dates, a synced
name ``=1+1`` a literal), the flat layout too; a partner is refused (403, logged); every
export is in the access log; nothing stays in export-work/. And in chromium: the 导出 page's
form downloads it (screenshot at 1366×768 to ``$CHILDDESK_CONSOLE_SHOTS`` when set)."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import openpyxl
import pytest

from app.demo_caseload import fill_vault
from app.registers.headers import auto_mapping, is_ignored
from app.registers.reader import SheetData, open_register_bytes
from sync.keys import read_public_keys
from sync.laptop.engine import LaptopSync
from sync.server.district import District
from tests.conftest import VaultCopies
from tests.console.screenshots import HEADLESS_SHELL
from tests.console.site import Site
from tests.console.test_pages_data import log_rows
from tests.console.test_query_tables import TODAY
from tests.sync.conftest import VILLAGE_A, VILLAGE_C

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-register-site")

TOWN_A = VILLAGE_A[:9]
FORMULA_NAME = "=1+1"


@dataclass
class Synced:
    site: Site
    ids_a: set[str]  # ID numbers of the children of village A (town A)
    ids_c: set[str]
    town: httpx.Client
    district: httpx.Client
    partner: httpx.Client
    town_account: tuple[str, str]


@pytest.fixture(scope="module")
def synced(
    site: Site, vault_templates: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Synced]:
    copies = VaultCopies(vault_templates)  # type: ignore[arg-type]
    folder = tmp_path_factory.mktemp("laptops")
    facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
    ids: dict[str, set[str]] = {}
    for name, village, n in (("a", VILLAGE_A, 9), ("c", VILLAGE_C, 6)):
        vault = copies.open(folder / name, village_code=village).vault
        fill_vault(vault, children=n, seed=n, village_code=village, today=TODAY, author="王")
        if name == "a":  # a synced name a spreadsheet would take for a formula
            first = vault.load("child").revisions[0]
            vault.put(
                "child",
                {**first.data, "name": FORMULA_NAME},
                author="王",
                record_id=first.record_id,
            )
        laptop = LaptopSync(vault, author="王", sleep=lambda _s: None)
        laptop.enroll_network(
            site.serve.url, facade.create_enroll_code([village], 3600), label=f"{name}村"
        )
        assert laptop.sync_now().rejected == 0
        ids[name] = {
            r.data["id_number"]
            for r in vault.load("child").revisions
            if r.data.get("id_number") and r.data.get("status", "active") == "active"
        }
    town = site.add("镇督导-登记表", "town", (TOWN_A,))
    clients = [site.sign_in(a) for a in (town, site.add("区-登记表", "district"))]
    partner = site.sign_in(site.add("妇联-登记表", "partner"))
    yield Synced(site, ids["a"], ids["c"], *clients, partner, (town.name, town.password))
    for client in (*clients, partner):
        client.close()
    copies.lock_all()


def _sheet(answer: httpx.Response) -> SheetData:
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    return open_register_bytes(answer.content).read_sheet(0)


def _columns(sheet: SheetData) -> dict[str, int]:
    return {key: i for i, key in enumerate(auto_mapping(sheet.headers)) if key}


def _work_empty(site: Site) -> bool:
    work = site.data_dir / "export-work"
    for _ in range(50):  # removed once streamed (the server's generator ends just after)
        if not any(work.iterdir()):
            return True
        time.sleep(0.1)
    return False


def test_a_town_users_register_reads_back_whole(synced: Synced) -> None:
    answer = synced.town.get("/console/exports/children.xlsx")
    assert "children-register-" in answer.headers["content-disposition"]
    sheet = _sheet(answer)
    assert sheet.header_depth == 2  # the 登记表's two header rows, parents and guardian grouped
    mapping = auto_mapping(sheet.headers)
    assert [h for h, k in zip(sheet.headers, mapping, strict=True) if not k] == ["序号"]
    assert all(is_ignored(h) for h, k in zip(sheet.headers, mapping, strict=True) if not k)
    col = _columns(sheet)
    rows = [r.cells for r in sheet.rows]
    ids = {r[col["id_number"]] for r in rows if r[col["id_number"]]}
    assert ids == synced.ids_a  # its town's children, all of them, nobody else's
    assert all(isinstance(i, str) and len(i) == 18 for i in ids)
    assert all(isinstance(r[col["birth_date"]], datetime) for r in rows)
    assert any(r[col["father_name"]] or r[col["mother_name"]] for r in rows)
    assert FORMULA_NAME in [r[col["name"]] for r in rows]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    name_cells = [
        c
        for row in book.active.iter_rows(min_row=3)
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert name_cells and all(c.data_type == "s" and c.quotePrefix for c in name_cells)
    exports = [x for x, outcome in log_rows(synced.site, "export") if outcome == "ok"]
    assert any(x.startswith("children-register ") and f'"rows":{len(rows)}' in x for x in exports)
    assert not any(FORMULA_NAME in x for x in exports)  # kind and filters only, never names
    assert _work_empty(synced.site)


def test_the_district_and_the_flat_layout(synced: Synced) -> None:
    whole = _sheet(synced.district.get("/console/exports/children.xlsx?layout=register"))
    col = _columns(whole)
    assert {r.cells[col["id_number"]] for r in whole.rows} >= synced.ids_a | synced.ids_c
    url = f"/console/exports/children.xlsx?layout=flat&village={VILLAGE_A}"
    flat = _sheet(synced.town.get(url))
    assert flat.header_depth == 1
    village = flat.headers.index("村代码")
    assert {r.cells[village] for r in flat.rows} == {VILLAGE_A}
    other = _sheet(synced.town.get(f"/console/exports/children.xlsx?village={VILLAGE_C}"))
    assert other.rows == []  # another town's village asked for by code: nothing of it
    exports = [x for x, outcome in log_rows(synced.site, "export") if outcome == "ok"]
    assert any(x.startswith("children-flat ") and VILLAGE_A in x for x in exports)
    assert _work_empty(synced.site)


def test_a_partner_is_refused_and_logged(synced: Synced) -> None:
    for layout in ("register", "flat"):
        answer = synced.partner.get(f"/console/exports/children.xlsx?layout={layout}")
        assert answer.status_code == 403
        assert "身份证" not in answer.text
        assert (f"children-{layout}", "denied") in log_rows(synced.site, "export")
    assert "导出登记表" not in synced.partner.get("/console/exports").text
    # their roster export stays as it was
    assert synced.partner.get("/console/exports/register.xlsx").status_code == 200
    assert _work_empty(synced.site)


@pytest.mark.skipif(not Path(HEADLESS_SHELL).exists(), reason=f"{HEADLESS_SHELL} is missing")
def test_the_exports_page_downloads_the_register(synced: Synced, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.console.screenshots import launch, shoot
    from tests.console.site import Account
    from tests.console.test_console_browser import _first_sign_in

    shots = Path(os.environ.get("CHILDDESK_CONSOLE_SHOTS") or tmp_path / "shots")
    account: Account = synced.site.add("镇督导-登记表-浏览器", "town", (TOWN_A,))
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(
                viewport={"width": 1366, "height": 768}, accept_downloads=True
            )
            page = context.new_page()
            _first_sign_in(page, synced.site.serve.url, account.name, account.password, shots)
            page.goto(f"{synced.site.serve.url}/console/exports")
            assert "儿童登记表" in page.inner_text("main")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1366
            shoot(page, shots, "town-exports-register")
            with page.expect_download() as download:
                page.click("button:has-text('导出登记表')")
            data = Path(download.value.path()).read_bytes()
            sheet = open_register_bytes(data).read_sheet(0)
            assert sheet.header_depth == 2
            col = _columns(sheet)
            assert {r.cells[col["id_number"]] for r in sheet.rows} == synced.ids_a
            page.check("input[value=flat]")
            with page.expect_download() as flat_download:
                page.click("button:has-text('导出登记表')")
            flat = open_register_bytes(Path(flat_download.value.path()).read_bytes())
            assert flat.read_sheet(0).header_depth == 1
            context.close()
        finally:
            browser.close()
    assert _work_empty(synced.site)
