"""``District.stats()`` counts in the database (GROUP BY) and gives what the code before issue
15 gave by loading every record into Python: on real synced vaults and on odd records (no
village, deleted children, assessments without a level, without a child, or finished on the
same day), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, event, select

from app.demo_caseload import fill_vault
from sync.server import db
from sync.server.district import District
from sync.wire import new_id
from tests.sync.conftest import VILLAGE_A, VILLAGE_B
from tests.sync.test_district_core import TODAY, send_all


def stats_by_loading_every_record(engine: Engine) -> dict[str, Any]:
    """The old ``District.stats()["villages"]``, as it was, reading records in the order they
    were written (head_hlc, then record id): on the same ``finished_on`` the later one won."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                db.records.c.record_id,
                db.records.c.record_type,
                db.records.c.child_id,
                db.records.c.village_code,
                db.records.c.data,
            )
            .where(
                db.records.c.deleted.is_(False),
                db.records.c.record_type.in_(("child", "visit", "assessment")),
            )
            .order_by(db.records.c.head_hlc, db.records.c.record_id)
        ).all()
    village_of: dict[str, str] = {}
    latest: dict[str, tuple[str, str]] = {}  # child id → (finished_on, level)
    per_village: dict[str, dict[str, Any]] = {}

    def bucket(village: str) -> dict[str, Any]:
        return per_village.setdefault(
            village,
            {"children": 0, "visits": 0, "assessments": 0, "children_by_level": {}},
        )

    for row in rows:
        if row.record_type == "child":
            village_of[row.record_id] = row.village_code or ""
    for row in rows:
        village = village_of.get(row.child_id or "", "")
        if row.record_type == "child":
            bucket(village)["children"] += 1
        elif row.record_type == "visit":
            bucket(village)["visits"] += 1
        else:
            bucket(village)["assessments"] += 1
            data = json.loads(row.data)
            result = data.get("result") if isinstance(data, dict) else None
            if data.get("status") == "finished" and isinstance(result, dict):
                when = str(data.get("finished_on") or "")
                key = row.child_id or ""
                if key not in latest or when >= latest[key][0]:
                    latest[key] = (when, str(result.get("level")))
    for child_id, village in village_of.items():
        level = latest.get(child_id, ("", "unassessed"))[1]
        by_level = bucket(village)["children_by_level"]
        by_level[level] = by_level.get(level, 0) + 1
    return dict(sorted(per_village.items()))


def _odd_records(district: District) -> None:
    """Corrections written at the district that the demo caseload never has."""

    def write(record_type: str, data: dict[str, Any], **kw: Any) -> str:
        record_id = kw.pop("record_id", None) or new_id()
        district.write_revision(
            record_type=record_type, data=data, author="区", record_id=record_id, **kw
        )
        return record_id

    def assessment(child: str, **data: Any) -> str:
        return write("assessment", {"child_id": child, **data})

    nowhere = write("child", {"name": "无村"})  # no village code
    tie = write("child", {"village_code": VILLAGE_B})
    assessment(tie, status="finished", finished_on="2026-05-01", result={"level": "high"})
    assessment(tie, status="finished", finished_on="2026-05-01", result={"level": "low"})
    assessment(tie, status="finished", finished_on="2026-04-01", result={"level": "medium"})
    odd = write("child", {"village_code": VILLAGE_B})
    assessment(odd, status="finished", finished_on="2026-03-01", result={})  # no level
    assessment(odd, status="finished", finished_on=None, result={"level": "low"})
    assessment(odd, status="finished", finished_on="2026-09-01", result="not a dict")
    assessment(odd, status="started", finished_on="2026-10-01", result={"level": "high"})
    flag = write("child", {"village_code": VILLAGE_B})
    assessment(flag, status="finished", finished_on="2026-02-01", result={"level": True})
    assessment(flag, status="finished", finished_on="2026-02-01", result={"level": 3})
    assessment(nowhere, status="finished", finished_on="2026-01-01", result={"level": None})
    gone = write("child", {"village_code": VILLAGE_B})
    write("visit", {"child_id": gone})
    assessment(gone, status="finished", finished_on="2026-01-01", result={"level": "low"})
    write("child", {"village_code": VILLAGE_B}, record_id=gone, deleted=True)
    write("visit", {"child_id": new_id()})  # a child the district never saw
    assessment(new_id(), status="finished", finished_on="2026-01-01", result={"level": "x"})
    write("visit", {"child_id": tie}, deleted=True)


def test_stats_in_sql_equal_the_old_result(district: District, make_device: Any) -> None:
    first = make_device(district, [VILLAGE_A])
    fill_vault(first.vault, children=9, seed=11, village_code=VILLAGE_A, today=TODAY, author="王")
    second = make_device(district, [VILLAGE_B], name="w")
    fill_vault(second.vault, children=5, seed=12, village_code=VILLAGE_B, today=TODAY, author="李")
    send_all(district, first)
    send_all(district, second)
    synced = district.stats()
    assert synced["villages"] == stats_by_loading_every_record(district.engine)
    assert synced["villages"][VILLAGE_A]["children"] == 9
    levels = synced["villages"][VILLAGE_A]["children_by_level"]
    assert (len(levels) > 1 and "unassessed" not in levels) or sum(levels.values()) == 9
    assert {d["device_id"] for d in synced["devices"]} == {first.device_id, second.device_id}

    _odd_records(district)
    odd = district.stats()
    assert odd["villages"] == stats_by_loading_every_record(district.engine)
    assert odd["villages"][""]["children"] == 1
    assert odd["villages"][""]["children_by_level"] == {"None": 1}
    village_b = odd["villages"][VILLAGE_B]["children_by_level"]
    assert village_b["low"] >= 1 and village_b["None"] == 1 and village_b["3"] == 1


def test_stats_read_no_record_into_python(district: District, make_device: Any) -> None:
    """Whatever the caseload, stats() fetches only grouped rows: one per village and type, one
    per village and level (a statement that selects the records' data is never run)."""
    dev = make_device(district, [VILLAGE_A])
    fill_vault(dev.vault, children=12, seed=5, village_code=VILLAGE_A, today=TODAY, author="王")
    send_all(district, dev)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(district.engine, "before_cursor_execute", seen)
    try:
        stats = district.stats()
    finally:
        event.remove(district.engine, "before_cursor_execute", seen)
    assert stats["villages"][VILLAGE_A]["children"] == 12
    assert all("GROUP BY" in s for s in statements if "records" in s)
    assert sum("records" in s for s in statements) == 2
