"""Children counted by next due date per village and day / month (``q_due_days``,
``q_due_months``): the overview's overdue-per-village and due-per-month read them instead of
every child's row. After real laptop syncs, schedule changes and a transfer they give the same
figures as counting ``q_children`` directly, stay equal to a rebuild, and migration 0006 fills
them on a database made before — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, select, text

from app.demo_caseload import fill_vault
from sync.server import db
from sync.server.console import query_tables as qt
from sync.server.console.queries import scoped
from sync.server.console.queries_overview import overdue_by_village, visit_months
from sync.server.console.scope import Scope
from sync.server.district import District
from tests.console.test_query_tables import TODAY, caught_up, rebuilt, send_all, snapshot
from tests.sync.conftest import (
    VILLAGE_A,
    VILLAGE_C,
)

DISTRICT = Scope("district", (), 1)
TOWN_A = Scope("town", (VILLAGE_A[:9],), 11)
C = qt.q_children.c


def counted_directly(conn: Any, scope: Scope, today: date) -> list[tuple[str, int, int]]:
    """The overview's former query: every child's row of the scope."""
    return [
        (str(v), int(n), int(total))
        for v, n, total in conn.execute(
            select(C.village_code, func.sum(case((C.next_due < today.isoformat(), 1), else_=0)))
            .add_columns(func.count())
            .where(and_(scoped(scope, C.village_code), C.active.is_(True)))
            .group_by(C.village_code)
            .order_by(C.village_code)
        )
    ]


def due_per_month_directly(conn: Any, scope: Scope, months: list[str]) -> dict[str, int]:
    found: Counter[str] = Counter()
    for (due,) in conn.execute(
        select(C.next_due).where(scoped(scope, C.village_code), C.active.is_(True))
    ):
        if due and due[:7] in months:
            found[due[:7]] += 1
    return dict(found)


def check_figures(district: District) -> None:
    months = [f"2026-{m:02d}" for m in range(6, 13)] + ["2027-01", "2027-02"]
    caught_up(district)  # as the overview page does before it reads
    with district.engine.connect() as conn:
        for scope in (DISTRICT, TOWN_A):
            for today in (TODAY, date(2026, 11, 17), date(2026, 12, 1), date(2027, 2, 28)):
                assert overdue_by_village(conn, scope, today) == counted_directly(
                    conn, scope, today
                )
            pending = due_per_month_directly(conn, scope, months)
            # visit_months' due column: visits that answered a due date in the month + pending
            met = {
                m: int(n)
                for m, n in conn.execute(
                    select(qt.q_visit_months.c.month, func.sum(qt.q_visit_months.c.due_met))
                    .where(scoped(scope, qt.q_visit_months.c.village_code))
                    .group_by(qt.q_visit_months.c.month)
                )
            }
            for month, due, _done, _on_time in visit_months(conn, scope, months):
                assert due == met.get(month, 0) + pending.get(month, 0)


def test_due_counts_give_the_same_figures(district: District, make_device: Any) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    c = make_device(district, [VILLAGE_C], "c")
    fill_vault(a.vault, children=12, seed=7, village_code=VILLAGE_A, today=TODAY, author="王")
    fill_vault(c.vault, children=7, seed=8, village_code=VILLAGE_C, today=TODAY, author="李")
    send_all(district, a)
    send_all(district, c, max_revisions=9)
    caught_up(district)
    with district.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(qt.q_due_days)).scalar_one() > 0
        assert conn.execute(select(func.count()).select_from(qt.q_due_months)).scalar_one() > 0
    check_figures(district)
    assert rebuilt(district) == snapshot(district)

    # a visit moves a due date; an archived file leaves the counts; both kept on ingest
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
    check_figures(district)
    assert rebuilt(district) == snapshot(district)


def test_migration_0006_fills_the_due_counts(district: District, make_device: Any) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=6, seed=3, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, a)
    expected = snapshot(district)
    with db.write_transaction(district.engine) as conn:  # as a database made before 0006
        conn.execute(text("DROP TABLE q_due_days"))
        conn.execute(text("DROP TABLE q_due_months"))
        conn.execute(
            delete(db.migrations_table).where(
                db.migrations_table.c.name == "0006_console_due_counts"
            )
        )
    assert db.migrate(district.engine) == ["0006_console_due_counts"]
    assert snapshot(district) == expected
    check_figures(district)
