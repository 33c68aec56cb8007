"""心理状况筛查: the psychological screening run in the assessment wizard (the same pages, skip
logic, drafts and finishing), with its own words, its own service (``screening`` records, never
the child's colour) and its own result page: 未见异常 / 建议关注 / 建议转介 under the label
初步筛查，不是诊断, the self-harm warning, the advice, and — once finished — 打印筛查结果 and, for
建议转介, where to follow up the referral the result made (转介记录)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.domain.referral import NOT_A_DIAGNOSIS_ZH, SCREENING_LEVEL_WORDS_ZH
from app.questionnaire import AssessmentResult, Definition
from app.questionnaire.result_summary import format_number, level_adjustment, rule_forces
from app.services.assessments import AssessmentService
from app.services.screening import screening_definition
from ui.desk_services import DeskServices
from ui.views.assessment_wizard import AssessmentWizard, ResultPage
from ui.views.widgets import plain_label as _label

# The badge colours of the three results (background, text): calm, amber, orange — a first
# screen is never shown in the guardianship assessment's alarming red.
SCREENING_BADGE = {
    "clear": ("#2e7d32", "#ffffff"),
    "watch": ("#f9d71c", "#3e2f00"),
    "refer": ("#ef6c00", "#ffffff"),
}
SCREENING_FINISH_WARNING = (
    "完成后的筛查不能再改答案。如有错误，可在“筛查与转介记录”窗口选中这次筛查，点“更正选中的筛查”："
    "会新建一次更正筛查，带入原来的答案供修改，原来的筛查仍然保留。"
)
NOT_DIAGNOSIS_TEXT = (
    f"{NOT_A_DIAGNOSIS_ZH}。本表是儿童主任的观察清单，不是心理量表；结果只说明是否需要多加关注、"
    "是否建议转介专业机构评估，不能据此认定儿童有任何心理疾病。请不要把结果告诉儿童本人或在村里传播。"
)


def level_badge(level: str | None) -> QLabel:
    background, foreground = SCREENING_BADGE.get(level or "", ("#e0e0e0", "#424242"))
    badge = QLabel(SCREENING_LEVEL_WORDS_ZH.get(level or "", "未完成"))
    badge.setObjectName("result_level")
    badge.setProperty("level", level or "")
    badge.setStyleSheet(
        f"QLabel {{ background: {background}; color: {foreground}; border-radius: 10px;"
        " padding: 3px 12px; font-weight: bold; }"
    )
    return badge


class ScreeningResultPage(ResultPage):
    """The result of a screening (see the module docstring)."""

    print_requested = Signal()
    referrals_requested = Signal()

    def show_result(
        self, result: AssessmentResult, is_finished: bool, finished_on: date | None
    ) -> None:
        body, layout = self._new_body(self.tr("筛查结果"))
        label = _label(NOT_DIAGNOSIS_TEXT, "error")
        label.setObjectName("result_not_diagnosis")
        layout.addWidget(label)
        self._add_status(
            layout,
            finished_on,
            SCREENING_FINISH_WARNING,
            self.tr(
                "这是预览，筛查还没有完成。请核对后点右下角的“完成筛查”；"
                "需要改答案可点“上一页”或左边的页名。"
            ),
            is_finished=is_finished,
        )

        row = QHBoxLayout()
        row.addWidget(level_badge(result.level))
        meaning = _label(self._meaning(result), wrap=True)
        meaning.setObjectName("result_level_label")
        row.addWidget(meaning, 1)
        layout.addLayout(row)
        self._add_total(layout, result)

        if result.mandatory_report:
            self._add_report_warning(
                layout,
                self.tr(
                    "⚠ 儿童有自伤或自杀的言语、行为：请立即告知监护人加强看护，收起危险物品；"
                    "当天报告镇（街道）和区民政局（完成后“待办”会提示填写强制报告）；"
                    "情况紧急拨打 120 或 110。"
                ),
            )
        if result.fired_rules:
            layout.addWidget(_label(self.tr("需要特别注意的情况"), "title"))
            for rule in result.fired_rules:
                effect = self.tr("定为") if rule_forces(rule) else self.tr("至少为")
                word = SCREENING_LEVEL_WORDS_ZH.get(rule.level, rule.level)
                text = f"● {rule.reason}（{effect}“{word}”"
                text += self.tr("，须强制报告）") if rule.mandatory_report else "）"
                layout.addWidget(_label(text))
        layout.addWidget(_label(self.tr("各方面观察到的情况（得分越高，情况越多）"), "title"))
        layout.addWidget(self._sections_widget(result))
        if result.recommendations:
            layout.addWidget(_label(self.tr("建议"), "title"))
            layout.addWidget(self._recommendations_widget(result))
        if result.level == "refer":
            referral = _label(
                self.tr(
                    "完成筛查后会自动生成一条转介记录，请在“筛查与转介记录”中登记转介去向、日期和评估结果。"
                )
                if not is_finished
                else self.tr(
                    "已生成转介记录：请在“筛查与转介记录”中登记转介去向、日期和评估结果。"
                ),
                "hint",
            )
            referral.setObjectName("result_referral")
            layout.addWidget(referral)
        if is_finished:
            buttons = QHBoxLayout()
            print_button = QPushButton(self.tr("打印筛查结果…"))
            print_button.setObjectName("print_screening")
            print_button.clicked.connect(lambda: self.print_requested.emit())
            buttons.addWidget(print_button)
            referrals = QPushButton(self.tr("筛查与转介记录…"))
            referrals.setObjectName("open_referrals")
            referrals.clicked.connect(lambda: self.referrals_requested.emit())
            buttons.addWidget(referrals)
            buttons.addStretch(1)
            layout.addLayout(buttons)
        self._show_body(body, layout)

    def _meaning(self, result: AssessmentResult) -> str:
        return {
            "clear": self.tr("这次没有发现需要特别关注的情况。"),
            "watch": self.tr("发现一些需要多加留意的情况。"),
            "refer": self.tr("建议转介专业机构作进一步评估。"),
        }.get(result.level or "", "")

    def _total_text(self, result: AssessmentResult) -> str:
        text = self.tr("观察到的情况计 {0} 分（满分 {1}）").format(
            format_number(result.total_score), format_number(result.total_max)
        )
        adjusted = level_adjustment(result)
        if adjusted is not None:
            by_score, given = adjusted
            text += self.tr("。按得分为“{0}”，因下列情况调整为“{1}”。").format(
                SCREENING_LEVEL_WORDS_ZH.get(by_score, by_score),
                SCREENING_LEVEL_WORDS_ZH.get(given, given),
            )
        return text


class ScreeningWizard(AssessmentWizard):
    """Start a screening for a child, or resume a draft / view a finished one by id."""

    KIND_ZH = "心理状况筛查"
    RESULT_ZH = "筛查结果"
    FINISH_ZH = "完成筛查"
    DONE_ZH = "筛查已完成"
    CONFIRM_ZH = "确定完成这次筛查吗？"
    referrals_requested = Signal(str)  # the child's id

    def __init__(
        self,
        desk: DeskServices,
        child_id: str,
        screening_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(desk, child_id, screening_id, parent)
        self.setObjectName("screening_wizard")

    def _service(self) -> AssessmentService:
        return self._desk.screenings

    def _new_definition(self) -> Definition:
        return screening_definition(self._desk.definitions)

    def _make_result_page(self) -> ResultPage:
        page = ScreeningResultPage()
        page.print_requested.connect(self.print_result)
        page.referrals_requested.connect(lambda: self.referrals_requested.emit(self._child_id))
        return page

    def _level_text(self, level: str) -> str:
        return SCREENING_LEVEL_WORDS_ZH.get(level, level)

    def _finish_warning(self) -> str:
        return SCREENING_FINISH_WARNING

    def print_result(self) -> None:
        if self.record_id is None or not self.is_finished:
            return
        preview_screening_report(self._desk, self.record_id, self)


def preview_screening_report(desk: DeskServices, record_id: str, parent: QWidget) -> None:
    """The 心理状况筛查结果 of a finished screening in the print preview (rendered on the vault
    worker): from the wizard's result page and from the child's list of screenings."""
    from ui.views.print_preview import preview_pdf

    printouts, definitions = desk.printouts, desk.definitions
    preview_pdf(
        desk.runner,
        lambda: printouts.screening_report(
            record_id, printed_on=desk.today(), definitions=definitions.questionnaires()
        ),
        "心理状况筛查结果",
        "心理筛查.pdf",
        parent,
    )
