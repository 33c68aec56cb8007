"""Colours, level badges and text scaling. Levels are always shown with their word
(红/橙/黄/绿), never by colour alone."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication, QStyle

from app.domain.labels_zh import LEVEL_BADGE_ZH, LEVEL_WORDS_ZH
from resources import resources_root

# The words live with the domain (one home for screens and print).
LEVEL_WORDS = LEVEL_WORDS_ZH
LEVEL_LABELS = LEVEL_BADGE_ZH
# Background, text: contrast checked for legibility (dark text on yellow/green).
LEVEL_COLOURS = {
    "red": ("#c62828", "#ffffff"),
    "orange": ("#ef6c00", "#ffffff"),
    "yellow": ("#f9d71c", "#3e2f00"),
    "green": ("#2e7d32", "#ffffff"),
    None: ("#e0e0e0", "#424242"),
}
OVERDUE_COLOUR = QColor("#c62828")
BASE_POINT_SIZE = 11
TEXT_SCALES = {"标准": 1.0, "较大": 1.25, "特大": 1.5}
INDICATOR_TO_LINE = 0.7  # check box / radio indicator side, as a share of the line height


def level_word(level: str | None) -> str:
    return LEVEL_WORDS.get(level or "", "未评")


def register_bundled_fonts() -> str | None:
    """Register every TrueType font in resources/fonts with Qt; return the first family, so the
    UI renders Chinese the same on a machine without Chinese fonts."""
    fonts_dir = resources_root() / "fonts"
    first: str | None = None
    if fonts_dir.is_dir():
        for path in sorted(fonts_dir.iterdir()):
            if path.suffix.lower() in (".ttf", ".ttc", ".otf"):
                font_id = QFontDatabase.addApplicationFont(str(path))
                families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
                if families and first is None:
                    first = families[0]
    return first


def apply_text_scale(app: QApplication, scale: float, family: str | None = None) -> None:
    """Scale the whole UI's text (设置 → 字体大小) for older eyes."""
    font = QFont(family) if family else app.font()
    font.setPointSizeF(BASE_POINT_SIZE * scale)
    app.setFont(font)
    app.setProperty("childdesk_text_scale", scale)
    app.setStyleSheet(
        f"QPushButton {{ padding: {round(4 * scale)}px {round(12 * scale)}px; }}"
        f"QLineEdit, QComboBox, QDateEdit, QSpinBox {{ min-height: {round(22 * scale)}px; }}"
        "QLabel[role='error'] { color: #c62828; }"
        "QLabel[role='hint'] { color: #616161; }"
        "QLabel[role='title'] { font-weight: bold; }" + _indicator_rule(app, font)
    )


def indicator_size(font: QFont) -> int:
    """The side of a check box's or radio button's indicator that suits ``font``: about the
    height of a capital letter and a half, so at 特大 the boxes grow with the text instead of
    staying tiny next to it."""
    return round(QFontMetrics(font).height() * INDICATOR_TO_LINE)


def _indicator_rule(app: QApplication, font: QFont) -> str:
    """Only when larger than the style's own indicator: the standard size keeps the platform's
    look (the style draws the box, tick and dot scaled into the larger square)."""
    size = indicator_size(font)
    native = app.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
    if size <= native:
        return ""
    return (
        "QCheckBox::indicator, QRadioButton::indicator, QGroupBox::indicator"
        f" {{ width: {size}px; height: {size}px; }}"
    )
