"""导出: the register and the figures as .xlsx (plain Python, no web imports).

Written with XlsxWriter in ``constant_memory`` mode (each row goes to disk as it is written)
into a temporary file, row by row from :func:`queries.register_rows` (read in chunks), so
memory stays bounded for any number of rows; the route streams the finished file. Every text
cell that a spreadsheet could take for a formula (starting with ``= + - @``, or a tab or
carriage return) is neutralised: a leading apostrophe, and written as a string, never a
formula.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook

from app.domain.categories import CATEGORY_LABELS_ZH, ChildCategory
from app.domain.labels_zh import LEVEL_WORDS_ZH
from sync.server.console.queries import RegisterRow
from sync.server.console.queries_overview import Overview

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
STAGE_ZH = {
    "identified": "识别",
    "assessed": "评估",
    "intervening": "介入",
    "following_up": "跟踪",
    "closed": "结案",
}
GENDER_ZH = {"male": "男", "female": "女"}
REGISTER_HEADER = (
    "序号",
    "姓名",
    "性别",
    "出生日期",
    "村代码",
    "乡镇代码",
    "类别",
    "监护等级",
    "上次走访",
    "下次应走访",
    "逾期天数",
    "个案阶段",
    "爱心妈妈",
    "年满18周岁",
    "重复建档",
)
CHUNK = 64 * 1024


def neutralise(value: Any) -> Any:
    """A value safe to put in a cell: text that could start a formula gets an apostrophe."""
    if isinstance(value, str):
        cleaned = "".join(ch for ch in value if ch >= " " or ch in "\t\r\n")
        return "'" + cleaned if cleaned.startswith(FORMULA_START) else cleaned
    return value


def category_zh(code: str) -> str:
    try:
        return CATEGORY_LABELS_ZH[ChildCategory(code)]
    except ValueError:
        return code


def level_zh(level: str | None) -> str:
    return LEVEL_WORDS_ZH.get(level or "", "未评估")


class _Sheet:
    def __init__(self, book: Workbook, title: str) -> None:
        self.sheet = book.add_worksheet(title)
        self.index = 0

    def row(self, values: Iterable[Any]) -> None:
        for column, value in enumerate(values):
            if value == "" or value is None:
                continue  # an empty cell is left out
            value = neutralise(value)
            if isinstance(value, str):
                self.sheet.write_string(self.index, column, value)
            elif isinstance(value, bool):
                self.sheet.write_boolean(self.index, column, value)
            elif isinstance(value, int | float):
                self.sheet.write_number(self.index, column, value)
        self.index += 1


def _book(path: Path) -> Workbook:
    return Workbook(str(path), {"constant_memory": True, "tmpdir": tempfile.gettempdir()})


def register_row_values(index: int, row: RegisterRow) -> tuple[Any, ...]:
    return (
        index,
        row.name,
        GENDER_ZH.get(row.gender, row.gender),
        row.birth_date or "",
        row.village_code,
        row.town_code,
        "、".join(category_zh(c) for c in row.categories),
        level_zh(row.level),
        row.last_visit or "",
        row.next_due or "",
        row.days_overdue or "",
        STAGE_ZH.get(row.case_stage or "", ""),
        "是" if row.caring_mother else "否",
        row.eighteenth or "",
        "是" if row.duplicate else "",
    )


def write_register(rows: Iterable[RegisterRow], path: Path, title: str = "儿童名册") -> int:
    """Write the register to ``path``; returns the number of children written."""
    book = _book(path)
    sheet = _Sheet(book, title)
    sheet.row(REGISTER_HEADER)
    count = 0
    for count, row in enumerate(rows, start=1):
        sheet.row(register_row_values(count, row))
    book.close()
    return count


def write_figures(figures: Overview, path: Path, scope_label: str) -> None:
    """The overview's figures, one sheet per table (for the 评估验收 file)."""
    book = _book(path)
    head = _Sheet(book, "总览")
    head.row(("范围", scope_label))
    head.row(("统计期间", f"{figures.start.isoformat()} 至 {figures.end.isoformat()}"))
    head.row(("在册儿童", figures.active))
    head.row(("升级", figures.upgrades))
    head.row(("降码", figures.downgrades))
    head.row(("由红码降码", len(figures.downgraded_from_red)))
    head.row(("有爱心妈妈结对", figures.caring_mother))
    paired, total = figures.caring_mother_red_orange
    head.row(("红/橙色儿童中已结对", f"{paired} / {total}"))
    head.row(("含强制报告的在办个案", figures.urgent_cases))
    levels = _Sheet(book, "按等级")
    levels.row(("监护等级", "人数"))
    for level in ("red", "orange", "yellow", "green", ""):
        levels.row((level_zh(level), figures.by_level.get(level, 0)))
    cats = _Sheet(book, "按类别")
    cats.row(("类别", "人数"))
    for code, n in sorted(figures.by_category.items(), key=lambda kv: -kv[1]):
        cats.row((category_zh(code), n))
    months = _Sheet(book, "每月走访")
    months.row(("月份", "应走访", "已走访", "按时走访"))
    for month, due, done, on_time in figures.months:
        months.row((month, due, done, on_time))
    villages = _Sheet(book, "各村逾期")
    villages.row(("村代码", "逾期人数", "在册人数"))
    for village, overdue, children in figures.overdue_by_village:
        villages.row((village, overdue, children))
    cases = _Sheet(book, "个案")
    cases.row(("阶段", "在办个案"))
    for stage, n in figures.cases_by_stage.items():
        cases.row((STAGE_ZH.get(stage, stage), n))
    turning = _Sheet(book, "即将年满18周岁")
    turning.row(("姓名", "村代码", "年满18周岁"))
    for ref in figures.turning_18:
        turning.row((ref.name, ref.village_code, ref.detail))
    red = _Sheet(book, "由红码降码")
    red.row(("姓名", "村代码", "现等级"))
    for ref in figures.downgraded_from_red:
        red.row((ref.name, ref.village_code, level_zh(ref.detail)))
    book.close()


def temporary_path(prefix: str = "childdesk-export-") -> Path:
    handle = tempfile.NamedTemporaryFile(prefix=prefix, suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    return Path(handle.name)


def stream_file(path: Path) -> Iterator[bytes]:
    """The file's bytes in chunks; the file is removed when done (or abandoned)."""
    try:
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def export_name(kind: str, today: date) -> str:
    return f"{kind}-{today.isoformat()}.xlsx"
