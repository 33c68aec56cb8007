"""A level drawn as a coloured badge with its word (红/橙/黄/绿), never colour alone."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QStyledItemDelegate, QStyleOptionViewItem, QWidget

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
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, QModelIndex())  # background and selection only
        level = index.data(LEVEL_ROLE)
        paint_badge(painter, option.rect, level, level_word(level))

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(max(size.width(), 64), size.height() + 6)


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
