"""导出: the register and the figures as .xlsx and the figures as a printed PDF (plain Python,
no web imports).

The workbooks are written by the one shared writer (app/registers/xlsx_export.py: the same
column kinds, dates as dates, formula-like text neutralised there and only there) in its
streamed mode: XlsxWriter's ``constant_memory`` writes each row to disk as it goes, rows come
from :func:`queries.register_rows` in chunks, so memory stays bounded for any number of rows.

Two registers: the query tables' flat register (:func:`write_register`: levels, visits,
cases — what the console's 儿童名册 shows) and the child files themselves in the laptop's
layouts (:func:`child_files` + :func:`write_child_files`: the 《农村留守儿童基本情况登记表》
layout or the laptop's flat one, made by the laptop's own ``child_row`` from the merged child
records, decoded one chunk at a time). The second holds ID numbers, addresses and the
guardians' details: district and town users only, refused to a partner in this layer.

Where the files go: never the system's temporary folder. Each export gets its own folder
(0700) under ``export-work/`` beside the district database (the SQLite file's folder, or the
district data folder with PostgreSQL), named after the server process; the route streams the
finished file and removes the folder when the download ends, fails or the client goes away.
Folders left by a process that no longer runs (a crash, a kill) are removed by
:func:`clean_leftovers`, which the console calls when it first exports after a start and
before every export (another worker's folder is left alone while its process lives).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from app.domain.categories import CATEGORY_LABELS_ZH, ChildCategory
from app.domain.child_file import ChildFile
from app.domain.labels_zh import LEVEL_WORDS_ZH
from app.registers.xlsx_export import Column, Layout, Table, export_children, write_workbook
from sync.server import db
from sync.server.console.queries import (
    OutOfScopeError,
    RegisterFilter,
    RegisterRow,
    register_select,
)
from sync.server.console.queries_overview import Overview
from sync.server.console.query_tables import q_children
from sync.server.console.scope import Scope

STAGE_ZH = {
    "identified": "识别",
    "assessed": "评估",
    "intervening": "介入",
    "following_up": "跟踪",
    "closed": "结案",
}
GENDER_ZH = {"male": "男", "female": "女"}
REGISTER_COLUMNS: tuple[Column, ...] = (
    Column("序号", "number", 8),
    Column("姓名", "text", 10),
    Column("性别", "text", 6),
    Column("出生日期", "date", 12),
    Column("村代码", "text", 14),
    Column("乡镇代码", "text", 12),
    Column("类别", "text", 18),
    Column("监护等级", "text", 10),
    Column("上次走访", "date", 12),
    Column("下次应走访", "date", 12),
    Column("逾期天数", "number", 9),
    Column("个案阶段", "text", 9),
    Column("爱心妈妈", "text", 9),
    Column("年满18周岁", "date", 12),
    Column("重复建档", "text", 9),
)
REGISTER_HEADER = tuple(c.header for c in REGISTER_COLUMNS)
CHUNK = 64 * 1024
WORK_FOLDER = "export-work"
LEFTOVER_AGE_S = 24 * 3600  # a folder this old is a leftover whoever made it


def category_zh(code: str) -> str:
    try:
        return CATEGORY_LABELS_ZH[ChildCategory(code)]
    except ValueError:
        return code


def level_zh(level: str | None) -> str:
    return LEVEL_WORDS_ZH.get(level or "", "未评估")


def _day(text: str | None) -> date | str | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text


def register_row_values(index: int, row: RegisterRow) -> tuple[Any, ...]:
    return (
        index,
        row.name,
        GENDER_ZH.get(row.gender, row.gender),
        _day(row.birth_date),
        row.village_code,
        row.town_code,
        "、".join(category_zh(c) for c in row.categories),
        level_zh(row.level),
        _day(row.last_visit),
        _day(row.next_due),
        row.days_overdue or None,
        STAGE_ZH.get(row.case_stage or "", ""),
        "是" if row.caring_mother else "否",
        _day(row.eighteenth),
        "是" if row.duplicate else "",
    )


def write_register(
    rows: Iterable[RegisterRow], path: Path, work_dir: Path, title: str = "儿童名册"
) -> int:
    """Write the register to ``path`` (streamed through ``work_dir``); returns the number
    of children written."""
    values = (register_row_values(n, row) for n, row in enumerate(rows, start=1))
    table = Table(REGISTER_COLUMNS, values, title)
    return write_workbook(path, [table], work_dir=work_dir)[0]


# ----- the register of child files (the laptop's 登记表 and flat layouts) -------------------

LAYOUTS: tuple[Layout, ...] = ("register", "flat")
EXPORT_NAMES: dict[Layout, str] = {"register": "children-register", "flat": "children-list"}
CHILD_FILE_CHUNK = 1000
_R = db.records.c
_C = q_children.c


def child_files(
    conn: Connection,
    scope: Scope,
    flt: RegisterFilter,
    today: date,
    chunk: int = CHILD_FILE_CHUNK,
) -> Iterator[ChildFile]:
    """The merged child files the district holds for the filtered register's children (the
    register's filters and order, its scope), decoded as the laptop's :class:`ChildFile`,
    read in chunks of ``chunk`` rows.

    Only district and town users: a partner (or any other role) gets
    :class:`OutOfScopeError` before anything is read — these files hold ID numbers,
    addresses and the guardians' details, which a partner's roster never shows. A town
    user's rows are those of its villages (the register's ``scoped`` clause, and each row's
    village checked again here)."""
    if scope.role not in ("district", "town"):
        raise OutOfScopeError("child-files")
    statement = (
        register_select(scope, flt, today)
        .with_only_columns(_C.village_code, _C.name, _C.gender, _C.birth_date, _R.data)
        .select_from(q_children.join(db.records, _R.record_id == _C.child_id))
        .where(_R.record_type == "child", _R.deleted.is_(False))
    )
    return _decoded(conn, scope, statement, chunk)


def _decoded(conn: Connection, scope: Scope, statement: Any, chunk: int) -> Iterator[ChildFile]:
    result = conn.execution_options(stream_results=True, yield_per=chunk).execute(statement)
    for part in result.partitions(chunk):
        for row in part:
            if scope.allows_village(row.village_code):
                yield decode_child(row.data, row)


def _json(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_DECODE_ERRORS = (KeyError, ValueError, TypeError, AttributeError)


def decode_child(raw: str, summary: Any) -> ChildFile:
    """A stored child record as a :class:`ChildFile`. A record the laptop's decoder refuses
    (damaged, or written by a newer program) still gives its row: every field that decodes
    on its own, the register's own columns (``summary``: name, gender, birth date, village)
    where the record's do not; a gender or birth date that neither holds stays empty."""
    data = _json(raw)
    try:
        return ChildFile.from_json(data)
    except _DECODE_ERRORS:
        pass
    known: dict[str, Any] = {
        "name": summary.name or "",
        "gender": summary.gender,
        "birth_date": summary.birth_date,
        "village_code": summary.village_code,
    }
    for key in ("name", "gender", "birth_date"):
        if _decodes({**_PLACEHOLDER, key: data.get(key)}):
            known[key] = data[key]
    gender_known = _decodes({**_PLACEHOLDER, "gender": known["gender"]})
    birth_known = _decodes({**_PLACEHOLDER, "birth_date": known["birth_date"]})
    base = {
        **known,
        "gender": known["gender"] if gender_known else "male",
        "birth_date": known["birth_date"] if birth_known else "2000-01-01",
    }
    for key, value in data.items():
        fits = key not in base and key in ChildFile.__dataclass_fields__
        if fits and _decodes({**base, key: value}):
            base[key] = value
    child = ChildFile.from_json(base)
    unknown: Any = None  # shown as an empty cell (xlsx_export.child_row)
    if not gender_known:
        child = replace(child, gender=unknown)
    if not birth_known:
        child = replace(child, birth_date=unknown)
    return child


_PLACEHOLDER: dict[str, Any] = {
    "name": "",
    "gender": "male",
    "birth_date": "2000-01-01",
    "village_code": "",
}


def _decodes(data: dict[str, Any]) -> bool:
    try:
        ChildFile.from_json(data)
    except _DECODE_ERRORS:
        return False
    return True


def write_child_files(
    children: Iterable[ChildFile], path: Path, work_dir: Path, layout: Layout = "register"
) -> int:
    """The child files in the laptop's ``layout`` (the one shared writer, streamed through
    ``work_dir``); returns how many were written."""
    return export_children(path, children, layout=layout, work_dir=work_dir)


# ----- the figures (one list of tables for the workbook and the PDF) -------------------------

_KEY = Column("项目", "text", 24)
_COUNT = Column("人数", "number", 10)
_NAME = Column("姓名", "text", 10)
_VILLAGE = Column("村代码", "text", 14)
LEVEL_ORDER = ("red", "orange", "yellow", "green", "")


def figure_tables(figures: Overview, scope_label: str) -> list[Table]:
    """The overview's figures as tables, in the order of the page (for the 评估验收 file)."""
    paired, total = figures.caring_mother_red_orange
    head = [
        ("范围", scope_label),
        ("统计期间", f"{figures.start.isoformat()} 至 {figures.end.isoformat()}"),
        ("在册儿童", figures.active),
        ("升级", figures.upgrades),
        ("降码", figures.downgrades),
        ("由红码降码", len(figures.downgraded_from_red)),
        ("有爱心妈妈结对", figures.caring_mother),
        ("红/橙色儿童中已结对", f"{paired} / {total}"),
        ("含强制报告的在办个案", figures.urgent_cases),
    ]
    levels = [
        (level_zh(lv), figures.by_level.get(lv, 0))
        for lv in ("red", "orange", "yellow", "green", "")
    ]
    cats = [
        (category_zh(code), n)
        for code, n in sorted(figures.by_category.items(), key=lambda kv: -kv[1])
    ]
    stages = [(STAGE_ZH.get(stage, stage), n) for stage, n in figures.cases_by_stage.items()]
    return [
        Table((_KEY, Column("数值", "number", 26)), head, "总览"),
        Table((Column("监护等级", "text", 12), _COUNT), levels, "按等级"),
        Table((Column("类别", "text", 18), _COUNT), cats, "按类别"),
        Table(
            (
                Column("月份", "text", 10),
                Column("应走访", "number", 9),
                Column("已走访", "number", 9),
                Column("按时走访", "number", 9),
            ),
            [tuple(m) for m in figures.months],
            "每月走访",
        ),
        Table(
            (
                Column("村代码", "text", 14),
                Column("逾期人数", "number", 9),
                Column("在册人数", "number", 9),
            ),
            [tuple(v) for v in figures.overdue_by_village],
            "各村逾期",
        ),
        Table((Column("阶段", "text", 10), Column("在办个案", "number", 9)), stages, "个案"),
        Table(
            (
                Column("姓名", "text", 10),
                Column("村代码", "text", 14),
                Column("年满18周岁", "date", 12),
            ),
            [(r.name, r.village_code, _day(r.detail)) for r in figures.turning_18],
            "即将年满18周岁",
        ),
        Table(
            (
                Column("姓名", "text", 10),
                Column("村代码", "text", 14),
                Column("现等级", "text", 10),
            ),
            [(r.name, r.village_code, level_zh(r.detail)) for r in figures.downgraded_from_red],
            "由红码降码",
        ),
    ]


def write_figures(figures: Overview, path: Path, work_dir: Path, scope_label: str) -> None:
    """The overview's figures, one sheet per table."""
    write_workbook(path, figure_tables(figures, scope_label), work_dir=work_dir)


# ----- the private work folder -------------------------------------------------------------


def work_root(engine: Engine) -> Path:
    """``export-work`` beside the district database: the SQLite file's folder, or with
    another database the district data folder (``CHILDDESK_DISTRICT_DATA_DIR`` or the
    platform's default, as ``childdesk-district`` uses)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        return Path(database).resolve().parent / WORK_FOLDER
    from sync.server.cli_base import default_data_dir

    return default_data_dir() / WORK_FOLDER


def new_work_dir(root: Path) -> Path:
    """A fresh folder for one export, readable by the server's user only."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root.chmod(0o700)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))


def remove_work_dir(work_dir: Path) -> None:
    shutil.rmtree(work_dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else (or no such call on this system)
        return True
    return True


def clean_leftovers(root: Path) -> int:
    """Remove export folders whose server process is gone, or that are a day old; returns
    how many went."""
    if not root.is_dir():
        return 0
    removed = 0
    now = time.time()
    for entry in root.iterdir():
        owner = entry.name.split("-", 1)[0]
        try:
            old = now - entry.stat().st_mtime > LEFTOVER_AGE_S
        except OSError:
            continue
        if old or not owner.isdigit() or not _alive(int(owner)):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
    return removed


def stream_file(path: Path, work_dir: Path) -> Generator[bytes]:
    """The file's bytes in chunks; its work folder is removed when done (or abandoned: the
    generator is closed when the client goes away)."""
    try:
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    finally:
        remove_work_dir(work_dir)


def export_name(kind: str, today: date, suffix: str = ".xlsx") -> str:
    return f"{kind}-{today.isoformat()}{suffix}"
