"""The counted query tables (``q_village_counts``, ``q_due_days``, ``q_due_months``) are kept
on ingest as changes — a replaced child's old row counted out, its new row in — and must stay
equal to counting from scratch when a child moves to another village, is deleted, changes its
facts or comes back into use; on SQLite and on the PostgreSQL the suite starts."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.demo_caseload import fill_vault
from sync.server import db
from sync.server.console import query_tables as qt
from sync.server.district import District
from tests.console.test_query_tables import caught_up
from tests.sync import laptop_device as device_side
from tests.sync.conftest import (
    VILLAGE_A,
    VILLAGE_C,
)

TODAY = date(2026, 11, 1)
COUNTED = ("q_village_counts", "q_due_days", "q_due_months", "q_children")


def send_all(district: District, dev: Any, max_revisions: int = 40) -> None:
    for built in device_side.build_batches(dev.vault, max_revisions=max_revisions):
        result = district.ingest(built.data)
        device_side.apply_receipt(dev.vault, result.receipt)


def counted(district: District) -> dict[str, list[tuple[Any, ...]]]:
    caught_up(district)
    with district.engine.connect() as conn:
        snap = qt.snapshot(conn)
    return {name: snap[name] for name in COUNTED}


def rebuilt(district: District) -> dict[str, list[tuple[Any, ...]]]:
    with db.write_transaction(district.engine) as conn:
        qt.rebuild(conn)
    return counted(district)


def test_counts_follow_moves_deletions_and_changed_facts(
    district: District, make_device: Any
) -> None:
    dev = make_device(district, [VILLAGE_A, VILLAGE_C], "a")
    fill_vault(dev.vault, children=10, seed=11, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, dev)
    first = counted(district)
    assert first == rebuilt(district)

    vault = dev.vault
    children = vault.load("child").revisions
    moved, removed, changed, archived = children[0], children[1], children[2], children[3]
    vault.put(
        "child", {**moved.data, "village_code": VILLAGE_C}, author="王", record_id=moved.record_id
    )
    vault.delete(removed.record_id, author="王")
    vault.put(
        "child",
        {**changed.data, "categories": ["orphan"], "caring_mother": True},
        author="王",
        record_id=changed.record_id,
    )
    vault.put(
        "child",
        {**archived.data, "archive": {"reason": "moved_out", "on": "2026-10-20"}},
        author="王",
        record_id=archived.record_id,
    )
    send_all(district, dev, max_revisions=2)
    after = counted(district)
    assert after != first
    villages = {row[0] for row in after["q_village_counts"]}
    assert VILLAGE_C in villages
    assert after == rebuilt(district)

    # back into use, and moved home again
    vault.put(
        "child", {**archived.data, "archive": None}, author="王", record_id=archived.record_id
    )
    vault.put("child", moved.data, author="王", record_id=moved.record_id)
    send_all(district, dev)
    again = counted(district)
    assert VILLAGE_C not in {row[0] for row in again["q_village_counts"]}
    assert again == rebuilt(district)


def _row_versions(district: District) -> dict[str, dict[str, str]]:
    """Each query-table row's physical version with its content (SQLite: rowid; PostgreSQL:
    the inserting transaction, xmin): unchanged for a row left alone, new for a row whose
    content changed. SQLite hands a deleted row's rowid to the next insert when it was the
    highest, so on SQLite a replaced row is told apart by its content as well."""
    version = "rowid" if district.engine.dialect.name == "sqlite" else "xmin::text"
    out: dict[str, dict[str, str]] = {}
    caught_up(district)
    with district.engine.connect() as conn:
        for table, key in (("q_children", "child_id"), ("q_visits", "visit_id")):
            rows = conn.exec_driver_sql(f"SELECT {key}, {version}, * FROM {table}")
            out[table] = {str(r[0]): repr(tuple(r[1:])) for r in rows}
    return out


def test_a_new_visit_rewrites_only_the_rows_it_changes(
    district: District, make_device: Any
) -> None:
    """A visit synced for a child with earlier visits adds one q_visits row and replaces the
    child's row; its earlier visits and the other children's rows stay as stored (they used
    to be deleted and inserted again) — and everything still equals a rebuild."""
    dev = make_device(district, [VILLAGE_A], "a")
    fill_vault(dev.vault, children=6, seed=3, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, dev)
    vault = dev.vault
    visits = vault.load("visit").revisions
    owner = max(
        {v.data["child_id"] for v in visits},
        key=lambda c: sum(v.data["child_id"] == c for v in visits),
    )
    earlier = {v.record_id for v in visits if v.data["child_id"] == owner}
    assert len(earlier) >= 2
    before = _row_versions(district)
    sibling = next(v for v in visits if v.data["child_id"] == owner)
    vault.put(
        "visit",
        {**sibling.data, "on": "2026-10-31", "next_visit_on": None},
        author="王",
    )
    # and an unrelated, unchanged rewrite of another child's file: derived rows equal
    others = [c for c in vault.load("child").revisions if c.record_id != owner]
    vault.put("child", dict(others[0].data), author="王", record_id=others[0].record_id)
    send_all(district, dev)
    after = _row_versions(district)

    new_visits = set(after["q_visits"]) - set(before["q_visits"])
    assert len(new_visits) == 1
    for visit_id in earlier:
        assert after["q_visits"][visit_id] == before["q_visits"][visit_id], visit_id
    assert after["q_children"][owner] != before["q_children"][owner]  # last visit, due date
    assert after["q_children"][others[0].record_id] == before["q_children"][others[0].record_id]
    assert counted(district) == rebuilt(district)
