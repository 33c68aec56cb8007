"""Building blocks of paper forms: bordered tables with shaded label cells, section
headings, tick boxes, lines to write on and signature lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from reportlab.lib.colors import Color, black
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from app.printing.fonts import MAIN_FONT
from app.printing.markup import BLANK_DATE, para_text
from app.printing.page import FRAME_WIDTH
from app.printing.styles import HEADING_BACKGROUND, LABEL_BACKGROUND, styles

CHECKED = "■"
UNCHECKED = "□"


@dataclass(frozen=True)
class Label:
    """A fixed label cell of a form (shaded, centred)."""

    text: str


# A cell: a Label, user text (str), a flowable, or None for an empty or spanned cell.
Cell: TypeAlias = object
Span = tuple[tuple[int, int], tuple[int, int]]


def text(value: str, style_name: str = "cell") -> Paragraph:
    """A Paragraph of user text (escaped, with font fallback)."""
    return Paragraph(para_text(value), getattr(styles(), style_name))


def markup(value: str, style_name: str = "cell") -> Paragraph:
    """A Paragraph of markup the program wrote itself (user parts already escaped)."""
    return Paragraph(value, getattr(styles(), style_name))


def form_table(
    rows: Sequence[Sequence[Cell]],
    widths: Sequence[float],
    *,
    spans: Sequence[Span] = (),
    min_heights: Sequence[float | None] | None = None,
    header_rows: int = 0,
    zebra: bool = False,
) -> Table:
    """A bordered grid; :class:`Label` cells are shaded. Widths are fractions of the frame
    width (they are scaled to add up to it)."""
    total = sum(widths)
    col_widths = [FRAME_WIDTH * w / total for w in widths]
    data: list[list[Flowable | str]] = []
    commands: list[tuple[object, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), MAIN_FONT),  # for plain-string cells; not Helvetica
        ("GRID", (0, 0), (-1, -1), 0.6, black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for r, row in enumerate(rows):
        out: list[Flowable | str] = []
        for c, cell in enumerate(row):
            if isinstance(cell, Label):
                out.append(Paragraph(para_text(cell.text), styles().label))
                commands.append(("BACKGROUND", (c, r), (c, r), LABEL_BACKGROUND))
            elif isinstance(cell, str):
                out.append(text(cell))
            elif cell is None:
                out.append("")
            else:
                out.append(cell)
        data.append(out)
    for start, end in spans:
        commands.append(("SPAN", start, end))
    if header_rows:
        commands.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), LABEL_BACKGROUND))
    if zebra:
        for r in range(header_rows, len(rows)):
            if (r - header_rows) % 2 == 1:
                commands.append(("BACKGROUND", (0, r), (-1, r), Color(0.97, 0.97, 0.97)))
    for r, height in enumerate(min_heights or ()):
        if height:
            data[r] = [MinHeight(c, height) if isinstance(c, Flowable) else c for c in data[r]]
    table = Table(data, colWidths=col_widths, repeatRows=header_rows, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def list_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    widths: Sequence[float],
    *,
    empty: str = "无",
) -> Table:
    """A list with a header row repeated on every page; one row saying 无 when empty."""
    head: list[Cell] = [Label(h) for h in header]
    body: list[Sequence[Cell]] = list(rows)
    spans: list[Span] = []
    if not body:
        body = [[markup(empty, "cell_centre"), *([None] * (len(header) - 1))]]
        spans.append(((0, 1), (len(header) - 1, 1)))
    return form_table([head, *body], widths, spans=spans, header_rows=1, zebra=True)


class MinHeight(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """A cell's content with room below it to write by hand: at least ``height`` tall."""

    def __init__(self, inner: Flowable, height: float) -> None:
        super().__init__()
        self.inner = inner
        self.min_height = height
        self._inner_height = 0.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        width, self._inner_height = self.inner.wrap(available_width, available_height)
        self.width = width
        return width, max(self._inner_height, self.min_height - 7)  # minus the cell padding

    def draw(self) -> None:
        top = max(self._inner_height, self.min_height - 7)
        self.inner.drawOn(self.canv, 0, top - self._inner_height)


def section(title: str) -> Flowable:
    """A section heading: a shaded band across the frame."""
    table = Table([[Paragraph(para_text(title), styles().heading)]], colWidths=[FRAME_WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), MAIN_FONT),
                ("BACKGROUND", (0, 0), (-1, -1), HEADING_BACKGROUND),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    table.spaceAfter = 1.5 * mm
    return KeepRoom(table)


def subheading(title: str) -> KeepRoom:
    return KeepRoom(Paragraph(para_text(title), styles().subheading), 25 * mm)


class KeepRoom(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """A heading that starts a new page unless ``room`` is left below it for what follows, so
    a heading is never alone at the foot of a page while a long table after it can still
    begin on the same page (unlike keepWithNext, which moves the whole table)."""

    def __init__(self, inner: Flowable, room: float = 35 * mm) -> None:
        super().__init__()
        self.inner = inner
        self.room = room
        self._inner_height = 0.0
        self.spaceBefore = getattr(inner, "spaceBefore", 0)
        self.spaceAfter = getattr(inner, "spaceAfter", 0)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        width, self._inner_height = self.inner.wrap(available_width, available_height)
        self.width = width
        if available_height < self._inner_height + self.room:
            return width, available_height + 1  # does not fit here: the frame moves on
        return width, self._inner_height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        return []

    def draw(self) -> None:
        self.inner.drawOn(self.canv, 0, 0)


def gap(height_mm: float = 3) -> Spacer:
    return Spacer(1, height_mm * mm)


def tick_boxes(options: Sequence[tuple[str, bool]], separator: str = "  ") -> str:
    """Markup for a row of tick boxes, e.g. ``■入户走访　□电话``."""
    return separator.join(
        f'<font size="13">{CHECKED if checked else UNCHECKED}</font>{para_text(label)}'
        for label, checked in options
    )


class WritingLines(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """Ruled lines to write on by hand."""

    def __init__(self, count: int, spacing: float = 8 * mm, width: float = FRAME_WIDTH) -> None:
        super().__init__()
        self.count = count
        self.spacing = spacing
        self.width = width
        self.height = count * spacing

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = min(self.width, available_width)
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setLineWidth(0.5)
        canvas.setStrokeColor(Color(0.4, 0.4, 0.4))
        for index in range(1, self.count + 1):
            y = self.height - index * self.spacing + 1.5
            canvas.line(0, y, self.width, y)


class TickBox(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """An empty square to tick by hand, sized to sit on the first line of a cell's text."""

    def __init__(self, size: float = 3.4 * mm, lift: float = 0.9 * mm) -> None:
        super().__init__()
        self.size = size
        self.lift = lift

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size + self.lift

    def draw(self) -> None:
        self.canv.setLineWidth(0.7)
        self.canv.rect(0, self.lift - 0.6 * mm, self.size, self.size, stroke=1, fill=0)


def signature_block(roles: Sequence[str], *, dated: bool = True) -> KeepTogether:
    """One line per role: ``儿童主任（签字）：________  日期：____年__月__日``."""
    rows = []
    for role in roles:
        row: list[Flowable | str] = [
            Paragraph(para_text(f"{role}（签字）："), styles().body),
            "",
        ]
        if dated:
            row += [Paragraph("日期：", styles().body), Paragraph(BLANK_DATE, styles().body)]
        rows.append(row)
    widths = [0.40, 0.25, 0.08, 0.27] if dated else [0.40, 0.60]
    table = Table(
        rows, colWidths=[FRAME_WIDTH * w for w in widths], rowHeights=[13 * mm] * len(rows)
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), MAIN_FONT),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, -1), 0.6, black),
                ("ALIGN", (0, 0), (0, -1), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return KeepTogether([gap(4), table])
