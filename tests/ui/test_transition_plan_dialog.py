"""转衔计划 (issue 19): the 待办 list's "即将年满18岁" entry opens the transition plan; filled,
saved on the vault runner, read back when opened again."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from app.domain.transition_plan import Intention, PlanStatus
from tests.ui.test_todo_page import add_child, make_page
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.todo_lists import OPEN_TRANSITION
from ui.views.todo_page import TRANSITIONS
from ui.views.transition_plan_dialog import TransitionPlanDialog


def test_the_near_18_entry_leads_to_the_plan(
    qtbot: QtBot, desk: DeskServices, store: CaseloadStore
) -> None:
    soon = add_child(desk, "吴敏", birth=date(2009, 2, 1))
    page = make_page(qtbot, desk, store)
    (entry,) = [e for e in page.entries(TRANSITIONS) if e.child_id == soon]
    assert entry.opens == OPEN_TRANSITION and "转衔计划" in entry.detail
    with qtbot.waitSignal(page.open_transition) as caught:
        page.activate(entry)
    assert caught.args == [soon, "吴敏"]

    dialog = TransitionPlanDialog(desk, soon, "吴敏")
    qtbot.addWidget(dialog)
    assert dialog.save_button.isEnabled()  # read (inline runner): no plan yet
    dialog.intention.setCurrentIndex(dialog.intention.findData(Intention.TRAINING.value))
    dialog.training.setText("汽修")
    dialog.referred_on.setDate(QDate(2026, 11, 20))
    dialog.outcome.setText("已推荐参加区人力社保局汽修培训班")
    dialog.subsidies[0].setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    stored = desk.transition_plans.for_child(soon)
    assert stored is not None
    assert stored.value.training_wanted == "汽修"
    assert stored.value.referred_on == date(2026, 11, 20)
    assert stored.value.subsidies == ["职业培训补贴"]
    assert desk.transition_plans.statuses() == {soon: PlanStatus.REFERRED}

    again = TransitionPlanDialog(desk, soon, "吴敏")
    qtbot.addWidget(again)
    assert again.training.text() == "汽修" and again.subsidies[0].isChecked()
    assert "已转介" in again.status.text()
    # a hand-over date without… is fine here (referred); an outcome is kept on re-save
    with qtbot.waitSignal(again.saved):
        again.save_button.click()
    assert desk.transition_plans.for_child(soon).value.referral_outcome.startswith("已推荐")  # type: ignore[union-attr]
