# ruff: noqa: F811 - the world fixture is imported from tests/console/test_pages_data.py
"""Times in the console are stored in UTC and shown in China's time (Asia/Shanghai, UTC+8) by
one function (dates.local_time, the templates' ``local_time``): a district note saved at
2026-12-02 23:30 UTC shows 2026-12-03 07:30 on a real ``childdesk-district serve``, and so do
the access log (whose 从/到 days are China's days), a device's last sync on 村/儿童主任 and
用户与设备, and a workflow's steps. Without a zoneinfo database the fixed +08:00 gives the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from sync.server import db
from sync.server.console import dates
from sync.server.console import tables as t
from sync.server.workflows import _local_time
from tests.console.test_pages_data import World, world  # noqa: F401
from tests.sync.conftest import VILLAGE_A

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-local-times")

ROOT = Path(__file__).resolve().parents[2]
SAVED = "2026-12-02T23:30:00Z"  # 2026-12-03 07:30 in China


def test_local_time_is_chinas_time() -> None:
    assert dates.local_time(SAVED) == "2026-12-03 07:30"
    assert dates.local_time(SAVED, "second") == "2026-12-03 07:30:00"
    assert dates.local_time(SAVED, "day") == "2026-12-03"
    assert dates.local_time("2026-12-02T15:59:59Z", "day") == "2026-12-02"
    assert dates.local_time("2026-12-02T16:00:00Z", "day") == "2026-12-03"
    assert dates.local_time("2026-12-31T16:00:00.123456+00:00") == "2027-01-01 00:00"
    assert dates.local_time("2026-07-01 12:00:00") == "2026-07-01 20:00"  # no offset: UTC
    assert dates.local_time("") == dates.local_time(None) == ""
    assert dates.local_time("从未") == "从未"  # not a time: unchanged
    assert _local_time(SAVED) == "2026-12-03 07:30"  # the workflows' messages: the same function
    assert dates.day_start_utc(date(2026, 12, 3)) == "2026-12-02T16:00:00Z"


def test_without_a_zoneinfo_database_the_fixed_offset_gives_the_same_times() -> None:
    """A server without /usr/share/zoneinfo (and without the tzdata package): +08:00 (China has
    no daylight saving time)."""
    code = (
        "import json; from datetime import date; from sync.server.console import dates as d; "
        "print(json.dumps([str(d.DISTRICT_TZ), d.local_time({!r}), d.local_time({!r}, 'day'), "
        "d.day_start_utc(date(2026, 12, 3))]))"
    ).format(SAVED, "2026-06-30T16:00:00Z")
    env = {**os.environ, "PYTHONTZPATH": "/nonexistent-zoneinfo"}
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    zone, shown, day, start = json.loads(found.stdout)
    try:
        import tzdata  # noqa: F401
    except ImportError:
        assert zone == "UTC+08:00"
    assert (shown, day, start) == ("2026-12-03 07:30", "2026-07-01", "2026-12-02T16:00:00Z")


def test_pages_show_chinas_time(world: World) -> None:
    site, district = world.site, world.clients["district"]
    child = min(world.a_ids)
    with db.write_transaction(site.engine) as conn:
        user_id = conn.execute(
            select(t.users.c.user_id).where(t.users.c.name == world.district.name)
        ).scalar_one()
        conn.execute(
            insert(t.child_notes).values(
                child_id=child, user_id=user_id, at=SAVED, text="夜里来电，早上回访"
            )
        )
        conn.execute(
            insert(t.access_log).values(
                at=SAVED, user_id=user_id, action="export", target="时区测试", outcome="ok"
            )
        )
        conn.execute(update(db.devices).values(last_contact=SAVED, enrolled_at=SAVED))

    page = district.get(f"/console/children/{child}").text
    assert "夜里来电" in page and "2026-12-03 07:30" in page
    assert "23:30" not in page and " UTC" not in page

    log = district.get("/console/log", params={"target": "时区测试"}).text
    assert "时间（北京时间）" in log and "2026-12-03 07:30:00" in log and "23:30" not in log
    # 从/到 are China's days: the row is on 12-03, not on 12-02
    on_3rd = district.get(
        "/console/log", params={"target": "时区测试", "since": "2026-12-03", "until": "2026-12-03"}
    ).text
    on_2nd = district.get(
        "/console/log", params={"target": "时区测试", "since": "2026-12-02", "until": "2026-12-02"}
    ).text
    assert "共 1 条" in on_3rd and "共 0 条" in on_2nd

    villages = district.get("/console/villages").text
    assert "2026-12-03" in villages and "2026-12-02" not in villages
    assert "2026-12-03" in district.get(f"/console/villages/{VILLAGE_A}").text
    devices = district.get("/console/devices").text
    assert "2026-12-03 07:30" in devices and "2026-12-02" not in devices
