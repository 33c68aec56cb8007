"""The console's data pages on a real ``childdesk-district serve`` with data synced by real
laptops over HTTP: each role sees its scope on every page and export, a town user reaching
another town's child or village by URL gets 403 (logged), every view and export is logged,
synced HTML is shown as text, malformed filters and huge pages give no server error."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import openpyxl
import pytest
from sqlalchemy import select

from app.demo_caseload import fill_vault
from sync.keys import read_public_keys
from sync.laptop.engine import LaptopSync
from sync.server.console import tables as t
from sync.server.console.query_tables import q_children
from sync.server.district import District
from tests.conftest import VaultCopies
from tests.console.site import Account, Site
from tests.console.test_query_tables import TODAY
from tests.sync.conftest import VILLAGE_A, VILLAGE_C

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-pages-data")

TOWN_A = VILLAGE_A[:9]


@dataclass
class World:
    site: Site
    a_ids: set[str]
    c_ids: set[str]
    district: Account
    town: Account
    partner: Account
    clients: dict[str, httpx.Client]


@pytest.fixture(scope="module")
def world(
    site: Site, vault_templates: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    copies = VaultCopies(vault_templates)  # type: ignore[arg-type]
    folder = tmp_path_factory.mktemp("laptops")
    facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
    ids: dict[str, set[str]] = {}
    for name, village, n in (("a", VILLAGE_A, 8), ("c", VILLAGE_C, 5)):
        vault = copies.open(folder / name, village_code=village).vault
        fill_vault(
            vault, children=n, seed=len(name) + n, village_code=village, today=TODAY, author="王"
        )
        if name == "a":  # a synced name that is HTML and a template expression
            first = vault.load("child").revisions[0]
            vault.put(
                "child",
                {**first.data, "name": "<script>alert(1)</script>{{7*7}}"},
                author="王",
                record_id=first.record_id,
            )
        laptop = LaptopSync(vault, author="王", sleep=lambda _s: None)
        laptop.enroll_network(
            site.serve.url, facade.create_enroll_code([village], 3600), label=f"{name}村"
        )
        report = laptop.sync_now()
        assert report.rejected == 0
        ids[name] = {r.record_id for r in vault.load("child").revisions}
    district = site.add("区民政局-数据", "district")
    town = site.add("镇督导-数据", "town", (TOWN_A,))
    partner = site.add("妇联-数据", "partner")
    clients = {
        "district": site.sign_in(district),
        "town": site.sign_in(town),
        "partner": site.sign_in(partner),
    }
    yield World(site, ids["a"], ids["c"], district, town, partner, clients)
    for client in clients.values():
        client.close()
    copies.lock_all()


def log_rows(site: Site, action: str) -> list[tuple[str, str]]:
    with site.engine.connect() as conn:
        return [
            (r.target, r.outcome)
            for r in conn.execute(select(t.access_log).where(t.access_log.c.action == action))
        ]


def test_every_page_shows_its_scope(world: World) -> None:
    district, town, partner = (world.clients[k] for k in ("district", "town", "partner"))
    for path in ("/console/overview", "/console/children", "/console/villages", "/console/exports"):
        for client in (district, town):
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
    overview = town.get("/console/overview").text
    assert VILLAGE_A in overview and VILLAGE_C not in overview
    assert VILLAGE_C in district.get("/console/overview").text
    assert "<svg" in overview
    register = town.get("/console/children?per_page=200").text
    for child_id in world.a_ids:
        assert child_id in register
    for child_id in world.c_ids:
        assert child_id not in register
    assert f"共 {len(world.a_ids | world.c_ids)} 人" in district.get("/console/children").text
    # a partner sees no village by code: no overview, villages or child pages; an empty roster
    for path in ("/console/overview", "/console/villages", f"/console/children/{min(world.a_ids)}"):
        assert partner.get(path).status_code == 403
    assert "共 0 人" in partner.get("/console/children").text


def test_another_towns_child_or_village_by_url_is_refused_and_logged(world: World) -> None:
    town = world.clients["town"]
    other = min(world.c_ids)
    answer = town.get(f"/console/children/{other}")
    assert answer.status_code == 403 and "不在您负责的范围" in answer.text
    assert (other, "denied") in log_rows(world.site, "child_view")
    assert town.get(f"/console/villages/{VILLAGE_C}").status_code == 403
    assert (VILLAGE_C, "denied") in log_rows(world.site, "village_view")
    own = min(world.a_ids)
    page = town.get(f"/console/children/{own}")
    assert page.status_code == 200
    assert (own, "ok") in log_rows(world.site, "child_view")
    assert town.get(f"/console/villages/{VILLAGE_A}").status_code == 200
    for bad in ("0" * 32, "x" * 500, "..%2F..%2Fetc"):
        assert town.get(f"/console/children/{bad}").status_code == 404
    assert town.get("/console/villages/abc").status_code == 404


def test_synced_html_is_text(world: World) -> None:
    district = world.clients["district"]
    with world.site.engine.connect() as conn:
        child_id = conn.execute(
            select(q_children.c.child_id).where(q_children.c.name.startswith("<script>"))
        ).scalar_one()
    for path in (
        f"/console/children/{child_id}",
        "/console/children?q=%3Cscript",
        "/console/children",
    ):
        html = district.get(path).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in html
        assert "49" not in html.split("&lt;script&gt;")[1][:40]


@pytest.mark.parametrize(
    "query",
    [
        "page=99999999999999999999999",
        "page=-5&per_page=100000",
        "level=purple&sort=x;drop&village=%27--&age_band=zz&overdue=%00",
        "q=%ED%A0%80&town=1",
        "q=" + "长" * 500,
        "start=2026-13-45&end=yesterday",
        "duplicates=1&caring_mother=maybe&case_stage=%3Cb%3E",
    ],
)
def test_malformed_filters_and_huge_pages_are_no_server_error(world: World, query: str) -> None:
    district = world.clients["district"]
    for path in ("/console/children", "/console/overview", "/console/exports/register.xlsx"):
        answer = district.get(f"{path}?{query}")
        assert answer.status_code == 200, (path, query, answer.text[:300])
    last = district.get("/console/children?page=99999999999999999999999&per_page=10").text
    assert "第 2 / 2 页" in last


def test_exports_hold_the_scope_neutralise_and_are_logged(world: World) -> None:
    town, district = world.clients["town"], world.clients["district"]
    work = world.site.data_dir / "export-work"  # beside the district database, not in /tmp
    answer = town.get("/console/exports/register.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    rows = list(book.active.iter_rows(values_only=True))[1:]
    assert len(rows) == len(world.a_ids) and {r[4] for r in rows} == {VILLAGE_A}
    full = openpyxl.load_workbook(
        io.BytesIO(district.get("/console/exports/register.xlsx?level=red").content)
    )
    assert all(r[7] == "红" for r in list(full.active.iter_rows(values_only=True))[1:])
    figures = town.get("/console/exports/figures.xlsx?start=2026-01-01&end=2026-11-01")
    assert figures.status_code == 200
    head = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(io.BytesIO(figures.content))["总览"].iter_rows(
            values_only=True
        )
    }
    assert head["在册儿童"] <= len(world.a_ids)
    exports = [target for target, outcome in log_rows(world.site, "export") if outcome == "ok"]
    assert any(x.startswith("register ") and '"rows":' in x for x in exports)
    assert any(x.startswith("register ") and '"level":"red"' in x for x in exports)
    assert any(x.startswith("figures ") for x in exports)
    partner = world.clients["partner"]
    assert partner.get("/console/exports/figures.xlsx").status_code == 403
    empty = openpyxl.load_workbook(
        io.BytesIO(partner.get("/console/exports/register.xlsx").content)
    )
    assert len(list(empty.active.iter_rows(values_only=True))) == 1  # the header only
    for _ in range(50):  # removed once streamed (the server's generator ends just after)
        if not any(work.iterdir()):
            break
        time.sleep(0.1)
    assert work.is_dir() and list(work.iterdir()) == []
    assert oct(work.stat().st_mode & 0o777) == "0o700"
    # the register views are logged with their filters
    assert district.get("/console/children?level=red&village=" + VILLAGE_A).status_code == 200
    viewed = [target for target, _o in log_rows(world.site, "register")]
    assert any('"level":"red"' in x and f'"village":"{VILLAGE_A}"' in x for x in viewed)
