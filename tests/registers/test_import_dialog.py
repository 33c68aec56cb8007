"""The 导入台账 and 导出表格 windows, on a real vault (tasks run inline)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msoffcrypto
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.registers.plan import Action
from app.registers.service import RegisterImport
from app.services.children import ChildService
from storage.vault import Vault
from tests.registers.workbooks import TODAY, child_id, national_row, write_national
from ui.tasks import InlineRunner
from ui.ui_settings import UiSettings
from ui.views.register_import_dialog import NOTICE_ZH, RegisterImportDialog
from ui.views.register_import_export import RegisterExportDialog

B1, B2 = date(2015, 3, 12), date(2016, 7, 1)


def _importer(vault: Vault) -> RegisterImport:
    return RegisterImport(vault, author="王秀英", today=lambda: TODAY)


def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_choose_fix_commit_and_the_mapping_is_remembered(
    qtbot: QtBot, vault: Vault, tmp_path: Path
) -> None:
    good = child_id(B1, 102)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    path = write_national(
        tmp_path / "r.xlsx",
        [national_row(1, "陈雨桐", "女", B1, bad), national_row(2, "刘子轩", "男", B2, "")],
    )
    store = settings(tmp_path)
    dialog = RegisterImportDialog(_importer(vault), InlineRunner(), settings=store)
    qtbot.addWidget(dialog)
    assert NOTICE_ZH in dialog.findChild(type(dialog.message), "notice").text()
    dialog.open_file(path)
    plan = dialog.plan
    assert plan is not None
    assert [r.action for r in plan.rows] == [Action.PROBLEM, Action.CREATE]
    assert dialog.preview.item(0, 2).text() == "有问题"
    assert "校验" in dialog.preview.item(0, 3).text()
    dialog.fix(plan.rows[0].row, 5, good)
    assert [r.action for r in dialog.plan.rows] == [Action.CREATE, Action.CREATE]  # type: ignore[union-attr]
    with qtbot.waitSignal(dialog.imported):
        dialog.import_button.click()
    assert "新建 2 份" in dialog.message.text()
    assert len(ChildService(vault, author="").list_all()[0]) == 2

    again = RegisterImportDialog(_importer(vault), InlineRunner(), settings=store)
    qtbot.addWidget(again)
    again.open_file(path)
    assert "上次导入过" in again.message.text()
    assert again.plan is not None and again.plan.count(Action.UNCHANGED) == 1


def test_a_file_that_is_not_a_spreadsheet_says_so(
    qtbot: QtBot, vault: Vault, tmp_path: Path
) -> None:
    junk = tmp_path / "a.xlsx"
    junk.write_bytes(b"%PDF-1.4 not a sheet")
    dialog = RegisterImportDialog(_importer(vault), InlineRunner(), settings=settings(tmp_path))
    qtbot.addWidget(dialog)
    dialog.open_file(junk)
    assert "不是表格文件" in dialog.message.text()
    assert not dialog.import_button.isEnabled()


def test_export_the_shown_rows_with_a_password(qtbot: QtBot, vault: Vault, tmp_path: Path) -> None:
    path = write_national(tmp_path / "r.xlsx", [national_row(1, "陈雨桐", "女", B1, "")])
    dialog = RegisterImportDialog(_importer(vault), InlineRunner(), settings=settings(tmp_path))
    qtbot.addWidget(dialog)
    dialog.open_file(path)
    dialog.import_button.click()
    ids = [s.record_id for s in ChildService(vault, author="").list_all()[0]]
    export = RegisterExportDialog(
        ChildService(vault, author=""), InlineRunner(), ids, settings=UiSettings(settings(tmp_path))
    )
    qtbot.addWidget(export)
    assert export.encrypt.isChecked()  # the default
    out = tmp_path / "导出.xlsx"
    export.save_to(out, "密码123")
    assert "已导出 1 名儿童" in export.message.text()
    assert msoffcrypto.OfficeFile(out.open("rb")).is_encrypted()


def test_on_the_real_vault_worker_a_cancel_writes_nothing_and_a_commit_shows_progress(
    qtbot: QtBot, vault: Vault, tmp_path: Path
) -> None:
    """The threaded runner in strict mode (vault only on its worker): reading, planning and the
    commit run there; 取消 while the commit waits stops it and nothing is written."""
    import threading

    from storage.thread_check import set_vault_thread_check
    from ui.tasks import VaultRunner, enforce_vault_thread

    rows = [national_row(n, f"儿童{n:03d}", "女", B1, child_id(B1, 2 * n)) for n in range(1, 151)]
    path = write_national(tmp_path / "r.xlsx", rows)
    runner = VaultRunner(default_on_error=lambda err: None)
    enforce_vault_thread(runner)
    try:
        dialog = RegisterImportDialog(
            RegisterImport(vault, author="王秀英", today=lambda: TODAY),
            runner,
            settings=settings(tmp_path),
        )
        qtbot.addWidget(dialog)
        dialog.open_file(path)
        qtbot.waitUntil(lambda: dialog.plan is not None and dialog.import_button.isEnabled())
        assert dialog.plan is not None and dialog.plan.count(Action.CREATE) == 150

        gate = threading.Event()
        runner.submit(gate.wait)  # the worker is busy: the commit waits in the queue
        dialog.import_button.click()
        assert not dialog.progress.isHidden() and dialog.cancel_button.text() == "取消"
        dialog.cancel_button.click()
        gate.set()
        qtbot.waitUntil(lambda: "已取消" in dialog.message.text(), timeout=10_000)
        counted: list[int] = []
        runner.submit(lambda: len(ChildService(vault, author="").list_all()[0]), counted.append)
        qtbot.waitUntil(lambda: bool(counted), timeout=10_000)
        assert counted == [0]

        with qtbot.waitSignal(dialog.imported, timeout=20_000):
            dialog.import_button.click()
        assert "新建 150 份" in dialog.message.text()
    finally:
        runner.shutdown()
        set_vault_thread_check(None)
