"""Registers made by the tests, with XlsxWriter directly (not through app/registers), in the
layouts the field uses: a title row, a two-row header with merged group cells, column numbers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter

from app.domain.id_number import FICTIONAL_AREA_CODE, make_id_number

TODAY = date(2026, 11, 22)


def child_id(birth: date, sequence: int) -> str:
    return make_id_number(FICTIONAL_AREA_CODE, birth, sequence)


# The national 《农村留守儿童基本情况登记表》 shape: upper header row, lower header row.
NATIONAL_UPPER = [
    "序号", "姓名", "性别", "民族", "出生日期", "公民身份证号码", "户籍所在地", "现居住地",
    "身体情况", "就学情况", "父亲", None, None, "母亲", None, None, "委托监护人", None, None,
    "儿童类别",
]  # fmt: skip
NATIONAL_LOWER = [
    None, None, None, None, None, None, None, None, None, None,
    "姓名", "电话", "务工地点", "姓名", "电话", "务工地点", "姓名", "关系", "电话", None,
]  # fmt: skip


def national_row(
    number: int,
    name: str,
    gender: str,
    birth: Any,
    id_number: Any,
    *,
    father: str = "",
    father_phone: str = "",
    work: str = "",
    mother: str = "",
    carer: str = "",
    relation: str = "",
    carer_phone: str = "",
    categories: str = "留守",
) -> list[Any]:
    return [
        number, name, gender, "汉族", birth, id_number, "重庆市南川区", "木凉镇汉场坝村",
        "健康", "汉场坝小学", father, father_phone, work, mother, "", "", carer, relation,
        carer_phone, categories,
    ]  # fmt: skip


def write_national(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str = "农村留守儿童基本情况登记表",
    sheets_before: Sequence[str] = (),
    id_as_number: bool = False,
) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    for name in sheets_before:
        book.add_worksheet(name).write(0, 0, "说明：本表由村（社区）儿童主任填写")
    sheet = book.add_worksheet("登记表")
    head = book.add_format({"bold": True, "border": 1})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.merge_range(0, 0, 0, len(NATIONAL_UPPER) - 1, title)
    sheet.write(1, 0, "填报单位：木凉镇汉场坝村            填报日期：2026年11月")
    col = 0
    while col < len(NATIONAL_UPPER):
        upper = NATIONAL_UPPER[col]
        if NATIONAL_LOWER[col] is None:
            sheet.merge_range(2, col, 3, col, upper, head)
            col += 1
            continue
        end = col
        while end + 1 < len(NATIONAL_UPPER) and NATIONAL_UPPER[end + 1] is None:
            end += 1
        sheet.merge_range(2, col, 2, end, upper, head)
        for c in range(col, end + 1):
            sheet.write_string(3, c, NATIONAL_LOWER[c], head)
        col = end + 1
    for c in range(len(NATIONAL_UPPER)):  # the column-number row of government forms
        sheet.write_number(4, c, c + 1)
    for r, row in enumerate(rows, start=5):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, dates)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif c == 5 and id_as_number and str(value).isdigit():
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, str(value))
    sheet.write(5 + len(rows) + 1, 0, "填表人：王秀英    复核人：")
    book.close()
    return path


def write_simple(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet1")
    for c, h in enumerate(header):
        sheet.write_string(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path
