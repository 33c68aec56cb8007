"""The 报表 page's chart, drawn with QPainter: children by level — each bar carries its word
(红/橙/黄/绿), never colour alone — and visits done against due."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.services.monthly_report import MonthlyFigures
from ui.theme import LEVEL_COLOURS, LEVEL_WORDS

_LEVEL_BARS = ("red", "orange", "yellow", "green", None)  # most serious first
_VISIT_COLOURS = {
    "due": "#546e7a",
    "done": "#1565c0",
    "overdue": "#c62828",
    "pending": "#90a4ae",
}


@dataclass(frozen=True)
class Bar:
    label: str  # the word under the bar: the meaning is never carried by colour alone
    value: int
    colour: str
    text_colour: str = "#212121"


def level_bars(figures: MonthlyFigures) -> list[Bar]:
    bars = []
    for level in _LEVEL_BARS:
        background, _foreground = LEVEL_COLOURS[level]
        word = LEVEL_WORDS[level] if level else "未评估"
        bars.append(Bar(word, figures.levels_at_end.get(level or "none", 0), background))
    return bars


def visit_bars(figures: MonthlyFigures) -> list[Bar]:
    bars = [
        Bar("应走访", figures.due_count, _VISIT_COLOURS["due"]),
        Bar("已走访", figures.done_count, _VISIT_COLOURS["done"]),
        Bar("逾期未走访", figures.overdue_count, _VISIT_COLOURS["overdue"]),
    ]
    if not figures.complete:
        bars.append(Bar("待走访", figures.pending_count, _VISIT_COLOURS["pending"]))
    return bars


def completion_rate(done: int, due: int) -> str:
    return f"{round(100 * done / due)}%" if due else "—"


class MonthChart(QWidget):
    """Two bar charts side by side, every bar labelled with its word and its number."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("month_chart")
        self._panels: list[tuple[str, list[Bar]]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_figures(self, figures: MonthlyFigures | None) -> None:
        if figures is None:
            self._panels = []
        else:
            self._panels = [
                (self.tr("各等级儿童人数（月末）"), level_bars(figures)),
                (self.tr("走访：应走访与已走访（人）"), visit_bars(figures)),
            ]
        described = "；".join(
            f"{title}：" + "，".join(f"{b.label} {b.value}" for b in bars)
            for title, bars in self._panels
        )
        self.setAccessibleDescription(described)
        self.setToolTip(described)
        self.updateGeometry()
        self.update()

    def panels(self) -> list[tuple[str, list[Bar]]]:
        return list(self._panels)

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(line * 30, line * 13)

    def minimumSizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(line * 20, line * 13)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if not self._panels:
            painter.setPen(QColor("#757575"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("暂无数据"))
            return
        gap = self.fontMetrics().height()
        width = (self.width() - gap * (len(self._panels) + 1)) / len(self._panels)
        for number, (title, bars) in enumerate(self._panels):
            left = gap + number * (width + gap)
            self._paint_panel(
                painter, QRectF(left, gap / 2, width, self.height() - gap), title, bars
            )
        painter.end()

    def _paint_panel(self, painter: QPainter, area: QRectF, title: str, bars: list[Bar]) -> None:
        metrics = painter.fontMetrics()
        line = metrics.height()
        painter.setPen(QColor("#212121"))
        title_font = painter.font()
        title_font.setBold(True)
        painter.save()
        painter.setFont(title_font)
        painter.drawText(
            QRectF(area.left(), area.top(), area.width(), line * 1.4),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        painter.restore()
        top = area.top() + line * 1.6 + line * 1.2  # room for the numbers above the bars
        baseline = area.bottom() - line * 1.6  # room for the words under the bars
        height = max(1.0, baseline - top)
        largest = max((b.value for b in bars), default=0) or 1
        slot = area.width() / max(1, len(bars))
        bar_width = min(slot * 0.6, line * 4)
        painter.setPen(QPen(QColor("#9e9e9e"), 1))
        painter.drawLine(int(area.left()), int(baseline), int(area.right()), int(baseline))
        for index, bar in enumerate(bars):
            centre = area.left() + slot * (index + 0.5)
            bar_height = height * bar.value / largest
            rect = QRectF(centre - bar_width / 2, baseline - bar_height, bar_width, bar_height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(bar.colour))
            painter.drawRect(rect)
            painter.setPen(QColor("#212121"))
            painter.drawText(
                QRectF(centre - slot / 2, rect.top() - line * 1.2, slot, line * 1.2),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                str(bar.value),
            )
            painter.drawText(
                QRectF(centre - slot / 2, baseline + line * 0.2, slot, line * 1.3),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                bar.label,
            )
