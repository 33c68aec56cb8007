"""Writing registers (台账) and other tables as ``.xlsx``: the one shared writer.

No Qt, no vault: anything that has rows — the desktop app's children list, the monthly report,
the district console — can write a workbook through it.

API
---

``write_table(target, columns=..., rows=..., sheet_name=..., title="", password=None)``
    Writes one sheet to the binary file object ``target``. ``columns`` is a sequence of
    :class:`Column` (header, kind ``text`` / ``date`` / ``number``, width, optional ``group``:
    consecutive columns with the same group get a merged upper header, as in the government
    forms, and the other headers are merged over both header rows). ``rows`` is an iterable of
    sequences, one value per column (``None`` leaves the cell empty; ``date``/``datetime`` for
    date columns; ``int``/``float`` for number columns; ``str`` everywhere else). ``title``:
    an optional title row over the header. ``password``: the workbook is encrypted (ECMA-376
    agile encryption, which Excel and WPS open with the password). Returns the number of rows.

``open_for_export(path)``
    Opens the chosen file for writing, readable by its owner only (mode 0600 on POSIX).

``export_children(target, children, layout="register" | "flat", title="", password=None)``
    Child files in the layout of the 《农村留守儿童基本情况登记表》 (two-row header, parents
    and guardian grouped) or a flat one-header-row layout; both read back by the importer
    (app/registers/reader.py) with every column recognised.

Guarantees, tested in tests/registers/test_xlsx_export.py:

- Text is always written as text, never as a formula or a number: ID numbers stay 18
  characters (never ``5.00119E+17``) and their column has the Text number format, so editing a
  cell in Excel keeps it text.
- A text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is a
  literal: it gets Excel's "quote prefix" (the leading apostrophe that is not part of the
  value), so neither Excel, WPS nor a later CSV round trip treats it as a formula (CWE-1236).
- Dates are real date cells shown ``yyyy-mm-dd``.
- Nothing is written anywhere but ``target``: XlsxWriter runs with ``in_memory`` (its
  ``constant_memory`` mode and openpyxl's writer both put each sheet in a temporary file, a
  plaintext copy of personal data this program must not leave behind); the encrypted variant
  is made from the in-memory bytes. 10,000 children take well under 100 MB of memory.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

import xlsxwriter

from app.domain.categories import CATEGORY_LABELS_ZH, RELATION_LABELS_ZH, GuardianRelation
from app.domain.child_file import GENDER_LABELS_ZH, STATUS_LABELS_ZH, ChildFile, Guardian
from storage.gc_pause import gc_paused

Kind = Literal["text", "date", "number"]
Layout = Literal["register", "flat"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_SHEET_NAME = 31


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    width: float = 12
    group: str = ""


def open_for_export(path: Path) -> BinaryIO:
    """The chosen file, opened for writing, readable by its owner only where the system has
    such modes (an export holds personal data; on Windows the folder's rights apply)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    return os.fdopen(fd, "wb")


def needs_quote_prefix(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def write_table(
    target: BinaryIO,
    *,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    sheet_name: str = "Sheet1",
    title: str = "",
    password: str | None = None,
) -> int:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(_sheet_name(sheet_name))
    head = book.add_format(
        {"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True}
    )
    title_format = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    text_format = book.add_format({"num_format": "@"})
    quoted_format = book.add_format({"num_format": "@", "quote_prefix": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})

    row = 0
    last = len(columns) - 1
    if title:
        if last > 0:
            sheet.merge_range(0, 0, 0, last, title, title_format)
        else:
            sheet.write_string(0, 0, title, title_format)
        row = 1
    two_rows = any(c.group for c in columns)
    col = 0
    while col <= last:
        column = columns[col]
        if two_rows and column.group:
            end = col
            while end + 1 <= last and columns[end + 1].group == column.group:
                end += 1
            if end > col:
                sheet.merge_range(row, col, row, end, column.group, head)
            else:
                sheet.write_string(row, col, column.group, head)
            for c in range(col, end + 1):
                sheet.write_string(row + 1, c, columns[c].header, head)
            col = end + 1
            continue
        if two_rows:
            sheet.merge_range(row, col, row + 1, col, column.header, head)
        else:
            sheet.write_string(row, col, column.header, head)
        col += 1
    for c, column in enumerate(columns):
        sheet.set_column(c, c, column.width, text_format if column.kind == "text" else None)
    row += 2 if two_rows else 1
    sheet.freeze_panes(row, 0)

    with gc_paused():  # XlsxWriter keeps a small object per cell: no collector passes
        count = _write_rows(sheet, columns, rows, row, text_format, quoted_format, date_format)
    book.close()
    if password:
        from msoffcrypto.format.ooxml import OOXMLFile

        buffer.seek(0)
        OOXMLFile(buffer).encrypt(password, target)
    else:
        target.write(buffer.getvalue())
    return count


def _write_rows(
    sheet: Any,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    row: int,
    text_format: Any,
    quoted_format: Any,
    date_format: Any,
) -> int:
    count = 0
    for values in rows:
        for c, column in enumerate(columns):
            value = values[c] if c < len(values) else None
            if value is None or value == "":
                continue
            if column.kind == "date" and isinstance(value, date):
                stamp = value if isinstance(value, datetime) else datetime(*value.timetuple()[:3])
                sheet.write_datetime(row, c, stamp, date_format)
            elif column.kind == "number" and isinstance(value, int | float):
                sheet.write_number(row, c, value)
            else:
                text = str(value)
                sheet.write_string(
                    row, c, text, quoted_format if needs_quote_prefix(text) else text_format
                )
        row += 1
        count += 1
    return count


def _sheet_name(name: str) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")
    return (cleaned or "Sheet1")[:MAX_SHEET_NAME]


# ----- child files -------------------------------------------------------------------------

REGISTER_COLUMNS: tuple[Column, ...] = (
    Column("序号", "number", 6),
    Column("姓名", "text", 10),
    Column("性别", "text", 6),
    Column("民族", "text", 8),
    Column("出生日期", "date", 12),
    Column("公民身份证号码", "text", 21),
    Column("户籍所在地", "text", 20),
    Column("现居住地", "text", 20),
    Column("身体情况", "text", 10),
    Column("残疾类别及等级", "text", 12),
    Column("就学情况", "text", 16),
    Column("年级", "text", 8),
    Column("儿童类别", "text", 16),
    Column("姓名", "text", 10, "父亲"),
    Column("身份证号", "text", 21, "父亲"),
    Column("电话", "text", 14, "父亲"),
    Column("务工地点", "text", 14, "父亲"),
    Column("姓名", "text", 10, "母亲"),
    Column("身份证号", "text", 21, "母亲"),
    Column("电话", "text", 14, "母亲"),
    Column("务工地点", "text", 14, "母亲"),
    Column("姓名", "text", 10, "监护人"),
    Column("关系", "text", 8, "监护人"),
    Column("电话", "text", 14, "监护人"),
    Column("身份证号", "text", 21, "监护人"),
    Column("备注", "text", 20),
)

FLAT_COLUMNS: tuple[Column, ...] = (
    Column("序号", "number", 6),
    Column("姓名", "text", 10),
    Column("性别", "text", 6),
    Column("民族", "text", 8),
    Column("出生日期", "date", 12),
    Column("身份证号", "text", 21),
    Column("村代码", "text", 14),
    Column("户籍所在地", "text", 20),
    Column("现居住地", "text", 20),
    Column("身体情况", "text", 10),
    Column("残疾类别及等级", "text", 12),
    Column("学校", "text", 16),
    Column("年级", "text", 8),
    Column("儿童类别", "text", 16),
    Column("父亲姓名", "text", 10),
    Column("父亲电话", "text", 14),
    Column("母亲姓名", "text", 10),
    Column("母亲电话", "text", 14),
    Column("监护人姓名", "text", 10),
    Column("监护人关系", "text", 8),
    Column("监护人电话", "text", 14),
    Column("档案状态", "text", 8),
    Column("建档日期", "date", 12),
    Column("备注", "text", 20),
)

_GRADE_ZH = {1: "一", 2: "二", 3: "三", 4: "四"}


def _work_place(guardian: Guardian | None) -> str:
    if guardian is None:
        return ""
    for line in guardian.notes.splitlines():
        if line.startswith("务工地点："):
            return line.removeprefix("务工地点：")
    return ""


def _carer(child: ChildFile) -> Guardian | None:
    others = [
        g
        for g in child.guardians
        if g.relation not in (GuardianRelation.FATHER, GuardianRelation.MOTHER)
    ]
    return next((g for g in others if g.is_caregiver), others[0] if others else None)


def _disability(child: ChildFile) -> str:
    d = child.disability
    if d is None or not d.kind:
        return ""
    return f"{d.kind}{_GRADE_ZH[d.grade]}级" if d.grade in _GRADE_ZH else d.kind


def child_row(child: ChildFile, number: int, layout: Layout) -> list[Any]:
    father = child.parent(GuardianRelation.FATHER)
    mother = child.parent(GuardianRelation.MOTHER)
    carer = _carer(child)
    categories = "、".join(CATEGORY_LABELS_ZH[c] for c in child.categories)
    relation = RELATION_LABELS_ZH[carer.relation] if carer else ""
    common_head = [
        number,
        child.name,
        GENDER_LABELS_ZH[child.gender],
        child.ethnicity,
        child.birth_date,
        child.id_number,
    ]
    if layout == "register":
        return [
            *common_head,
            child.hukou,
            child.address,
            child.health,
            _disability(child),
            child.school,
            child.grade,
            categories,
            father.name if father else "",
            father.id_number if father else "",
            father.phone if father else "",
            _work_place(father),
            mother.name if mother else "",
            mother.id_number if mother else "",
            mother.phone if mother else "",
            _work_place(mother),
            carer.name if carer else "",
            relation,
            carer.phone if carer else "",
            carer.id_number if carer else "",
            child.notes,
        ]
    return [
        *common_head,
        child.village_code,
        child.hukou,
        child.address,
        child.health,
        _disability(child),
        child.school,
        child.grade,
        categories,
        father.name if father else "",
        father.phone if father else "",
        mother.name if mother else "",
        mother.phone if mother else "",
        carer.name if carer else "",
        relation,
        carer.phone if carer else "",
        STATUS_LABELS_ZH[child.status],
        child.opened_on,
        child.notes,
    ]


def export_children(
    target: BinaryIO,
    children: Iterable[ChildFile],
    *,
    layout: Layout = "register",
    title: str = "",
    password: str | None = None,
) -> int:
    columns = REGISTER_COLUMNS if layout == "register" else FLAT_COLUMNS
    rows = (child_row(child, n, layout) for n, child in enumerate(children, start=1))
    return write_table(
        target,
        columns=columns,
        rows=rows,
        sheet_name="儿童登记表" if layout == "register" else "儿童名单",
        title=title,
        password=password,
    )
