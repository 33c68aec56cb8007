"""关爱服务活动 on a real ``childdesk-district serve``, with activities and their photos synced by
real laptops over HTTP (two villages in two towns): the list for a period, newest first, with
the photo counts; an activity's page with its photos, served byte for byte as the laptop took
them; scope enforced (a town sees its own villages' activities and photos only, a partner
nothing) and every list, view and photo read logged; the pages walked in chromium, where the
photos render."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from app.domain.activity import Activity, ActivityKind
from app.services.activities import ActivityService
from sync.keys import read_public_keys
from sync.laptop.engine import LaptopSync
from sync.server import db
from sync.server.console import tables as t
from sync.server.console.queries_activities import activity_list, activity_page, activity_photo
from sync.server.console.scope import Scope
from sync.server.district import District
from tests.conftest import VaultCopies
from tests.console.screenshots import HEADLESS_SHELL, launch, shoot, sign_in
from tests.console.site import Account, Site, fresh_code
from tests.fixtures.photos import jpeg_bytes, png_bytes
from tests.sync.conftest import VILLAGE_A, VILLAGE_C, revision_item

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-activities")

TOWN_A = VILLAGE_A[:9]
TODAY = date.today()  # the server's period is its own clock's


@dataclass
class World:
    site: Site
    district: Account
    town: Account
    clients: dict[str, httpx.Client]
    ids: dict[str, str]  # title → activity id
    photos: dict[str, bytes]  # sha256 → the bytes the laptop took


@pytest.fixture(scope="module")
def world(
    site: Site, vault_templates: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:

    copies = VaultCopies(vault_templates)  # type: ignore[arg-type]
    folder = tmp_path_factory.mktemp("activity-laptops")
    facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
    ids: dict[str, str] = {}
    photos: dict[str, bytes] = {}
    plan = {
        VILLAGE_A: [
            (
                "红色实践：重走长征路",
                TODAY - timedelta(days=3),
                [jpeg_bytes(320, 240), png_bytes()],
            ),
            ("暑期安全教育课", TODAY - timedelta(days=40), []),
        ],
        VILLAGE_C: [("亲子阅读会", TODAY - timedelta(days=10), [jpeg_bytes(200, 150)])],
    }
    for name, village in (("a", VILLAGE_A), ("c", VILLAGE_C)):
        vault = copies.open(folder / name, village_code=village).vault
        service = ActivityService(vault, author="王", today=lambda: TODAY)
        for title, on, files in plan[village]:
            activity = Activity(on, ActivityKind.OTHER, title, village, others_count=5)
            record_id = service.record(activity).record_id
            ids[title] = record_id
            for number, content in enumerate(files):
                service.add_photo(record_id, io.BytesIO(content), filename=f"现场{number}.jpg")
                photos[hashlib.sha256(content).hexdigest()] = content
        laptop = LaptopSync(vault, author="王", sleep=lambda _s: None)
        laptop.enroll_network(
            site.serve.url, facade.create_enroll_code([village], 3600), label=f"{name}村"
        )
        assert laptop.sync_now().rejected == 0
    district = site.add("区民政局-活动", "district")
    town = site.add("镇督导-活动", "town", (TOWN_A,))
    clients = {"district": site.sign_in(district), "town": site.sign_in(town)}
    yield World(site, district, town, clients, ids, photos)
    for client in clients.values():
        client.close()
    copies.lock_all()


def _shas(html: str, photos: dict[str, bytes]) -> set[str]:
    return {sha for sha in photos if f"/photos/{sha}" in html}


def test_the_list_and_the_scope_in_the_query(world: World) -> None:
    start = TODAY - timedelta(days=365)
    with world.site.engine.connect() as conn:
        whole = activity_list(conn, Scope("district", (), 1), start, TODAY)
        town = activity_list(conn, Scope("town", (TOWN_A,), 2), start, TODAY)
        partner = activity_list(conn, Scope("partner", (), 3), start, TODAY)
        recent = activity_list(conn, Scope("district", (), 1), TODAY - timedelta(days=20), TODAY)
    assert [(r.activity.title, r.photos) for r in whole.rows] == [
        ("红色实践：重走长征路", 2),
        ("亲子阅读会", 1),
        ("暑期安全教育课", 0),
    ]  # newest first
    assert [r.activity.village_code for r in town.rows] == [VILLAGE_A, VILLAGE_A]
    assert partner.rows == []
    assert [r.activity.title for r in recent.rows] == ["红色实践：重走长征路", "亲子阅读会"]
    assert whole.damaged == 0 and not whole.more


def test_pages_and_photos_are_scoped_and_logged(world: World) -> None:
    district, town = world.clients["district"], world.clients["town"]
    listing = district.get("/console/activities")
    assert listing.status_code == 200
    assert "亲子阅读会" in listing.text and VILLAGE_C in listing.text
    town_listing = town.get("/console/activities")
    assert "亲子阅读会" not in town_listing.text and "红色实践" in town_listing.text

    red, reading = world.ids["红色实践：重走长征路"], world.ids["亲子阅读会"]
    page = district.get(f"/console/activities/{red}")
    assert page.status_code == 200 and "现场照片（2）" in page.text
    shown = _shas(page.text, world.photos)
    assert len(shown) == 2
    assert "现场0.jpg" not in page.text  # a file name may name a child: not shown
    for sha in shown:
        photo = town.get(f"/console/activities/{red}/photos/{sha}")
        assert photo.status_code == 200 and photo.content == world.photos[sha]
        assert photo.headers["content-type"] in ("image/jpeg", "image/png")
        assert photo.headers["cache-control"] == "no-store"
    [other] = _shas(district.get(f"/console/activities/{reading}").text, world.photos)

    # another town's activity and photo: refused and logged; a photo under the wrong activity,
    # or none at all: not found
    assert town.get(f"/console/activities/{reading}").status_code == 403
    assert town.get(f"/console/activities/{reading}/photos/{other}").status_code == 403
    assert district.get(f"/console/activities/{red}/photos/{other}").status_code == 404
    assert district.get(f"/console/activities/{red}/photos/{'0' * 64}").status_code == 404
    assert district.get("/console/activities/no-such-activity").status_code == 404
    partner = world.site.add("妇联-活动", "partner")
    client = world.site.sign_in(partner)
    try:
        assert client.get("/console/activities").status_code == 403
        assert client.get(f"/console/activities/{red}/photos/{next(iter(shown))}").status_code == (
            403
        )
    finally:
        client.close()

    with world.site.engine.connect() as conn:
        logged = conn.execute(
            select(t.access_log.c.action, t.access_log.c.target, t.access_log.c.outcome).where(
                t.access_log.c.action.in_(("activities", "activity_view", "activity_photo"))
            )
        ).all()
    photo_reads = [
        (target, outcome) for action, target, outcome in logged if action == "activity_photo"
    ]
    assert sum(outcome == "ok" for _t, outcome in photo_reads) >= 2
    assert (f"{reading} {other}", "denied") in photo_reads
    assert ("activity_view", reading, "denied") in logged
    assert not any("红色实践" in target for _a, target, _o in logged)  # ids, never titles


def test_the_pages_in_chromium(world: World, tmp_path: Path) -> None:
    if not Path(HEADLESS_SHELL).exists():
        pytest.skip(f"{HEADLESS_SHELL} is missing (./setup.sh installs chromium-headless-shell)")
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("CHILDDESK_CONSOLE_SHOTS") or tmp_path / "shots")
    base = world.site.serve.url
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            page = context.new_page()
            sign_in(page, base, world.town, fresh_code)
            page.click("nav.main a:has-text('活动')")
            page.wait_for_url("**/console/activities")
            rows = page.inner_text("#activity-list")
            assert "红色实践：重走长征路" in rows and "亲子阅读会" not in rows
            shoot(page, shots, "town-activities")
            page.click("#activity-list a:has-text('红色实践')")
            page.wait_for_url("**/console/activities/*")
            page.wait_for_load_state("networkidle")
            widths = page.eval_on_selector_all(
                "#activity-photos img", "imgs => imgs.map(i => i.complete && i.naturalWidth)"
            )
            assert sorted(widths) == [40, 320], widths  # both photos decoded and shown
            shoot(page, shots, "town-activity")
            page.set_viewport_size({"width": 390, "height": 844})
            shoot(page, shots, "town-activity-narrow")
            context.close()
        finally:
            browser.close()


def test_the_database_picks_the_period_and_the_photos(district: District, make_device: Any) -> None:
    """On SQLite and PostgreSQL: the database picks the period's activities and an activity's
    photos by their JSON fields (a village's years of them are not all read to show a few);
    a body the database cannot read as JSON falls back to reading every one, counted as
    damaged, the rest still listed."""
    dev = make_device(district, [VILLAGE_A])
    items: list[dict[str, Any]] = []
    photo = jpeg_bytes(48, 32)
    sha = hashlib.sha256(photo).hexdigest()
    for n, days in enumerate((3, 40, 400)):
        activity = Activity(TODAY - timedelta(days=days), ActivityKind.OTHER, f"活动{n}", VILLAGE_A)
        items.append(
            revision_item(
                dev,
                record_id=f"{n}" * 32,
                record_type="activity",
                data=activity.to_json(),
                wall_ms=1,
            )
        )
    attachment = {
        "owner_id": "0" * 32,
        "filename": "a.jpg",
        "mime": "image/jpeg",
        "size": len(photo),
        "sha256": sha,
        "blob_id": "b" * 32,
    }
    items.append(
        revision_item(dev, record_id="a" * 32, record_type="attachment", data=attachment, wall_ms=2)
    )
    items.append(
        {
            "kind": "blob",
            "sha256": sha,
            "size": len(photo),
            "data": base64.b64encode(photo).decode(),
        }
    )
    assert district.ingest(dev.batch(items)).rejected == 0
    year = TODAY - timedelta(days=365)
    everyone = Scope("district", (), 1)
    failed: list[object] = []  # a statement the database refused (the fallback taken)
    event.listen(district.engine, "handle_error", failed.append)
    with district.engine.connect() as conn:
        listed = activity_list(conn, everyone, year, TODAY)
        assert [(r.activity.title, r.photos) for r in listed.rows] == [("活动0", 1), ("活动1", 0)]
        assert [p.sha256 for p in activity_page(conn, everyone, "0" * 32).photos] == [sha]
        assert activity_photo(conn, everyone, "0" * 32, sha) == (photo, "image/jpeg")
        assert activity_page(conn, everyone, "1" * 32).photos == []
    assert failed == []  # the database read the JSON fields itself
    with district.engine.begin() as conn:  # one body damaged on the disk
        conn.execute(
            db.records.update().where(db.records.c.record_id == "1" * 32).values(data="{broken")
        )
    with district.engine.connect() as conn:
        listed = activity_list(conn, everyone, year, TODAY)
        assert [r.activity.title for r in listed.rows] == ["活动0"] and listed.damaged == 1
        assert [p.sha256 for p in activity_page(conn, everyone, "0" * 32).photos] == [sha]
    assert failed  # it could not, this time: every body read here instead
