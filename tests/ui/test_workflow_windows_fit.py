"""The issue-17 windows fit a 1366×768 screen with a taskbar and a 1280×720 one, at the default
and the largest text (the checks of tests/ui/test_window_fit.py): every button reachable, no
date cut short."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.domain.case import CaseKind
from tests.ui.test_case_workflows import conference
from tests.ui.test_window_fit import tabs, text_scale, walk  # noqa: F401 (the fixture)
from tests.ui.workflow_helpers import workflow_desk
from ui.desk_services import DeskServices
from ui.views.case_dialog import CaseDialog
from ui.views.mandatory_report_dialog import MandatoryReportDialog
from ui.views.recognition_application_dialog import RecognitionApplicationDialog


def test_the_workflow_windows_fit(qtbot: QtBot, demo_desk: DeskServices, text_scale: float) -> None:  # noqa: F811
    desk = workflow_desk(demo_desk)
    children, _damaged = demo_desk.children.list_all()
    child_id, name = children[0].record_id, children[0].value.name
    report_id = desk.workflows.file_report(
        child_id,
        source="child_file",
        seen="孩子脸上有新伤。",
        seen_at="2026-11-20",
        at_risk=name,
        immediate_danger=False,
        told={},
        concern="abuse",
    )
    desk.workflows.add_report_info(report_id, "今天孩子没有上学。")
    app_id = desk.workflows.create_application(child_id)
    desk.workflows.submit_application(app_id, guardian_signed=True)
    case_id = demo_desk.cases.open(child_id, CaseKind.ABUSE, "身上有不明伤痕").record_id
    conference(demo_desk, child_id, case_id)

    problems = walk(lambda: MandatoryReportDialog(desk, child_id, name))
    problems += walk(lambda: MandatoryReportDialog(desk, child_id, name, report_id=report_id))
    problems += walk(lambda: RecognitionApplicationDialog(desk, child_id, name))
    problems += walk(
        lambda: RecognitionApplicationDialog(desk, child_id, name, application_id=app_id)
    )
    problems += walk(
        lambda: CaseDialog(desk, child_id, case_id),  # type: ignore[arg-type]
        tabs(lambda w: w.tabs),  # type: ignore[attr-defined]
    )
    assert problems == [], "\n".join(problems)
