"""年度汇总 on a real ``childdesk-district serve`` with data synced by real laptops over HTTP (two
villages in two towns, each with the demo's activities, transition plans and a typical case):
the figures summed across villages, youths turning 18 per town with their plan status, the
printed PDF (typical cases anonymised), scope enforced in the query — and the page walked in
chromium as the district and as a town (which sees only its villages)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection

from app.demo_caseload import fill_vault
from app.domain.activity import Activity
from app.domain.child_file import ChildFile
from app.services.typical_cases import identifying_of
from sync.keys import read_public_keys
from sync.laptop.engine import LaptopSync
from sync.server.console.queries_summary import console_summary
from sync.server.console.scope import Scope
from sync.server.district import District
from tests.conftest import VaultCopies, create_vault
from tests.console.screenshots import HEADLESS_SHELL, launch, shoot, sign_in
from tests.console.site import Account, Site, fresh_code
from tests.printing.helpers import flat, pdf_text
from tests.sync.conftest import VILLAGE_A, VILLAGE_C

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-summary")

TOWN_A, TOWN_C = VILLAGE_A[:9], VILLAGE_C[:9]
TODAY = date.today()  # the server counts with its own clock


@dataclass
class World:
    site: Site
    district: Account
    town: Account
    clients: dict[str, httpx.Client]
    activities: dict[str, list[Activity]]  # by village
    children: dict[str, ChildFile]
    typical_child: dict[str, str]  # village -> the typical case's child id


@pytest.fixture(scope="module")
def world(
    site: Site, vault_templates: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    copies = VaultCopies(vault_templates)  # type: ignore[arg-type]
    folder = tmp_path_factory.mktemp("summary-laptops")
    facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
    activities: dict[str, list[Activity]] = {}
    children: dict[str, ChildFile] = {}
    typical: dict[str, str] = {}
    for name, village, n, seed in (("a", VILLAGE_A, 40, 2026), ("c", VILLAGE_C, 30, 7)):
        vault = copies.open(folder / name, village_code=village).vault
        fill_vault(
            vault,
            children=n,
            seed=seed,
            village_code=village,
            today=TODAY,
            author="王",
            programme=True,
        )
        laptop = LaptopSync(vault, author="王", sleep=lambda _s: None)
        laptop.enroll_network(
            site.serve.url, facade.create_enroll_code([village], 3600), label=f"{name}村"
        )
        assert laptop.sync_now().rejected == 0
        activities[village] = [Activity.from_json(r.data) for r in vault.load("activity").revisions]
        children |= {
            r.record_id: ChildFile.from_json(r.data) for r in vault.load("child").revisions
        }
        cases = vault.load("typical_case").revisions
        if cases:
            typical[village] = str(cases[0].data["child_id"])
    district = site.add("区民政局-汇总", "district")
    town = site.add("镇督导-汇总", "town", (TOWN_A,))
    clients = {"district": site.sign_in(district), "town": site.sign_in(town)}
    yield World(site, district, town, clients, activities, children, typical)
    for client in clients.values():
        client.close()
    copies.lock_all()


def _held(activities: list[Activity]) -> list[Activity]:
    return [a for a in activities if date(TODAY.year, 1, 1) <= a.on <= TODAY]


def test_scope_is_enforced_in_the_query(world: World) -> None:
    start = date(TODAY.year, 1, 1)
    with world.site.engine.connect() as conn:
        whole = console_summary(conn, Scope("district", (), 1), start, TODAY, TODAY)
        town = console_summary(conn, Scope("town", (TOWN_A,), 2), start, TODAY, TODAY)
        partner = console_summary(conn, Scope("partner", (), 3), start, TODAY, TODAY)
    held_a, held_c = _held(world.activities[VILLAGE_A]), _held(world.activities[VILLAGE_C])
    assert {v.village_code for v in whole.by_village} == {VILLAGE_A, VILLAGE_C}
    assert whole.summary.activities.activities == len(held_a) + len(held_c)
    assert whole.summary.activities.child_attendances == sum(
        len(a.attended) for a in held_a + held_c
    )
    assert [v.village_code for v in town.by_village] == [VILLAGE_A]
    assert town.summary.activities.activities == len(held_a)
    assert all(c.village_code == VILLAGE_A for c in town.children.values())
    assert town.summary.children_end < whole.summary.children_end
    assert {t.town_code for t in town.turning_18} <= {TOWN_A}
    assert all(y.village_code.startswith(TOWN_A) for t in town.turning_18 for y in t.youths)
    assert len(whole.summary.typical_cases) == len(world.typical_child)
    assert partner.summary.children_end == 0 and partner.by_village == []


def test_the_pdf_sums_and_anonymises(world: World, tmp_path: Path) -> None:
    answer = world.clients["district"].get(
        "/console/summary.pdf", params={"start": f"{TODAY.year}-01-01"}
    )
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    text = flat(pdf_text(answer.content))
    assert "年度工作总结" in text and "附一、各村（社区）关爱服务活动" in text
    assert VILLAGE_A in text and VILLAGE_C in text
    for child_id in world.typical_child.values():
        for datum in identifying_of(world.children[child_id]).data():
            assert datum not in text, datum
    if world.typical_child:
        assert "多方联动守护某某" in text
    town_pdf = world.clients["town"].get("/console/summary.pdf").content
    town_text = flat(pdf_text(town_pdf))
    assert VILLAGE_A in town_text and VILLAGE_C not in town_text
    if os.environ.get("CHILDDESK_CONSOLE_SHOTS"):
        Path(os.environ["CHILDDESK_CONSOLE_SHOTS"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["CHILDDESK_CONSOLE_SHOTS"]) / "summary.pdf").write_bytes(answer.content)


def test_the_page_in_chromium_as_district_and_town(world: World, tmp_path: Path) -> None:
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
                shoot(page, shots, f"{who}-after-signin")
                assert "年度汇总" in page.inner_text("nav.main"), page.url
                page.click("nav.main a:has-text('年度汇总')")
                page.wait_for_url("**/console/summary")
                assert "年度汇总" in page.inner_text("h1")
                activities = page.inner_text("#activities")
                assert VILLAGE_A in activities
                assert (VILLAGE_C in activities) == (who == "district")
                youths = page.inner_text("#turning-18")
                assert who == "district" or TOWN_C not in youths
                assert "在册儿童" in page.inner_text("#figures")
                shoot(page, shots, f"{who}-summary")
                page.set_viewport_size({"width": 390, "height": 844})
                shoot(page, shots, f"{who}-summary-narrow")
                # another period through the form
                page.set_viewport_size({"width": 1366, "height": 768})
                page.fill("input[name=start]", f"{TODAY.year}-06-01")
                page.click("form.row button[type=submit]")
                page.wait_for_load_state()
                assert f"{TODAY.year}年6月" in page.inner_text("p.hint")
                with page.expect_download() as caught:
                    page.click("#summary-pdf")
                assert caught.value.suggested_filename.endswith(".pdf")
                context.close()
        finally:
            browser.close()


def test_a_colleagues_laptop_gets_the_typical_case_and_plans(world: World, tmp_path: Path) -> None:
    """典型案例 and 转衔计划 sync both ways: a second laptop of village A (a vault of its own)
    pulls them."""
    vault = create_vault(tmp_path / "colleague", village_code=VILLAGE_A).vault
    facade = District(
        world.site.engine, read_public_keys(world.site.data_dir / "district-keys.json"), None
    )
    laptop = LaptopSync(vault, author="李", sleep=lambda _s: None)
    laptop.enroll_network(
        world.site.serve.url, facade.create_enroll_code([VILLAGE_A], 3600), label="同事"
    )
    laptop.sync_now()
    cases = vault.load("typical_case").revisions
    assert [str(r.data["child_id"]) for r in cases] == [world.typical_child[VILLAGE_A]]
    assert vault.load("transition_plan").revisions
    assert len(vault.load("activity").revisions) == len(world.activities[VILLAGE_A])
    vault.lock()


def test_a_big_scope_is_counted_off_the_request_and_kept_until_an_ingest(
    world: World, tmp_path: Path
) -> None:
    """Issue 16: a scope too big to count while the page waits (here: any, inline_children=0)
    is counted on the jobs' own thread — the first look-up answers None (计算中…) at once —
    then served from the cache with the same figures as counting directly, until a laptop
    syncs a new visit: then it is counted afresh and the visit is in the figures."""
    import random

    from app.demo_caseload import synthetic_visit
    from sync.server.console.queries_summary import SummaryJobs

    engine = world.site.engine
    district = Scope("district", (), 1)
    start = date(TODAY.year, 1, 1)
    jobs = SummaryJobs()
    # what the summary page does first (console/catch_up.py): the query tables caught up
    from sync.server.console.catch_up import catch_up_for_reading

    assert catch_up_for_reading(engine) == 0
    assert jobs.lookup(engine, district, start, TODAY, TODAY, inline_children=0) is None
    jobs.wait(120)
    ready = jobs.lookup(engine, district, start, TODAY, TODAY, inline_children=0)
    with engine.connect() as conn:
        direct = console_summary(conn, district, start, TODAY, TODAY)
    assert ready is not None and ready.summary == direct.summary
    assert ready.by_village == direct.by_village and ready.turning_18 == direct.turning_18
    assert jobs.lookup(engine, district, start, TODAY, TODAY, inline_children=0) is ready
    # a small scope is counted in the caller's thread, and kept too
    town = Scope("town", (TOWN_A,), 2)
    small = jobs.lookup(engine, town, start, TODAY, TODAY)
    assert small is not None and jobs.lookup(engine, town, start, TODAY, TODAY) is small

    vault = create_vault(tmp_path / "colleague-visit", village_code=VILLAGE_A).vault
    facade = District(
        world.site.engine, read_public_keys(world.site.data_dir / "district-keys.json"), None
    )
    laptop = LaptopSync(vault, author="李", sleep=lambda _s: None)
    laptop.enroll_network(
        world.site.serve.url, facade.create_enroll_code([VILLAGE_A], 3600), label="同事2"
    )
    laptop.sync_now()
    child_id = next(cid for cid, c in world.children.items() if c.village_code == VILLAGE_A)
    visit = synthetic_visit(random.Random(5), child_id, TODAY, TODAY + timedelta(days=30))
    vault.put("visit", visit.to_json(), author="李")
    assert laptop.sync_now().rejected == 0
    vault.lock()
    assert catch_up_for_reading(engine) == 0  # as the page does
    assert jobs.lookup(engine, district, start, TODAY, TODAY, inline_children=0) is None
    jobs.wait(120)
    again = jobs.lookup(engine, district, start, TODAY, TODAY, inline_children=0)
    assert again is not None and again is not ready
    assert again.summary.visit_records == ready.summary.visit_records + 1
    assert jobs.lookup(engine, town, start, TODAY, TODAY) is not small


def test_visits_read_in_sql_give_the_figures_of_whole_records(world: World) -> None:
    """The console reads a visit's counted fields in SQL (issue 16 speed); the district's
    figures equal those of every record read whole and parsed as the laptop parses them — and
    a visit whose body is not JSON makes the read fall back to whole records, the visit listed
    as damaged."""
    from sqlalchemy import select, update

    from app.services.year_summary import RawRecord, SummaryRecords, year_summary
    from sync.server import db
    from sync.server.console.queries_summary import period_of, scope_records

    r = db.records.c
    district = Scope("district", (), 1)
    period = period_of(date(TODAY.year, 1, 1), TODAY)

    def whole(conn: Connection) -> SummaryRecords:
        rows = conn.execute(
            select(r.record_id, r.record_type, r.head_hlc, r.data).where(r.deleted.is_(False))
        ).all()
        return SummaryRecords.from_rows(
            RawRecord(row.record_type, row.record_id, row.head_hlc, json.loads(row.data))
            for row in rows
        )

    def visits(records: SummaryRecords) -> list[tuple[object, ...]]:
        return sorted(
            (v.record_id, v.hlc, v.value.child_id, v.value.on, v.value.form, v.value.next_visit_on)
            for v in records.caseload.visits
        )

    with world.site.engine.connect() as conn:
        fast, slow = scope_records(conn, district), whole(conn)
        assert len(fast.caseload.visits) > 100
        assert visits(fast) == visits(slow)
        assert year_summary(fast, period, today=TODAY) == year_summary(slow, period, today=TODAY)
    broken = fast.caseload.visits[0]
    with world.site.engine.begin() as conn:
        body = conn.execute(select(r.data).where(r.record_id == broken.record_id)).scalar_one()
        conn.execute(update(db.records).where(r.record_id == broken.record_id).values(data="{"))
    try:
        with world.site.engine.connect() as conn:
            fallen = scope_records(conn, district)
        assert broken.record_id in fallen.damaged_ids
        assert len(fallen.caseload.visits) == len(fast.caseload.visits) - 1
    finally:
        with world.site.engine.begin() as conn:
            conn.execute(
                update(db.records).where(r.record_id == broken.record_id).values(data=body)
            )


def test_a_big_scope_counted_town_by_town_gives_the_same_figures(world: World) -> None:
    """Issue 16 memory: the Python reference counts a scope of more than CHUNK_CHILDREN
    children one town at a time and adds the towns' figures up — the same figures as counting
    it at once; and the console's SQL count (issue 19) gives those figures too, for the
    district and a town, on data synced by real laptops to a real server."""
    from sync.server.console.queries_summary import console_summary_python

    start = date(TODAY.year, 1, 1)
    district = Scope("district", (), 1)
    with world.site.engine.connect() as conn:
        whole = console_summary_python(conn, district, start, TODAY, TODAY)
        by_town = console_summary_python(conn, district, start, TODAY, TODAY, chunk_children=0)
        six = console_summary_python(
            conn, district, date(TODAY.year, 6, 1), TODAY, TODAY, chunk_children=0
        )
        six_whole = console_summary_python(conn, district, date(TODAY.year, 6, 1), TODAY, TODAY)
        sql = console_summary(conn, district, start, TODAY, TODAY)
        town = Scope("town", (TOWN_A,), 2)
        sql_town = console_summary(conn, town, start, TODAY, TODAY)
        python_town = console_summary_python(conn, town, start, TODAY, TODAY)
    assert whole.summary.children_end > 0 and whole.summary.visits_due > 0
    assert by_town.summary == whole.summary
    assert by_town.by_village == whole.by_village and by_town.turning_18 == whole.turning_18
    assert by_town.children.keys() == whole.children.keys()
    assert six.summary == six_whole.summary
    assert sql.summary == whole.summary and sql_town.summary == python_town.summary
    assert sql.by_village == whole.by_village and sql.turning_18 == whole.turning_18
    assert sql.children.keys() == whole.children.keys()
