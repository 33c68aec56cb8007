# ruff: noqa: F811 - fixtures imported from tests/sync/conftest.py and test_queries.py
"""The 登记表 export in the query layer (SQLite and PostgreSQL): the child files the district
holds, decoded and written by the laptop's own layout code (app/registers/xlsx_export.py) in
streamed mode, read back with the laptop's importer (app/registers/reader.py); a town user's
file holds its villages only, a partner is refused before anything is read, and a record the
laptop's decoder refuses still gives its row."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update

from app.registers.headers import auto_mapping, is_ignored
from app.registers.reader import open_register
from app.registers.xlsx_export import children_table, layout_columns, write_workbook
from sync.server import db
from sync.server.console import queries as q
from sync.server.console import queries_export as qx
from sync.server.console.queries import OutOfScopeError, RegisterFilter
from sync.server.console.query_tables import q_children
from tests.console.test_queries import (  # noqa: F401 - fixtures
    DISTRICT,
    PARTNER,
    SHARED_ID,
    TOWN,
    Synced,
    synced,
)
from tests.console.test_query_tables import TODAY
from tests.sync.conftest import VILLAGE_A


def _export(synced: Synced, tmp_path: Path, scope: q.Scope, layout: str, **flt: str) -> Path:
    work = qx.new_work_dir(tmp_path / "export-work")
    path = work / f"{layout}.xlsx"
    with synced.district.engine.connect() as conn:
        children = qx.child_files(conn, scope, q.parse_register_filter(flt), TODAY, chunk=3)
        qx.write_child_files(children, path, work, layout)  # type: ignore[arg-type]
    return path


def test_a_town_users_register_reads_back_with_the_laptops_importer(
    synced: Synced, tmp_path: Path
) -> None:
    with synced.district.engine.begin() as conn:  # a synced name that is a formula
        record = conn.execute(
            db.records.select().where(db.records.c.record_id == synced.dup_a)
        ).one()
        data = {**json.loads(record.data), "name": "=1+1"}
        conn.execute(
            update(db.records)
            .where(db.records.c.record_id == synced.dup_a)
            .values(data=json.dumps(data, ensure_ascii=False))
        )
    with synced.district.engine.connect() as conn:
        expected = [r.child_id for r in q.register_rows(conn, TOWN, RegisterFilter(), TODAY)]
    path = _export(synced, tmp_path, TOWN, "register")
    merged = {str(r) for r in openpyxl.load_workbook(path).active.merged_cells.ranges}
    assert {"A1:A2", "F1:F2", "N1:Q1", "R1:U1", "V1:Y1", "Z1:Z2"} <= merged  # as the 登记表
    sheet = open_register(path).read_sheet(0)
    assert sheet.header_depth == 2 and sheet.sheet_name == "儿童登记表"
    mapping = auto_mapping(sheet.headers)
    unknown = [h for h, k in zip(sheet.headers, mapping, strict=True) if k is None]
    assert all(is_ignored(h) for h in unknown), unknown  # only 序号
    assert len(sheet.headers) == len(layout_columns("register"))
    col = {key: i for i, key in enumerate(mapping) if key}
    rows = [r.cells for r in sheet.rows]
    assert len(rows) == len(expected) > 0  # the register's children, all of them
    ids = [r[col["id_number"]] for r in rows]
    assert all(isinstance(i, str) and len(i) == 18 for i in ids if i), ids
    assert SHARED_ID in ids
    assert all(isinstance(r[col["birth_date"]], datetime) for r in rows)
    assert "=1+1" in [r[col["name"]] for r in rows]  # a literal, read back whole
    # every child of the town's villages, none of the other town's: matched by ID number
    with synced.district.engine.connect() as conn:
        other = [
            json.loads(r.data).get("id_number")
            for r in conn.execute(
                db.records.select().where(db.records.c.record_id.in_(synced.c_ids))
            )
        ]
    assert not (set(ids) & {i for i in other if i and i != SHARED_ID})


def test_a_streamed_register_keeps_its_merged_header(tmp_path: Path) -> None:
    """XlsxWriter's merge_range drops a merge in constant_memory mode once a later row was
    written: the streamed writer declares the ranges itself (title row and groups)."""
    work = qx.new_work_dir(tmp_path / "export-work")
    path = work / "titled.xlsx"
    table = children_table(iter(()), layout="register", title="农村留守儿童基本情况登记表")
    write_workbook(path, [table], work_dir=work)
    sheet = openpyxl.load_workbook(path).active
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:Z1", "A2:A3", "N2:Q2", "R2:U2", "V2:Y2"} <= merged
    assert sheet["A1"].value == "农村留守儿童基本情况登记表" and sheet["N2"].value == "父亲"
    assert sheet["N3"].value == "姓名" and sheet["A2"].value == "序号"


def test_the_flat_layout_and_the_filters(synced: Synced, tmp_path: Path) -> None:
    sheet = open_register(_export(synced, tmp_path, DISTRICT, "flat", level="yellow")).read_sheet(0)
    assert sheet.header_depth == 1 and sheet.sheet_name == "儿童名单"
    mapping = auto_mapping(sheet.headers)
    unknown = [h for h, k in zip(sheet.headers, mapping, strict=True) if not k]
    assert unknown == ["序号", "档案状态", "建档日期"]  # as the laptop's flat list: not imported
    flt = q.parse_register_filter({"level": "yellow"})
    with synced.district.engine.connect() as conn:
        names = [r.name for r in q.register_rows(conn, DISTRICT, flt, TODAY)]
    col = mapping.index("name")
    assert [r.cells[col] for r in sheet.rows] == names  # the register's order and filter
    town = open_register(_export(synced, tmp_path, TOWN, "flat")).read_sheet(0)
    village = town.headers.index("村代码")
    assert {r.cells[village] for r in town.rows} == {VILLAGE_A}
    assert len(town.rows) == len(synced.a_ids)


def test_a_partner_is_refused_before_anything_is_read(synced: Synced) -> None:
    with synced.district.engine.connect() as conn, pytest.raises(OutOfScopeError):
        qx.child_files(conn, PARTNER, RegisterFilter(), TODAY)


def test_a_record_the_laptop_cannot_decode_still_gives_its_row(
    synced: Synced, tmp_path: Path
) -> None:
    with synced.district.engine.begin() as conn:
        record = conn.execute(
            db.records.select().where(db.records.c.record_id == synced.dup_a)
        ).one()
        data = json.loads(record.data)
        damaged = {
            **data,
            "gender": "unknown",
            "categories": ["no_such_category"],
            "hukou": "重庆市南川区",
        }
        conn.execute(
            update(db.records)
            .where(db.records.c.record_id == synced.dup_a)
            .values(data=json.dumps(damaged, ensure_ascii=False))
        )
    sheet = open_register(_export(synced, tmp_path, TOWN, "register")).read_sheet(0)
    col = {key: i for i, key in enumerate(auto_mapping(sheet.headers)) if key}
    row = next(r.cells for r in sheet.rows if r.cells[col["id_number"]] == SHARED_ID)
    assert row[col["name"]] == data["name"] and row[col["hukou"]] == "重庆市南川区"
    # the record's gender is unreadable: the register's own column (q_children) stands
    with synced.district.engine.connect() as conn:
        summary = conn.execute(
            select(q_children.c.gender).where(q_children.c.child_id == synced.dup_a)
        ).scalar_one()
    assert row[col["gender"]] == {"male": "男", "female": "女"}[summary]
    assert row[col["birth_date"]] == datetime.combine(
        date.fromisoformat(data["birth_date"]), datetime.min.time()
    )
    assert not row[col["categories"]]
    # and with neither readable, the cell stays empty (never a guess)
    with synced.district.engine.begin() as conn:
        conn.execute(
            update(q_children).where(q_children.c.child_id == synced.dup_a).values(gender="")
        )
    sheet = open_register(_export(synced, tmp_path, TOWN, "register")).read_sheet(0)
    row = next(r.cells for r in sheet.rows if r.cells[col["id_number"]] == SHARED_ID)
    assert row[col["gender"]] is None and row[col["name"]] == data["name"]


def test_the_console_benchmark_measures_the_register_export() -> None:
    """bench/console.py --small prints the 登记表 export's figures (the whole district)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, str(root / "bench" / "console.py"), "--small"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["children_export_rows"] == figures["export_rows"] == 240
    for key in ("children_export_s", "children_decode_s", "children_export_peak_mb"):
        assert figures[key] > 0, key
