"""报表: the monthly figures on screen (the same numbers as the printed 月度工作报表, from
``app.services.monthly_report``) with a simple chart (ui/views/month_chart.py): children by
level — each bar carries its word (红/橙/黄/绿), never colour alone — and visits done against
due. 年度总结… opens the year-end summary (ui/views/year_summary_dialog.py): a period of months,
its figures, the typical cases, the printed summary.

The records are read on the vault worker once per change of the caseload (and only when the
page is shown); changing the month recomputes the figures from them, also on the worker.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.schedule import LEVELS, VisitSchedule
from app.services.monthly_report import (
    CaseloadRecords,
    MonthError,
    MonthlyFigures,
    ReportMonth,
    monthly_figures,
)
from app.services.reports import ReportService
from app.services.typical_cases import TypicalCaseService
from app.services.year_summaries import YearSummaryService
from ui.caseload_store import CaseloadStore
from ui.theme import LEVEL_WORDS
from ui.views.blank_forms import BlankFormsButton, PrintServices
from ui.views.messages import show_error
from ui.views.month_chart import MonthChart, completion_rate
from ui.views.report_export import open_report_export
from ui.views.widgets import ReloadWhenShown, page_scroll

MONTHS_BACK = 36  # how far back the month picker goes
NAMES_SHOWN = 12  # names listed under a figure before "等 N 人"


class ReportsServices(PrintServices, Protocol):
    """What 报表 uses of the desk (ui/desk_services.py): no vault, only these."""

    @property
    def village_code(self) -> str: ...
    @property
    def schedule(self) -> VisitSchedule: ...
    @property
    def reports(self) -> ReportService: ...
    @property
    def typical_cases(self) -> TypicalCaseService: ...  # 年度总结's 典型案例
    @property
    def year_summaries(self) -> YearSummaryService: ...
    @property
    def author(self) -> str: ...


class ReportsPage(ReloadWhenShown, QWidget):
    print_monthly = Signal(str)  # YYYY-MM

    def __init__(self, desk: ReportsServices, store: CaseloadStore) -> None:
        super().__init__()
        self.setObjectName("reports_page")
        self._desk = desk
        self._store = store
        self._records: CaseloadRecords | None = None
        self._stale = True
        self._loaded_once = False
        self.figures: MonthlyFigures | None = None

        title = QLabel(self.tr("报表"))
        title.setProperty("role", "title")
        self.month = QComboBox()
        self.month.setObjectName("month")
        self._fill_months(desk.today())
        self.previous_month = QPushButton(self.tr("◀ 上个月"))
        self.previous_month.setObjectName("previous_month")
        self.next_month = QPushButton(self.tr("下个月 ▶"))
        self.next_month.setObjectName("next_month")
        self.print_button = QPushButton(self.tr("打印 / 保存为PDF"))
        self.print_button.setObjectName("print_monthly")
        self.year_summary_button = QPushButton(self.tr("年度总结…"))
        self.year_summary_button.setObjectName("open_year_summary")
        self.year_summary_button.setToolTip(
            self.tr("选择统计期间，写典型案例，打印年度工作总结（区级评估验收用）")
        )
        self.period = QLabel("")
        self.period.setObjectName("period")
        self.period.setProperty("role", "hint")
        self.period.setWordWrap(True)
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()

        self.chart = MonthChart()
        self.values: dict[str, QLabel] = {}
        visits = self._group(
            self.tr("走访情况"),
            (
                ("children_followed", self.tr("在册儿童")),
                ("due", self.tr("本月应走访")),
                ("done", self.tr("已走访")),
                ("overdue", self.tr("逾期未走访")),
                ("pending", self.tr("待走访")),
                ("rate", self.tr("完成率")),
                ("visits", self.tr("本月走访记录")),
            ),
        )
        levels = self._group(
            self.tr("监护等级"),
            (
                ("levels", self.tr("月末各等级")),
                ("level_changes", self.tr("本月评估")),
            ),
        )
        cases = self._group(
            self.tr("个案与报告"),
            (
                ("new_cases", self.tr("新开个案")),
                ("closed_cases", self.tr("结案")),
                ("open_cases", self.tr("月末未结案")),
                ("reports", self.tr("强制报告")),
                ("escalations", self.tr("上报区民政局")),
            ),
        )
        eighteen = self._group(
            self.tr("年满18岁"),
            (
                ("turning_18", self.tr("本月满18岁")),
                ("approaching_18", self.tr("今后半年将满18岁")),
            ),
        )

        picker = QHBoxLayout()
        picker.addWidget(QLabel(self.tr("月份")))
        picker.addWidget(self.previous_month)
        picker.addWidget(self.month)
        picker.addWidget(self.next_month)
        picker.addStretch(1)
        picker.addWidget(self.print_button)
        picker.addWidget(self.year_summary_button)
        picker.addWidget(BlankFormsButton(desk))  # blank forms to fill by hand

        groups = QGridLayout()
        groups.addWidget(visits, 0, 0, 2, 1)
        groups.addWidget(levels, 0, 1)
        groups.addWidget(cases, 1, 1)
        groups.addWidget(eighteen, 2, 0, 1, 2)
        groups.setColumnStretch(0, 1)
        groups.setColumnStretch(1, 1)

        content = QWidget()
        content.setObjectName("report_content")
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        self.export_button = QPushButton(self.tr("导出表格…"))  # ui/views/report_export.py
        self.export_button.setObjectName("export_monthly")
        self.export_button.setToolTip(self.tr("把本月报表和在册儿童名单导出为 Excel 表格"))
        self.export_button.clicked.connect(
            lambda: open_report_export(self, self._desk, self.figures, self._records)
        )
        period_row = QHBoxLayout()
        period_row.addWidget(self.period, 1)
        period_row.addWidget(self.export_button)
        inner.addLayout(period_row)
        inner.addWidget(self.message)
        inner.addWidget(self.chart)
        inner.addLayout(groups)
        inner.addStretch(1)
        scroll = page_scroll(content, "report_scroll")

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(picker)
        layout.addWidget(scroll, 1)

        self.month.currentIndexChanged.connect(self._month_changed)
        # Bound methods, not lambdas capturing self: PySide would keep a cycle alive to exit.
        self.previous_month.clicked.connect(self._show_previous_month)
        self.next_month.clicked.connect(self._show_next_month)
        self.print_button.clicked.connect(self._print)
        self.year_summary_button.clicked.connect(self.open_year_summary)
        store.changed.connect(self._caseload_changed)
        self._update_steps()
        if store.caseload is not None:
            self._caseload_changed(store.caseload)

    # ----- layout helpers --------------------------------------------------------------------

    def _group(self, title: str, rows: tuple[tuple[str, str], ...]) -> QGroupBox:
        box = QGroupBox(title)
        grid = QGridLayout(box)
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(round(self.fontMetrics().height() * 0.4))
        for row, (key, label) in enumerate(rows):
            name = QLabel(label)
            name.setProperty("role", "hint")
            name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            value = QLabel("—")
            value.setObjectName(f"figure_{key}")
            value.setWordWrap(True)
            value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            self.values[key] = value
        return box

    def _fill_months(self, today: date) -> None:
        index = today.year * 12 + today.month - 1
        for back in range(MONTHS_BACK):
            year, month = divmod(index - back, 12)
            report_month = ReportMonth(year, month + 1)
            self.month.addItem(report_month.label_zh, str(report_month))

    def selected_month(self) -> ReportMonth:
        return ReportMonth.parse(str(self.month.currentData()))

    def select_month(self, month: str) -> None:
        """Choose a month (YYYY-MM) from the picker; raises MonthError when it is not there."""
        index = self.month.findData(month)
        if index < 0:
            raise MonthError(f"month {month} is not offered", f"不能选择 {month}。")
        self.month.setCurrentIndex(index)

    def _show_previous_month(self) -> None:
        self._step(1)  # the picker lists the newest month first

    def _show_next_month(self) -> None:
        self._step(-1)

    def _step(self, delta: int) -> None:
        target = self.month.currentIndex() + delta
        if 0 <= target < self.month.count():
            self.month.setCurrentIndex(target)

    def _update_steps(self) -> None:
        index = self.month.currentIndex()
        self.next_month.setEnabled(index > 0)
        self.previous_month.setEnabled(index < self.month.count() - 1)

    # ----- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the records again, then the figures of the chosen month."""
        self._stale = False
        self._loaded_once = True
        self._desk.runner.submit(self._desk.reports.records, self._records_loaded, self._failed)

    def _records_loaded(self, records: CaseloadRecords) -> None:
        self._records = records
        self._compute()

    def _month_changed(self) -> None:
        self._update_steps()
        if self._records is not None:
            self._compute()

    def _compute(self) -> None:
        records = self._records
        if records is None:
            return
        month = self.selected_month()
        desk = self._desk
        today = desk.today()
        village = desk.village_code or None
        self._desk.runner.submit(
            lambda: monthly_figures(
                records, month, today=today, village_code=village, schedule=desk.schedule
            ),
            self._show_figures,
            self._failed,
        )

    def _failed(self, err: BaseException) -> None:
        if isinstance(err, MonthError):
            self.message.setText(err.message_zh)
            self.message.show()
            return
        self._stale = True
        self.message.setText(self.tr("报表没有算出来。请换个月份或稍后再试。"))
        self.message.show()
        show_error(self, err, self.tr("报表没有算出来"))

    # ----- showing ---------------------------------------------------------------------------

    def _names(self, names: list[str]) -> str:
        if not names:
            return ""
        shown = "、".join(names[:NAMES_SHOWN])
        if len(names) > NAMES_SHOWN:
            shown += self.tr(" 等 {0} 人").format(len(names))
        return shown

    def _show_figures(self, figures: MonthlyFigures) -> None:
        self.figures = figures
        self.message.hide()
        f = figures
        first, as_of = f.month.first_day, f.as_of
        period = self.tr("统计期间：{0}年{1}月{2}日 至 {3}年{4}月{5}日").format(
            first.year, first.month, first.day, as_of.year, as_of.month, as_of.day
        )
        if not f.complete:
            period += self.tr("（本月尚未结束，统计截至今天）")
        if f.damaged_ids:
            period += self.tr("。注意：有 {0} 条记录已损坏，未计入。").format(len(f.damaged_ids))
        self.period.setText(period)

        def person(count: int) -> str:
            return self.tr("{0} 人").format(count)

        overdue_names = self._names([d.name for d in f.overdue])
        v = self.values
        v["children_followed"].setText(person(f.children_followed))
        v["due"].setText(
            person(f.due_count)
            + (
                self.tr("（含上月结转逾期 {0} 人）").format(f.carried_over_count)
                if f.carried_over_count
                else ""
            )
        )
        v["done"].setText(
            person(f.done_count)
            + self.tr("（按时 {0}，逾期后完成 {1}）").format(f.on_time_count, f.late_count)
        )
        v["overdue"].setText(
            person(f.overdue_count) + (f"：{overdue_names}" if overdue_names else "")
        )
        v["overdue"].setStyleSheet("color: #c62828;" if f.overdue_count else "")
        v["pending"].setText(
            person(f.pending_count) if not f.complete else self.tr("0 人（本月已结束）")
        )
        v["rate"].setText(completion_rate(f.done_count, f.due_count))
        v["visits"].setText(
            self.tr("{0} 次，涉及 {1} 名儿童").format(f.visit_count, f.children_visited)
        )

        v["levels"].setText(
            "，".join(
                f"{LEVEL_WORDS[level]} {f.levels_at_end.get(level, 0)}"
                for level in reversed(LEVELS)
            )
            + self.tr("，未评估 {0}").format(f.levels_at_end.get("none", 0))
        )
        directions = {"first": 0, "down": 0, "up": 0, "same": 0}
        for change in f.level_changes:
            directions[change.direction] += 1
        if f.level_changes:
            v["level_changes"].setText(
                self.tr(
                    "完成 {0} 次：首次评估 {1}，降码（好转）{2}，升码（变差）{3}，等级不变 {4}"
                ).format(
                    len(f.level_changes),
                    directions["first"],
                    directions["down"],
                    directions["up"],
                    directions["same"],
                )
            )
        else:
            v["level_changes"].setText(self.tr("本月没有完成的评估"))

        def cases_text(items: tuple[object, ...], names: list[str]) -> str:
            listed = self._names(names)
            return self.tr("{0} 个").format(len(items)) + (f"：{listed}" if listed else "")

        v["new_cases"].setText(cases_text(f.new_cases, [c.name for c in f.new_cases]))
        v["closed_cases"].setText(cases_text(f.closed_cases, [c.name for c in f.closed_cases]))
        v["open_cases"].setText(self.tr("{0} 个").format(f.open_cases_at_end))
        reported = [r for r in f.reports if r.reported_on]
        escalated = [r for r in f.reports if r.escalated_on]
        v["reports"].setText(cases_text(tuple(reported), [r.name for r in reported]))
        v["reports"].setStyleSheet("color: #c62828; font-weight: bold;" if reported else "")
        v["escalations"].setText(cases_text(tuple(escalated), [r.name for r in escalated]))
        v["turning_18"].setText(
            person(len(f.turning_18))
            + (f"：{self._names([t.name for t in f.turning_18])}" if f.turning_18 else "")
        )
        v["approaching_18"].setText(
            person(len(f.approaching_18))
            + (f"：{self._names([t.name for t in f.approaching_18])}" if f.approaching_18 else "")
        )
        self.chart.set_figures(f)

    def _print(self) -> None:
        self.print_monthly.emit(str(self.selected_month()))

    def open_year_summary(self) -> QWidget:
        """年度总结: its own window over this page (returned for tests)."""
        from ui.views.year_summary_dialog import YearSummaryDialog

        dialog = YearSummaryDialog(self._desk, self._store.caseload, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
