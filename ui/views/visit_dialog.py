"""Visit record: quick to fill after a visit; the next visit date is proposed from the schedule
rules; print from here. What is typed and not yet saved is kept with the child file's draft
across an auto-lock (``unsaved_draft``) and comes back with ``draft=``."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
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
from app.domain.visit import (
    FIELD_LABELS_ZH,
    VISIT_FORM_LABELS_ZH,
    Observations,
    Visit,
    VisitForm,
    field_text_zh,
)
from app.services.stale import StaleRevisionError, resolve
from app.services.stored import Stored
from ui.desk_services import DeskServices
from ui.views.date_field import DateField
from ui.views.messages import show_error, user_message
from ui.views.unsaved import EditTracker, ask_save
from ui.window_fit import fit_window, scrolling


class VisitDialog(QDialog):
    visit_saved = Signal(str)  # record id
    print_requested = Signal(str)  # record id
    edited = Signal()  # unsaved input changed (kept as a draft with the child file's)

    def __init__(
        self,
        desk: DeskServices,
        child_id: str,
        level: str | None,
        visit: Stored[Visit] | None = None,
        parent: QWidget | None = None,
        draft: dict[str, Any] | None = None,
    ) -> None:
        """``draft``: what ``unsaved_draft`` kept across a lock, put back unsaved."""
        super().__init__(parent)
        self.setObjectName("visit_dialog")
        self._desk = desk
        self._child_id = child_id
        self._level = level
        self._record_id = visit.record_id if visit else None
        self.base_revision = visit.revision if visit else None  # the revision being edited
        if draft is not None:
            self._record_id = str(draft.get("record_id") or "") or None
            base = draft.get("base_revision")
            self.base_revision = base if isinstance(base, int) else None
        self.setWindowTitle(self.tr("修改走访记录") if self._record_id else self.tr("走访记录"))
        today = desk.today()
        v = visit.value if visit else Visit(child_id, today, VisitForm.HOME)
        if draft is not None and isinstance(draft.get("visit"), dict):
            v = Visit.from_json(draft["visit"])
        self._demo = v.demo
        self.on = DateField(v.on, calendar_start=today)
        self.on.setObjectName("visit_date")
        self.form = QComboBox()
        self.form.setObjectName("visit_form")
        for kind, label in VISIT_FORM_LABELS_ZH.items():
            self.form.addItem(label, kind.value)
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
        self.next_on = DateField(None, calendar_start=today)
        self.next_on.setObjectName("next_visit_date")
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
        layout.addWidget(scrolling(form))  # 特大 text on a small screen: the form scrolls
        layout.addWidget(self.proposal)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        buttons.accepted.connect(lambda: self._save(print_after=False))
        buttons.rejected.connect(self.reject)
        self._edits = EditTracker(self, self.edited.emit)
        self.print_button.clicked.connect(lambda: self._save(print_after=True))
        self.on.date_changed.connect(self._propose)
        if v.next_visit_on:
            self.next_on.set_value(v.next_visit_on)
            self._propose(set_date=False)
        else:
            self._propose()
        if draft is not None:
            self._restore_texts(draft)
        self.setMinimumWidth(560)
        fit_window(self)

    # ----- the session's editor contract (ui/editor_contract.py), through the child file --------

    def unsaved_draft(self) -> dict[str, Any] | None:
        """The typed input (the dates also as typed, a half-typed one included), or None."""
        if not self._edits.edited:
            return None
        return {
            "record_id": self._record_id,
            "base_revision": self.base_revision,
            "visit": self.value().to_json(),
            "dates": {"on": self.on.edit.text(), "next_on": self.next_on.edit.text()},
        }

    def _restore_texts(self, draft: dict[str, Any]) -> None:
        dates = draft.get("dates")
        if isinstance(dates, dict):
            self.on.edit.setText(str(dates.get("on") or ""))
            self.next_on.edit.setText(str(dates.get("next_on") or ""))
        self._edits.edited = True  # still unsaved
        self.error.setText(self.tr("上次没有保存的走访记录已恢复，请检查后保存。"))

    def discard_changes(self) -> None:
        """Forget the input without asking (kept as a draft by the lock)."""
        self._edits.edited = False

    def reload(self) -> None:
        """Nothing shown here changes elsewhere while it is open (a newer save is resolved
        field by field when this one is saved)."""

    def _propose(self, *_args: object, set_date: bool = True) -> None:
        on = self.on.value()
        if on is None:
            return

        def propose() -> DueInfo:
            return self._desk.visits.propose_next_visit(
                self._child_id, on, level=self._level, schedule=self._desk.schedule
            )

        def show(info: DueInfo) -> None:
            if set_date:
                self.next_on.set_value(info.due)
            self.proposal.setText(
                self.tr("按走访规则，最迟 {0} 前再次走访：{1}").format(
                    info.due.isoformat(), "；".join(info.reasons_zh)
                )
            )

        self._desk.runner.submit(
            propose, show, lambda err: self.proposal.setText(user_message(err))
        )

    def load(self, v: Visit) -> None:
        """Fill the form (after choosing between a newer saved version and this one)."""
        self.on.set_value(v.on)
        self.form.setCurrentIndex(self.form.findData(v.form.value))
        self.met.setText("、".join(v.met))
        for key, widget in self.observations.items():
            widget.setText(getattr(v.observations, key))
        self.problems.setPlainText(v.problems)
        self.help_given.setPlainText(v.help_given)
        self.follow_up.setText(v.follow_up)
        self.next_on.set_value(v.next_visit_on)
        self._demo = v.demo

    def reject(self) -> None:
        """取消, Esc or the title bar's ×: ask before typed input is lost."""
        if self._edits.edited:
            choice = ask_save(self, self.tr("走访记录还没有保存。要保存吗？"))
            if choice == "cancel":
                return
            if choice == "save":
                self._save(print_after=False)
                return
        super().reject()

    def value(self) -> Visit:
        met = [m.strip() for m in self.met.text().replace(",", "、").split("、") if m.strip()]
        return Visit(
            child_id=self._child_id,
            on=self.on.value() or self._today(),
            form=VisitForm(self.form.currentData()),
            met=met,
            observations=Observations(
                **{k: w.text().strip() for k, w in self.observations.items()}
            ),
            problems=self.problems.toPlainText().strip(),
            help_given=self.help_given.toPlainText().strip(),
            follow_up=self.follow_up.text().strip(),
            next_visit_on=self.next_on.value(),
            demo=self._demo,
        )

    def _save(self, print_after: bool) -> None:
        problems = [
            f"{label}：{problem}"
            for label, field in (("走访日期", self.on), ("下次走访日期", self.next_on))
            if (problem := field.problem())
        ]
        if self.on.value() is None and not problems:
            problems.append("请填写走访日期。")
        if problems:
            self.error.setText("\n".join(problems))
            return
        visit = self.value()
        record_id = self._record_id
        base_revision = self.base_revision
        visits = self._desk.visits

        def save() -> Stored[Visit]:
            if record_id is None:
                return visits.record(visit)
            return visits.update(record_id, visit, base_revision=base_revision)

        def saved(stored: Stored[Visit]) -> None:
            self._record_id = stored.record_id
            self._edits.edited = False  # saved: nothing left to keep as a draft
            self.visit_saved.emit(stored.record_id)
            if print_after:
                self.print_requested.emit(stored.record_id)
            self.accept()

        def failed(err: BaseException) -> None:
            if isinstance(err, StaleRevisionError):
                self._resolve_stale(err, print_after)
                return
            self.error.setText(user_message(err))
            if not hasattr(err, "message_zh"):
                show_error(self, err)

        self._desk.runner.submit(save, saved, failed)

    def _resolve_stale(self, err: StaleRevisionError, print_after: bool) -> None:
        """This visit record was saved elsewhere after it was opened here: both values per
        field, the person chooses, and the choice is saved on top of the newer revision."""
        from ui.views.stale_dialog import StaleSaveDialog

        dialog = StaleSaveDialog(
            err,
            what=self.tr("走访记录"),
            label=lambda name: FIELD_LABELS_ZH.get(name, name),
            text=field_text_zh,
            parent=self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            self.error.setText(self.tr("没有保存：这条走访记录在别处改过，请核对后再保存。"))
            return
        self.load(Visit.from_json(resolve(self.value().to_json(), err, dialog.take_theirs())))
        self.base_revision = err.current_revision
        self._save(print_after)

    def _today(self) -> date:
        return self._desk.today()
