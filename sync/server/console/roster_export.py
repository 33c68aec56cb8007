"""A partner's register as .xlsx: only its roster's columns (name, village, categories, level,
caring-mother status), written row by row in XlsxWriter's ``constant_memory`` mode (bounded
memory), every cell a string or a number — text that a spreadsheet could take for a formula
gets a leading apostrophe. Plain Python, no web imports."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sync.server.console.queries import RegisterRow
from sync.server.console.queries_export import category_zh, level_zh

PARTNER_HEADER = ("序号", "姓名", "村代码", "类别", "监护等级", "爱心妈妈")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    cleaned = "".join(ch for ch in value if ch >= " ")
    return "'" + cleaned if cleaned.startswith(FORMULA_START) else cleaned


def partner_row_values(index: int, row: RegisterRow) -> tuple[int, str, str, str, str, str]:
    return (
        index,
        row.name,
        row.village_code,
        "、".join(category_zh(c) for c in row.categories),
        level_zh(row.level),
        "已结对" if row.caring_mother else "未结对",
    )


def write_partner_register(
    rows: Iterable[RegisterRow], path: Path, work_dir: Path | None = None
) -> int:
    """Write a partner's roster to ``path`` (XlsxWriter's row files in ``work_dir``, else
    beside ``path``); returns the number of children written."""
    tmpdir = str(work_dir or path.parent)
    from xlsxwriter import Workbook  # here: the console starts without it

    book = Workbook(str(path), {"constant_memory": True, "tmpdir": tmpdir})
    sheet = book.add_worksheet("名单")
    for column, title in enumerate(PARTNER_HEADER):
        sheet.write_string(0, column, title)
    count = 0
    for count, row in enumerate(rows, start=1):
        number, *texts = partner_row_values(count, row)
        sheet.write_number(count, 0, number)
        for column, value in enumerate(texts, start=1):
            if value:
                sheet.write_string(count, column, safe_text(value))
    book.close()
    return count
