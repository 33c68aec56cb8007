"""The bundled CJK fonts, registered with reportlab once, and the choice of font per character.

WenQuanYi Micro Hei (``resources/fonts/wqy-microhei.ttc``, face 0) prints everything it has;
a character it lacks (rare name characters, 生僻字, mostly in CJK Extension A) is printed with
Droid Sans Fallback; a character neither has is printed as a visible marker with its code
point (``〔U+201D4〕``) so it never silently disappears. Both files are TrueType (glyf), which
reportlab embeds as subsets in every PDF.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from resources import resource_path

MAIN_FONT = "WenQuanYiMicroHei"  # reportlab's name for the main font
FALLBACK_FONT = "DroidSansFallback"  # reportlab's name for the fallback font
MAIN_FONT_FILE = ("fonts", "wqy-microhei.ttc")
MAIN_FONT_SUBFONT = 0  # face 0 of the collection; face 1 is the Mono variant
FALLBACK_FONT_FILE = ("fonts", "DroidSansFallbackFull.ttf")
# The family name Qt sees after QFontDatabase.addApplicationFont(main_font_path()).
QT_FAMILY = "WenQuanYi Micro Hei"

_lock = threading.Lock()


@dataclass(frozen=True)
class Run:
    """A piece of text printed in one font; ``font`` is None for characters no font has."""

    font: str | None
    text: str


def main_font_path() -> str:
    """Path of the main font file (a TrueType collection), for the GUI to give Qt."""
    return str(resource_path(*MAIN_FONT_FILE))


def fallback_font_path() -> str:
    return str(resource_path(*FALLBACK_FONT_FILE))


@cache
def _coverage() -> tuple[frozenset[int], frozenset[int]]:
    with _lock:
        registered = pdfmetrics.getRegisteredFontNames()
        if MAIN_FONT not in registered:
            main = TTFont(MAIN_FONT, main_font_path(), subfontIndex=MAIN_FONT_SUBFONT)
            pdfmetrics.registerFont(main)
            # No bold or italic faces: <b>/<i> in markup fall back to the regular face.
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(MAIN_FONT, bold, italic, MAIN_FONT)
        if FALLBACK_FONT not in registered:
            pdfmetrics.registerFont(TTFont(FALLBACK_FONT, fallback_font_path()))
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(FALLBACK_FONT, bold, italic, FALLBACK_FONT)
        main_cmap = pdfmetrics.getFont(MAIN_FONT).face.charToGlyph
        fallback_cmap = pdfmetrics.getFont(FALLBACK_FONT).face.charToGlyph
        return frozenset(main_cmap), frozenset(fallback_cmap)


def register_fonts() -> None:
    """Register both fonts with reportlab (idempotent, thread-safe; ~0.1 s the first time)."""
    _coverage()


def font_for(char: str) -> str | None:
    """The font that has ``char``: the main font, the fallback, or None."""
    main, fallback = _coverage()
    code = ord(char)
    if code in main:
        return MAIN_FONT
    if code in fallback:
        return FALLBACK_FONT
    return None


def missing_marker(char: str) -> str:
    """What is printed in place of a character no bundled font has."""
    return f"〔U+{ord(char):04X}〕"


def text_runs(text: str) -> list[Run]:
    """Split ``text`` into runs of one font each; each missing character is a run of its own
    whose text is the character itself (the caller prints :func:`missing_marker`)."""
    main, fallback = _coverage()
    runs: list[Run] = []
    current_font: str | None = None
    current: list[str] = []
    for char in text:
        code = ord(char)
        if code in main or char == " ":
            font: str | None = MAIN_FONT
        elif code in fallback:
            font = FALLBACK_FONT
        else:
            font = None
        if font is None or font != current_font:
            if current:
                runs.append(Run(current_font, "".join(current)))
                current = []
            if font is None:
                runs.append(Run(None, char))
                current_font = None
                continue
            current_font = font
        current.append(char)
    if current:
        runs.append(Run(current_font, "".join(current)))
    return runs
