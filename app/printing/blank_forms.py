"""Blank paper forms to fill by hand in the field and type in later: 入户走访记录表 (空白) and
儿童档案表 (空白). Same page, letterhead and cells as the printed records, with tick boxes
(□) for the choices the program knows and room to write; no vault is needed (pass the
director's letterhead when one is open, ``Letterhead("", "", "")`` for lines to fill in)."""

from __future__ import annotations

from datetime import date

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from app.domain.categories import CATEGORY_LABELS_ZH
from app.domain.guardian_situation import SITUATION_LABELS_ZH
from app.domain.labels_zh import LEVELS
from app.domain.visit import VISIT_FORM_LABELS_ZH
from app.printing.file_names import PrintedPdf, suggested_file_name
from app.printing.forms import (
    Label,
    WritingLines,
    form_table,
    gap,
    markup,
    section,
    signature_block,
    text,
    tick_boxes,
)
from app.printing.labels import LEVEL_MEANING_ZH, LEVEL_SHORT_ZH, NOT_ASSESSED
from app.printing.markup import BLANK_DATE
from app.printing.page import Letterhead, build_pdf

VISIT_TITLE = "入户走访记录表"
CHILD_TITLE = "儿童档案表"
SHORT_DATE = "____年___月___日"  # fits the narrow 走访日期 cell
BLANK_NOTE = "（空白表，手工填写后请及时录入儿童主任工作台）"
GUARDIAN_ROWS = 3  # father, mother, the caregiver: page 1 ends with them


def _ticks(labels: list[str]) -> Flowable:
    """Choices on one line (short lists)."""
    return markup(tick_boxes([(label, False) for label in labels], "　"))


def _grid(labels: list[str], columns: int) -> Flowable:
    """Choices in aligned columns, so a box never ends a line apart from its label."""
    cells = [markup(tick_boxes([(label, False)])) for label in labels]
    cells += [""] * (-len(cells) % columns)
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    table = Table(rows, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _levels() -> Flowable:
    return _grid(
        [f"{LEVEL_SHORT_ZH[k]}（{LEVEL_MEANING_ZH[k]}）" for k in reversed(LEVELS)]
        + [NOT_ASSESSED],
        3,
    )


def _identity_rows() -> list[list[object]]:
    return [
        [
            Label("儿童姓名"),
            "",
            Label("性别"),
            _ticks(["男", "女"]),
            Label("出生日期"),
            text(BLANK_DATE),
        ],
        [Label("身份证号"), "", None, None, Label("民族"), ""],
        [Label("儿童类别"), _grid(list(CATEGORY_LABELS_ZH.values()), 4), None, None, None, None],
        [Label("户籍地址"), "", None, None, Label("联系电话"), ""],
        [Label("现居住地址"), "", None, None, None, None],
        [Label("就读学校"), "", None, None, Label("年级"), ""],
        [
            Label("健康状况"),
            _ticks(["健康", "患病", "残疾（类别、等级、残疾证号）："]),
            None,
            None,
            None,
            None,
        ],
    ]


_IDENTITY_SPANS = [
    ((1, 1), (3, 1)),
    ((1, 2), (5, 2)),
    ((1, 3), (3, 3)),
    ((1, 4), (5, 4)),
    ((1, 5), (3, 5)),
    ((1, 6), (5, 6)),
]
_IDENTITY_WIDTHS = [0.14, 0.22, 0.09, 0.19, 0.13, 0.23]
_ROW = 9 * mm


def _identity_table() -> Flowable:
    rows = _identity_rows()
    heights: list[float | None] = [_ROW, _ROW, None, _ROW, _ROW, _ROW, 12 * mm]
    return form_table(rows, _IDENTITY_WIDTHS, spans=_IDENTITY_SPANS, min_heights=heights)


def _guardians_table() -> Flowable:
    head: list[object] = [
        Label(h) for h in ("关系", "姓名", "身份证号", "联系电话", "监护人/\n实际抚养人")
    ]
    rows: list[list[object]] = [head]
    heights: list[float | None] = [None]
    for _ in range(GUARDIAN_ROWS):
        rows.append(["", "", "", "", _ticks(["监护人", "抚养人"])])
        rows.append([Label("情况"), _grid(list(SITUATION_LABELS_ZH.values()), 3), None, None, None])
        heights += [_ROW, None]
    spans = [((1, r), (4, r)) for r in range(2, 2 * GUARDIAN_ROWS + 1, 2)]
    return form_table(rows, [0.12, 0.17, 0.29, 0.2, 0.22], spans=spans, min_heights=heights)


def blank_visit_record_story() -> list[Flowable]:
    tall = 16 * mm
    observations = ("居住生活", "安全", "健康", "上学", "情绪心理")
    observed: list[list[object]] = [
        [Label("观察情况") if i == 0 else None, Label(name), "", None, None]
        for i, name in enumerate(observations)
    ]
    rows: list[list[object]] = [
        [Label("儿童姓名"), "", Label("身份证号"), "", None],
        [Label("监护等级"), _levels(), None, None, None],
        [
            Label("走访日期"),
            text(SHORT_DATE),
            Label("走访形式"),
            _ticks(list(VISIT_FORM_LABELS_ZH.values())),
            None,
        ],
        [Label("见到的人"), "", None, None, None],
        *observed,
        [Label("发现的问题"), "", None, None, None],
        [Label("提供的帮助"), "", None, None, None],
        [Label("后续跟进"), "", None, None, None],
        [Label("下次走访日期"), text(BLANK_DATE), None, Label("记录人"), ""],
    ]
    spans = [
        ((3, 0), (4, 0)),
        ((1, 1), (4, 1)),
        ((3, 2), (4, 2)),
        ((1, 3), (4, 3)),
        ((0, 4), (0, 8)),
        *[((2, r), (4, r)) for r in range(4, 9)],
        *[((1, r), (4, r)) for r in range(9, 12)],
        ((1, 12), (2, 12)),
    ]
    heights: list[float | None] = [
        _ROW,
        None,
        _ROW,
        _ROW,
        *[13 * mm] * 5,
        tall,
        tall,
        tall,
        _ROW,
    ]
    table = form_table(rows, [0.16, 0.17, 0.18, 0.13, 0.36], spans=spans, min_heights=heights)
    return [
        markup(VISIT_TITLE, "title"),
        markup(BLANK_NOTE, "subtitle"),
        section("走访情况"),
        table,
        gap(3),
        text("以上情况属实。", "body"),
        signature_block(["儿童主任", "监护人（实际抚养人）"]),
    ]


def blank_child_sheet_story() -> list[Flowable]:
    support = [
        [
            Label("享受政策"),
            _grid(
                [
                    "基本生活费",
                    "低保",
                    "特困供养",
                    "残疾人两项补贴",
                    "临时救助",
                    "教育资助",
                    "医疗救助",
                    "其他：",
                ],
                4,
            ),
        ],
        [Label("监护等级"), _levels()],
        [Label("主要问题"), WritingLines(3, spacing=8 * mm)],
        [Label("帮扶措施"), WritingLines(3, spacing=8 * mm)],
    ]
    return [
        markup(CHILD_TITLE, "title"),
        markup(BLANK_NOTE, "subtitle"),
        section("一、儿童基本情况"),
        _identity_table(),
        gap(4),
        section("二、监护人及实际抚养人"),
        _guardians_table(),
        gap(4),
        section("三、帮扶情况"),
        form_table(support, [0.14, 0.86]),
        signature_block(["填表人（儿童主任）"]),
    ]


def blank_visit_record_pdf(*, letterhead: Letterhead, printed_on: date) -> PrintedPdf:
    """入户走访记录表 (空白) to fill by hand."""
    pdf = build_pdf(
        blank_visit_record_story(), title=VISIT_TITLE, letterhead=letterhead, printed_on=printed_on
    )
    return PrintedPdf(pdf, suggested_file_name("空白走访记录表", on=printed_on))


def blank_child_sheet_pdf(*, letterhead: Letterhead, printed_on: date) -> PrintedPdf:
    """儿童档案表 (空白) to fill by hand."""
    pdf = build_pdf(
        blank_child_sheet_story(), title=CHILD_TITLE, letterhead=letterhead, printed_on=printed_on
    )
    return PrintedPdf(pdf, suggested_file_name("空白儿童档案表", on=printed_on))
