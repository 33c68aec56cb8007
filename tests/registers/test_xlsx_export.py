"""Exports read back: types, layout, no formula cells, encryption, and a round trip."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import msoffcrypto
import openpyxl

from app.domain.categories import ChildCategory, GuardianRelation
from app.domain.child_file import ChildFile, Disability, Gender, Guardian
from app.registers.headers import auto_mapping
from app.registers.plan import Action
from app.registers.reader import open_register, open_register_bytes
from app.registers.service import RegisterImport
from app.registers.xlsx_export import Column, export_children, write_table
from app.services.children import ChildService
from storage.vault import Vault
from tests.registers.workbooks import TODAY, child_id

B1 = date(2015, 3, 12)


def a_child(n: int = 1, **kw: object) -> ChildFile:
    values: dict[str, object] = {
        "name": "陈雨桐",
        "gender": Gender.FEMALE,
        "birth_date": B1,
        "village_code": "500119104201",
        "id_number": child_id(B1, 2 * n),
        "school": "汉场坝小学",
        "health": "哮喘，需随身带药；每学期复查",  # Chinese punctuation survives the round trip
        "notes": "家访记录：见纸质档案（共3页）",
        "categories": [ChildCategory.LEFT_BEHIND, ChildCategory.ORPHAN_COMMUNITY],
        "disability": Disability("肢体", 2),
        "guardians": [
            Guardian(GuardianRelation.FATHER, name="陈建国", phone="13800000001",
                     notes="务工地点：广东东莞"),
            Guardian(GuardianRelation.GRANDMOTHER, name="刘桂兰", phone="13800000003",
                     is_caregiver=True),
        ],
    }  # fmt: skip
    values.update(kw)
    return ChildFile(**values)  # type: ignore[arg-type]


def test_types_are_right_and_no_cell_is_a_formula() -> None:
    out = io.BytesIO()
    write_table(
        out,
        columns=[
            Column("姓名"),
            Column("身份证号"),
            Column("出生日期", "date"),
            Column("n", "number"),
        ],
        rows=[
            ['=HYPERLINK("http://x")', child_id(B1, 102), B1, 3],
            ["+1", "-2", datetime(2015, 3, 12, 0, 0), 2.5],
            ["@SUM(A1)", "\tx", None, None],
        ],
        title="台账",
    )
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    sheet = book.active
    assert sheet["A1"].value == "台账"
    assert [c.value for c in sheet[2]] == ["姓名", "身份证号", "出生日期", "n"]
    a3, b3, c3, d3 = sheet[3]
    assert a3.value == '=HYPERLINK("http://x")' and a3.data_type == "s" and a3.quotePrefix
    assert b3.value == child_id(B1, 102) and b3.data_type == "s" and b3.number_format == "@"
    assert c3.is_date and c3.value == datetime(2015, 3, 12)
    assert d3.value == 3
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            assert cell.data_type != "f"
    assert sheet["A4"].quotePrefix and sheet["B4"].quotePrefix and sheet["A5"].quotePrefix


def test_the_register_layout_has_a_merged_two_row_header_and_reads_back_whole() -> None:
    out = io.BytesIO()
    export_children(out, [a_child()], title="农村留守儿童基本情况登记表")
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert "N2:Q2" in merged  # 父亲 over 姓名 身份证号 电话 务工地点
    assert sheet["N2"].value == "父亲" and sheet["N3"].value == "姓名"
    row = [c.value for c in sheet[4]]
    assert row[1] == "陈雨桐" and row[5] == child_id(B1, 2)
    assert row[9] == "肢体二级" and row[16] == "广东东莞" and row[22] == "祖母"
    data = open_register_bytes(out.getvalue()).read_sheet(0)
    assert data.header_depth == 2
    mapping = auto_mapping(data.headers)
    assert [h for h, k in zip(data.headers, mapping, strict=True) if k is None] == ["序号"]


def test_export_then_import_changes_nothing(vault: Vault, tmp_path: Path) -> None:
    service = ChildService(vault, author="王秀英", today=lambda: TODAY)
    for n in range(1, 4):
        service.create(a_child(n, name=f"儿童{n}"))
    children = [s.value for s in service.list_all()[0]]
    for layout in ("register", "flat"):
        path = tmp_path / f"{layout}.xlsx"
        with path.open("wb") as out:
            export_children(out, children, layout=layout)  # type: ignore[arg-type]
        sheet = open_register(path).read_sheet(0)
        plan = RegisterImport(vault, author="x", today=lambda: TODAY).plan(
            sheet, auto_mapping(sheet.headers)
        )
        assert [r.action for r in plan.rows] == [Action.UNCHANGED] * 3, plan.to_json()


def test_an_encrypted_export_opens_with_its_password_only() -> None:
    out = io.BytesIO()
    export_children(out, [a_child()], password="汉场坝2026")
    office = msoffcrypto.OfficeFile(io.BytesIO(out.getvalue()))
    assert office.is_encrypted()
    plain = io.BytesIO()
    office.load_key(password="汉场坝2026")
    office.decrypt(plain)
    sheet = openpyxl.load_workbook(plain).active
    assert sheet["B3"].value == "陈雨桐"


def test_an_export_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    import os
    import stat

    from app.registers.xlsx_export import open_for_export

    path = tmp_path / "名单.xlsx"
    with open_for_export(path) as out:
        export_children(out, [a_child()])
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert openpyxl.load_workbook(path).active["B3"].value == "陈雨桐"
