"""Schedule rules published through ``District.publish`` (what the command and any other caller
use) change the console's due dates in the same transaction: the overview's overdue figures
follow the new rules at once and equal a full ``reindex`` — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.demo_caseload import fill_vault
from app.domain.schedule import load_schedule
from sync.server import db
from sync.server.console import query_tables as qt
from sync.server.console.queries_overview import overview
from sync.server.console.scope import Scope
from sync.server.district import District
from tests.console.test_query_tables import TODAY, caught_up, rebuilt, send_all, snapshot
from tests.sync.conftest import (
    VILLAGE_A,
    VILLAGE_C,
)

DISTRICT = Scope("district", (), 1)


def figures(district: District, today: date) -> tuple[list[tuple[str, int, int]], Any]:
    with district.engine.connect() as conn:
        o = overview(conn, DISTRICT, date(2026, 10, 1), date(2026, 12, 31), today)
    return o.overdue_by_village, o.months


def test_publishing_a_schedule_rebuilds_the_due_dates(district: District, make_device: Any) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    c = make_device(district, [VILLAGE_C], "c")
    fill_vault(a.vault, children=10, seed=3, village_code=VILLAGE_A, today=TODAY, author="王")
    fill_vault(c.vault, children=6, seed=4, village_code=VILLAGE_C, today=TODAY, author="李")
    send_all(district, a)
    send_all(district, c)
    before = figures(district, TODAY)
    with district.engine.connect() as conn:
        due_before = {
            r[0]: r[1]
            for r in conn.execute(select(qt.q_children.c.child_id, qt.q_children.c.next_due))
        }

    bundled = load_schedule()
    body = {
        "id": bundled.schedule_id,
        "version": "9.9",
        "rules": [],
        "default_max_interval_days": 7,
        "first_visit_within_days": 3,
        "due_soon_days": 2,
    }
    district.publish("schedule", "visit_schedule", "9.9", body)  # no reindex by hand

    after = figures(district, TODAY)
    overdue_before = sum(n for _v, n, _t in before[0])
    overdue_after = sum(n for _v, n, _t in after[0])
    assert overdue_after > overdue_before  # a visit every 7 days: more children are late
    with district.engine.connect() as conn:
        due_after = {
            r[0]: r[1]
            for r in conn.execute(select(qt.q_children.c.child_id, qt.q_children.c.next_due))
        }
    assert due_after != due_before
    published = snapshot(district)
    assert rebuilt(district) == published  # equal to `childdesk-district reindex`
    assert figures(district, TODAY) == after

    # a questionnaire or a calendar year leaves the due dates alone
    district.publish("calendar", "working_days", "2027.1", {"year": 2027, "holidays": []})
    assert snapshot(district) == published
    with db.write_transaction(district.engine) as conn:
        assert qt.current_schedule(conn).version == "9.9"


def test_a_district_correction_updates_the_query_tables(
    district: District, make_device: Any
) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=4, seed=6, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, a)
    child = a.vault.load("child").revisions[0]
    record = district.record(child.record_id)
    assert record is not None
    data = {**record["data"], "status": "archived"}
    district.write_revision(
        record_type="child", data=data, author="区民政局", record_id=child.record_id
    )
    caught_up(district)  # as the next page does before it reads
    with district.engine.connect() as conn:
        row = conn.execute(
            select(qt.q_children).where(qt.q_children.c.child_id == child.record_id)
        ).one()
    assert not row.active and row.next_due is None
    assert rebuilt(district) == snapshot(district)
