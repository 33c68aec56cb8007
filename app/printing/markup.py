"""User text to reportlab Paragraph markup: escaped, with per-character font fallback.

Every piece of user data (names, addresses, notes) goes through :func:`para_text` before it
becomes part of Paragraph markup, so a name like ``<李&王>`` prints as written and cannot
inject markup; characters the main font lacks switch to the fallback font or a visible marker.
"""

from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

from app.printing.fonts import FALLBACK_FONT, MAIN_FONT, missing_marker, text_runs

MARKER_STYLE = 'backColor="#d9d9d9" color="#8b0000"'


def _clean(text: str) -> str:
    # Carriage returns and tabs are layout noise from pasted text; other control characters
    # have no glyph anywhere and are shown by the missing-character marker.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


def para_text(text: str) -> str:
    """``text`` as safe Paragraph markup; line breaks become ``<br/>``."""
    lines = _clean(text).split("\n")
    return "<br/>".join(_line_markup(line) for line in lines)


def _line_markup(line: str) -> str:
    parts: list[str] = []
    for run in text_runs(line):
        if run.font == MAIN_FONT:
            parts.append(escape(run.text))
        elif run.font == FALLBACK_FONT:
            parts.append(f'<font face="{FALLBACK_FONT}">{escape(run.text)}</font>')
        else:
            parts.append(
                f'<font face="{MAIN_FONT}" {MARKER_STYLE}>{missing_marker(run.text)}</font>'
            )
    return "".join(parts)


def zh_date(day: date | None, empty: str = "") -> str:
    """2026年11月3日 (the form used on paper records)."""
    if day is None:
        return empty
    return f"{day.year}年{day.month}月{day.day}日"


BLANK_DATE = "______年____月____日"
