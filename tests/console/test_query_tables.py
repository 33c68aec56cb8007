# ruff: noqa: F811 - the fixture initialised is imported from tests/sync/test_district_cli.py
"""The console's query tables after real laptop syncs: marked pending by ingest, brought up by
the console's read path (``catch_up_for_reading``: query_tables.catch_up), then equal to a
rebuild (``childdesk-district reindex``), and with the laptop's own due dates and levels — on
SQLite and on the PostgreSQL the suite starts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from app.demo_caseload import fill_vault
from app.domain.schedule import load_schedule, next_due
from app.services.caseload import Caseload
from sync.server import db
from sync.server.console import query_tables as qt
from sync.server.console.catch_up import catch_up_for_reading
from sync.server.district import District
from tests.sync import laptop_device as device_side
from tests.sync.conftest import (
    VILLAGE_A,
    VILLAGE_C,
)
from tests.sync.test_district_cli import district_cli, initialised  # noqa: F401 - fixture

TODAY = date(2026, 11, 1)


def ingest_all(district: District, dev: Any, max_revisions: int = 40) -> None:
    """A laptop's sync, batch by batch: the query tables are only marked pending."""
    for built in device_side.build_batches(dev.vault, max_revisions=max_revisions):
        result = district.ingest(built.data)
        device_side.apply_receipt(dev.vault, result.receipt)


def send_all(district: District, dev: Any, max_revisions: int = 40) -> None:
    """A laptop's sync, then the console's read path catching up once for all its batches,
    as the next page does (the tests then read the query tables directly)."""
    ingest_all(district, dev, max_revisions)
    caught_up(district)


def caught_up(district: District) -> None:
    """What every console page does before it reads: apply the pending children."""
    assert catch_up_for_reading(district.engine) == 0


def snapshot(district: District) -> dict[str, list[tuple[Any, ...]]]:
    caught_up(district)
    with district.engine.connect() as conn:
        return qt.snapshot(conn)


def rebuilt(district: District) -> dict[str, list[tuple[Any, ...]]]:
    with db.write_transaction(district.engine) as conn:
        qt.rebuild(conn)
    return snapshot(district)


def test_ingest_keeps_the_tables_equal_to_a_rebuild(district: District, make_device: Any) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    c = make_device(district, [VILLAGE_C], "c")
    fill_vault(a.vault, children=8, seed=5, village_code=VILLAGE_A, today=TODAY, author="王")
    fill_vault(c.vault, children=5, seed=6, village_code=VILLAGE_C, today=TODAY, author="李")
    send_all(district, a)
    send_all(district, c, max_revisions=7)
    first = snapshot(district)
    assert len(first["q_children"]) == 13
    assert first == rebuilt(district)

    # later edits: a downgrade, a visit, a deleted visit, an archived file, a visit moved
    vault = a.vault
    children = vault.load("child").revisions
    target, other = children[0], children[1]
    vault.put(
        "assessment",
        {
            "child_id": target.record_id,
            "status": "finished",
            "finished_on": "2026-10-30",
            "result": {"level": "red"},
        },
        author="王",
    )
    vault.put(
        "assessment",
        {
            "child_id": target.record_id,
            "status": "finished",
            "finished_on": "2026-10-31",
            "result": {"level": "green"},
        },
        author="王",
    )
    vault.put(
        "visit",
        {"child_id": target.record_id, "on": "2026-10-31", "next_visit_on": "2026-11-15"},
        author="王",
    )
    visits = [v for v in vault.load("visit").revisions if v.data["child_id"] == other.record_id]
    vault.delete(visits[0].record_id, author="王")
    moved = visits[1]
    vault.put(
        "visit",
        {**moved.data, "child_id": target.record_id},
        author="王",
        record_id=moved.record_id,
    )
    archived = children[2]
    vault.put(
        "child",
        {**archived.data, "archive": {"reason": "moved_out", "on": "2026-10-20"}},
        author="王",
        record_id=archived.record_id,
    )
    send_all(district, a, max_revisions=3)
    after = snapshot(district)
    assert after != first
    assert after == rebuilt(district)

    with district.engine.connect() as conn:
        rows = {r.child_id: r for r in conn.execute(select(qt.q_children))}
        changes = conn.execute(
            select(qt.q_level_changes).where(qt.q_level_changes.c.child_id == target.record_id)
        ).all()
    assert rows[target.record_id].level == "green"
    assert rows[target.record_id].last_visit == "2026-10-31"
    assert ("red", "green", "2026-10-31") in {
        (c.from_level, c.to_level, c.on_date) for c in changes
    }
    assert not rows[archived.record_id].active and rows[archived.record_id].next_due is None
    assert rows[target.record_id].town_code == VILLAGE_A[:9]


def test_due_dates_and_levels_are_the_laptops(district: District, make_device: Any) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=12, seed=9, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, a)
    caseload = Caseload.build(a.vault)
    schedule = load_schedule()
    caught_up(district)
    with district.engine.connect() as conn:
        rows = {r.child_id: r for r in conn.execute(select(qt.q_children))}
    assert set(rows) == set(caseload.summaries)
    for child_id, summary in caseload.summaries.items():
        row = rows[child_id]
        assert row.level == summary.level
        assert row.last_visit == (summary.last_visit.isoformat() if summary.last_visit else None)
        assert row.case_stage == summary.open_case_stage
        assert row.caring_mother == bool(summary.data.get("caring_mother"))
        if summary.active:
            assert row.next_due == next_due(summary.schedule_facts, schedule).due.isoformat()
        assert row.initials == qt.pinyin_initials(summary.name)
        assert row.initials and row.initials.isascii()
    overdue = {i.child_id for i in caseload.due(schedule, TODAY).overdue}
    assert overdue == {
        cid for cid, r in rows.items() if r.next_due and r.next_due < TODAY.isoformat()
    }


def test_a_confirmed_recognition_keys_the_districts_due_date_as_the_laptops(
    district: District, make_device: Any
) -> None:
    """A child the district confirmed as 事实无人抚养 (the file's recognition_confirmed_on,
    after the last visit): the console's next due date counts from the confirmation, as the
    laptop's due list does."""
    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=12, seed=9, village_code=VILLAGE_A, today=TODAY, author="王")
    confirmed = date(2026, 10, 28)
    for stored in a.vault.load("child").revisions:
        data = stored.data
        if data.get("archive") or (data.get("status") or "active") != "active":
            continue
        categories = [c for c in data.get("categories") or [] if c != "de_facto_unsupported"]
        a.vault.put(
            "child",
            {
                **data,
                "categories": [*categories, "de_facto_unsupported"],
                "recognition_confirmed_on": confirmed.isoformat(),
            },
            author="王",
            record_id=stored.record_id,
        )
    send_all(district, a)
    caseload = Caseload.build(a.vault)
    schedule = load_schedule()
    caught_up(district)
    with district.engine.connect() as conn:
        rows = {r.child_id: r for r in conn.execute(select(qt.q_children))}
    keyed = 0
    for child_id, summary in caseload.summaries.items():
        if not summary.active:
            continue
        assert summary.schedule_facts.recognized_on == confirmed
        laptop_due = next_due(summary.schedule_facts, schedule).due
        assert rows[child_id].next_due == laptop_due.isoformat(), child_id
        last = summary.last_visit
        keyed += last is None or last < confirmed
    assert keyed > 0  # some children's due date really counts from the confirmation
    assert snapshot(district) == rebuilt(district)


def test_a_published_schedule_is_the_one_in_force(district: District, make_device: Any) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=4, seed=2, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, a)
    bundled = load_schedule()
    body = {
        "id": bundled.schedule_id,
        "version": "9.9",
        "rules": [],
        "default_max_interval_days": 7,
        "first_visit_within_days": 3,
        "due_soon_days": 2,
    }
    district.publish("schedule", "visit_schedule", "9.9", body)
    with db.write_transaction(district.engine) as conn:
        schedule = qt.current_schedule(conn)
        qt.rebuild(conn)
    assert schedule.version == "9.9"
    with district.engine.connect() as conn:
        for row in conn.execute(select(qt.q_children).where(qt.q_children.c.active)):
            if row.last_visit:
                gap = date.fromisoformat(row.next_due) - date.fromisoformat(row.last_visit)
                assert gap.days <= 7


def test_pinyin_and_id_keys() -> None:
    assert qt.pinyin_initials("张小明") == "zxm"
    assert qt.pinyin_initials("<script>") == "script"
    assert qt.id_key("") is None
    assert qt.id_key("50011920100101001x") == qt.id_key(" 50011920100101001X")


def test_reindex_command_rebuilds_the_tables(
    district: District, make_device: Any, db_url: str, initialised: Path
) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=5, seed=4, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, a)
    before = snapshot(district)
    with db.write_transaction(district.engine) as conn:
        for table in qt.TABLES:
            conn.execute(delete(table))
    assert snapshot(district)["q_children"] == []
    result = district_cli("reindex", data_dir=initialised, db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert "reindexed 5 children" in result.stdout
    assert snapshot(district) == before


def test_odd_synced_values_are_derived_without_error(district: District, make_device: Any) -> None:
    from tests.sync.conftest import revision_item

    dev = make_device(district, [VILLAGE_A], "odd")
    child = {
        "village_code": VILLAGE_A,
        "name": ["不是文本"],
        "categories": 5,
        "birth_date": "2026-02-30",
        "caring_mother": "yes",
        "archive": None,
        "status": {"x": 1},
    }
    items = [
        revision_item(dev, record_id="c" * 32, record_type="child", data=child, wall_ms=1),
        revision_item(
            dev,
            record_id="v" * 32,
            record_type="visit",
            data={"child_id": "c" * 32, "on": "2026-99-99", "next_visit_on": 7},
            wall_ms=2,
        ),
        revision_item(
            dev,
            record_id="a" * 32,
            record_type="assessment",
            data={"child_id": "c" * 32, "status": "finished", "result": "red"},
            wall_ms=3,
        ),
        revision_item(
            dev,
            record_id="k" * 32,
            record_type="case",
            data={"child_id": "c" * 32, "stage": ["open"]},
            wall_ms=4,
        ),
    ]
    district.ingest(dev.batch(items))
    caught_up(district)
    with district.engine.connect() as conn:
        row = conn.execute(select(qt.q_children)).one()
    assert row.name == "" and row.categories == "" and row.birth_date is None
    assert row.level is None and row.last_visit is None and row.case_stage is None
    assert snapshot(district) == rebuilt(district)
