"""The page every printed document shares: A4, a header naming the district, town and
village, 内部资料 注意保密 on every page, the printed-on date and 第 N 页 共 M 页.

Documents are built into memory (:func:`build_pdf` returns bytes); nothing is written to disk
here. The page count is known only at the end, so the canvas keeps each page's drawing
state and adds the page numbers when the document is saved (the pretix numbered canvas).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from app.printing.fonts import MAIN_FONT, missing_marker, register_fonts, text_runs
from app.printing.markup import zh_date

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 18 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
CONFIDENTIAL = "内部资料 注意保密"
GREY = Color(0.35, 0.35, 0.35)
MARKER_BACKGROUND = Color(0.85, 0.85, 0.85)
MARKER_COLOUR = Color(0.55, 0, 0)


@dataclass(frozen=True)
class Letterhead:
    """Who the document comes from: printed at the top of every page.

    Names come from the director's profile (``district_name``, ``town_name``,
    ``village_name``); where a name is not set the administrative code stands in for it.
    """

    district: str
    town: str
    village: str
    village_code: str = ""
    director: str = ""

    @classmethod
    def from_profile(cls, profile: dict[str, Any], village_code: str | None = None) -> Letterhead:
        code = str(village_code or profile.get("village_code") or "")
        own_village = code == str(profile.get("village_code") or "")

        def name(key: str, fallback_code: str, unit: str) -> str:
            value = str(profile.get(key) or "") if own_village else ""
            if value:
                return value
            return f"{unit}代码 {fallback_code}" if fallback_code else ""

        return cls(
            district=name("district_name", code[:6], "区县"),
            town=name("town_name", code[:9], "乡镇"),
            village=name("village_name", code, "村"),
            village_code=code,
            director=str(profile.get("name") or ""),
        )

    @property
    def line(self) -> str:
        parts = [part for part in (self.district, self.town, self.village) if part]
        if not parts:  # e.g. a blank form printed with no vault open: lines to fill in
            return "__________区（县）__________乡镇（街道）__________村（社区）"
        return "  ".join(parts)


def string_width(text: str, size: float) -> float:
    """Width of ``text`` as :func:`draw_text` prints it."""
    width = 0.0
    for run in text_runs(text):
        shown = run.text if run.font else missing_marker(run.text)
        width += pdfmetrics.stringWidth(shown, run.font or MAIN_FONT, size)
    return width


def draw_text(
    canvas: Canvas, x: float, y: float, text: str, size: float, align: str = "left"
) -> float:
    """Draw user text on the canvas with the same font fallback as Paragraphs; returns the
    width drawn. ``align`` is left, centre or right of ``x``."""
    width = string_width(text, size)
    if align == "centre":
        x -= width / 2
    elif align == "right":
        x -= width
    for run in text_runs(text):
        if run.font is None:
            shown = missing_marker(run.text)
            run_width = pdfmetrics.stringWidth(shown, MAIN_FONT, size)
            canvas.saveState()
            canvas.setFillColor(MARKER_BACKGROUND)
            canvas.rect(x, y - size * 0.2, run_width, size * 1.1, stroke=0, fill=1)
            canvas.setFillColor(MARKER_COLOUR)
            canvas.setFont(MAIN_FONT, size)
            canvas.drawString(x, y, shown)
            canvas.restoreState()
        else:
            run_width = pdfmetrics.stringWidth(run.text, run.font, size)
            canvas.setFont(run.font, size)
            canvas.drawString(x, y, run.text)
        x += run_width
    return width


class _PageDecorations:
    def __init__(self, letterhead: Letterhead, printed_on: date, document: str) -> None:
        self.letterhead = letterhead
        self.printed_on = printed_on
        self.document = document

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        canvas.setFillColor(black)
        top = PAGE_HEIGHT - 13 * mm
        draw_text(canvas, MARGIN_X, top, self.letterhead.line, 9)
        # The confidentiality mark, boxed at the top right as on paper files.
        size = 9
        width = string_width(CONFIDENTIAL, size)
        right = PAGE_WIDTH - MARGIN_X
        canvas.setStrokeColor(black)
        canvas.setLineWidth(0.8)
        canvas.rect(right - width - 6, top - 3, width + 6, size + 5, stroke=1, fill=0)
        draw_text(canvas, right - 3, top, CONFIDENTIAL, size, align="right")
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, top - 6, right, top - 6)
        bottom = 10 * mm
        canvas.setLineWidth(0.4)
        canvas.setStrokeColor(GREY)
        canvas.line(MARGIN_X, bottom + 11, right, bottom + 11)
        canvas.setFillColor(GREY)
        draw_text(
            canvas, MARGIN_X, bottom, f"{self.document}  打印日期：{zh_date(self.printed_on)}", 8
        )
        draw_text(canvas, PAGE_WIDTH / 2, bottom, f"第 {page} 页 共 {pages} 页", 9, align="centre")
        draw_text(canvas, right, bottom, CONFIDENTIAL, 8, align="right")
        canvas.restoreState()


class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
    """Defers each page until the end so every page can say 第 N 页 共 M 页."""

    decorations: _PageDecorations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._page_states: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self._page_states)
        for number, state in enumerate(self._page_states, start=1):
            self.__dict__.update(state)
            self.decorations.draw(self, number, pages)
            super().showPage()
        super().save()


def build_pdf(
    story: Sequence[Flowable],
    *,
    title: str,
    letterhead: Letterhead,
    printed_on: date,
) -> bytes:
    """Lay out ``story`` on numbered A4 pages and return the PDF bytes (built in memory).

    The PDF's metadata carries the document kind only — no names — and no timestamps
    (``invariant``), so the same input gives the same bytes.
    """
    register_fonts()
    buffer = io.BytesIO()
    decorations = _PageDecorations(letterhead, printed_on, title)

    class _Canvas(NumberedCanvas):
        pass

    _Canvas.decorations = decorations
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        FRAME_WIDTH,
        PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=[PageTemplate("page", frames=[frame])],
        title=title,
        author="儿童主任工作台",
        creator="儿童主任工作台",
        subject="",
        invariant=True,
        initialFontName=MAIN_FONT,  # else an unused, unembedded Helvetica is referenced
        initialFontSize=10.5,
    )
    doc.build(list(story), canvasmaker=_Canvas)
    return buffer.getvalue()
