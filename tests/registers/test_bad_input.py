"""Bad input: each gets a clear message and nothing is written."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from app.registers.headers import auto_mapping
from app.registers.plan import Action
from app.registers.reader import RegisterReadError, open_register
from app.registers.rows import parse_row
from app.registers.service import RegisterImport
from app.registers.xlsx_export import Column, write_table
from app.services.children import ChildService
from storage.vault import Vault
from tests.registers.workbooks import (
    TODAY,
    child_id,
    national_row,
    write_national,
    write_simple,
)

B1 = date(2015, 3, 12)


def refused(path: Path, code: str, **kwargs: str) -> RegisterReadError:
    with pytest.raises(RegisterReadError) as caught:
        book = open_register(path, **kwargs)  # type: ignore[arg-type]
        book.read_sheet(0)
    assert caught.value.code == code, caught.value.message_en
    assert caught.value.message_zh
    return caught.value


def test_files_that_are_not_spreadsheets(tmp_path: Path) -> None:
    pdf = tmp_path / "a.xlsx"
    pdf.write_bytes(b"%PDF-1.4\n\x00\x01\x02binary")
    assert "不是表格文件" in refused(pdf, "not_spreadsheet").message_zh
    docx = tmp_path / "b.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    refused(docx, "not_spreadsheet")
    ods = tmp_path / "c.ods"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert ".xlsx" in refused(ods, "ods").message_zh
    empty = tmp_path / "d.csv"
    empty.write_bytes(b"")
    refused(empty, "empty_sheet")
    refused(tmp_path / "missing.xlsx", "not_found")
    truncated = tmp_path / "e.xlsx"
    good = write_national(tmp_path / "good.xlsx", [national_row(1, "陈雨桐", "女", B1, "")])
    truncated.write_bytes(good.read_bytes()[:2000])
    refused(truncated, "damaged")


def test_an_empty_sheet_and_a_sheet_without_a_header(tmp_path: Path) -> None:
    refused(write_simple(tmp_path / "e.xlsx", [], []), "empty_sheet")
    sheet = open_register(write_simple(tmp_path / "n.xlsx", ["甲", "乙"], [["1", "2"]])).read_sheet(
        0
    )
    assert not sheet.header_found and sheet.headers == ["甲", "乙"]  # the user maps it by hand
    assert auto_mapping(sheet.headers) == [None, None]


def test_an_encrypted_workbook_asks_for_its_password(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    with path.open("wb") as out:
        write_table(
            out,
            columns=[Column("姓名"), Column("身份证号"), Column("性别")],
            rows=[["陈雨桐", child_id(B1, 102), "女"]],
            password="村里的密码",
        )
    assert "密码" in refused(path, "encrypted").message_zh
    refused(path, "wrong_password", password="不对")
    sheet = open_register(path, password="村里的密码").read_sheet(0)
    assert sheet.rows[0].cells[:2] == ["陈雨桐", child_id(B1, 102)]


def test_excel_mangled_id_numbers_are_explained_and_refused(tmp_path: Path) -> None:
    rows = [
        national_row(1, "陈雨桐", "女", B1, child_id(B1, 102)),
        national_row(2, "刘子轩", "男", B1, "5.00119E+17"),
    ]
    path = write_national(tmp_path / "r.xlsx", rows, id_as_number=True)
    sheet = open_register(path).read_sheet(0)
    mapping = auto_mapping(sheet.headers)
    for raw in sheet.rows[:2]:
        values = parse_row(raw, mapping, sheet.headers, today=TODAY)
        (problem,) = [p for p in values.problems if p.field == "id_number"]
        assert "5.00119E+17" in problem.message_zh and "文本" in problem.message_zh
        assert problem.blocking


def row_problems(tmp_path: Path, header: list[str], cells: list[object]) -> list[str]:
    sheet = open_register(write_simple(tmp_path / "s.xlsx", header, [cells])).read_sheet(0)
    values = parse_row(sheet.rows[0], auto_mapping(sheet.headers), sheet.headers, today=TODAY)
    return [p.message_zh for p in values.problems]


def test_each_row_problem_in_plain_chinese(tmp_path: Path) -> None:
    h = ["姓名", "性别", "出生日期", "身份证号", "儿童类别"]
    good = child_id(B1, 102)
    wrong_check = good[:-1] + ("1" if good[-1] != "1" else "2")
    assert any("校验" in m for m in row_problems(tmp_path, h, ["甲", "女", "", wrong_check, ""]))
    found = row_problems(tmp_path, h, ["甲", "女", "2015-03-13", good, ""])
    assert any("出生日期与身份证号不一致" in m for m in found)
    assert any(
        "性别与身份证号不一致" in m for m in row_problems(tmp_path, h, ["甲", "男", "", good, ""])
    )
    assert any("不存在" in m for m in row_problems(tmp_path, h, ["甲", "女", "2015.2.30", "", ""]))
    old = date(2006, 1, 5)
    assert any(
        "已满18周岁" in m
        for m in row_problems(tmp_path, h, ["甲", "男", "", child_id(old, 101), ""])
    )
    found = row_problems(tmp_path, h, ["甲", "女", "", good, "留守、五保"])
    assert any("“五保”认不出" in m for m in found)
    assert any(
        "只有年和月" in m for m in row_problems(tmp_path, h, ["甲", "女", "2015.03", "", ""])
    )


def test_full_width_digits_line_breaks_and_spaces(tmp_path: Path) -> None:
    good = child_id(B1, 102)
    full = "".join(chr(ord(c) + 0xFEE0) for c in good)
    h = ["姓 名", "出生\n日期", "公民身份号码\n（18位）", "现居住地"]
    sheet = open_register(
        write_simple(
            tmp_path / "s.xlsx", h, [["陈\u3000雨桐", "2015年3月12日", full, "汉场坝村\n3组"]]
        )
    ).read_sheet(0)
    mapping = auto_mapping(sheet.headers)
    assert mapping == ["name", "birth_date", "id_number", "address"]
    values = parse_row(sheet.rows[0], mapping, sheet.headers, today=TODAY)
    assert values.problems == []
    assert (values.name, values.id_number, values.address) == ("陈雨桐", good, "汉场坝村 3组")


def test_csv_in_utf8_and_gb18030(tmp_path: Path) -> None:
    text = f"姓名,性别,身份证号\n陈雨桐,女,{child_id(B1, 102)}\n"
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        book = open_register(path)
        assert book.kind == "csv"
        sheet = book.read_sheet(0)
        assert sheet.headers == ["姓名", "性别", "身份证号"]
        assert sheet.rows[0].cells[0] == "陈雨桐"


def test_a_formula_without_a_saved_result_is_reported(vault: Vault, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "f.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for c, h in enumerate(["姓名", "身份证号", "出生日期"]):
        sheet.write_string(0, c, h)
    sheet.write_string(1, 0, "陈雨桐")
    sheet.write_string(1, 1, child_id(B1, 102))
    sheet.write_formula(1, 2, "=DATE(MID(B2,7,4),MID(B2,11,2),MID(B2,13,2))", None, "")
    book.close()
    data = open_register(path).read_sheet(0)
    assert data.formula_cells == {(2, 2)}
    plan = RegisterImport(vault, author="x", today=lambda: TODAY).plan(
        data, auto_mapping(data.headers)
    )
    assert plan.rows[0].action == Action.PROBLEM
    assert "公式" in plan.rows[0].problems[0].message_zh


def test_a_sheet_too_long_to_be_a_register_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    from app.registers import reader

    lines = ["姓名,性别,身份证号"] + [f"儿童{n},女," for n in range(reader.MAX_DATA_ROWS + 5)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    refused(path, "too_many_rows")


def test_refused_input_writes_nothing(vault: Vault, tmp_path: Path) -> None:
    seq = vault.last_seq()
    with pytest.raises(RegisterReadError):
        open_register(tmp_path / "none.xlsx")
    assert vault.last_seq() == seq
    assert ChildService(vault, author="").list_all()[0] == []


def test_no_copy_of_the_file_is_left_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    spy = tmp_path / "tmp"
    spy.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spy))
    path = write_national(tmp_path / "r.xlsx", [national_row(1, "陈雨桐", "女", B1, "")])
    open_register(path).read_sheet(0)
    out = io.BytesIO()
    write_table(out, columns=[Column("姓名")], rows=[["陈雨桐"]], password="pw")
    write_table(out, columns=[Column("姓名")], rows=[["陈雨桐"]])
    assert list(spy.iterdir()) == []


def test_an_xlsx_too_long_is_refused_while_streaming_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet far longer than any register: read row by row and refused at the limit (lowered
    here to keep the test quick), with progress on the way, without holding the whole sheet."""
    import tracemalloc

    import xlsxwriter

    from app.registers import reader

    monkeypatch.setattr(reader, "MAX_DATA_ROWS", 2_000)
    path = tmp_path / "huge.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    for c, h in enumerate(["姓名", "性别", "身份证号", "现居住地"]):
        sheet.write_string(0, c, h)
    for r in range(1, 20_000):
        sheet.write_string(r, 0, f"儿童{r}")
        sheet.write_string(r, 1, "女")
        sheet.write_string(r, 3, "木凉镇汉场坝村" * 4)
    book.close()
    seen: list[int] = []
    tracemalloc.start()
    try:
        with pytest.raises(RegisterReadError) as caught:
            open_register(path).read_sheet(0, progress=seen.append)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "too_many_rows"
    assert seen and seen[-1] <= reader.MAX_DATA_ROWS + 500  # stopped at the limit
    assert peak < 40_000_000, peak


def test_a_cancelled_read_stops(tmp_path: Path) -> None:
    from app.registers.reader import ImportCancelledError

    lines = ["姓名,性别,身份证号"] + [f"儿童{n},女," for n in range(3000)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ImportCancelledError):
        open_register(path).read_sheet(0, cancelled=lambda: True)
