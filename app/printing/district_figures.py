"""统计数据（评估验收）: the district console's figures for a scope and a period as a printed
PDF, in the style of the laptop's reports (the same page, fonts, headings and tables as the
月度工作报表). The tables are the ones the console's figures workbook holds
(sync/server/console/queries_export.figure_tables): one list, two renderings.

Plain Python, no web imports; the PDF is built in memory (app/printing/page.build_pdf).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from reportlab.platypus import Flowable

from app.printing.forms import Label, form_table, gap, list_table, markup, section, text
from app.printing.markup import para_text, zh_date
from app.printing.page import Letterhead, build_pdf
from app.registers.xlsx_export import Table

TITLE = "统计数据"
NUMERALS = "一二三四五六七八九十"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return zh_date(value)
    return str(value)


def district_figures_story(
    tables: Sequence[Table], *, scope_label: str, period: str
) -> list[Flowable]:
    """The first table is the summary (项目 / 数值), printed as a form; each other table is a
    numbered section with its rows."""
    story: list[Flowable] = [
        markup(TITLE, "title"),
        markup(para_text(f"{scope_label}　{period}"), "subtitle"),
        gap(2),
    ]
    if not tables:
        return story
    head, *rest = tables
    summary = list(head.rows)
    pairs = [summary[i : i + 2] for i in range(0, len(summary), 2)]
    rows = []
    for pair in pairs:
        row: list[object] = []
        for key, value in pair:
            row += [Label(str(key)), text(_cell(value))]
        rows.append(row + [None, None] * (2 - len(pair)))
    story += [section(f"一、{head.sheet_name}"), form_table(rows, [0.22, 0.28, 0.22, 0.28])]
    for i, table in enumerate(rest, start=2):
        numeral = NUMERALS[i - 1] if i <= len(NUMERALS) else str(i)
        widths = [max(c.width, 6) for c in table.columns]
        story += [
            gap(3),
            section(f"{numeral}、{table.sheet_name}"),
            list_table(
                [c.header for c in table.columns],
                [[_cell(v) for v in row] for row in table.rows],
                widths,
            ),
        ]
    story += [
        gap(3),
        text(
            "说明：数据来自区级儿童信息库（各村儿童主任同步上报），统计口径与“总览”页相同；"
            "本表含儿童个人信息，仅用于评估验收，请妥善保管。",
            "note",
        ),
    ]
    return story


def render_district_figures(
    tables: Sequence[Table],
    *,
    scope_label: str,
    period: str,
    letterhead: Letterhead,
    printed_on: date,
) -> bytes:
    """统计数据 as PDF bytes (in memory)."""
    return build_pdf(
        district_figures_story(tables, scope_label=scope_label, period=period),
        title=TITLE,
        letterhead=letterhead,
        printed_on=printed_on,
    )
