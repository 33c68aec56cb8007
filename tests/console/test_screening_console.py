"""心理筛查 on a real ``childdesk-district serve`` with data synced by real laptops over HTTP
(two villages in two towns, each screening some children; one referral followed up to its
evaluation): the figures per village and in total, scope enforced in the query (a town sees its
villages only, a partner nothing), the page reached from the menu in chromium, and no names."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.demo_caseload import fill_vault
from app.domain.ages import calendar_age
from app.domain.referral import ScreeningFigures
from app.questionnaire.loader import load_screening_definition
from app.services.children import ChildService
from app.services.screening import ReferralService, ScreeningService
from sync.keys import read_public_keys
from sync.laptop.engine import LaptopSync
from sync.server.console.queries_screening import console_screening
from sync.server.console.scope import Scope
from sync.server.district import District
from tests.conftest import VaultCopies
from tests.console.screenshots import HEADLESS_SHELL, launch, shoot, sign_in
from tests.console.site import Account, Site, fresh_code
from tests.sync.conftest import VILLAGE_A, VILLAGE_C

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-screening")

TOWN_A = VILLAGE_A[:9]
TODAY = date.today()  # the server counts with its own clock
SIGNS = ("sl_sleep", "sl_appetite", "sl_body", "mo_low", "mo_irritable", "mo_worry")


def _answers(born: date, **changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "child_birth_date": born.isoformat(),
        "sources": ["observation"],
        **dict.fromkeys(SIGNS, "never"),
        "be_withdrawn": "never",
        "be_interest": "never",
        "be_aggressive": "never",
        "sh_self_harm": "none",
        "sh_runaway": "no",
        "life_events": ["none"],
    }
    if calendar_age(born, TODAY) >= 6:
        found |= {"be_school_refusal": "never", "be_school_drop": "never"}
    return found | changes


@dataclass
class World:
    site: Site
    district: Account
    town: Account
    clients: dict[str, httpx.Client]
    names: list[str]


@pytest.fixture(scope="module")
def world(
    site: Site, vault_templates: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    copies = VaultCopies(vault_templates)  # type: ignore[arg-type]
    folder = tmp_path_factory.mktemp("screening-laptops")
    facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
    names: list[str] = []
    # village A: 3 screened (clear, watch, refer → referred and evaluated); village C: 2 (one
    # self-harm → refer, waiting to be referred)
    plan = {
        VILLAGE_A: [{}, dict.fromkeys(SIGNS[:4], "sometimes"), dict.fromkeys(SIGNS[:3], "often")],
        VILLAGE_C: [{"sh_self_harm": "talk"}, {}],
    }
    for name, village in (("a", VILLAGE_A), ("c", VILLAGE_C)):
        vault = copies.open(folder / name, village_code=village).vault
        fill_vault(vault, children=8, seed=11, village_code=village, today=TODAY, author="王")
        kids = ChildService(vault, author="王").list_all()[0]
        names += [k.value.name for k in kids]
        screenings = ScreeningService(
            vault, [load_screening_definition()], author="王", today=lambda: TODAY
        )
        for kid, changes in zip(kids, plan[village], strict=False):
            started = screenings.start(kid.record_id, load_screening_definition(), ["王"])
            screenings.save_draft(started.record_id, _answers(kid.value.birth_date, **changes))
            screenings.finish(started.record_id)
        if village == VILLAGE_A:
            referrals = ReferralService(vault, author="王", today=lambda: TODAY)
            (made,) = referrals.list_all()
            referrals.record_referred(made.record_id, "区精神卫生中心", TODAY)
            referrals.record_evaluated(made.record_id, TODAY, "建议随访")
        laptop = LaptopSync(vault, author="王", sleep=lambda _s: None)
        laptop.enroll_network(
            site.serve.url, facade.create_enroll_code([village], 3600), label=f"{name}村"
        )
        assert laptop.sync_now().rejected == 0
    district = site.add("区民政局-筛查", "district")
    town = site.add("镇督导-筛查", "town", (TOWN_A,))
    clients = {"district": site.sign_in(district), "town": site.sign_in(town)}
    yield World(site, district, town, clients, names)
    for client in clients.values():
        client.close()
    copies.lock_all()


def test_the_figures_and_the_scope_in_the_query(world: World) -> None:
    start = date(TODAY.year - 1, TODAY.month, 1)
    with world.site.engine.connect() as conn:
        whole = console_screening(conn, Scope("district", (), 1), start, TODAY)
        town = console_screening(conn, Scope("town", (TOWN_A,), 2), start, TODAY)
        partner = console_screening(conn, Scope("partner", (), 3), start, TODAY)
        before = console_screening(conn, Scope("district", (), 1), start, date(2020, 1, 1))
    assert whole.total == ScreeningFigures(5, 3, 1, 1, 1)
    by_village = {v.village_code: v for v in whole.by_village}
    assert by_village[VILLAGE_A].figures == ScreeningFigures(3, 2, 1, 1, 0)
    assert by_village[VILLAGE_C].figures == ScreeningFigures(2, 1, 0, 0, 1)
    assert (whole.waiting_referral, whole.waiting_evaluation) == (1, 0)
    assert [v.village_code for v in town.by_village] == [VILLAGE_A]
    assert town.total == ScreeningFigures(3, 2, 1, 1, 0)
    assert partner.total == ScreeningFigures(0, 0, 0, 0, 0) and partner.by_village == []
    assert before.total.screened == 0  # a period before any screening


def test_the_page_for_district_town_and_partner(world: World) -> None:
    page = world.clients["district"].get("/console/screening")
    assert page.status_code == 200
    assert "初步筛查，不是诊断" in page.text and VILLAGE_C in page.text
    assert not any(name in page.text for name in world.names)  # counts only, no names
    town = world.clients["town"].get("/console/screening")
    assert VILLAGE_A in town.text and VILLAGE_C not in town.text
    partner = world.site.add("妇联-筛查", "partner")
    client = world.site.sign_in(partner)
    try:
        assert client.get("/console/screening").status_code == 403
    finally:
        client.close()


def test_the_page_in_chromium(world: World, tmp_path: Path) -> None:
    if not Path(HEADLESS_SHELL).exists():
        pytest.skip(f"{HEADLESS_SHELL} is missing (./setup.sh installs chromium-headless-shell)")
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("CHILDDESK_CONSOLE_SHOTS") or tmp_path / "shots")
    base = world.site.serve.url
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for who, account in (("district", world.district), ("town", world.town)):
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                page = context.new_page()
                sign_in(page, base, account, fresh_code)
                page.click("nav.main a:has-text('心理筛查')")
                page.wait_for_url("**/console/screening")
                assert "心理状况筛查与转介" in page.inner_text("h1")
                total = page.inner_text("#screening-total-row")
                expected = "5\t3\t1\t1" if who == "district" else "3\t2\t1\t1"
                assert total.strip() == expected, total
                villages = page.inner_text("#screening-villages")
                assert (VILLAGE_C in villages) == (who == "district")
                shoot(page, shots, f"{who}-screening")
                page.set_viewport_size({"width": 390, "height": 844})
                shoot(page, shots, f"{who}-screening-narrow")
                # a period before any screening, through the form
                page.set_viewport_size({"width": 1366, "height": 768})
                page.fill("input[name=start]", "2020-01-01")
                page.fill("input[name=end]", "2020-12-31")
                page.click("form.row button[type=submit]")
                page.wait_for_load_state()
                assert page.inner_text("#screening-total-row").strip() == "0\t0\t0\t0"
                context.close()
        finally:
            browser.close()
