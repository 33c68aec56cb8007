"""The issue-17 windows with the real threaded runner in strict mode: every vault call of the
强制报告, 认定申请 and 个案会商 windows runs on the vault worker (the vault refuses the GUI
thread), and the results come back to the windows."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.domain.case import CaseKind
from storage.thread_check import set_vault_thread_check
from storage.vault import Vault
from tests.ui.conftest import fixed_today
from tests.ui.test_case_workflows import conference
from ui.desk_services import DeskServices
from ui.tasks import VaultRunner, enforce_vault_thread
from ui.views import messages
from ui.views.case_dialog import CaseDialog
from ui.views.mandatory_report_dialog import MandatoryReportDialog
from ui.views.recognition_application_dialog import RecognitionApplicationDialog


def test_the_workflow_windows_touch_the_vault_on_its_worker_only(
    qtbot: QtBot, demo_desk: DeskServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[BaseException] = []
    monkeypatch.setattr(messages, "show_error", lambda _p, err, *_a: errors.append(err))
    monkeypatch.setattr(messages, "confirm", lambda *_a, **_k: True)
    vault: Vault = demo_desk.vault
    children, _damaged = demo_desk.children.list_all()
    child_id, name = children[0].record_id, children[0].value.name
    case_id = demo_desk.cases.open(
        child_id, CaseKind.ABUSE, "身上有不明伤痕，疑似遭受侵害"
    ).record_id
    conference_id = conference(demo_desk, child_id, case_id)
    runner = VaultRunner(default_on_error=errors.append)
    desk = DeskServices.for_vault(vault, runner, today=fixed_today)  # before strict mode
    enforce_vault_thread(runner)
    try:
        report = MandatoryReportDialog(desk, child_id, name, case_id=case_id)
        qtbot.addWidget(report)
        qtbot.waitUntil(lambda: report.seen.toPlainText() != "", timeout=5000)  # the draft
        report.danger_no.setChecked(True)
        with qtbot.waitSignal(report.saved, timeout=5000):
            report.file_button.click()
        qtbot.waitUntil(lambda: "待送达" in report.state.text(), timeout=5000)

        application = RecognitionApplicationDialog(desk, child_id, name)
        qtbot.addWidget(application)
        with qtbot.waitSignal(application.saved, timeout=5000):
            application.create_button.click()
        application.signed.setChecked(True)
        with qtbot.waitSignal(application.saved, timeout=5000):
            application.submit_button.click()
        assert "待乡镇查验" in application.state.text()
        assert "工作日" in application.deadline.text()

        case = CaseDialog(desk, child_id, case_id)
        qtbot.addWidget(case)
        qtbot.waitUntil(lambda: case.conference_panel.box(conference_id) is not None, timeout=5000)
        box = case.conference_panel.box(conference_id)
        assert box is not None
        box.text.setText("已家访")
        with qtbot.waitSignal(case.case_changed, timeout=5000):
            box.done_button.click()
        qtbot.waitUntil(
            lambda: (
                (b := case.conference_panel.box(conference_id)) is not None
                and b.action_rows()[0][3] == "已完成"
            ),
            timeout=5000,
        )
        assert errors == []
    finally:
        set_vault_thread_check(None)
        done: list[bool] = []
        runner.submit(lambda: None, lambda _v: done.append(True))
        qtbot.waitUntil(lambda: done == [True], timeout=5000)
        runner.shutdown()
