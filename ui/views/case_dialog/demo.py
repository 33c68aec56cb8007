"""Factory for the screenshot tool and the window-fit tests: a case in 介入 with a plan."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QEventLoop, QTimer

from app.domain.case import CaseKind, CaseStage, Plan, PlanAction
from ui.desk_services import DeskServices
from ui.views.case_dialog.dialog import CaseDialog
from ui.views.widgets import run_and_wait as _run_sync


def demo_case_dialog(desk: DeskServices) -> CaseDialog:
    """A demo case in 介入 with a plan, its gate checklist showing (made if the caseload has
    none in that stage)."""

    def task() -> tuple[str, str]:
        for stored in desk.cases.list_all():
            if stored.value.stage == CaseStage.INTERVENING and stored.value.plan.actions:
                return stored.value.child_id, stored.record_id
        children, _damaged = desk.children.list_all()
        if not children:
            raise LookupError("no children in the vault")
        child_id = children[0].record_id
        today = desk.today()
        case = desk.cases.open(
            child_id, CaseKind.IMPROPER, "走访发现父母外出务工，祖母年迈多病，照料不足。"
        )
        record_id = case.record_id
        desk.cases.link_assessment(record_id, notes="入户评估：监护人照料能力不足。")
        desk.cases.move(record_id, CaseStage.ASSESSED)
        desk.cases.update_plan(
            record_id,
            Plan(
                goals=["提升监护人照料能力", "儿童按时上学"],
                actions=[
                    PlanAction("联系爱心妈妈一对一结对", "村儿童主任", today + timedelta(days=30)),
                    PlanAction("申请临时救助", "镇社会事务办", today + timedelta(days=20)),
                ],
            ),
        )
        desk.cases.move(record_id, CaseStage.INTERVENING)
        return child_id, record_id

    child_id, case_id = _run_sync(desk, task)
    dialog = CaseDialog(desk, child_id, case_id)
    loop = QEventLoop()
    while dialog.case is None and dialog._busy:  # a threaded runner delivers later
        QTimer.singleShot(20, loop.quit)
        loop.exec()
    dialog.tabs.setCurrentIndex(1)  # the plan
    return dialog
