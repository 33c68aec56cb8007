"""Paragraph styles shared by every document (all in the bundled CJK font)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle

from app.printing.fonts import MAIN_FONT, register_fonts

BODY_SIZE = 10.5  # 五号, the usual size of Chinese office forms
LABEL_BACKGROUND = Color(0.92, 0.92, 0.92)
HEADING_BACKGROUND = Color(0.85, 0.85, 0.85)
LEVEL_COLOURS: dict[str, Color] = {
    "green": Color(0.16, 0.55, 0.25),
    "yellow": Color(0.80, 0.62, 0.0),
    "orange": Color(0.88, 0.42, 0.0),
    "red": Color(0.78, 0.08, 0.08),
}


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    body: ParagraphStyle
    cell: ParagraphStyle
    cell_centre: ParagraphStyle
    label: ParagraphStyle
    small: ParagraphStyle
    small_right: ParagraphStyle
    note: ParagraphStyle


def _style(name: str, size: float, **kwargs: object) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=MAIN_FONT,
        fontSize=size,
        leading=round(size * 1.45, 1),
        wordWrap="CJK",  # Chinese lines break between any two characters
        **kwargs,
    )


@cache
def styles() -> Styles:
    register_fonts()
    return Styles(
        title=_style("title", 18, alignment=TA_CENTER, spaceAfter=6),
        subtitle=_style("subtitle", 10.5, alignment=TA_CENTER, spaceAfter=10),
        heading=_style("heading", 12, alignment=TA_LEFT, spaceBefore=8, spaceAfter=4),
        subheading=_style("subheading", 11, spaceBefore=6, spaceAfter=3),
        body=_style("body", BODY_SIZE),
        cell=_style("cell", BODY_SIZE),
        cell_centre=_style("cell_centre", BODY_SIZE, alignment=TA_CENTER),
        label=_style("label", BODY_SIZE, alignment=TA_CENTER),
        small=_style("small", 8.5),
        small_right=_style("small_right", 8.5, alignment=TA_RIGHT),
        note=_style("note", 9.5, textColor=Color(0.25, 0.25, 0.25)),
    )
