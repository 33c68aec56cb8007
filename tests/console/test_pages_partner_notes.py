# ruff: noqa: F811 - the world fixture is imported from tests/console/test_pages_data.py
"""Partner rosters and the district's notes on a real ``childdesk-district serve`` with data
synced by real laptops: a district user gives a partner its roster on 用户与设备; the partner
sees exactly those children with the roster's columns on the register and its export, and every
other page and form — tried one by one, as found in the console's routers — answers 403 and is
logged. Notes: added by district and town users in their scope, escaped, CSRF-checked, logged."""

from __future__ import annotations

import importlib
import io
import pkgutil
import re
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi import APIRouter
from sqlalchemy import select

from sync.server.console import tables as t
from sync.server.console.query_tables import q_children
from sync.server.console.roster_export import PARTNER_HEADER
from tests.console.site import csrf_of, post_form
from tests.console.test_pages_data import TOWN_A, World, log_rows, world  # noqa: F401
from tests.sync.conftest import VILLAGE_A, VILLAGE_C

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-partner-notes")

# What a partner may open besides the sign-in steps (pages_auth): the register, its export,
# the export page and its own account.
PARTNER_PAGES = {("GET", p) for p in ("/children", "/exports", "/exports/register.xlsx")}


def console_routes() -> Iterator[tuple[str, str]]:
    """(method, path) of every console page and form outside the sign-in steps, from the
    routers web.py includes (pages_admin and every routes_* module)."""
    package = importlib.import_module("sync.server.console")
    modules = pkgutil.iter_modules(package.__path__)
    names = ["pages_admin", *sorted(m.name for m in modules if m.name.startswith("routes_"))]
    for name in names:
        router = getattr(importlib.import_module(f"sync.server.console.{name}"), "router", None)
        if not isinstance(router, APIRouter):
            continue
        for route in router.routes:
            for method in sorted(getattr(route, "methods", None) or ()):
                yield method, route.path  # type: ignore[attr-defined]


def fill(path: str, world: World, partner_id: int) -> str:
    values = {
        "child_id": min(world.a_ids),
        "village_code": VILLAGE_A,
        "user_id": str(partner_id),
        "action": "disable",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x1"), path)


def partner_id(world: World) -> int:
    with world.site.engine.connect() as conn:
        return int(
            conn.execute(
                select(t.users.c.user_id).where(t.users.c.name == world.partner.name)
            ).scalar_one()
        )


def set_roster(world: World, data: dict[str, str | list[str]]) -> None:
    district = world.clients["district"]
    path = f"/console/users/{partner_id(world)}/roster"
    page = district.get(path)
    assert page.status_code == 200
    answer = district.post(path, data={**data, "csrf": csrf_of(page.text)})
    assert answer.status_code == 303, answer.text[:500]
    assert "已保存名单" in district.get(answer.headers["location"]).text


def test_a_partner_sees_its_roster_and_nothing_else(world: World) -> None:
    partner, district = world.clients["partner"], world.clients["district"]
    assert "还没有给您的账号分配名单" in partner.get("/console/children").text
    pid = partner_id(world)
    # only a district user gives a roster, with a valid CSRF token and valid town codes
    assert world.clients["town"].get(f"/console/users/{pid}/roster").status_code == 403
    forged = district.post(f"/console/users/{pid}/roster", data={"towns": TOWN_A, "csrf": "x"})
    assert forged.status_code == 403
    bad = post_form(district, f"/console/users/{pid}/roster", {"towns": "5001"})
    assert bad.status_code == 400 and "乡镇代码" in bad.text
    assert district.get("/console/users/999999/roster").status_code == 404
    set_roster(world, {"towns": TOWN_A})
    assert any(x.startswith(f"{pid} ") for x, o in log_rows(world.site, "roster_set"))
    assert f"名单：{TOWN_A}" in district.get("/console/users").text

    register = partner.get("/console/children?per_page=200").text
    assert "结对名单" in register and f"共 {len(world.a_ids)} 人" in register
    with world.site.engine.connect() as conn:
        rows = list(conn.execute(select(q_children)))
    for row in rows:
        shown = row.name.replace("<", "&lt;").replace(">", "&gt;") in register
        assert shown == (row.child_id in world.a_ids), row.child_id
        assert f"/console/children/{row.child_id}" not in register  # no links to child pages
        for private in (row.birth_date, row.next_due, row.last_visit, row.eighteenth):
            assert not private or private not in register
    assert VILLAGE_C not in register and "身份证号" not in register and "出生日期" not in register
    # an ID-number search or an overdue filter is not applied for a partner
    probe = partner.get("/console/children?q=50011920120315002X&overdue=1&per_page=200").text
    assert f"共 {len(world.a_ids)} 人" in probe
    # the export: the roster's columns only, the same children
    answer = partner.get("/console/exports/register.xlsx")
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0] == PARTNER_HEADER
    assert len(table) - 1 == len(world.a_ids) and {r[2] for r in table[1:]} == {VILLAGE_A}
    assert {r[5] for r in table[1:]} <= {"已结对", "未结对"}

    # a category roster across the whole district
    set_roster(world, {"whole_district": "1", "category": ["left_behind", "migrant"]})
    expected = {
        r.child_id
        for r in rows
        if r.active and ("|left_behind|" in r.categories or "|migrant|" in r.categories)
    }
    listing = partner.get("/console/children?per_page=200").text
    assert f"共 {len(expected)} 人" in listing

    # every other page and form: 403, logged
    refused = 0
    for method, path in sorted(set(console_routes())):
        if (method, path) in PARTNER_PAGES:
            continue
        url = "/console" + fill(path, world, pid)
        if method == "GET":
            answer = partner.get(url)
        else:
            answer = partner.post(url, data={"csrf": csrf_of(partner.get("/console/account").text)})
        assert answer.status_code == 403, (method, path, answer.status_code)
        refused += 1
    assert refused >= 25
    denied = [target for target, outcome in log_rows(world.site, "page") if outcome == "denied"]
    for path in ("/console/overview", "/console/users", f"/console/children/{min(world.a_ids)}"):
        assert path in denied


def test_district_notes_on_a_child_page(world: World) -> None:
    town, district, partner = (world.clients[k] for k in ("town", "district", "partner"))
    own, other = min(world.a_ids), min(world.c_ids)
    page = town.get(f"/console/children/{own}")
    assert page.status_code == 200 and "区里的备注（0）" in page.text
    # without or with a forged CSRF token: refused
    assert town.post(f"/console/children/{own}/notes", data={"note": "x"}).status_code == 403
    forged = town.post(f"/console/children/{own}/notes", data={"note": "x", "csrf": "forged"})
    assert forged.status_code == 403
    text = '<script>alert("备注")</script>{{7*7}}\n第二行'
    answer = post_form(
        town, f"/console/children/{own}/notes", {"note": text}, f"/console/children/{own}"
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("?noted=1#notes")
    shown = town.get(answer.headers["location"]).text
    assert "已添加备注" in shown and "区里的备注（1）" in shown
    assert "&lt;script&gt;alert(&#34;备注&#34;)&lt;/script&gt;{{7*7}}\n第二行" in shown
    assert "<script>alert" not in shown and world.town.name in shown
    # the district sees the town's note and adds its own
    post_form(
        district,
        f"/console/children/{own}/notes",
        {"note": "区里已知悉"},
        f"/console/children/{own}",
    )
    seen = district.get(f"/console/children/{own}").text
    assert "区里的备注（2）" in seen and seen.index("区里已知悉") < seen.index("第二行")
    # empty: 400 with a Chinese message; another town's child: 403; a partner: 403
    empty = post_form(
        town, f"/console/children/{own}/notes", {"note": "  "}, f"/console/children/{own}"
    )
    assert empty.status_code == 400 and "备注不能为空" in empty.text
    token = csrf_of(town.get(f"/console/children/{own}").text)
    assert (
        town.post(
            f"/console/children/{other}/notes", data={"note": "越权", "csrf": token}
        ).status_code
        == 403
    )
    partner_token = csrf_of(partner.get("/console/account").text)
    assert (
        partner.post(
            f"/console/children/{own}/notes", data={"note": "越权", "csrf": partner_token}
        ).status_code
        == 403
    )
    with world.site.engine.connect() as conn:
        kept = conn.execute(select(t.child_notes.c.text)).scalars().all()
    assert "越权" not in kept and len([k for k in kept if k]) == 2
    logged = log_rows(world.site, "child_note")
    assert (own, "ok") in logged and (own, "failed") in logged
    assert any(x == other and o == "denied" for x, o in logged)
    assert all("备注" not in x for x, _o in logged)  # ids only, never the text
