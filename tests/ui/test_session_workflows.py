"""The session opens the 强制报告 and 认定申请 windows (issue 17) from the child file and 待办: one
window per record, and a report typed but not filed survives an auto-lock, encrypted, and comes
back after unlocking; the child's open file shows a filed report at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.categories import GuardianRelation
from app.domain.child_file import ChildFile, Gender, Guardian
from app.domain.guardian_situation import GuardianSituation
from storage.vault import Vault
from tests.conftest import PASSWORD, VaultCopies
from tests.ui.conftest import end_session, fixed_today
from ui.draft_keeper import DRAFT_TYPE
from ui.gui import DeskSession
from ui.tasks import InlineRunner
from ui.ui_settings import UiSettings
from ui.views.child_file_dialog import ChildFileDialog
from ui.views.child_file_dialog.workflows_tab import REPORT
from ui.views.mandatory_report_dialog import MandatoryReportDialog
from ui.views.recognition_application_dialog import RecognitionApplicationDialog


@pytest.fixture
def session(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vault_copies: VaultCopies
) -> Any:
    vault_copies.open(tmp_path / "v").vault.lock()
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    session = DeskSession(
        QApplication.instance(),  # type: ignore[arg-type]
        tmp_path / "v",
        settings,
        InlineRunner(),
        today=fixed_today,
    )
    monkeypatch.setattr(session, "ask_unlock", lambda: True)
    yield session
    if session.desk is not None:
        session._close_all_windows()  # forgotten first: closing them reads nothing
        session.desk.vault.lock()
    end_session(session)


def add_child(session: DeskSession) -> str:
    assert session.desk is not None
    return session.desk.children.create(
        ChildFile(
            name="刘小川",
            gender=Gender.MALE,
            birth_date=date(2016, 5, 1),
            village_code="500119104201",
            guardians=[
                Guardian(GuardianRelation.FATHER, situations=[GuardianSituation.IMPRISONED]),
                Guardian(GuardianRelation.MOTHER, situations=[GuardianSituation.LOST_CONTACT]),
            ],
        )
    ).record_id


def test_a_report_from_the_child_file_is_kept_across_a_lock(
    qtbot: QtBot, session: DeskSession, tmp_path: Path
) -> None:
    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    child_id = add_child(session)
    session.open_child(child_id)
    [child_file] = session.open_dialogs
    assert isinstance(child_file, ChildFileDialog)
    child_file.workflows_tab.report_button.click()  # through the session, not modal
    report = session.open_dialogs[-1]
    assert isinstance(report, MandatoryReportDialog) and report.report_id is None
    report.seen.setPlainText("夜里听到孩子哭喊，邻居说常挨打")
    report.at_risk.setText("孩子本人")
    session.idle.setInterval(50)
    session.idle.start()
    qtbot.waitUntil(lambda: session.window is None, timeout=3000)

    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    drafts = [r.data for r in vault.load(DRAFT_TYPE).revisions]
    assert [d["kind"] for d in drafts] == ["mandatory_report"]
    raw = b"".join(p.read_bytes() for p in (tmp_path / "v").rglob("*") if p.is_file())
    assert "邻居说常挨打".encode() not in raw  # kept encrypted
    session.opened(vault)
    qtbot.waitUntil(lambda: len(session.open_dialogs) == 1, timeout=3000)
    [restored] = session.open_dialogs
    assert isinstance(restored, MandatoryReportDialog)
    assert restored.seen.toPlainText() == "夜里听到孩子哭喊，邻居说常挨打"

    # filed: the draft goes and the child's open file lists the report
    restored.seen_at.setText("2026-11-21 夜里")
    restored.danger_no.setChecked(True)
    restored.file()
    assert restored.report_id is not None
    qtbot.waitUntil(lambda: vault.load(DRAFT_TYPE).revisions == [], timeout=3000)
    session.open_child(child_id)
    child_file = next(d for d in session.open_dialogs if isinstance(d, ChildFileDialog))
    [row] = child_file.workflows_tab.items(REPORT)
    assert row.text(1) == "待送达"
    # the same report again: the open window comes to the front, no second one
    session.open_report(child_id, "刘小川", restored.report_id)
    assert sum(isinstance(d, MandatoryReportDialog) for d in session.open_dialogs) == 1


def test_an_application_opens_once_per_record(
    qtbot: QtBot, session: DeskSession, tmp_path: Path
) -> None:
    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    assert session.desk is not None
    child_id = add_child(session)
    application = session.desk.workflows.create_application(child_id)
    session.open_application(child_id, "刘小川", application)
    session.open_application(child_id, "刘小川", application)
    windows = [d for d in session.open_dialogs if isinstance(d, RecognitionApplicationDialog)]
    assert len(windows) == 1 and windows[0].application_id == application
    session.lock()  # nothing unsaved: no draft
    qtbot.waitUntil(lambda: session.window is None, timeout=3000)
    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    assert vault.load(DRAFT_TYPE).revisions == []
    vault.lock()
