"""The wizard's result page: the level, the total (and why rules moved the level), the mandatory
report warning, the rules that fired, the section scores as bars and the recommended support
(分层赋能). What to say is worked out in app/questionnaire/result_summary.py."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.questionnaire import AssessmentResult
from app.questionnaire.result_summary import (
    format_number,
    level_adjustment,
    rule_forces,
    section_rows,
)
from app.services.assessments import CORRECTION_HOW
from ui.theme import LEVEL_WORDS
from ui.views.level_badge import LevelBadge
from ui.views.widgets import plain_label as _label

FINISH_WARNING = CORRECTION_HOW


class ResultPage(QScrollArea):
    """Scrolls the result body; ``show_result`` builds it anew."""

    file_report = Signal()  # 填写强制报告 (a finished assessment whose rules demand one)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("result_page")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)

    def show_result(
        self, result: AssessmentResult, is_finished: bool, finished_on: date | None
    ) -> None:
        body, layout = self._new_body(self.tr("评估结果"))

        self._add_status(
            layout,
            finished_on,
            self.tr(FINISH_WARNING),
            self.tr(
                "这是预览，评估还没有完成。请核对后点右下角的“完成评估”；"
                "需要改答案可点“上一页”或左边的页名。"
            ),
            is_finished=is_finished,
        )

        level_row = QHBoxLayout()
        badge = LevelBadge(result.level)
        badge.setObjectName("result_level")
        level_row.addWidget(badge)
        level_label = _label(result.level_label or "", "title", wrap=False)
        level_label.setObjectName("result_level_label")
        level_row.addWidget(level_label)
        level_row.addStretch(1)
        layout.addLayout(level_row)

        self._add_total(layout, result)

        if result.mandatory_report:
            self._add_report_warning(
                layout,
                self.tr(
                    "⚠ 本次评估发现须强制报告的情况：请立即报告镇（街道）和区民政局；"
                    "涉及侵害的，依法向公安机关报案。"
                ),
            )
            row = QHBoxLayout()
            if is_finished:
                button = QPushButton(self.tr("填写强制报告"))
                button.setObjectName("result_file_report")
                button.clicked.connect(self.file_report)
                row.addWidget(
                    _label(
                        self.tr("写明看到了什么、谁有危险，下次同步时优先报送区民政局。"),
                        "hint",
                    ),
                    1,
                )
                row.addWidget(button)
            else:
                row.addWidget(_label(self.tr("完成评估后，可在这里填写强制报告。"), "hint"), 1)
            layout.addLayout(row)

        if result.fired_rules:
            layout.addWidget(_label(self.tr("触发的规则"), "title"))
            layout.addWidget(self._rules_widget(result))

        layout.addWidget(_label(self.tr("各部分得分"), "title"))
        layout.addWidget(self._sections_widget(result))

        if result.recommendations:
            layout.addWidget(_label(self.tr("建议的帮扶措施（分层赋能）"), "title"))
            layout.addWidget(self._recommendations_widget(result))

        self._show_body(body, layout)

    # ----- parts a result page of another kind (screening) builds with ---------------------------

    def _new_body(self, title_text: str) -> tuple[QWidget, QVBoxLayout]:
        """An empty result body headed by ``title_text`` (a larger title)."""
        body = QWidget()
        body.setObjectName("result_body")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 8, 16, 16)
        layout.setSpacing(10)
        title = _label(title_text, "title")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        layout.addWidget(title)
        return body, layout

    def _add_status(
        self,
        layout: QVBoxLayout,
        finished_on: date | None,
        finished_note: str,
        preview_note: str,
        *,
        is_finished: bool,
    ) -> None:
        """When the result was finished and ``finished_note`` (how to correct it), or
        ``preview_note`` while it is still a preview."""
        if is_finished:
            when = finished_on.isoformat() if finished_on else ""
            status = self.tr("已于 {0} 完成。").format(when) + finished_note
        else:
            status = preview_note
        status_label = _label(status, "hint")
        status_label.setObjectName("result_status")
        layout.addWidget(status_label)

    def _add_total(self, layout: QVBoxLayout, result: AssessmentResult) -> None:
        total = _label(self._total_text(result))
        total.setObjectName("result_total")
        layout.addWidget(total)

    def _add_report_warning(self, layout: QVBoxLayout, text: str) -> None:
        """What to do at once about a result that demands a mandatory report."""
        report = _label(text, "error")
        report.setObjectName("result_mandatory_report")
        layout.addWidget(report)

    def _recommendations_widget(self, result: AssessmentResult) -> QWidget:
        recs = QWidget()
        recs.setObjectName("result_recommendations")
        recs_layout = QVBoxLayout(recs)
        recs_layout.setContentsMargins(12, 0, 0, 0)
        for number, text in enumerate(result.recommendations, 1):
            recs_layout.addWidget(_label(f"{number}. {text}"))
        return recs

    def _show_body(self, body: QWidget, layout: QVBoxLayout) -> None:
        """Put ``body`` in place of the result shown before."""
        layout.addStretch(1)
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(body)

    def _total_text(self, result: AssessmentResult) -> str:
        text = self.tr("总分 {0}/{1}").format(
            format_number(result.total_score), format_number(result.total_max)
        )
        percent = result.total_percent
        if percent is not None:
            text += self.tr("（{0}%）").format(format_number(percent))
        adjusted = level_adjustment(result)
        if adjusted is not None:
            by_score, given = adjusted
            text += self.tr("。按得分为“{0}”，因下列情况调整为“{1}”。").format(
                LEVEL_WORDS.get(by_score, by_score), LEVEL_WORDS.get(given, given)
            )
        return text

    def _rules_widget(self, result: AssessmentResult) -> QWidget:
        rules = QWidget()
        rules.setObjectName("result_rules")
        rules_layout = QVBoxLayout(rules)
        rules_layout.setContentsMargins(12, 0, 0, 0)
        for rule in result.fired_rules:
            text = f"● {rule.reason}"
            effect = self.tr("定为") if rule_forces(rule) else self.tr("至少为")
            text += self.tr("（{0}“{1}”").format(effect, LEVEL_WORDS.get(rule.level, rule.level))
            text += self.tr("，须强制报告）") if rule.mandatory_report else "）"
            rules_layout.addWidget(_label(text))
        return rules

    def _sections_widget(self, result: AssessmentResult) -> QWidget:
        box = QWidget()
        box.setObjectName("result_sections")
        grid = QGridLayout(box)
        grid.setContentsMargins(12, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        bar_width = self.fontMetrics().horizontalAdvance("0") * 8
        for row, section in enumerate(section_rows(result)):
            name = _label(
                "    " * section.depth + section.label,
                "title" if section.depth == 0 else None,
                wrap=False,
            )
            grid.addWidget(name, row, 0)
            if not section.applicable:
                grid.addWidget(_label(self.tr("不适用"), "hint", wrap=False), row, 1)
                continue
            score = f"{format_number(section.score)}/{format_number(section.max_score)}"
            grid.addWidget(_label(score, wrap=False), row, 1)
            bar = QProgressBar()
            bar.setObjectName(f"section_{section.id}")
            bar.setRange(0, 100)
            bar.setValue(round(section.percent))
            bar.setFormat(f"{format_number(section.percent)}%")
            bar.setMinimumWidth(bar_width)
            bar.setMaximumWidth(bar_width * 4)
            grid.addWidget(bar, row, 2)
        grid.setColumnStretch(2, 1)
        return box
