"""空白评估表: the questionnaire as a paper form to fill by hand when the laptop cannot come
along — boxes to tick, lines to write on. Generated from the questionnaire definition, so
the paper always matches the version the app scores (its version is printed, 第1版)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle

from app.printing.fonts import MAIN_FONT
from app.printing.forms import (
    Label,
    TickBox,
    WritingLines,
    form_table,
    gap,
    markup,
    section,
    signature_block,
    subheading,
    text,
)
from app.printing.markup import BLANK_DATE, para_text
from app.printing.page import FRAME_WIDTH, Letterhead, build_pdf
from app.printing.styles import styles
from app.questionnaire import Definition
from app.questionnaire.model import (
    Calculation,
    Choice,
    Group,
    Item,
    Note,
    Question,
    QuestionType,
    Repeat,
)
from app.questionnaire.naming import version_zh

TITLE = "空白评估表"
REPEAT_BLOCKS = 3  # blocks printed for a repeat group with no smaller maximum
_COMPARISON = re.compile(r"\$\{(\w+)\}\s*(!=|=)\s*'([^']*)'")
_REFERENCE = re.compile(r"\$\{(\w+)\}(\s*(?:>=|<=|>|<|!=|=))?")
_OPERATORS = (("!=", "≠"), (">=", "≥"), ("<=", "≤"), (" and ", " 且 "), (" or ", " 或 "))


def readable_condition(expression: str, definition: Definition) -> str:
    """A relevance expression in words: ``${child_living} != 'with_parents'`` becomes
    ``「儿童目前的居住情况」不是“与父母同住”``. Good enough for the usual shapes; anything
    unusual is shown with labels in place of ids."""

    def label(item_id: str) -> str:
        item = definition.by_id.get(item_id)
        return f"「{item.label}」" if item is not None else item_id

    def comparison(match: re.Match[str]) -> str:
        item_id, operator, value = match.groups()
        item = definition.by_id.get(item_id)
        choice = item.choice_by_value.get(value) if isinstance(item, Question) else None
        shown = f"“{choice.label if choice else value}”"
        return f"{label(item_id)}{'为' if operator == '=' else '不是'}{shown}"

    def reference(match: re.Match[str]) -> str:
        item_id, operator = match.groups()
        return f"{label(item_id)}{operator or '为“是”'}"

    words = _COMPARISON.sub(comparison, expression)
    words = _REFERENCE.sub(reference, words)
    for old, new in _OPERATORS:
        words = words.replace(old, new)
    return words


class _Numbering:
    def __init__(self) -> None:
        self.count = 0

    def next(self) -> int:
        self.count += 1
        return self.count


def _choice_grid(choices: Sequence[Choice]) -> Table:
    """Options in 4, 2 or 1 columns by label length; a box to tick before each."""
    longest = max((len(c.label) for c in choices), default=0)
    columns = 4 if longest <= 6 else 2 if longest <= 16 else 1
    box = 5.5 * mm
    indent = 8 * mm
    cells: list[Flowable | str] = []
    for choice in choices:
        cells += [TickBox(), Paragraph(para_text(choice.label), styles().cell)]
    width = 2 * columns
    rows = [cells[i : i + width] for i in range(0, len(cells), width)]
    rows[-1] += [""] * (width - len(rows[-1]))
    label_width = (FRAME_WIDTH - indent) / columns - box
    table = Table(rows, colWidths=[box, label_width] * columns, hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), MAIN_FONT),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _indented() -> ParagraphStyle:
    return styles().cell.clone("answer", leftIndent=8 * mm, spaceBefore=2)


def _answer_space(question: Question) -> Flowable:
    kind = question.type
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        return _choice_grid(question.choices)
    if kind == QuestionType.YES_NO:
        return _choice_grid([Choice("yes", "是", None), Choice("no", "否", None)])
    if kind == QuestionType.DATE:
        return Paragraph(f"填写：{BLANK_DATE}", _indented())
    if kind in (QuestionType.INTEGER, QuestionType.DECIMAL):
        return Paragraph("填写：________________", _indented())
    return WritingLines(2, width=FRAME_WIDTH - 8 * mm)


def _question(question: Question, number: int, definition: Definition) -> Flowable:
    title = f"{number}. {para_text(question.label)}"
    if question.type == QuestionType.MULTIPLE_CHOICE and "多选" not in question.label:
        title += "（可多选）"
    parts: list[Flowable] = [markup(title, "body")]
    notes = []
    if question.relevant_text:
        notes.append(f"仅当{readable_condition(question.relevant_text, definition)}时填写")
    if question.hint:
        notes.append(question.hint)
    if notes:
        note_style = styles().note.clone("question_note", leftIndent=8 * mm)
        parts.append(Paragraph(para_text("；".join(notes)), note_style))
    parts.append(_answer_space(question))
    parts.append(gap(1.5))
    return KeepTogether(parts)


def _items(
    items: Sequence[Item], definition: Definition, numbering: _Numbering, depth: int
) -> list[Flowable]:
    story: list[Flowable] = []
    for item in items:
        if isinstance(item, Repeat):
            blocks = max(item.min_count, min(item.max_count or REPEAT_BLOCKS, REPEAT_BLOCKS))
            for block in range(1, blocks + 1):
                story.append(subheading(f"{item.label}（第 {block} 人）"))
                story += _items(item.items, definition, numbering, depth + 1)
            story.append(text(f"如多于 {blocks} 人，请另附纸按上述各题填写。", "note"))
        elif isinstance(item, Group):
            if depth == 0:
                story += [gap(2), section(item.label)]
            else:
                story.append(subheading(item.label))
            if item.hint:
                story.append(text(item.hint, "note"))
            story += _items(item.items, definition, numbering, depth + 1)
        elif isinstance(item, Question):
            story.append(_question(item, numbering.next(), definition))
        elif isinstance(item, Note):
            story += [text(item.label, "note"), gap(1)]
        elif isinstance(item, Calculation):
            continue  # computed by the app when the answers are entered
    return story


def blank_questionnaire_story(definition: Definition) -> list[Flowable]:
    head = form_table(
        [
            [Label("儿童姓名"), None, Label("身份证号"), None],
            [Label("评估日期"), BLANK_DATE, Label("评估地点"), None],
            [Label("评估人员"), None, None, None],
        ],
        [0.15, 0.35, 0.15, 0.35],
        spans=[((1, 2), (3, 2))],
        min_heights=[10 * mm, 10 * mm, 10 * mm],
    )
    story: list[Flowable] = [
        markup(para_text(definition.title), "title"),
        markup(
            f"{TITLE}　{para_text(version_zh(definition.version))}",
            "subtitle",
        ),
        head,
        gap(2),
    ]
    if definition.description:
        story.append(text(definition.description, "note"))
    story.append(
        text(
            "填写说明：在符合实际的选项前的方框内打“√”；单选题只选一项。"
            "回到电脑后，请在“评估”中按本表录入，由程序计算得分和等级。",
            "note",
        )
    )
    story += _items(definition.items, definition, _Numbering(), 0)
    story += [
        gap(3),
        section("评估人员意见"),
        WritingLines(4),
        signature_block(["评估人员", "评估人员", "监护人（知情确认）"]),
    ]
    return story


def render_blank_questionnaire(
    definition: Definition, *, letterhead: Letterhead, printed_on: date
) -> bytes:
    """空白评估表 for ``definition`` as PDF bytes (in memory)."""
    return build_pdf(
        blank_questionnaire_story(definition),
        title=TITLE,
        letterhead=letterhead,
        printed_on=printed_on,
    )
