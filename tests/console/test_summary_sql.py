"""年度汇总 counted in SQL (issue 19 at city scale) gives the figures of the laptop's own
``year_summary`` over every record decoded in Python (``console_summary_python``), on SQLite
and PostgreSQL, for the district and a town and several periods — after real laptop vaults
(the demo caseload with its programme: activities, plans, typical cases) are ingested batch by
batch, and after the cases the SQL count hands to Python or bounds by month: a level set or
changed in the period, two levels or two visits on one day, a visit dated after today, files
transferred, archived (年满18, duplicate) and closed in the period."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import date, timedelta
from typing import Any

import pytest

from app.demo_caseload import fill_vault, synthetic_visit
from sync.server.console import queries_summary_sql
from sync.server.console.queries_summary import console_summary, console_summary_python
from sync.server.console.scope import Scope
from sync.server.district import District
from tests.console.test_query_tables import send_all
from tests.sync.conftest import (
    VILLAGE_A,
    VILLAGE_C,
)

TODAY = date(2026, 11, 17)
DISTRICT = Scope("district", (), 1)
TOWN_A = Scope("town", (VILLAGE_A[:9],), 11)
PERIODS = (
    (date(2026, 1, 1), TODAY, TODAY),  # the year so far (today mid-month)
    (date(2026, 6, 1), date(2026, 9, 30), TODAY),  # months that are over
    (date(2025, 1, 1), date(2025, 12, 31), TODAY),  # last year
    (date(2026, 1, 1), date(2026, 11, 30), date(2026, 11, 1)),  # today the 1st
)


def differences(conn: Any, scope: Scope, start: date, end: date, today: date) -> list[str]:
    fast = console_summary(conn, scope, start, end, today)
    slow = console_summary_python(conn, scope, start, end, today)
    found = [
        f"{f.name}: sql {getattr(fast.summary, f.name)!r} "
        f"!= python {getattr(slow.summary, f.name)!r}"
        for f in fields(fast.summary)
        if getattr(fast.summary, f.name) != getattr(slow.summary, f.name)
    ]
    if fast.by_village != slow.by_village:
        found.append("by_village")
    if fast.turning_18 != slow.turning_18:
        found.append("turning_18")
    if fast.children.keys() != slow.children.keys():
        found.append("typical cases' children")
    return found


def check(district: District) -> None:
    with district.engine.connect() as conn:
        for scope in (DISTRICT, TOWN_A):
            for start, end, today in PERIODS:
                assert differences(conn, scope, start, end, today) == [], (scope, start, end)


def test_the_sql_count_equals_the_laptops_figures(
    district: District, make_device: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    c = make_device(district, [VILLAGE_C], "c")
    for device, village, n, seed in ((a, VILLAGE_A, 24, 11), (c, VILLAGE_C, 14, 12)):
        fill_vault(
            device.vault,
            children=n,
            seed=seed,
            village_code=village,
            today=TODAY,
            author="王",
            programme=True,
        )
    send_all(district, a)
    send_all(district, c, max_revisions=9)
    with district.engine.connect() as conn:
        summary = console_summary(conn, DISTRICT, date(2026, 1, 1), TODAY, TODAY).summary
    assert summary.children_end > 0 and summary.visits_due > 0 and summary.visits_done > 0
    assert summary.activities.activities > 0
    check(district)

    # the cases the SQL count bounds by month or hands to Python
    vault = a.vault
    children = vault.load("child").revisions
    rng = random.Random(3)
    edits = {
        0: {
            "status": "transferred",
            "transfer": {"to_village_code": VILLAGE_C, "on": "2026-07-10"},
        },
        1: {"archive": {"reason": "turned_18", "on": "2026-08-05", "note": ""}},
        2: {"archive": {"reason": "duplicate", "on": "2026-09-01", "note": ""}},
        3: {"status": "closed"},
        4: {"archive": {"reason": "moved_out", "on": "2025-12-20", "note": ""}},
    }
    for index, change in edits.items():
        child = children[index]
        vault.put("child", {**child.data, **change}, author="王", record_id=child.record_id)
    # a level changed mid-period, one early in a month, two levels on one day
    finished = [r for r in vault.load("assessment").revisions if r.data.get("status") == "finished"]
    tie = finished[2]
    tie_level = "yellow" if tie.data["result"]["level"] != "yellow" else "orange"
    for source, level, on in (
        (finished[0], "red", "2026-05-03"),
        (finished[1], "green", "2026-10-02"),
        (tie, tie_level, tie.data["finished_on"]),
    ):
        vault.put(
            "assessment",
            {
                **source.data,
                "finished_on": on,
                "started_on": on,
                "result": {**source.data["result"], "level": level},
            },
            author="王",
        )
    # two visits on one day with different next dates, and a visit dated after today
    for child, on, next_on in (
        (children[6], date(2026, 4, 8), date(2026, 4, 20)),
        (children[6], date(2026, 4, 8), date(2026, 6, 30)),
        (children[7], TODAY + timedelta(days=5), TODAY + timedelta(days=40)),
    ):
        visit = synthetic_visit(rng, child.record_id, on, next_on).to_json()
        vault.put("visit", visit, author="王")
    handed: list[int] = []  # children whose months went to Python, per count
    counted = queries_summary_sql._python_months

    def spied(conn: Any, scope: Scope, wanted: dict[str, set[int]], *rest: Any) -> Any:
        handed.append(sum(1 for months in wanted.values() if months))
        return counted(conn, scope, wanted, *rest)

    monkeypatch.setattr(queries_summary_sql, "_python_months", spied)
    send_all(district, a)
    check(district)
    assert max(handed) >= 5, handed  # the edited children's months were counted in Python


def test_a_partner_sees_nothing(district: District, make_device: Any) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=4, seed=2, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, a)
    with district.engine.connect() as conn:
        partner = Scope("partner", (), 3)
        assert differences(conn, partner, date(2026, 1, 1), TODAY, TODAY) == []
        assert (
            console_summary(conn, partner, date(2026, 1, 1), TODAY, TODAY).summary.children_end == 0
        )
