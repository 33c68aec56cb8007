"""Reading a register (台账) file: which format it is, its sheets, its header and its rows.

Formats, recognised by content (never trusting the name alone):

- ``.xlsx`` (a zip with ``xl/workbook.xml``): openpyxl in read-only mode, which streams the
  sheet, so a 100,000-row file is read in bounded memory; cached values of formula cells are
  used, and a formula with no saved result is reported (:attr:`SheetData.formula_cells`).
- ``.xls`` and WPS ``.et`` files saved in the Excel 97 format (an OLE2 compound file): xlrd.
- An encrypted workbook (Excel/WPS "password to open"): decrypted in memory with
  msoffcrypto-tool when a password is given, else :class:`RegisterReadError` ``encrypted``.
- ``.csv``: the csv module, UTF-8 (with or without BOM) or GB18030, detected.

The file is read into memory once; nothing is written anywhere (no temporary copy, no cache):
the file the user chose stays the only copy, and it is theirs to delete.

Why not python-calamine: its compiled module adds 2.3 MB to the installer, which is within
1.7 MB of its budget (docs/installing.md); openpyxl + xlrd add about 0.6 MB there.

Why one long file: the format openers and the header finder (``_find_header_and_rows`` and its
helpers, the last third) share the cell and row types, the limits and the cancel error defined
here, and :meth:`Workbook.read_sheet` calls the finder; moving it out would mean moving those
types too, for a file only just over 500 lines (the header *names* already live in
app/registers/headers.py).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from app.registers.headers import auto_mapping, join_two_row_header, normalize_header
from storage.gc_pause import gc_paused

Cell = str | int | float | bool | date | datetime | time | None

MAX_FILE_BYTES = 100_000_000
MAX_DATA_ROWS = 20_000  # a district holds a few thousand children; a bigger sheet is not a register
HEADER_SEARCH_ROWS = 20

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


class RegisterReadError(Exception):
    """The file cannot be read as a register; nothing was imported.

    ``code``: ``not_found``, ``too_big``, ``not_spreadsheet``, ``ods``, ``encrypted``,
    ``wrong_password``, ``damaged``, ``empty_sheet``, ``too_many_rows``,
    ``no_sheet``, ``cancelled``.
    """

    def __init__(self, message_zh: str, message_en: str, code: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.code = code


class ImportCancelledError(RegisterReadError):
    def __init__(self) -> None:
        super().__init__(
            "已取消，没有导入任何内容。", "cancelled; nothing was imported", "cancelled"
        )


Progress = Callable[[int], None]
Cancelled = Callable[[], bool]


@dataclass
class RawRow:
    number: int  # 1-based row number as the spreadsheet shows it
    cells: list[Cell]


@dataclass
class SheetData:
    """One sheet with its header found: ``headers[i]`` names column ``i``."""

    sheet_name: str
    headers: list[str]
    header_row: int  # 1-based number of the (last) header row
    header_depth: int  # 1 or 2; 0 when no header was recognised (the first row stands)
    rows: list[RawRow]
    # (row number, column index) of formula cells without a saved result
    formula_cells: set[tuple[int, int]] = field(default_factory=set)

    @property
    def header_found(self) -> bool:
        """False when no row had two known columns: the first row stands as the header."""
        return self.header_depth > 0


class Workbook:
    """An opened register file. ``sheet_names`` lists its sheets; :meth:`read_sheet` reads one."""

    def __init__(self, kind: str, data: bytes, sheet_names: list[str], csv_text: str = "") -> None:
        self.kind = kind  # "xlsx", "xls", "csv"
        self._data = data
        self.sheet_names = sheet_names
        self._csv_text = csv_text

    def read_sheet(
        self,
        index: int = 0,
        *,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> SheetData:
        if not 0 <= index < len(self.sheet_names):
            raise RegisterReadError(
                f"没有第 {index + 1} 张工作表（共 {len(self.sheet_names)} 张）。",
                f"there is no sheet {index + 1} (the file has {len(self.sheet_names)})",
                "no_sheet",
            )
        formulas: set[tuple[int, int]] = set()
        if self.kind == "xlsx":
            raw = self._xlsx_rows(index, formulas)
        elif self.kind == "xls":
            raw = self._xls_rows(index)
        else:
            raw = _csv_rows(self._csv_text)
        with gc_paused():  # many small acyclic lists: no collector passes meanwhile
            return _find_header_and_rows(
                self.sheet_names[index], raw, formulas, progress=progress, cancelled=cancelled
            )

    def _xlsx_rows(self, index: int, formulas: set[tuple[int, int]]) -> Iterator[list[Cell]]:
        import openpyxl

        values = openpyxl.load_workbook(io.BytesIO(self._data), read_only=True, data_only=True)
        formula_book = None
        try:
            sheet = values.worksheets[index]
            # The cells' formulas are read (a second pass) only when the sheet has any.
            if _has_formulas(self._data, str(getattr(sheet, "_worksheet_path", ""))):
                formula_book = openpyxl.load_workbook(
                    io.BytesIO(self._data), read_only=True, data_only=False
                )
                formula_rows: Iterator[tuple[Any, ...]] = formula_book.worksheets[index].iter_rows(
                    values_only=True
                )
            else:
                formula_rows = iter(())
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells: list[Cell] = list(row)
                frow = next(formula_rows, ())
                for col, (value, formula) in enumerate(zip(cells, frow, strict=False)):
                    if value is None and isinstance(formula, str) and formula.startswith("="):
                        formulas.add((number, col))
                yield cells
        except (KeyError, ValueError, zipfile.BadZipFile, OSError) as err:
            raise _damaged(err) from err
        finally:
            values.close()
            if formula_book is not None:
                formula_book.close()

    def _xls_rows(self, index: int) -> Iterator[list[Cell]]:
        import xlrd

        try:
            book = xlrd.open_workbook(file_contents=self._data, on_demand=True)
            sheet = book.sheet_by_index(index)
            for r in range(sheet.nrows):
                cells: list[Cell] = []
                for cell in sheet.row(r):
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        try:
                            cells.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                        except (ValueError, OverflowError):
                            cells.append(cell.value)
                    elif cell.ctype in (xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER):
                        cells.append(cell.value)
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        cells.append(bool(cell.value))
                    else:
                        cells.append(None)
                yield cells
        except xlrd.XLRDError as err:
            raise _damaged(err) from err


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formulas(data: bytes, part: str) -> bool:
    """Whether the sheet's part holds any formula element (a byte scan of the zip member, no
    XML parsing); unknown part: assume it may."""
    if not part:
        return True
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(part.lstrip("/")) as f:
            tail = b""
            while chunk := f.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-16:]
    except (KeyError, zipfile.BadZipFile, OSError):
        return True
    return False


def _damaged(err: BaseException) -> RegisterReadError:
    return RegisterReadError(
        "这个表格文件已损坏或格式不完整，读不出来。请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入。",
        f"the workbook is damaged or incomplete ({type(err).__name__})",
        "damaged",
    )


def _not_spreadsheet() -> RegisterReadError:
    return RegisterReadError(
        "这不是表格文件：请选择 Excel 或 WPS 表格（.xlsx、.xls、.et）或 .csv 文件。",
        "this is not a spreadsheet: choose an .xlsx, .xls, .et or .csv file",
        "not_spreadsheet",
    )


def open_register(path: Path, *, password: str | None = None) -> Workbook:
    """Open ``path`` (read into memory only) and list its sheets."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise RegisterReadError(
                f"文件太大（{size / 1e6:.0f} MB）：台账一般不超过几 MB，请确认选对了文件。",
                f"the file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB limit",
                "too_big",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise RegisterReadError(
            "找不到这个文件。", f"no such file: {path.name}", "not_found"
        ) from None
    except IsADirectoryError:
        raise _not_spreadsheet() from None
    except OSError as err:
        raise RegisterReadError(
            "读不了这个文件（可能正被其他程序占用，或没有权限）。",
            f"cannot read the file: {err.strerror}",
            "not_found",
        ) from None
    return open_register_bytes(data, password=password, name=path.name)


def open_register_bytes(data: bytes, *, password: str | None = None, name: str = "") -> Workbook:
    if not data.strip():
        raise RegisterReadError("这个文件是空的。", "the file is empty", "empty_sheet")
    if data.startswith(_OLE_MAGIC):
        return _open_ole(data, password)
    if data.startswith(_ZIP_MAGIC):
        return _open_zip(data)
    return _open_csv(data)


def _open_zip(data: bytes) -> Workbook:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype") if "mimetype" in names else b""
    except zipfile.BadZipFile as err:
        raise _damaged(err) from err
    if b"opendocument.spreadsheet" in mimetype:
        raise RegisterReadError(
            "这是 .ods 表格：请在 WPS 或 LibreOffice 中“另存为” Excel 格式（.xlsx）后再导入。",
            "an OpenDocument (.ods) sheet: save it as .xlsx first",
            "ods",
        )
    if "xl/workbook.xml" not in names:
        raise _not_spreadsheet()
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        sheet_names = list(book.sheetnames)
        book.close()
    except Exception as err:
        raise _damaged(err) from err
    return Workbook("xlsx", data, sheet_names)


def _open_ole(data: bytes, password: str | None) -> Workbook:
    import msoffcrypto
    from msoffcrypto import exceptions as office_errors

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        encrypted = office.is_encrypted()
    except Exception:  # noqa: BLE001 - not an Office file at all
        raise _not_spreadsheet() from None
    if office.format not in ("ooxml", "xls97"):
        raise _not_spreadsheet()
    if encrypted:
        if not password:
            raise RegisterReadError(
                "文件有密码保护：请输入打开密码，或先在WPS/Excel中去掉密码再导入。",
                "the workbook is encrypted: give its password (--password-file) or remove it",
                "encrypted",
            )
        plain = io.BytesIO()
        try:
            office.load_key(password=password)
            office.decrypt(plain)
        except (office_errors.InvalidKeyError, office_errors.DecryptionError):
            raise RegisterReadError(
                "表格密码不对，打不开。", "wrong password for the workbook", "wrong_password"
            ) from None
        except Exception as err:
            raise _damaged(err) from err
        return open_register_bytes(plain.getvalue())
    if office.format == "ooxml":  # an OLE wrapper without encryption: not seen in practice
        raise _not_spreadsheet()
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet_names = book.sheet_names()
    except xlrd.XLRDError as err:
        raise RegisterReadError(
            "这个 .xls/.et 文件读不出来：请在 Excel 或 WPS 中打开后“另存为” .xlsx 再导入。",
            f"cannot read this .xls/.et file ({err}); save it as .xlsx",
            "damaged",
        ) from None
    return Workbook("xls", data, sheet_names)


def _open_csv(data: bytes) -> Workbook:
    if b"\x00" in data[:4096]:
        raise _not_spreadsheet()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _not_spreadsheet()
    if "," not in text and "\t" not in text and ";" not in text:
        raise _not_spreadsheet()
    return Workbook("csv", b"", ["CSV"], csv_text=text)


def _csv_rows(text: str) -> Iterator[list[Cell]]:
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        yield [cell if cell.strip() else None for cell in row]


# ----- header ------------------------------------------------------------------------------


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _score(headers: Sequence[str]) -> int:
    return sum(1 for key in auto_mapping(headers) if key is not None)


def _forward_fill(row: Sequence[str]) -> list[str]:
    """A merged group cell (``父亲`` over three columns) holds its text in the first column only."""
    filled: list[str] = []
    last = ""
    for text in row:
        last = text or last
        filled.append(last)
    return filled


def _header_candidates(top: list[list[str]]) -> tuple[int, int, list[str]]:
    """(index of the last header row, depth, headers) with the most recognised columns."""
    best = (-1, 1, list[str]())
    best_score = 1  # at least two recognised columns make a header
    for i, row in enumerate(top):
        score = _score(row)
        if score > best_score:
            best, best_score = (i, 1, row), score
        if i + 1 < len(top):
            upper = _forward_fill(row)
            lower = top[i + 1]
            width = max(len(upper), len(lower))
            upper += [""] * (width - len(upper))
            lower = lower + [""] * (width - len(lower))
            joined = [_join_column(row, upper, lower, c) for c in range(width)]
            score2 = _score(joined)
            if score2 > best_score and score2 > score:
                best, best_score = (i + 1, 2, joined), score2
    return best


def _join_column(row: Sequence[str], filled: Sequence[str], lower: Sequence[str], c: int) -> str:
    """The header of column ``c`` read over two rows: a vertical merge keeps its upper text;
    a group word (carried over the merged group's columns) joins the lower text."""
    own = row[c] if c < len(row) else ""
    if not lower[c]:
        return own
    return join_two_row_header(filled[c], lower[c])


def _is_column_number_row(cells: Sequence[Cell]) -> bool:
    """Government forms often number their columns (1, 2, 3 …) in a row under the header."""
    values = [c for c in cells if c is not None and _text(c)]
    if len(values) < 3:
        return False
    texts = [_text(c) for c in values]
    return all(t.isdigit() for t in texts) and [int(t) for t in texts] == list(
        range(int(texts[0]), int(texts[0]) + len(texts))
    )


def _find_header_and_rows(
    sheet_name: str,
    raw: Iterator[list[Cell]],
    formulas: set[tuple[int, int]],
    *,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> SheetData:
    top: list[list[Cell]] = []
    rows: list[RawRow] = []
    header: tuple[int, int, list[str]] | None = None
    seen_any = False
    for number, cells in enumerate(raw, start=1):
        if cells and any(c is not None and _text(c) for c in cells):
            seen_any = True
        if header is None:
            top.append(cells)
            if len(top) < HEADER_SEARCH_ROWS:
                continue
            header = _resolve_header(top)
            for n, early in enumerate(top, start=1):
                if n > header[0] + 1:
                    _keep(rows, n, early)
            continue
        _keep(rows, number, cells)
        if number % 500 == 0:
            if cancelled is not None and cancelled():
                raise ImportCancelledError()
            if progress is not None:
                progress(number)
        if len(rows) > MAX_DATA_ROWS:
            raise RegisterReadError(
                f"这张表超过 {MAX_DATA_ROWS} 行：一个村（社区）的台账不会这么大，"
                "请确认选对了文件或工作表，或把表拆开分次导入。",
                f"the sheet has more than {MAX_DATA_ROWS} rows",
                "too_many_rows",
            )
    if not seen_any:
        raise RegisterReadError(
            f"工作表“{sheet_name}”是空的，没有可以导入的内容。",
            f"sheet {sheet_name!r} is empty",
            "empty_sheet",
        )
    if header is None:
        header = _resolve_header(top)
        for n, early in enumerate(top, start=1):
            if n > header[0] + 1:
                _keep(rows, n, early)
    index, depth, headers = header
    width = max([len(headers), *(len(r.cells) for r in rows)])
    headers = headers + [""] * (width - len(headers))
    for r in rows:
        r.cells += [None] * (width - len(r.cells))
    kept = {r.number for r in rows}
    return SheetData(
        sheet_name=sheet_name,
        headers=headers,
        header_row=index + 1,
        header_depth=depth,  # 0: no header recognised
        rows=rows,
        formula_cells={f for f in formulas if f[0] in kept},
    )


def _keep(rows: list[RawRow], number: int, cells: list[Cell]) -> None:
    if not any(c is not None and _text(c) for c in cells):
        return
    if _is_column_number_row(cells):
        return
    rows.append(RawRow(number, list(cells)))


def _resolve_header(top: list[list[Cell]]) -> tuple[int, int, list[str]]:
    """The best header in the first rows; when no row has two known columns, the first row
    with text stands as the header (``header_found`` false) so the user can map it by hand."""
    texts = [[normalize_header(_text(c)) for c in row] for row in top]
    index, depth, headers = _header_candidates(texts)
    if index >= 0:
        return index, depth, headers
    for i, row in enumerate(top):
        if any(row):
            return i, 0, [_text(c) for c in row]
    return 0, 0, []
