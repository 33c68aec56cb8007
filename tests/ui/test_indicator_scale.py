"""At 特大 text the check-box and radio-button indicators grow with the text (they stayed a
tiny 14 px square next to 16.5 pt text), clicking them still toggles them, and the standard
size keeps the style's own indicator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ui.theme import apply_text_scale, indicator_size, register_bundled_fonts


@pytest.fixture
def scaled(qapp: QApplication) -> Iterator[QApplication]:
    font, sheet = qapp.font(), qapp.styleSheet()
    try:
        yield qapp
    finally:
        qapp.setFont(font)
        qapp.setStyleSheet(sheet)
        qapp.processEvents()


def indicator_rect(button: QCheckBox | QRadioButton) -> tuple[int, int, QPoint]:
    option = QStyleOptionButton()
    button.initStyleOption(option)
    element = (
        QStyle.SubElement.SE_CheckBoxIndicator
        if isinstance(button, QCheckBox)
        else QStyle.SubElement.SE_RadioButtonIndicator
    )
    rect = button.style().subElementRect(element, option, button)
    return rect.width(), rect.height(), rect.center()


def make_buttons(qtbot: QtBot) -> tuple[QWidget, QCheckBox, QRadioButton]:
    window = QWidget()
    layout = QVBoxLayout(window)
    check = QCheckBox("显示已归档的档案")
    radio = QRadioButton("特大")
    layout.addWidget(check)
    layout.addWidget(radio)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window, check, radio


def test_indicators_grow_with_the_text_and_still_click(qtbot: QtBot, scaled: QApplication) -> None:
    family = register_bundled_fonts()
    apply_text_scale(scaled, 1.0, family)
    native = scaled.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
    _window, check, radio = make_buttons(qtbot)
    assert indicator_rect(check)[:2] == (native, native)  # the standard size is untouched

    apply_text_scale(scaled, 1.5, family)
    scaled.processEvents()
    expected = indicator_size(scaled.font())
    assert expected >= round(native * 1.3)
    for button in (check, radio):
        width, height, centre = indicator_rect(button)
        assert (width, height) == (expected, expected), type(button).__name__
        assert button.sizeHint().height() >= expected
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=centre)
        assert button.isChecked()
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=indicator_rect(check)[2])
    assert not check.isChecked()

    # back to 较大 after 特大: the indicators shrink with the text, not stay or vanish
    apply_text_scale(scaled, 1.25, family)
    scaled.processEvents()
    middle = indicator_size(scaled.font())
    assert native < middle < expected
    assert indicator_rect(radio)[:2] == (middle, middle)
