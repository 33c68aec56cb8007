"""转衔计划 (成年后就业帮扶): the plan for a youth approaching 18, opened from the 待办 list's
"即将年满18岁" and "已满18岁" entries. Loaded and saved on the vault worker. From 18, 保存并归档
saves the plan and archives the file with reason 年满18 — refused (in words) until the hand-over
is recorded. An editor of the session (ui/editor_contract.py): what is typed and not saved is
kept as an encrypted draft across an auto-lock (``{"kind": "transition_plan", ...}``) and put
back with ``draft=``; closing with unsaved input asks first."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.ages import calendar_age
from app.domain.problems import raise_if_blocking
from app.domain.transition_plan import (
    ADULT_AGE,
    INTENTION_LABELS_ZH,
    PLAN_STATUS_LABELS_ZH,
    SUBSIDY_CHOICES_ZH,
    Intention,
    TransitionPlan,
    archive_at_18_problems,
)
from app.services.children import ChildService
from app.services.stored import Stored
from app.services.transition_plans import TransitionPlanService
from ui.tasks import Runner
from ui.views.messages import show_error
from ui.views.unsaved import ask_save
from ui.views.widgets import OptionalDateEdit
from ui.window_fit import fit_window, scrolling


class PlanDesk(Protocol):
    @property
    def runner(self) -> Runner: ...
    @property
    def today(self) -> Any: ...
    @property
    def transition_plans(self) -> TransitionPlanService: ...
    @property
    def children(self) -> ChildService: ...


def _date_edit(name: str, today: date) -> OptionalDateEdit:
    """未填写 until set; the calendar opens on this month (not on the empty value's year)."""
    edit = OptionalDateEdit(today, "未填写")
    edit.setObjectName(name)
    return edit


DRAFT_KIND = "transition_plan"


class TransitionPlanDialog(QDialog):
    saved = Signal(object)
    edited = Signal()  # unsaved input changed (the session keeps it as a draft)

    def __init__(
        self,
        desk: PlanDesk,
        child_id: str,
        child_name: str,
        parent: QWidget | None = None,
        draft: dict[str, Any] | None = None,
    ) -> None:
        """``draft``: unsaved input kept across a lock or crash (see unsaved_draft), put back
        once the stored plan is read."""
        super().__init__(parent)
        self.setObjectName("transition_plan_dialog")
        self.setWindowTitle(self.tr("转衔计划 — {0}").format(child_name))
        self._desk = desk
        self._child_id = child_id
        self._child_name = child_name
        self._base: int | None = None
        self._made_on: date | None = None  # kept from the plan as first made
        self._draft = draft
        self._dirty = False
        self._filling = True  # the fields are being filled, not edited
        self.status = QLabel(PLAN_STATUS_LABELS_ZH[next(iter(PLAN_STATUS_LABELS_ZH))])
        self.status.setObjectName("plan_status")
        self.intention = QComboBox()
        self.intention.setObjectName("plan_intention")
        for intention in Intention:
            self.intention.addItem(INTENTION_LABELS_ZH[intention], intention.value)
        self.training = QLineEdit()
        self.training.setObjectName("plan_training")
        self.training.setPlaceholderText(self.tr("例如：电工、汽修、电商、家政"))
        self.referred_on = _date_edit("plan_referred_on", desk.today())
        self.referred_to = QLineEdit("人力社保")
        self.referred_to.setObjectName("plan_referred_to")
        self.outcome = QLineEdit()
        self.outcome.setObjectName("plan_outcome")
        self.subsidies: list[QCheckBox] = []
        grid = QGridLayout()
        for index, name in enumerate(SUBSIDY_CHOICES_ZH):
            box = QCheckBox(name)
            self.subsidies.append(box)
            grid.addWidget(box, index // 2, index % 2)
        self.handed_over_on = _date_edit("plan_handed_over_on", desk.today())
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("plan_notes")
        self.notes.setFixedHeight(60)
        form = QFormLayout()
        form.addRow(self.tr("状态"), self.status)
        form.addRow(self.tr("升学或就业意向"), self.intention)
        form.addRow(self.tr("希望参加的培训"), self.training)
        form.addRow(self.tr("转介日期"), self.referred_on)
        form.addRow(self.tr("转介单位"), self.referred_to)
        form.addRow(self.tr("转介结果"), self.outcome)
        form.addRow(self.tr("已申请的帮扶"), grid)
        form.addRow(self.tr("交接日期"), self.handed_over_on)
        form.addRow(self.tr("备注"), self.notes)
        hint = QLabel(
            self.tr(
                "年满16周岁起填写。年满18周岁离开儿童福利服务前，转介区人力社保部门"
                "（招聘会、就业见习、培训补贴、创业担保贷款等），记录交接后再办理结案。"
            )
        )
        hint.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("plan_error")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(
            self.tr("保存"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("plan_save")
        self.save_button.setEnabled(False)  # until the plan is read
        self.archive_button = buttons.addButton(
            self.tr("保存并归档（年满18周岁）"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.archive_button.setObjectName("plan_archive")
        self.archive_button.setToolTip(
            self.tr("记录交接日期后，以“年满18周岁”归档这份档案（档案仍保留，可以恢复）")
        )
        self.archive_button.setVisible(False)  # from 18 only
        self.archive_button.clicked.connect(self.save_and_archive)
        buttons.addButton(self.tr("关闭"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.restored = QLabel("")
        self.restored.setObjectName("plan_restored")
        self.restored.setProperty("role", "hint")
        self.restored.setWordWrap(True)
        self.restored.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(scrolling(form), 1)  # 特大 text on a small screen: the form scrolls
        layout.addWidget(self.restored)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        fit_window(self, 640, 680)
        self._watch_edits()
        self._filling = False
        self._load()

    def _watch_edits(self) -> None:
        """Every field's change marks the plan unsaved (not while the dialog fills them)."""
        self.intention.currentIndexChanged.connect(self._edited)
        for line in (self.training, self.referred_to, self.outcome):
            line.textChanged.connect(self._edited)
        for day in (self.referred_on, self.handed_over_on):
            day.dateChanged.connect(self._edited)
        for box in self.subsidies:
            box.toggled.connect(self._edited)
        self.notes.textChanged.connect(self._edited)

    def _edited(self, *_args: object) -> None:
        if self._filling:
            return
        self._dirty = True
        self.edited.emit()

    def _load(self) -> None:
        service, children, child_id = (
            self._desk.transition_plans,
            self._desk.children,
            self._child_id,
        )
        self._desk.runner.submit(
            lambda: (service.for_child(child_id), children.get(child_id).value.birth_date),
            self._loaded,
            lambda e: show_error(self, e),
        )

    def _loaded(self, loaded: tuple[Stored[TransitionPlan] | None, date]) -> None:
        stored, born = loaded
        self.save_button.setEnabled(True)
        self.archive_button.setVisible(calendar_age(born, self._desk.today()) >= ADULT_AGE)
        if stored is not None and not self._dirty:  # unsaved input is never overwritten
            self._base = stored.revision
            self._fill(stored.value)
        if self._draft is not None:
            self._restore(self._draft, stored)
            self._draft = None

    def _fill(self, plan: TransitionPlan) -> None:
        self._filling = True
        self._made_on = plan.made_on
        self.status.setText(PLAN_STATUS_LABELS_ZH[plan.status])
        self.intention.setCurrentIndex(max(0, self.intention.findData(plan.intention.value)))
        self.training.setText(plan.training_wanted)
        self.referred_on.set_value(plan.referred_on)
        self.referred_to.setText(plan.referred_to)
        self.outcome.setText(plan.referral_outcome)
        for box in self.subsidies:
            box.setChecked(box.text() in plan.subsidies)
        self.handed_over_on.set_value(plan.handed_over_on)
        self.notes.setPlainText(plan.notes)
        self._filling = False

    def _restore(self, draft: dict[str, Any], stored: Stored[TransitionPlan] | None) -> None:
        """Put the kept input back, unsaved, and say so; saving it is checked against the
        revision it was typed on (a newer save is never silently undone)."""
        data = draft.get("plan")
        if not isinstance(data, dict):
            return
        self._fill(TransitionPlan.from_json(data))
        base = draft.get("base_revision")
        self._base = base if isinstance(base, int) else self._base
        if stored is not None:
            self.status.setText(PLAN_STATUS_LABELS_ZH[stored.value.status])
        self._dirty = True
        newer = stored is not None and isinstance(base, int) and base != stored.revision
        self.restored.setText(
            self.tr("上次没有保存的转衔计划已恢复，请检查后保存。")
            + (self.tr("注意：这份计划之后又被修改过，请核对。") if newer else "")
        )
        self.restored.show()

    # ----- the session's editor contract (ui/editor_contract.py) --------------------------------

    def unsaved_draft(self) -> dict[str, Any] | None:
        if not self._dirty:
            return None
        return {
            "kind": DRAFT_KIND,
            "child_id": self._child_id,
            "child_name": self._child_name,
            "base_revision": self._base,
            "plan": self.plan().to_json(),
        }

    def discard_changes(self) -> None:
        self._dirty = False

    def reload(self) -> None:
        """Read the stored plan again (unsaved input stays on screen)."""
        self._load()

    def reject(self) -> None:
        """关闭, Esc or the title bar's ×: ask before typed input is lost (保存 closes once
        it is stored; a refusal stays on screen in words)."""
        if self._dirty:
            choice = ask_save(self, self.tr("转衔计划还没有保存。要保存吗？"))
            if choice == "cancel":
                return
            if choice == "save":
                self.save()
                return
            self._dirty = False
        super().reject()

    def plan(self) -> TransitionPlan:
        return TransitionPlan(
            child_id=self._child_id,
            made_on=self._made_on or self._desk.today(),
            intention=Intention(self.intention.currentData()),
            training_wanted=self.training.text().strip(),
            referred_on=self.referred_on.value(),
            referred_to=self.referred_to.text().strip() or "人力社保",
            referral_outcome=self.outcome.text().strip(),
            subsidies=[b.text() for b in self.subsidies if b.isChecked()],
            handed_over_on=self.handed_over_on.value(),
            notes=self.notes.toPlainText().strip(),
        )

    def save(self) -> None:
        plan, base, service = self.plan(), self._base, self._desk.transition_plans
        self.save_button.setEnabled(False)
        self._desk.runner.submit(
            lambda: service.save(plan, base_revision=base), self._saved, self._failed
        )

    def save_and_archive(self) -> None:
        """Save the plan, then archive the file with reason 年满18 (refused before the hand-over
        is recorded: the words come back in the error line)."""
        plan, base = self.plan(), self._base
        service, children = self._desk.transition_plans, self._desk.children
        child_id = self._child_id

        def work() -> Stored[TransitionPlan]:
            born = children.get(child_id).value.birth_date
            today = self._desk.today()  # the form's plan is checked before anything is saved
            raise_if_blocking(archive_at_18_problems(plan, birth_date=born, today=today))
            stored = service.save(plan, base_revision=base)
            service.archive_at_18(child_id, children)
            return stored

        self.save_button.setEnabled(False)
        self.archive_button.setEnabled(False)
        self.error.setText("")
        self._desk.runner.submit(work, self._saved, self._failed)

    def _saved(self, stored: Stored[TransitionPlan]) -> None:
        self._dirty = False  # saved: nothing left to keep as a draft
        self.saved.emit(stored)
        self.accept()

    def _failed(self, err: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.archive_button.setEnabled(True)
        message = getattr(err, "message_zh", None)
        if message:
            self.error.setText(str(message))
        else:
            show_error(self, err)
