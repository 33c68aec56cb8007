"""A level drawn as a coloured badge with its word (红/橙/黄/绿), never colour alone."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ui.theme import LEVEL_COLOURS, LEVEL_LABELS, level_word
from ui.views.children_model import LEVEL_ROLE


def paint_badge(painter: QPainter, rect: QRect, level: str | None, text: str) -> None:
    background, foreground = LEVEL_COLOURS.get(level, LEVEL_COLOURS[None])
    metrics = painter.fontMetrics()
    width = metrics.horizontalAdvance(text) + metrics.height()
    height = metrics.height() + 4
    badge = QRect(rect.x() + 4, rect.center().y() - height // 2, width, height)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(background))
    painter.drawRoundedRect(badge, height / 2, height / 2)
    painter.setPen(QColor(foreground))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


class LevelBadgeDelegate(QStyledItemDelegate):
    """The level (``LEVEL_ROLE``) as a badge with its word, in a table or tree cell: the
    cell's background and selection as the view draws them, its own text not under it."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        cell = QStyleOptionViewItem(option)
        self.initStyleOption(cell, index)
        level = index.data(LEVEL_ROLE)
        cell.text = ""
        widget = cell.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, cell, painter, widget)
        paint_badge(painter, cell.rect, level, level_word(level))

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        height = option.fontMetrics.height()  # follows the text size (特大)
        return QSize(max(size.width(), height * 3), max(size.height(), height + 10))


class LevelBadge(QLabel):
    """A badge as a widget, for the child file and result pages: '红 · 监护缺失'."""

    def __init__(self, level: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("level_badge")
        self.set_level(level)

    def set_level(self, level: str | None) -> None:
        background, foreground = LEVEL_COLOURS.get(level, LEVEL_COLOURS[None])
        self.setText(LEVEL_LABELS.get(level or "", "未评估"))
        self.setStyleSheet(
            f"QLabel {{ background: {background}; color: {foreground}; border-radius: 10px;"
            " padding: 3px 12px; font-weight: bold; }"
        )
        self.setProperty("level", level or "")
