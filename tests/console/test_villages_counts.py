"""村 / 儿童主任: the villages page's figures (children in use, overdue, due this month and over
12 months) come from the per-village tables kept on ingest (``q_due_months``, ``q_due_days``,
``q_visit_months``), not from every child's row. After real laptop syncs, a visit that moves a
due date and an archived file, they equal counting ``q_children`` directly — for a district and
a town user, one village alone, and several "todays" — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, case, event, func, select

from app.demo_caseload import fill_vault
from sync.server import db
from sync.server.console import queries_child as qc
from sync.server.console import query_tables as qt
from sync.server.console.queries import add_months, months_between, scoped
from sync.server.console.scope import Scope
from sync.server.district import District
from tests.console.test_query_tables import TODAY, caught_up, send_all
from tests.sync.conftest import (
    VILLAGE_A,
    VILLAGE_C,
)

DISTRICT = Scope("district", (), 1)
TOWN_A = Scope("town", (VILLAGE_A[:9],), 11)
C = qt.q_children.c
TODAYS = (TODAY, date(2026, 11, 17), date(2026, 12, 1), date(2026, 12, 31), date(2027, 2, 28))


def counted_directly(conn: Connection, scope: Scope, today: date) -> dict[str, tuple[int, ...]]:
    """(children, overdue, month due, 12 months due) per village, from every child's row and
    the visit figures: what the page computed before the due tables."""
    out: dict[str, list[int]] = {}
    for code, n, overdue in conn.execute(
        select(
            C.village_code,
            func.count(),
            func.sum(case((C.next_due < today.isoformat(), 1), else_=0)),
        )
        .where(scoped(scope, C.village_code), C.active.is_(True))
        .group_by(C.village_code)
    ):
        out[code] = [int(n), int(overdue or 0), 0, 0]
    this_month = today.isoformat()[:7]
    months = months_between(add_months(today, -11), today)
    for code, due in conn.execute(
        select(C.village_code, C.next_due).where(scoped(scope, C.village_code), C.active.is_(True))
    ):
        if due and months[0] <= due[:7] <= this_month:
            out[code][3] += 1
            if due[:7] == this_month:
                out[code][2] += 1
    M = qt.q_visit_months.c
    for code, month, due_met in conn.execute(
        select(M.village_code, M.month, M.due_met).where(
            scoped(scope, M.village_code), M.month.in_(months)
        )
    ):
        figures = out.setdefault(code, [0, 0, 0, 0])
        figures[3] += int(due_met)
        if month == this_month:
            figures[2] += int(due_met)
    return {k: tuple(v) for k, v in sorted(out.items())}


def directors_directly(conn: Connection, scope: Scope) -> dict[str, list[str]]:
    """Every record of the scope read for its type (what the page did before)."""
    R = db.records.c
    found: dict[str, list[str]] = {}
    for village, data in conn.execute(
        select(R.village_code, R.data).where(
            R.record_type == "director_profile", R.deleted.is_(False), scoped(scope, R.village_code)
        )
    ):
        name = json.loads(data).get("name")
        if village and isinstance(name, str) and name:
            found.setdefault(village, []).append(name[:60])
    return {k: sorted(v) for k, v in sorted(found.items())}


def page_figures(rows: list[qc.VillageRow]) -> dict[str, tuple[int, ...]]:
    return {
        r.village_code: (r.children, r.overdue, r.month_due, r.year_due)
        for r in rows
        if (r.children, r.overdue, r.month_due, r.year_due, r.year_done) != (0, 0, 0, 0, 0)
    }


def check(district: District) -> None:
    caught_up(district)  # as the villages page does before it reads
    with district.engine.connect() as conn:
        for scope in (DISTRICT, TOWN_A):
            for today in TODAYS:
                expected = counted_directly(conn, scope, today)
                assert expected  # the laptops' children are there
                rows = qc.villages(conn, scope, today)
                assert page_figures(rows) == expected
                directors = directors_directly(conn, scope)
                assert directors  # each laptop's director profile
                assert {r.village_code: r.directors for r in rows if r.directors} == directors
                for village in expected:
                    alone = qc.villages(conn, scope, today, village)
                    assert [r.village_code for r in alone] == [village]
                    assert page_figures(alone) == {village: expected[village]}


def test_villages_page_figures_equal_counting_every_child(
    district: District, make_device: Any
) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    c = make_device(district, [VILLAGE_C], "c")
    fill_vault(a.vault, children=14, seed=5, village_code=VILLAGE_A, today=TODAY, author="王")
    fill_vault(c.vault, children=8, seed=6, village_code=VILLAGE_C, today=TODAY, author="李")
    send_all(district, a)
    send_all(district, c, max_revisions=9)
    check(district)

    # a visit moves a due date and an archived file leaves the counts: both kept on ingest
    child = a.vault.load("child").revisions[0]
    a.vault.put(
        "visit",
        {
            "child_id": child.record_id,
            "visit_date": (TODAY - timedelta(days=1)).isoformat(),
            "visit_type": "home",
            "notes": "按时走访",
        },
        author="王",
    )
    other = a.vault.load("child").revisions[1]
    a.vault.put(
        "child", {**other.data, "status": "archived"}, author="王", record_id=other.record_id
    )
    send_all(district, a)
    check(district)


def test_villages_page_does_not_read_every_child(district: District, make_device: Any) -> None:
    """The page's statements name the per-village tables, never ``q_children``: at city scale
    (300,000 children) reading each child's due date was most of the page's time. The
    directors' profiles are found through the records_child index (``child_id IS NULL``), not
    by reading every record of the scope for its type."""
    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=5, seed=2, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, a)
    caught_up(district)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(district.engine, "before_cursor_execute", seen)
    try:
        with district.engine.connect() as conn:
            assert qc.villages(conn, DISTRICT, TODAY)
            assert qc.villages(conn, TOWN_A, TODAY, VILLAGE_A)
    finally:
        event.remove(district.engine, "before_cursor_execute", seen)
    assert statements
    assert not [s for s in statements if "q_children" in s]
    profiles = [s for s in statements if "FROM records" in s]
    assert profiles and all("records.child_id IS NULL" in s for s in profiles)
