"""Writing registers (台账) and other tables as ``.xlsx``: the one shared writer.

No Qt, no vault: anything that has rows — the desktop app's children list, the monthly report,
the district console — can write a workbook through it.

API
---

``write_workbook(target, tables, work_dir=None, password=None)``
    Writes one sheet per :class:`Table` (columns, rows, sheet name, optional title row). Each
    :class:`Column` has a header, a kind ``text`` / ``date`` / ``number``, a width and an
    optional ``group``: consecutive columns with the same group get a merged upper header, as
    in the government forms, and the other headers are merged over both header rows. Rows are
    sequences, one value per column (``None`` leaves the cell empty; ``date``/``datetime`` for
    date columns; ``int``/``float`` for number columns; ``str`` everywhere else). Two modes:

    - in memory (the desktop app): ``target`` is a binary file object; ``password`` gives an
      encrypted workbook (ECMA-376 agile encryption, which Excel and WPS open with it);
    - streamed (the district console, 100,000+ rows): ``work_dir`` is a private folder,
      ``target`` a path; XlsxWriter's ``constant_memory`` mode writes each row to a file in
      ``work_dir`` as it goes, so memory stays bounded; the caller removes the folder.

``write_table(target, columns=..., rows=..., sheet_name=..., title="", password=None)``
    One sheet in memory (the common case of the first mode). Returns the number of rows.

``open_for_export(path)`` / ``atomic_export(path)``
    The chosen file, readable by its owner only (mode 0600 on POSIX); ``atomic_export``
    writes a partial file beside it and renames it over ``path`` only when complete.

``export_children(target, children, layout="register" | "flat", title="", password=None,
work_dir=None)``
    Child files in the layout of the 《农村留守儿童基本情况登记表》 (two-row header, parents
    and guardian grouped) or a flat one-header-row layout; both read back by the importer
    (app/registers/reader.py) with every column recognised (序号 skipped; the flat list's
    档案状态 and 建档日期 are for reading, not imported). In memory (the laptop) or, with
    ``work_dir``, streamed to a path (the district console's 登记表 export, from an iterator
    of decoded child records). ``children_table`` is the same layout as a :class:`Table`
    (its rows made lazily by ``child_row``) for a workbook of several sheets; the columns of
    each layout are ``layout_columns(layout)`` — one definition for the laptop and the
    console.

Guarantees, tested in tests/registers/test_xlsx_export.py and tests/console:

- Text is always written as text, never as a formula or a number: ID numbers stay 18
  characters (never ``5.00119E+17``) and their column has the Text number format, so editing a
  cell in Excel keeps it text.
- A text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is a
  literal: it gets Excel's "quote prefix" (the leading apostrophe that is not part of the
  value), so neither Excel nor WPS treats it as a formula, even when the cell is edited
  (CWE-1236); the value itself stays whole, so an export imports back unchanged. Control
  characters that XML cannot hold are dropped. This is the one place where that is done.
- Dates are real date cells shown ``yyyy-mm-dd``.
- In memory, nothing is written anywhere but ``target`` (XlsxWriter's ``in_memory``; the
  encrypted variant is made from the in-memory bytes). 10,000 children take well under
  100 MB of memory. Streamed, nothing is written outside ``work_dir`` and ``target``.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from app.domain.categories import CATEGORY_LABELS_ZH, RELATION_LABELS_ZH, GuardianRelation
from app.domain.child_file import GENDER_LABELS_ZH, STATUS_LABELS_ZH, ChildFile, Guardian
from storage.gc_pause import gc_paused

Kind = Literal["text", "date", "number"]
Layout = Literal["register", "flat"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_SHEET_NAME = 31
# A date cell holds the days since Excel's epoch (1899-12-30 counts from 1900-03-01 on, past
# the 1900 leap-day bug); written as that number with a date format it is a real date cell.
SERIAL_EPOCH = date(1899, 12, 30)
SERIAL_FROM = date(1900, 3, 1)


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    width: float = 12
    group: str = ""


@dataclass(frozen=True)
class Table:
    """One sheet: its columns, its rows (any iterable, read once, in order) and an optional
    title row over the header."""

    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    sheet_name: str = "Sheet1"
    title: str = ""


def open_for_export(path: Path) -> BinaryIO:
    """The chosen file, opened for writing, readable by its owner only where the system has
    such modes (an export holds personal data; on Windows the folder's rights apply)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    return os.fdopen(fd, "wb")


@contextmanager
def atomic_export(path: Path) -> Iterator[BinaryIO]:
    """Write ``path`` whole or not at all: the bytes go to a hidden partial file beside it
    (owner-only), flushed to the disk, then renamed over ``path``. A full disk or a USB stick
    pulled out half-way leaves the old file (if any) as it was and the partial file removed
    (where the folder can still be reached)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
    try:
        with open_for_export(partial) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    except BaseException:
        with suppress(OSError):
            partial.unlink()
        raise


def needs_quote_prefix(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def clean_cell_text(text: str) -> str:
    """Control characters other than tab, line feed and carriage return cannot be stored in
    a worksheet's XML: they are dropped."""
    if text.isprintable():
        return text
    return "".join(ch for ch in text if ch >= " " or ch in "\t\r\n")


def write_table(
    target: BinaryIO,
    *,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    sheet_name: str = "Sheet1",
    title: str = "",
    password: str | None = None,
) -> int:
    """One sheet, in memory, to ``target`` (encrypted with ``password`` if given)."""
    table = Table(columns, rows, sheet_name, title)
    return write_workbook(target, [table], password=password)[0]


def write_workbook(
    target: BinaryIO | Path,
    tables: Iterable[Table],
    *,
    work_dir: Path | None = None,
    password: str | None = None,
) -> list[int]:
    """Several sheets in one workbook; returns the number of rows of each.

    Without ``work_dir`` the workbook is built in memory and written to the file object
    ``target`` (optionally encrypted): nothing touches the disk but ``target``. With
    ``work_dir`` (the district console: 100,000+ rows) XlsxWriter runs in ``constant_memory``
    mode: each row goes to a file in ``work_dir`` as it is written and ``target`` is a path;
    memory stays bounded whatever the number of rows, and the caller removes ``work_dir``.
    """
    import xlsxwriter  # here, not at import: the console and the desk start without it

    buffer: io.BytesIO | None = None
    if work_dir is None:
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    else:
        if password or not isinstance(target, Path):
            raise ValueError("a streamed workbook is written to a path, without a password")
        options = {"constant_memory": True, "tmpdir": str(work_dir), "strings_to_formulas": False}
        book = xlsxwriter.Workbook(str(target), options)
    formats = _Formats(book)
    try:
        streamed = work_dir is not None
        counts = [_write_sheet(book, formats, table, streamed) for table in tables]
    finally:
        book.close()
    if buffer is not None:
        assert not isinstance(target, Path)
        if password:
            from msoffcrypto.format.ooxml import OOXMLFile

            buffer.seek(0)
            OOXMLFile(buffer).encrypt(password, target)
        else:
            target.write(buffer.getvalue())
    return counts


class _Formats:
    def __init__(self, book: Any) -> None:
        self.head = book.add_format(
            {"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True}
        )
        self.title = book.add_format({"bold": True, "font_size": 14, "align": "center"})
        self.text = book.add_format({"num_format": "@"})
        self.quoted = book.add_format({"num_format": "@", "quote_prefix": True})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})


def _write_sheet(book: Any, formats: _Formats, table: Table, streamed: bool = False) -> int:
    """Header rows are written in row order (``constant_memory`` drops a write to a row
    already passed); the merges are declared after their cells."""
    sheet = book.add_worksheet(_sheet_name(table.sheet_name))
    columns = table.columns
    last = len(columns) - 1
    for c, column in enumerate(columns):
        sheet.set_column(c, c, column.width, formats.text if column.kind == "text" else None)
    row = 0
    merges: list[tuple[int, int, int, int, str, Any]] = []
    if table.title:
        sheet.write_string(0, 0, table.title, formats.title)
        if last > 0:
            merges.append((0, 0, 0, last, table.title, formats.title))
        row = 1
    two_rows = any(c.group for c in columns)
    upper: list[str] = []
    lower: list[str] = []
    col = 0
    while col <= last:
        column = columns[col]
        if two_rows and column.group:
            end = col
            while end + 1 <= last and columns[end + 1].group == column.group:
                end += 1
            upper += [column.group] + [""] * (end - col)
            lower += [c.header for c in columns[col : end + 1]]
            if end > col:
                merges.append((row, col, row, end, column.group, formats.head))
            col = end + 1
            continue
        upper.append(column.header)
        lower.append("")
        if two_rows:
            merges.append((row, col, row + 1, col, column.header, formats.head))
        col += 1
    for offset, texts in enumerate([upper, lower] if two_rows else [upper]):
        for c, text in enumerate(texts):
            if text:
                sheet.write_string(row + offset, c, text, formats.head)
            else:
                sheet.write_blank(row + offset, c, None, formats.head)
    if streamed:
        _declare_merges(sheet, merges)
    else:
        for merge in merges:
            sheet.merge_range(*merge)
    row += 2 if two_rows else 1
    sheet.freeze_panes(row, 0)
    with gc_paused():  # XlsxWriter keeps a small object per cell: no collector passes
        return _write_rows(sheet, columns, table.rows, row, formats)


def _declare_merges(sheet: Any, merges: list[tuple[int, int, int, int, str, Any]]) -> None:
    """The merged header ranges of a streamed sheet. XlsxWriter's ``merge_range`` does not work
    in ``constant_memory`` mode (it writes the range's cells, and a write to a row already
    passed is dropped — with it the whole merge, silently): the cells are written above, in
    row order, so only the ranges are added to the list the worksheet writes as
    ``<mergeCells>`` when it closes (the list ``merge_range`` itself appends to; the tests
    read the merges back from a streamed file, so a change there is caught)."""
    ranges = getattr(sheet, "merge", None)
    if not isinstance(ranges, list):
        raise RuntimeError("this XlsxWriter keeps its merged ranges elsewhere")
    ranges.extend(
        [first_row, first_col, last_row, last_col]
        for first_row, first_col, last_row, last_col, *_ in merges
    )


def _write_rows(
    sheet: Any,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    row: int,
    formats: _Formats,
) -> int:
    count = 0
    kinds = [c.kind for c in columns]
    write_number, write_string = sheet.write_number, sheet.write_string
    date_format, text_format, quoted_format = formats.date, formats.text, formats.quoted
    for values in rows:
        for c, kind in enumerate(kinds):
            value = values[c] if c < len(values) else None
            if value is None or value == "":
                continue
            if kind == "date" and isinstance(value, date):
                if type(value) is date and value >= SERIAL_FROM:  # the common case, quicker
                    write_number(row, c, (value - SERIAL_EPOCH).days, date_format)
                else:
                    day = value if isinstance(value, datetime) else datetime(*value.timetuple()[:3])
                    sheet.write_datetime(row, c, day, date_format)
            elif kind == "number" and type(value) in (int, float):
                write_number(row, c, value)
            else:
                text = clean_cell_text(str(value))
                quoted = text.startswith(FORMULA_TRIGGERS)
                write_string(row, c, text, quoted_format if quoted else text_format)
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
        GENDER_LABELS_ZH.get(child.gender, ""),  # empty for an unreadable synced record
        child.ethnicity,
        child.birth_date,
        child.id_number,
    ]
    # 户籍 · 住址 · 健康 · 残疾 · 学校 · 年级 · 类别: in both layouts, in this order
    about = [
        child.hukou,
        child.address,
        child.health,
        _disability(child),
        child.school,
        child.grade,
        categories,
    ]
    if layout == "register":
        return [
            *common_head,
            *about,
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
        *about,
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


SHEET_NAMES: dict[Layout, str] = {"register": "儿童登记表", "flat": "儿童名单"}


def layout_columns(layout: Layout) -> tuple[Column, ...]:
    return REGISTER_COLUMNS if layout == "register" else FLAT_COLUMNS


def children_table(
    children: Iterable[ChildFile], *, layout: Layout = "register", title: str = ""
) -> Table:
    """Child files as one sheet in ``layout``: the rows are made from ``children`` as the
    writer reaches them (an iterator is read once, in order), so a streamed workbook never
    holds more than one child at a time."""
    rows = (child_row(child, n, layout) for n, child in enumerate(children, start=1))
    return Table(layout_columns(layout), rows, SHEET_NAMES[layout], title)


def export_children(
    target: BinaryIO | Path,
    children: Iterable[ChildFile],
    *,
    layout: Layout = "register",
    title: str = "",
    password: str | None = None,
    work_dir: Path | None = None,
) -> int:
    """Write ``children`` in ``layout``; returns how many. In memory to a file object
    (optionally encrypted), or with ``work_dir`` streamed to the path ``target`` (the
    district console: any number of children in bounded memory)."""
    table = children_table(children, layout=layout, title=title)
    return write_workbook(target, [table], work_dir=work_dir, password=password)[0]
