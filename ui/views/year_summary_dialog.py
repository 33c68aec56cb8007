"""年度总结 (issue 19, seed 004 四 3) from the 报表 page: choose the period (whole months), see the
main figures, write the 典型案例 (typical cases) and choose which go in, then print the summary
(app/printing/year_summary.py: the cases are printed anonymised, and a case that would still
name its child stops the print). Everything is read and written on the vault worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.schedule import VisitSchedule
from app.domain.transition_plan import PlanStatus
from app.domain.typical_case import FIELD_LABELS_ZH, TypicalCase, split_names
from app.printing.year_summary import REVIEW_ADVICE
from app.services.caseload import Caseload
from app.services.monthly_report import MonthError, ReportMonth
from app.services.stored import Stored
from app.services.typical_cases import TypicalCaseService
from app.services.year_summaries import YearSummaryService
from app.services.year_summary import Period, YearSummary
from ui.tasks import Runner
from ui.views import print_preview
from ui.views.activities_page import item_check_sheet
from ui.views.child_picker import make_choices
from ui.views.messages import show_error
from ui.views.record_form import RecordFormDialog
from ui.window_fit import fit_window, scrolling

MONTHS_BACK = 36
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
REVIEW_LINES = 10  # notes listed before printing (the box scrolls), then how many more


class SummaryDesk(Protocol):
    @property
    def typical_cases(self) -> TypicalCaseService: ...
    @property
    def year_summaries(self) -> YearSummaryService: ...
    @property
    def runner(self) -> Runner: ...
    @property
    def author(self) -> str: ...
    @property
    def village_code(self) -> str: ...
    @property
    def today(self) -> Callable[[], date]: ...
    @property
    def schedule(self) -> VisitSchedule: ...


def _month_box(name: str, today: date) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    index = today.year * 12 + today.month - 1
    for back in range(MONTHS_BACK):
        year, month = divmod(index - back, 12)
        report_month = ReportMonth(year, month + 1)
        box.addItem(report_month.label_zh, str(report_month))
    return box


class TypicalCaseDialog(RecordFormDialog):
    """Write or correct one typical case."""

    def __init__(
        self,
        desk: SummaryDesk,
        caseload: Caseload | None,
        stored: Stored[TypicalCase] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("typical_case_dialog")
        self.setWindowTitle(self.tr("典型案例"))
        self._desk = desk
        self._stored = stored
        self.child = QComboBox()
        self.child.setObjectName("case_child")
        for choice in make_choices(caseload, desk.today()):
            self.child.addItem(choice.text, choice.child_id)
        self.child.setEditable(True)  # type a name to find the child among hundreds
        self.child.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = QCompleter(self.child.model(), self.child)
        self.child.setCompleter(completer)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.title = QLineEdit()
        self.title.setObjectName("case_title")
        self.title.setPlaceholderText(self.tr("例如：从“红码”到“绿码”——多方联动帮扶一名留守儿童"))
        self.texts: dict[str, QPlainTextEdit] = {}
        form = QFormLayout()
        form.addRow(self.tr("儿童"), self.child)
        form.addRow(FIELD_LABELS_ZH["title"], self.title)
        for name in ("situation", "actions", "outcome", "lessons"):
            edit = QPlainTextEdit()
            edit.setObjectName(f"case_{name}")
            edit.setMinimumHeight(round(self.fontMetrics().height() * 3.5))
            self.texts[name] = edit
            form.addRow(FIELD_LABELS_ZH[name], edit)
        self.other_names = QLineEdit()
        self.other_names.setObjectName("case_other_names")
        self.other_names.setPlaceholderText(self.tr("如：王小芳、李建国（用顿号隔开）"))
        form.addRow(FIELD_LABELS_ZH["other_names"], self.other_names)
        hint = QLabel(
            self.tr(
                "可以照常写孩子的名字：打印总结时，儿童姓名和小名（如“小丽”“丽丽”）改为“某某”，"
                "村名改为“某村”，学校改为“某小学”“某中学”等，身份证号、住址、监护人姓名和电话都不会印出。"
                "文中提到的其他人（兄弟姐妹、老师、邻居等）请把姓名填在“文中其他人名”里，也会印为“某某”。"
                "只写一个字的名字（如“丽”）不会自动替换，打印前会提示您核对。"
            )
        )
        hint.setWordWrap(True)
        hint.setProperty("role", "hint")
        buttons = self._error_and_buttons("case")
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(scrolling(form), 1)  # 特大 text on a small screen: the form scrolls
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if stored is not None:
            case = stored.value
            self.child.setCurrentIndex(max(0, self.child.findData(case.child_id)))
            self.title.setText(case.title)
            for name, edit in self.texts.items():
                edit.setPlainText(getattr(case, name))
            self.other_names.setText("、".join(case.other_names))
        fit_window(self, 720, 680)

    def chosen_child(self) -> str:
        """The child whose name is in the box (typed or picked); "" when none matches."""
        index = self.child.findText(self.child.currentText())
        return str(self.child.itemData(index) or "") if index >= 0 else ""

    def case(self) -> TypicalCase:
        base = self._stored.value if self._stored else None
        return TypicalCase(
            child_id=self.chosen_child(),
            written_on=base.written_on if base else self._desk.today(),
            title=self.title.text().strip(),
            in_summary=base.in_summary if base else True,
            other_names=split_names(self.other_names.text()),
            **{name: edit.toPlainText().strip() for name, edit in self.texts.items()},
        )

    def save(self) -> None:
        case = self.case()
        self._save_on_worker(self._desk.runner, self._desk.typical_cases, case, self._stored)


class YearSummaryDialog(QDialog):
    def __init__(
        self, desk: SummaryDesk, caseload: Caseload | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("year_summary_dialog")
        self.setWindowTitle(self.tr("年度总结"))
        self._desk = desk
        self._caseload = caseload
        self.summary: YearSummary | None = None
        self.cases: list[Stored[TypicalCase]] = []
        today = desk.today()
        self.start = _month_box("summary_start", today)
        self.end = _month_box("summary_end", today)
        self.start.setCurrentIndex(today.month - 1)  # January of this year
        self.this_year = QPushButton(self.tr("今年"))
        self.this_year.setObjectName("summary_this_year")
        period = QHBoxLayout()
        period.addWidget(QLabel(self.tr("统计期间：从")))
        period.addWidget(self.start)
        period.addWidget(QLabel(self.tr("至")))
        period.addWidget(self.end)
        period.addWidget(self.this_year)
        period.addStretch(1)
        self.figures = QLabel(self.tr("正在统计……"))
        self.figures.setObjectName("summary_figures")
        self.figures.setWordWrap(True)
        self.figures.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        cases_title = QLabel(self.tr("典型案例（勾选的案例印入总结，儿童姓名印为“某某”）"))
        cases_title.setWordWrap(True)
        self.case_list = QListWidget()
        self.case_list.setObjectName("typical_cases")
        self.case_list.setWordWrap(True)
        self.case_list.setStyleSheet(item_check_sheet(self.font()))  # readable at 特大
        # before printing: what the anonymiser left for the director to judge (丽 alone, 石岗);
        # a few lines high, it scrolls when there is more (at 特大 text too)
        self.review = QPlainTextEdit()
        self.review.setObjectName("summary_review")
        self.review.setReadOnly(True)
        self.review.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.review.setStyleSheet("QPlainTextEdit { color: #a00000; }")
        lines = 5.5
        self.review.setMaximumHeight(round(self.fontMetrics().lineSpacing() * lines) + 12)
        self.review.hide()
        self.new_case = QPushButton(self.tr("写典型案例…"))
        self.new_case.setObjectName("new_typical_case")
        self.edit_case = QPushButton(self.tr("修改…"))
        self.edit_case.setObjectName("edit_typical_case")
        self.delete_case = QPushButton(self.tr("删除…"))
        self.delete_case.setObjectName("delete_typical_case")
        case_buttons = QHBoxLayout()
        case_buttons.addWidget(self.new_case)
        case_buttons.addWidget(self.edit_case)
        case_buttons.addWidget(self.delete_case)
        case_buttons.addStretch(1)
        buttons = QDialogButtonBox()
        self.print_button = buttons.addButton(
            self.tr("打印 / 保存为PDF"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.print_button.setObjectName("print_year_summary")
        buttons.addButton(self.tr("关闭"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(period)
        layout.addWidget(self.figures)
        layout.addWidget(cases_title)
        layout.addWidget(self.case_list, 1)
        layout.addWidget(self.review)
        layout.addLayout(case_buttons)
        layout.addWidget(buttons)

        self.start.currentIndexChanged.connect(self.refresh)
        self.end.currentIndexChanged.connect(self.refresh)
        self.this_year.clicked.connect(self._this_year)
        self.new_case.clicked.connect(self._new_case)
        self.edit_case.clicked.connect(self._edit_case)
        self.delete_case.clicked.connect(self._delete_case)
        self.case_list.itemChanged.connect(self._case_ticked)
        self.case_list.itemActivated.connect(lambda _item: self._edit_case())
        self.print_button.clicked.connect(self.print_summary)
        fit_window(self, 820, 680)
        self.refresh()

    # ----- period ----------------------------------------------------------------------------

    def period(self) -> Period:
        return Period.parse(str(self.start.currentData()), str(self.end.currentData()))

    def _this_year(self) -> None:
        self.end.setCurrentIndex(0)
        self.start.setCurrentIndex(self._desk.today().month - 1)

    def _service(self) -> TypicalCaseService:
        return self._desk.typical_cases

    def refresh(self) -> None:
        try:
            period = self.period()
        except MonthError as err:
            self.figures.setText(err.message_zh)
            self.print_button.setEnabled(False)
            return
        self.print_button.setEnabled(True)
        desk, service = self._desk, self._service()
        summaries, village, schedule = desk.year_summaries, desk.village_code or None, desk.schedule

        def work() -> tuple[YearSummary, list[Stored[TypicalCase]], list[str]]:
            figures = summaries.figures(period, village_code=village, schedule=schedule)
            return figures, service.list_all(), summaries.review(figures, village_code=village)

        desk.runner.submit(work, self._show, self._failed)

    def _failed(self, err: BaseException) -> None:
        if isinstance(err, MonthError):
            self.figures.setText(err.message_zh)
            return
        show_error(self, err, self.tr("年度总结没有算出来"))

    def _show(self, loaded: tuple[YearSummary, list[Stored[TypicalCase]], list[str]]) -> None:
        s, self.cases, notes = loaded
        shown = notes[:REVIEW_LINES] + (
            [self.tr("……另有 {0} 条，请逐篇核对。").format(len(notes) - REVIEW_LINES)]
            if len(notes) > REVIEW_LINES
            else []
        )
        self.review.setPlainText(
            self.tr("打印前请核对。") + REVIEW_ADVICE + "\n" + "\n".join(shown) if notes else ""
        )
        self.review.setVisible(bool(notes))
        self.summary = s
        a = s.activities
        self.figures.setText(
            self.tr(
                "{0}：期初在册儿童 {1} 人，期末 {2} 人；降码 {3} 人次，升级 {4} 人次；"
                "应走访 {5} 人次，已走访 {6} 人次；完成评估 {7} 次；新开个案 {8} 件，结案 {9} 件；"
                "强制报告 {10} 件；活动 {11} 场，服务儿童 {12} 人次，覆盖 {13} 人；"
                "爱心妈妈结对 {14} 人；年满18周岁 {15} 人，已交接 {16} 人。"
            ).format(
                s.period.label_zh,
                s.children_start,
                s.children_end,
                s.changes["down"],
                s.changes["up"],
                s.visits_due,
                s.visits_done,
                s.assessments,
                s.cases_opened,
                s.cases_closed,
                s.reports_filed + s.case_reports,
                a.activities,
                a.child_attendances,
                a.children_reached,
                s.caring_mother_paired,
                s.turned_18,
                s.turned_18_by_status[PlanStatus.HANDED_OVER],
            )
        )
        self.case_list.blockSignals(True)
        self.case_list.clear()
        for stored in self.cases:
            case = stored.value
            item = QListWidgetItem(f"{case.written_on.isoformat()}　{case.title}")
            item.setData(CASE_ID_ROLE, stored.record_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if case.in_summary else Qt.CheckState.Unchecked
            )
            self.case_list.addItem(item)
        if not self.cases:
            empty = QListWidgetItem(self.tr("还没有典型案例。点“写典型案例…”写一篇。"))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.case_list.addItem(empty)
        self.case_list.blockSignals(False)
        self.edit_case.setEnabled(bool(self.cases))
        self.delete_case.setEnabled(bool(self.cases))

    # ----- typical cases ---------------------------------------------------------------------

    def _chosen(self) -> Stored[TypicalCase] | None:
        item = self.case_list.currentItem()
        record_id = item.data(CASE_ID_ROLE) if item is not None else None
        return next((s for s in self.cases if s.record_id == record_id), None)

    def _open_case(self, stored: Stored[TypicalCase] | None) -> TypicalCaseDialog:
        dialog = TypicalCaseDialog(self._desk, self._caseload, stored, self)
        dialog.saved.connect(lambda _s: self.refresh())
        dialog.open()
        return dialog

    def _new_case(self) -> TypicalCaseDialog:
        return self._open_case(None)

    def _edit_case(self) -> TypicalCaseDialog | None:
        chosen = self._chosen()
        return self._open_case(chosen) if chosen is not None else None

    def _delete_case(self) -> None:
        chosen = self._chosen()
        if chosen is None:
            return
        reason, ok = QInputDialog.getText(
            self,
            self.tr("删除典型案例"),
            self.tr("删除“{0}”的原因：").format(chosen.value.title),
        )
        if ok and reason.strip():
            self.delete_with_reason(chosen.record_id, reason)

    def delete_with_reason(self, record_id: str, reason: str) -> None:
        service = self._service()
        self._desk.runner.submit(
            lambda: service.delete(record_id, reason=reason),
            lambda _r: self.refresh(),
            lambda e: show_error(self, e),
        )

    def _case_ticked(self, item: QListWidgetItem) -> None:
        record_id = item.data(CASE_ID_ROLE)
        stored = next((s for s in self.cases if s.record_id == record_id), None)
        if stored is None:
            return
        wanted = item.checkState() == Qt.CheckState.Checked
        if wanted == stored.value.in_summary:
            return
        service = self._service()
        case = replace(stored.value, in_summary=wanted)
        self._desk.runner.submit(
            lambda: service.update(record_id, case, base_revision=stored.revision),
            lambda _r: self.refresh(),
            lambda e: show_error(self, e),
        )

    # ----- print -----------------------------------------------------------------------------

    def print_summary(self) -> None:
        desk = self._desk
        period = self.period()
        summaries, schedule = desk.year_summaries, desk.schedule
        village = desk.village_code or None
        print_preview.preview_pdf(
            desk.runner,
            lambda: summaries.pdf(period, village_code=village, schedule=schedule),
            "年度工作总结",
            f"年度工作总结-{period.start}至{period.end}.pdf",
            self,
        )
