"""打印空白表 on the 报表 page: each blank form renders (on the runner) and opens in the preview
with its own file name."""

from __future__ import annotations

import ui.views.print_preview as preview
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.blank_forms import BlankFormsButton
from ui.views.reports_page import ReportsPage


def test_blank_forms_from_the_reports_page(
    qtbot, desk: DeskServices, store: CaseloadStore, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        preview.PdfPreviewDialog,
        "exec",
        lambda self: shown.append((self.windowTitle(), self._suggested)) or 0,
    )
    page = ReportsPage(desk, store)
    qtbot.addWidget(page)
    button = page.findChild(BlankFormsButton, "print_blank_forms")
    assert button is not None and button.text() == "打印空白表 ▾"
    for action in (button.visit_action, button.child_action, button.questionnaire_action):
        action.trigger()
    today = desk.today().isoformat()
    assert shown == [
        ("空白入户走访记录表", f"空白走访记录表-{today}.pdf"),
        ("空白儿童档案表", f"空白儿童档案表-{today}.pdf"),
        ("空白评估表", "空白评估表.pdf"),
    ]
