"""Issue 19's loose ends in the GUI, offscreen on a real vault: an open referral is a line of
待办 that opens the child's 心理状况筛查与转介 through the real session; the child file's 历史
lists the screening and the referral's steps; the report form filed from a self-harm screening
says 依据：心理状况筛查 and stores that source."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.domain import mandatory_report as mr
from app.questionnaire.loader import load_screening_definition
from tests.services.test_screening import SIGNS, answers
from tests.ui.test_assessment_wizard import make_child
from tests.ui.test_window_fit import text_scale  # noqa: F401 (the default and the largest text)
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views import messages
from ui.views.child_file_dialog import ChildFileDialog
from ui.views.mandatory_report_dialog import MandatoryReportDialog
from ui.views.messages import user_message
from ui.views.screening_referrals import ReferralsDialog
from ui.views.todo_lists import OPEN_REFERRALS, WORKFLOWS
from ui.views.todo_page import TodoPage

BORN = date(2014, 3, 1)
TODAY = date(2026, 11, 22)  # the desk fixtures' fixed today (tests/ui/conftest.py)


@pytest.fixture(autouse=True)
def no_error_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_parent: object, err: BaseException, _title: str = "") -> None:
        raise AssertionError(f"error shown to the user: {user_message(err)}")

    monkeypatch.setattr(messages, "show_error", fail)


def screened(desk: DeskServices, child_id: str, **changes: Any) -> str:
    service = desk.screenings
    started = service.start(child_id, load_screening_definition(), ["王"])
    service.save_draft(started.record_id, answers(BORN, **changes))
    service.finish(started.record_id)
    return started.record_id


def test_a_referral_line_in_todo_opens_the_referrals_through_the_desk(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vault_copies: Any
) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from storage.vault import Vault
    from tests.conftest import PASSWORD
    from tests.ui.conftest import end_session, fixed_today
    from ui.gui import DeskSession
    from ui.tasks import InlineRunner
    from ui.ui_settings import UiSettings

    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    vault_copies.open(tmp_path / "v").vault.lock()
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    session = DeskSession(
        QApplication.instance(), tmp_path / "v", settings, InlineRunner(), today=fixed_today
    )
    monkeypatch.setattr(session, "ask_unlock", lambda: True)
    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    desk = session.desk
    assert desk is not None and session.window is not None
    child = make_child(desk, BORN)
    screened(desk, child, **dict.fromkeys(SIGNS[:3], "often"))  # 建议转介
    page = session.window.findChild(TodoPage)
    assert page is not None
    page.reload()
    (entry,) = [e for e in page.entries(WORKFLOWS) if e.opens == OPEN_REFERRALS]
    assert entry.child_id == child and entry.status == "待转介（0 天）" and not entry.alert
    assert "心理状况筛查建议转介" in entry.detail
    assert page.section_items[WORKFLOWS].text(0).startswith("强制报告、认定申请、会商事项与转介")
    page.activate(entry)
    (dialog,) = [d for d in session.open_dialogs if isinstance(d, ReferralsDialog)]
    assert dialog.referral_table.rowCount() == 1 and dialog.referral_form.isEnabled()
    assert dialog.referrals[0].record_id == entry.record_id
    # the follow-up saved there changes the 待办 line
    dialog.referred_to.setCurrentText("区精神卫生中心")
    dialog.referred_on.set_value(TODAY)
    page.show()
    dialog.save_referral()
    qtbot.waitUntil(
        lambda: (
            [e.status for e in page.entries(WORKFLOWS) if e.opens == OPEN_REFERRALS]
            == ["已转介待评估（0 天）"]
        ),
        timeout=3000,
    )
    session.lock()
    qtbot.waitUntil(lambda: session.window is None, timeout=3000)
    end_session(session)


def test_a_self_harm_referral_is_red_in_todo(
    qtbot: Any, desk: DeskServices, store: CaseloadStore
) -> None:
    child = make_child(desk, BORN)
    screened(desk, child, sh_self_harm="act")
    page = TodoPage(desk, store)
    qtbot.addWidget(page)
    store.load()
    (entry,) = [e for e in page.entries(WORKFLOWS) if e.opens == OPEN_REFERRALS]
    assert entry.alert and entry.status == "自伤风险未报告（0 天）"
    row = page.entries(WORKFLOWS).index(entry)
    item = page.entry_item(WORKFLOWS, row)
    assert item.foreground(2).color().name() == "#c62828"
    with qtbot.waitSignal(page.open_referrals) as opened:
        page.activate(entry)
    assert opened.args == [child, entry.record_id]


def test_the_child_file_history_lists_the_screening_and_referral(
    qtbot: Any, desk: DeskServices
) -> None:
    child = make_child(desk, BORN)
    screened(desk, child, **dict.fromkeys(SIGNS[:3], "often"))
    (referral,) = desk.referrals.list_all(child)
    desk.referrals.record_referred(referral.record_id, "区精神卫生中心", TODAY)
    dialog = ChildFileDialog(desk, child)
    qtbot.addWidget(dialog)
    history = [dialog.history_list.item(i).text() for i in range(dialog.history_list.count())]
    day = TODAY.isoformat()
    assert any(t.endswith(f"转介：转介到区精神卫生中心（{day}）") for t in history), history
    assert any(t.endswith(f"转介：登记了转介（心理状况筛查建议转介，{day}）") for t in history)
    assert any(t.endswith(f"完成了心理状况筛查（{day}），结果：建议转介") for t in history)


def test_a_report_from_a_screening_says_so(qtbot: Any, desk: DeskServices) -> None:
    child = make_child(desk, BORN)
    harm = screened(desk, child, sh_self_harm="talk")
    dialog = MandatoryReportDialog(desk, child, "周小雨", assessment_id=harm)
    qtbot.addWidget(dialog)
    assert dialog.source_text.text() == "依据：心理状况筛查结果要求强制报告。"
    assert "不想活" in dialog.seen.toPlainText()  # the rule that demanded it
    dialog.danger_no.setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        dialog.file_button.click()
    ((data, _status),) = desk.workflows.reports(child)
    assert data["source"] == "screening" and mr.SOURCES[data["source"]] == "心理状况筛查"
    assert harm not in desk.workflows.assessments_needing_report()


def test_the_history_wraps_long_entries_at_any_text_size(
    qtbot: Any,
    desk: DeskServices,
    text_scale: float,  # noqa: F811 (the fixture imported above)
) -> None:
    """历史's entries wrap inside the list (no sideways scrolling) at the default and the
    largest text: the self-harm screening's entry is long."""
    child = make_child(desk, BORN)
    screened(desk, child, sh_self_harm="act")
    dialog = ChildFileDialog(desk, child)
    qtbot.addWidget(dialog)
    dialog.resize(900, 600)
    dialog.show()
    dialog.tabs.setCurrentIndex(dialog.tabs.indexOf(dialog.history_list.parentWidget()))
    history = dialog.history_list
    qtbot.waitUntil(history.isVisible)
    long = next(
        history.item(i) for i in range(history.count()) if "发现自伤风险" in history.item(i).text()
    )
    width = history.viewport().width()
    rect = history.visualItemRect(long)
    assert rect.right() <= width and history.horizontalScrollBar().maximum() == 0
    metrics = history.fontMetrics()
    if metrics.horizontalAdvance(long.text()) > width:  # it needs more than one line
        assert rect.height() >= 2 * metrics.height()


def test_the_referrals_window_selects_the_open_referral(qtbot: Any, desk: DeskServices) -> None:
    """Opened for 待办's line, the follow-up form shows the referral still open, even when a
    newer one of the child's is closed."""
    child = make_child(desk, BORN)
    screened(desk, child, **dict.fromkeys(SIGNS[:3], "often"))
    screened(desk, child, **dict.fromkeys(SIGNS[3:6], "often"))
    older, newer = desk.referrals.list_all(child)
    current = desk.referrals.get(newer.record_id)
    desk.referrals.save(
        replace(current.value, declined_reason="监护人暂不同意"),
        record_id=current.record_id,
        base_revision=current.revision,
    )
    dialog = ReferralsDialog(desk, child)
    qtbot.addWidget(dialog)
    assert [s.record_id for s in dialog.referrals] == [newer.record_id, older.record_id]
    assert dialog.referral_table.currentRow() == 1
    form = dialog.form_referral()
    assert form is not None and form.is_open
