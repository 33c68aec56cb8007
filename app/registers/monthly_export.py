"""月度工作报表 as ``.xlsx``: the month's figures and its list of children, through the one
shared writer (app/registers/xlsx_export.py), for the 报表 screen's 导出表格.

Sheets: 月度报表 (the figures the screen and the printed report show, from
:func:`app.services.monthly_report.monthly_figures`), 应走访名单 (each child due a visit in
the month with what happened), 本月走访 (the month's visits), 等级变化 (the month's
assessments) and 儿童名单 (the children followed in the month, in the layout of the
《农村留守儿童基本情况登记表》, the same as the children list's export, so it imports back).

No Qt, no vault: the figures and the loaded records come in (read them on the vault worker).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from app.domain.labels_zh import LEVEL_WORDS_ZH
from app.domain.visit import VISIT_FORM_LABELS_ZH
from app.registers.xlsx_export import (
    REGISTER_COLUMNS,
    Column,
    Table,
    child_row,
    write_workbook,
)
from app.services.monthly_report import CaseloadRecords, MonthlyFigures, followed_children

STATUS_ZH = {
    "on_time": "按时走访",
    "late": "逾期后已走访",
    "overdue": "逾期未走访",
    "pending": "待走访",
}
DIRECTION_ZH = {"first": "首次评估", "down": "降码（好转）", "up": "升级（加重）", "same": "不变"}
NOT_ASSESSED = "未评估"
SHEET_NAMES = ("月度报表", "应走访名单", "本月走访", "等级变化", "儿童名单")

_NAME = Column("姓名", "text", 10)
_LEVEL = Column("监护等级", "text", 9)


def _level(level: str | None) -> str:
    return LEVEL_WORDS_ZH.get(level or "", NOT_ASSESSED)


def _rate(done: int, due: int) -> str:
    return f"{done * 100 / due:.1f}%" if due else "—"


def summary_rows(f: MonthlyFigures, village: str) -> list[tuple[str, Any]]:
    levels = [
        (f"月末{_level(lv)}色" if lv != "none" else f"月末{NOT_ASSESSED}", n)
        for lv, n in f.levels_at_end.items()
    ]
    return [
        ("村（社区）", village),
        ("月份", f.month.label_zh),
        ("统计期间", f"{f.month.first_day.isoformat()} 至 {f.as_of.isoformat()}"),
        ("在册儿童", f.children_followed),
        ("本月应走访", f.due_count),
        ("其中上月结转逾期", f.carried_over_count),
        ("已走访", f.done_count),
        ("按时走访", f.on_time_count),
        ("逾期后已走访", f.late_count),
        ("逾期未走访", f.overdue_count),
        ("待走访", f.pending_count),
        ("完成率", _rate(f.done_count, f.due_count)),
        ("本月走访记录（次）", f.visit_count),
        ("走访涉及儿童", f.children_visited),
        *levels,
        ("本月评估", len(f.level_changes)),
        ("新开个案", len(f.new_cases)),
        ("结案", len(f.closed_cases)),
        ("月末在办个案", f.open_cases_at_end),
        ("强制报告", sum(1 for r in f.reports if r.reported_on)),
        ("上报区民政局", sum(1 for r in f.reports if r.escalated_on)),
        ("本月年满18周岁", len(f.turning_18)),
        ("6个月内年满18周岁", len(f.approaching_18)),
    ]


def monthly_tables(f: MonthlyFigures, records: CaseloadRecords, village: str) -> list[Table]:
    children = followed_children(records, f)
    return [
        Table(
            (Column("项目", "text", 22), Column("数值", "number", 24)),
            summary_rows(f, village),
            SHEET_NAMES[0],
            title=f"月度工作报表 {f.month.label_zh}",
        ),
        Table(
            (
                _NAME,
                _LEVEL,
                Column("应走访日期", "date", 12),
                Column("情况", "text", 12),
                Column("本月走访日期", "date", 12),
                Column("上次走访", "date", 12),
                Column("上月结转", "text", 8),
            ),
            [
                (
                    d.name,
                    _level(d.level),
                    d.due,
                    STATUS_ZH.get(d.status, d.status),
                    d.visited_on,
                    d.last_visit_before,
                    "是" if d.carried_over else "",
                )
                for d in f.due
            ],
            SHEET_NAMES[1],
        ),
        Table(
            (
                Column("走访日期", "date", 12),
                _NAME,
                Column("形式", "text", 8),
                Column("见到的人", "text", 14),
                Column("发现的问题", "text", 30),
                Column("提供的帮助", "text", 30),
            ),
            [
                (
                    v.on,
                    v.name,
                    VISIT_FORM_LABELS_ZH[v.form],
                    "、".join(v.met),
                    v.problems,
                    v.help_given,
                )
                for v in f.visits
            ],
            SHEET_NAMES[2],
        ),
        Table(
            (
                _NAME,
                Column("评估日期", "date", 12),
                Column("原等级", "text", 8),
                Column("新等级", "text", 8),
                Column("变化", "text", 12),
            ),
            [
                (
                    c.name,
                    c.on,
                    _level(c.before) if c.before else "—",
                    _level(c.after),
                    DIRECTION_ZH.get(c.direction, c.direction),
                )
                for c in f.level_changes
            ],
            SHEET_NAMES[3],
        ),
        Table(
            REGISTER_COLUMNS,
            (child_row(child, n, "register") for n, child in enumerate(children, start=1)),
            SHEET_NAMES[4],
        ),
    ]


def export_monthly(
    target: BinaryIO,
    figures: MonthlyFigures,
    records: CaseloadRecords,
    *,
    village: str = "",
    password: str | None = None,
) -> int:
    """Write the workbook to ``target`` (in memory, optionally encrypted); returns the
    number of children in 儿童名单."""
    counts = write_workbook(target, monthly_tables(figures, records, village), password=password)
    return counts[-1]
