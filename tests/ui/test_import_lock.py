"""导入台账 and auto-lock: the import window is registered with the session like every editor;
the lock closes it without questions, nothing is half imported (a running commit is cancelled
whole), and the preview's corrections are dropped — the next import window says so."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDialog

from app.registers.plan import Action
from app.registers.service import RegisterImport
from app.services.children import ChildService
from storage.vault import Vault
from tests.conftest import PASSWORD, VaultCopies
from tests.registers.workbooks import TODAY, child_id, national_row, write_national
from tests.ui.conftest import end_session, fixed_today
from ui.gui import DeskSession
from ui.tasks import InlineRunner, VaultRunner
from ui.ui_settings import UiSettings
from ui.views import register_import_dialog as rid
from ui.views.children_page import ChildrenPage
from ui.views.register_import_dialog import RegisterImportDialog

B1, B2 = date(2015, 3, 12), date(2016, 7, 1)


@pytest.fixture(autouse=True)
def _no_notice_left() -> None:
    rid._LOCK_NOTICES.clear()


@pytest.fixture
def session(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vault_copies: VaultCopies):  # type: ignore[no-untyped-def]
    vault_copies.open(tmp_path / "v").vault.lock()
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    session = DeskSession(
        QApplication.instance(), tmp_path / "v", settings, InlineRunner(), today=fixed_today
    )
    monkeypatch.setattr(session, "ask_unlock", lambda: True)
    yield session
    if session.desk is not None:
        session.desk.vault.lock()
    end_session(session)


def _import_window(session: DeskSession) -> RegisterImportDialog:
    assert session.window is not None
    session.window.findChild(ChildrenPage).import_register.emit()
    dialogs = [d for d in session.open_dialogs if isinstance(d, RegisterImportDialog)]
    assert len(dialogs) == 1
    return dialogs[0]


def test_the_lock_closes_the_import_and_drops_the_preview_with_a_word(
    qtbot, session: DeskSession, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bad = child_id(B1, 102)[:-1] + ("0" if child_id(B1, 102)[-1] != "0" else "1")
    rows = [
        national_row(1, "陈雨桐", "女", B1, bad),
        national_row(2, "刘子轩", "男", B2, child_id(B2, 111)),
    ]
    path = write_national(tmp_path / "r.xlsx", rows)
    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    dialog = _import_window(session)
    session.window.findChild(ChildrenPage).import_register.emit()  # a second click: the same
    assert len(session.open_dialogs) == 1
    dialog.open_file(path)
    assert dialog.plan is not None and dialog.plan.count(Action.PROBLEM) == 1
    dialog.fix(dialog.plan.rows[0].row, 5, child_id(B1, 102))
    assert dialog.plan.count(Action.CREATE) == 2

    session.idle.setInterval(50)  # auto-lock
    session.idle.start()
    qtbot.waitUntil(lambda: session.window is None, timeout=3000)
    qtbot.waitUntil(lambda: session.open_dialogs == [], timeout=3000)
    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    assert ChildService(vault, author="").list_all()[0] == []  # nothing imported
    assert vault.load("ui_draft").revisions == []  # and nothing kept as a draft
    session.opened(vault)
    again = _import_window(session)
    said = again.message.text()
    assert "因锁定" in said and "没有导入任何内容" in said
    assert "改正的 1 处" in said and "没有保留" in said and "重新选择表格文件" in said
    assert again.plan is None
    again.close()
    qtbot.waitUntil(lambda: session.open_dialogs == [], timeout=3000)


def test_a_commit_running_at_the_lock_is_cancelled_whole(
    qtbot, vault: Vault, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """On the real worker: the commit waits behind other work when the lock comes; the lock
    (as ui/gui.py does it: discard_changes, then done) cancels it, the vault is as before,
    and the next import window says so."""
    rows = [national_row(n, f"儿童{n:03d}", "女", B1, child_id(B1, 2 * n)) for n in range(1, 151)]
    path = write_national(tmp_path / "r.xlsx", rows)
    runner = VaultRunner(default_on_error=lambda err: None)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    try:
        dialog = RegisterImportDialog(
            RegisterImport(vault, author="王秀英", today=lambda: TODAY), runner, settings=settings
        )
        dialog.open_file(path)
        qtbot.waitUntil(lambda: dialog.plan is not None and dialog.import_button.isEnabled())
        gate = threading.Event()
        runner.submit(gate.wait)  # the worker is busy: the commit waits in the queue
        dialog.import_button.click()
        dialog.discard_changes()  # the session's lock
        QDialog.done(dialog, QDialog.DialogCode.Rejected)
        dialog.deleteLater()
        gate.set()
        counted: list[int] = []
        runner.submit(lambda: len(ChildService(vault, author="").list_all()[0]), counted.append)
        qtbot.waitUntil(lambda: bool(counted), timeout=20_000)
        assert counted == [0]
        assert rid.LOCK_CANCELLED_ZH in rid._LOCK_NOTICES
        after = RegisterImportDialog(
            RegisterImport(vault, author="王秀英", today=lambda: TODAY), runner, settings=settings
        )
        qtbot.addWidget(after)
        assert rid.LOCK_CANCELLED_ZH in after.message.text()
        assert rid._LOCK_NOTICES == []
    finally:
        runner.shutdown()
