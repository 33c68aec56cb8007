"""Visit record: quick to fill after a visit; the next visit date is proposed from the schedule
rules; print from here."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.schedule import DueInfo
from app.domain.visit import VISIT_FORM_LABELS_ZH, Observations, Visit, VisitForm
from app.services.stored import Stored
from ui.desk_services import DeskServices
from ui.views.child_form import pydate, qdate
from ui.views.messages import show_error, user_message


class VisitDialog(QDialog):
    visit_saved = Signal(str)  # record id
    print_requested = Signal(str)  # record id

    def __init__(
        self,
        desk: DeskServices,
        child_id: str,
        level: str | None,
        visit: Stored[Visit] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("visit_dialog")
        self.setWindowTitle(self.tr("走访记录"))
        self._desk = desk
        self._child_id = child_id
        self._level = level
        self._record_id = visit.record_id if visit else None
        today = desk.today()
        v = visit.value if visit else Visit(child_id, today, VisitForm.HOME)
        self.on = QDateEdit(qdate(v.on))
        self.on.setObjectName("visit_date")
        self.on.setDisplayFormat("yyyy-MM-dd")
        self.on.setCalendarPopup(True)
        self.form = QComboBox()
        self.form.setObjectName("visit_form")
        for form, label in VISIT_FORM_LABELS_ZH.items():
            self.form.addItem(label, form.value)
        self.form.setCurrentIndex(self.form.findData(v.form.value))
        self.met = QLineEdit("、".join(v.met))
        self.met.setObjectName("met")
        self.met.setPlaceholderText(self.tr("如：祖母、儿童本人、班主任"))
        self.observations = {
            "living_conditions": QLineEdit(v.observations.living_conditions),
            "safety": QLineEdit(v.observations.safety),
            "health": QLineEdit(v.observations.health),
            "schooling": QLineEdit(v.observations.schooling),
            "emotional_state": QLineEdit(v.observations.emotional_state),
        }
        for key, widget in self.observations.items():
            widget.setObjectName(f"obs_{key}")
        self.problems = QPlainTextEdit(v.problems)
        self.problems.setObjectName("problems")
        self.help_given = QPlainTextEdit(v.help_given)
        self.help_given.setObjectName("help_given")
        self.follow_up = QLineEdit(v.follow_up)
        self.follow_up.setObjectName("follow_up")
        for box in (self.problems, self.help_given):
            box.setFixedHeight(self.fontMetrics().height() * 3)
        self.next_on = QDateEdit()
        self.next_on.setObjectName("next_visit_date")
        self.next_on.setDisplayFormat("yyyy-MM-dd")
        self.next_on.setCalendarPopup(True)
        self.proposal = QLabel("")
        self.proposal.setObjectName("proposal")
        self.proposal.setProperty("role", "hint")
        self.proposal.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("走访日期"), self.on)
        form.addRow(self.tr("走访形式"), self.form)
        form.addRow(self.tr("见到的人"), self.met)
        for key, label in (
            ("living_conditions", "居住生活"),
            ("safety", "安全情况"),
            ("health", "健康情况"),
            ("schooling", "上学情况"),
            ("emotional_state", "情绪心理"),
        ):
            form.addRow(self.tr(label), self.observations[key])
        form.addRow(self.tr("发现的问题"), self.problems)
        form.addRow(self.tr("提供的帮助"), self.help_given)
        form.addRow(self.tr("后续跟进"), self.follow_up)
        form.addRow(self.tr("下次走访日期"), self.next_on)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName("save_visit")
        self.print_button = QPushButton(self.tr("保存并打印"))
        self.print_button.setObjectName("print_visit")
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.proposal)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        buttons.accepted.connect(lambda: self._save(print_after=False))
        buttons.rejected.connect(self.reject)
        self.print_button.clicked.connect(lambda: self._save(print_after=True))
        self.on.dateChanged.connect(self._propose)
        if v.next_visit_on:
            self.next_on.setDate(qdate(v.next_visit_on))
            self._propose(set_date=False)
        else:
            self._propose()
        self.setMinimumWidth(560)

    def _propose(self, *_args: object, set_date: bool = True) -> None:
        on = pydate(self.on.date())

        def propose() -> DueInfo:
            return self._desk.visits.propose_next_visit(
                self._child_id, on, level=self._level, schedule=self._desk.schedule
            )

        def show(info: DueInfo) -> None:
            if set_date:
                self.next_on.setDate(qdate(info.due))
            self.proposal.setText(
                self.tr("按走访规则，最迟 {0} 前再次走访：{1}").format(
                    info.due.isoformat(), "；".join(info.reasons_zh)
                )
            )

        self._desk.runner.submit(
            propose, show, lambda err: self.proposal.setText(user_message(err))
        )

    def value(self) -> Visit:
        met = [m.strip() for m in self.met.text().replace(",", "、").split("、") if m.strip()]
        return Visit(
            child_id=self._child_id,
            on=pydate(self.on.date()),
            form=VisitForm(self.form.currentData()),
            met=met,
            observations=Observations(
                **{k: w.text().strip() for k, w in self.observations.items()}
            ),
            problems=self.problems.toPlainText().strip(),
            help_given=self.help_given.toPlainText().strip(),
            follow_up=self.follow_up.text().strip(),
            next_visit_on=pydate(self.next_on.date()),
        )

    def _save(self, print_after: bool) -> None:
        visit = self.value()
        record_id = self._record_id

        def save() -> Stored[Visit]:
            if record_id is None:
                return self._desk.visits.record(visit)
            return self._desk.visits.update(record_id, replace(visit))

        def saved(stored: Stored[Visit]) -> None:
            self._record_id = stored.record_id
            self.visit_saved.emit(stored.record_id)
            if print_after:
                self.print_requested.emit(stored.record_id)
            self.accept()

        def failed(err: BaseException) -> None:
            self.error.setText(user_message(err))
            if not hasattr(err, "message_zh"):
                show_error(self, err)

        self._desk.runner.submit(save, saved, failed)

    def _today(self) -> date:
        return self._desk.today()
