"""心理状况筛查与转介 of one child: the child's screenings (date, result, status) — 新建筛查, open,
correct or print one — and the referrals their 建议转介 results made, each followed up in a small
form (to whom, the date referred, evaluated yes/no and the date, the outcome, or why the child
was not referred). Everything is read and saved on the vault worker.

Opened from the children page's context menu (儿童档案 → right click → 心理状况筛查与转介…), and
from a finished screening's result page (转介记录…). :func:`open_screening_window` and
:func:`open_referrals_window` register the windows with the session, so a lock closes them as
it closes every editor."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.referral import (
    NOT_A_DIAGNOSIS_ZH,
    REFER_TO_CHOICES_ZH,
    REFERRAL_STATUS_ZH,
    SCREENING_LEVEL_WORDS_ZH,
    Referral,
)
from app.services.assessments import FINISHED, Assessment
from app.services.screening import screening_definition
from app.services.stored import Stored
from ui.desk_services import DeskServices
from ui.views.date_field import DateField
from ui.views.messages import show_error
from ui.views.screening_wizard import ScreeningWizard, preview_screening_report
from ui.views.widgets import plain_label as _label
from ui.window_fit import fit_window

if TYPE_CHECKING:
    from ui.gui import DeskSession

Loaded = tuple[str, list[Stored[Assessment]], list[Stored[Referral]]]


def _date_field(name: str) -> DateField:
    field = DateField()
    field.setObjectName(name)
    return field


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setMinimumHeight(table.fontMetrics().height() * 5)
    return table


def _fit_columns(table: QTableWidget) -> None:
    """Columns as wide as their contents, dates whole at any text size (特大)."""
    table.resizeColumnsToContents()
    metrics = table.fontMetrics()
    for column in range(table.columnCount()):
        widest = max(
            (
                metrics.horizontalAdvance(item.text())
                for row in range(table.rowCount())
                if (item := table.item(row, column)) is not None
            ),
            default=0,
        )
        table.setColumnWidth(column, max(table.columnWidth(column), widest + 16))


class ReferralsDialog(QDialog):
    """The child's screenings and referrals (see the module docstring)."""

    new_screening = Signal(str)  # child id
    open_screening = Signal(str, str)  # child id, screening id
    changed = Signal()

    def __init__(self, desk: DeskServices, child_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("referrals_dialog")
        self.setWindowTitle(self.tr("心理状况筛查与转介"))
        self._desk = desk
        self._child_id = child_id
        self.screenings: list[Stored[Assessment]] = []
        self.referrals: list[Stored[Referral]] = []
        self._editing: Stored[Referral] | None = None

        self.heading = _label(self.tr("心理状况筛查与转介"), "title")
        self.heading.setObjectName("heading")
        note = _label(
            self.tr(
                "{0}：筛查结果只说明是否需要关注或转介专业机构评估。结果为“建议转介”时会自动生成"
                "转介记录，请在下面登记转介去向和评估结果。"
            ).format(NOT_A_DIAGNOSIS_ZH),
            "hint",
        )
        self.screening_table = _table(
            "screening_table", [self.tr("筛查日期"), self.tr("结果"), self.tr("状态")]
        )
        self.screening_table.doubleClicked.connect(self._open_selected)
        new = QPushButton(self.tr("＋ 新建筛查"))
        new.setObjectName("new_screening")
        new.clicked.connect(lambda: self.new_screening.emit(self._child_id))
        self.open_button = QPushButton(self.tr("打开选中的筛查"))
        self.open_button.setObjectName("open_screening")
        self.open_button.clicked.connect(self._open_selected)
        self.correct_button = QPushButton(self.tr("更正选中的筛查"))
        self.correct_button.setObjectName("correct_screening")
        self.correct_button.clicked.connect(self._correct_selected)
        self.print_button = QPushButton(self.tr("打印选中的筛查…"))
        self.print_button.setObjectName("print_selected")
        self.print_button.clicked.connect(self._print_selected)
        blank = QPushButton(self.tr("打印空白筛查表…"))
        blank.setObjectName("print_blank_screening")
        blank.setToolTip(self.tr("打印空白的筛查表，带到走访时手工填写，回来再录入"))
        blank.clicked.connect(self.print_blank)
        screening_buttons = QHBoxLayout()  # two rows, so they fit at 特大 text
        first_row, second_row = QHBoxLayout(), QHBoxLayout()
        for button in (new, self.open_button, self.correct_button):
            first_row.addWidget(button)
        for button in (self.print_button, blank):
            second_row.addWidget(button)
        rows = QVBoxLayout()
        rows.addLayout(first_row)
        rows.addLayout(second_row)
        screening_buttons.addLayout(rows)
        screening_buttons.addStretch(1)

        self.referral_table = _table(
            "referral_table",
            [self.tr("登记日期"), self.tr("状态"), self.tr("转介机构"), self.tr("转介日期")],
        )
        self.referral_table.itemSelectionChanged.connect(self._referral_selected)
        self.referral_form = QGroupBox(self.tr("跟进选中的转介"))
        self.referral_form.setObjectName("referral_form")
        self.referred_to = QComboBox()
        self.referred_to.setObjectName("referred_to")
        self.referred_to.setEditable(True)
        self.referred_to.addItems(["", *REFER_TO_CHOICES_ZH])
        self.referred_on = _date_field("referred_on")
        self.evaluated = QCheckBox(self.tr("专业机构已评估"))
        self.evaluated.setObjectName("evaluated")
        self.evaluated_on = _date_field("evaluated_on")
        self.outcome = QLineEdit()
        self.outcome.setObjectName("outcome")
        self.outcome.setPlaceholderText(self.tr("评估结论或建议，如“建议定期随访”"))
        self.declined = QLineEdit()
        self.declined.setObjectName("declined_reason")
        self.declined.setPlaceholderText(self.tr("没有转介时填写原因，如“监护人暂不同意”"))
        self.notes = QLineEdit()
        self.notes.setObjectName("referral_notes")
        form = QFormLayout(self.referral_form)
        form.addRow(self.tr("转介机构"), self.referred_to)
        form.addRow(self.tr("转介日期"), self.referred_on)
        evaluated_row = QHBoxLayout()
        evaluated_row.addWidget(self.evaluated)
        evaluated_row.addWidget(QLabel(self.tr("评估日期")))
        evaluated_row.addWidget(self.evaluated_on, 1)
        form.addRow(self.tr("评估"), evaluated_row)
        form.addRow(self.tr("评估结果"), self.outcome)
        form.addRow(self.tr("未转介原因"), self.declined)
        form.addRow(self.tr("备注"), self.notes)
        self.error = _label("", "error")
        self.error.setObjectName("referral_error")
        self.save_button = QPushButton(self.tr("保存转介情况"))
        self.save_button.setObjectName("save_referral")
        self.save_button.clicked.connect(self.save_referral)
        save_row = QHBoxLayout()
        save_row.addWidget(self.error, 1)
        save_row.addWidget(self.save_button)
        form.addRow(save_row)
        self.referral_form.setEnabled(False)

        close = QPushButton(self.tr("关闭"))
        close.setObjectName("close")
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)

        body = QWidget()
        body.setObjectName("referrals_body")
        layout = QVBoxLayout(body)
        layout.addWidget(self.heading)
        layout.addWidget(note)
        layout.addWidget(_label(self.tr("筛查"), "title"))
        layout.addWidget(self.screening_table, 1)
        layout.addLayout(screening_buttons)
        layout.addWidget(_label(self.tr("转介"), "title"))
        layout.addWidget(self.referral_table, 1)
        layout.addWidget(self.referral_form)
        # the body scrolls when the text is large (特大) and the screen small; 关闭 stays put
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll, 1)
        outer.addLayout(bottom)
        fit_window(self, 920, 700)
        self.reload()

    # ----- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        desk, child_id = self._desk, self._child_id

        def task() -> Loaded:
            name = desk.children.get(child_id).value.name
            screenings = desk.screenings.list_all(child_id)
            return name, screenings, desk.referrals.list_all(child_id)

        desk.runner.submit(task, self._loaded, lambda e: show_error(self, e))

    def _loaded(self, loaded: Loaded) -> None:
        name, screenings, referrals = loaded
        self.heading.setText(self.tr("心理状况筛查与转介 · {0}").format(name))
        self.setWindowTitle(self.tr("心理状况筛查与转介 — {0}").format(name))
        self.screenings = list(reversed(screenings))  # newest first
        self.referrals = list(reversed(referrals))
        self.screening_table.setRowCount(len(self.screenings))
        for row, stored in enumerate(self.screenings):
            value = stored.value
            finished = value.status == FINISHED
            day = value.finished_on if finished and value.finished_on else value.started_on
            status = self.tr("已完成") if finished else self.tr("草稿")
            if value.corrects:
                status += self.tr("（更正）")
            cells = [
                day.isoformat(),
                SCREENING_LEVEL_WORDS_ZH.get(value.level or "", "—"),
                status,
            ]
            for column, text in enumerate(cells):
                self.screening_table.setItem(row, column, QTableWidgetItem(text))
        self.referral_table.setRowCount(len(self.referrals))
        for row, stored_referral in enumerate(self.referrals):
            referral = stored_referral.value
            cells = [
                referral.made_on.isoformat(),
                REFERRAL_STATUS_ZH[referral.status],
                referral.referred_to or "—",
                referral.referred_on.isoformat() if referral.referred_on else "—",
            ]
            for column, text in enumerate(cells):
                self.referral_table.setItem(row, column, QTableWidgetItem(text))
        for table in (self.screening_table, self.referral_table):
            _fit_columns(table)
        if self.referrals:
            keep = self._editing.record_id if self._editing else None
            rows = [i for i, s in enumerate(self.referrals) if s.record_id == keep]
            # else the newest one still to follow up (what 待办's referral line opens this for)
            rows += [i for i, s in enumerate(self.referrals) if s.value.is_open]
            self.referral_table.selectRow(rows[0] if rows else 0)

    # ----- screenings ---------------------------------------------------------------------

    def _selected_screening(self) -> Stored[Assessment] | None:
        row = self.screening_table.currentRow()
        return self.screenings[row] if 0 <= row < len(self.screenings) else None

    def _open_selected(self) -> None:
        stored = self._selected_screening()
        if stored is not None:
            self.open_screening.emit(self._child_id, stored.record_id)

    def _correct_selected(self) -> None:
        stored = self._selected_screening()
        if stored is None:
            return
        desk, record_id = self._desk, stored.record_id
        desk.runner.submit(
            lambda: desk.screenings.start_correction(record_id),
            lambda made: self.open_screening.emit(self._child_id, made.record_id),
            lambda e: show_error(self, e, self.tr("没能更正这次筛查")),
        )

    def _print_selected(self) -> None:
        stored = self._selected_screening()
        if stored is None:
            return
        preview_screening_report(self._desk, stored.record_id, self)

    def print_blank(self) -> None:
        from ui.views.print_preview import preview_pdf

        desk = self._desk
        printouts, today = desk.printouts, desk.today()
        preview_pdf(
            desk.runner,
            lambda: printouts.blank_questionnaire(
                screening_definition(desk.definitions), printed_on=today
            ),
            "空白心理状况筛查表",
            "空白心理筛查表.pdf",
            self,
        )

    # ----- referrals ----------------------------------------------------------------------

    def _referral_selected(self) -> None:
        row = self.referral_table.currentRow()
        stored = self.referrals[row] if 0 <= row < len(self.referrals) else None
        self._editing = stored
        self.referral_form.setEnabled(stored is not None)
        self.error.setText("")
        if stored is None:
            return
        referral = stored.value
        self.referred_to.setCurrentText(referral.referred_to)
        self.referred_on.set_value(referral.referred_on)
        self.evaluated.setChecked(referral.evaluated)
        self.evaluated_on.set_value(referral.evaluated_on)
        self.outcome.setText(referral.outcome)
        self.declined.setText(referral.declined_reason)
        self.notes.setText(referral.notes)

    def form_referral(self) -> Referral | None:
        if self._editing is None:
            return None
        return replace(
            self._editing.value,
            referred_to=self.referred_to.currentText().strip(),
            referred_on=self.referred_on.value(),
            evaluated=self.evaluated.isChecked(),
            evaluated_on=self.evaluated_on.value(),
            outcome=self.outcome.text().strip(),
            declined_reason=self.declined.text().strip(),
            notes=self.notes.text().strip(),
        )

    def save_referral(self) -> None:
        referral, editing = self.form_referral(), self._editing
        if referral is None or editing is None:
            return
        typed = [f.problem() for f in (self.referred_on, self.evaluated_on) if f.problem()]
        problems = [p.message_zh for p in referral.problems_found(today=self._desk.today())]
        if typed or problems:
            self.error.setText("\n".join([*(t for t in typed if t), *problems]))
            return
        self.error.setText("")
        desk = self._desk
        service = desk.referrals
        self.save_button.setEnabled(False)

        def saved(_stored: object) -> None:
            self.save_button.setEnabled(True)
            self.changed.emit()
            self.reload()

        def failed(err: BaseException) -> None:
            self.save_button.setEnabled(True)
            show_error(self, err, self.tr("转介情况没有保存"))

        desk.runner.submit(
            lambda: service.save(
                referral, record_id=editing.record_id, base_revision=editing.revision
            ),
            saved,
            failed,
        )

    # the session's editor contract (ui/editor_contract.py): saved by its button
    def unsaved_draft(self) -> dict[str, Any] | None:
        return None

    def discard_changes(self) -> None:
        """Nothing kept across a lock: the form is saved by its button."""


def open_screening_window(gui: DeskSession, child_id: str, screening_id: str = "") -> None:
    """A new screening for the child (``screening_id`` ""), or one made before."""
    desk = gui.desk
    if desk is None:
        return
    if screening_id and gui._bring_up(("screening", screening_id)):
        return
    wizard = ScreeningWizard(desk, child_id, screening_id or None, gui.window)

    def finished(_record_id: str) -> None:
        if gui.store is not None:
            gui.store.refresh()
        for dialog in gui.window.findChildren(ReferralsDialog) if gui.window else []:
            dialog.reload()

    wizard.assessment_finished.connect(finished)
    wizard.referrals_requested.connect(lambda cid: open_referrals_window(gui, cid))
    key = ("screening", screening_id or f"new-{id(wizard)}")
    gui._register(key, wizard, wizard).child_id = child_id
    wizard.show()


def open_referrals_window(gui: DeskSession, child_id: str, action: str = "list") -> None:
    """心理状况筛查与转介 of a child; ``action`` "new" starts a screening straight away."""
    if action == "new":
        open_screening_window(gui, child_id)
        return
    desk = gui.desk
    if desk is None or gui._bring_up(("referrals", child_id)):
        return
    dialog = ReferralsDialog(desk, child_id, gui.window)
    dialog.setWindowFlag(Qt.WindowType.Window, True)
    dialog.new_screening.connect(lambda cid: open_screening_window(gui, cid))
    dialog.open_screening.connect(lambda cid, sid: open_screening_window(gui, cid, sid))
    # a saved follow-up changes 待办's referral line: the pages reread (as after a screening)
    dialog.changed.connect(lambda: gui.store.refresh() if gui.store is not None else None)
    gui._register(("referrals", child_id), dialog, dialog).child_id = child_id
    dialog.show()
