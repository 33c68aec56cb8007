"""从备份恢复 on the first page of the first-run wizard (a laptop replaced or reinstalled): a
real backup written by storage/backup.py is restored, the wizard accepts with the restored,
unlocked vault as its ``vault`` (what the session opens), and no new vault is made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from storage.backup import write_backup
from tests.conftest import PASSWORD, create_vault
from ui.tasks import InlineRunner, VaultRunner
from ui.views.backup_dialog import RestoreDialog
from ui.views.first_run import FirstRunWizard


def make_backup(tmp_path: Path) -> tuple[Path, str]:
    """A vault on the old laptop with one child, backed up to a stick."""
    with create_vault(tmp_path / "old-laptop").vault as old:
        child = old.put("child", {"name": "李小花"}, author="王").record_id
        stick = tmp_path / "stick"
        stick.mkdir()
        info = write_backup(old, stick)
    return info.path, child


def answer_restore(backup: Path, password: str, seen: list[str]) -> None:
    """Fill the restore window the wizard is about to show, like a director would."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RestoreDialog):
            QTimer.singleShot(20, poll)
            return
        seen.append("shown")
        dialog.set_file(backup)
        dialog.password.setText(password)
        dialog.restore_button.click()

    QTimer.singleShot(0, poll)


@pytest.mark.parametrize("threaded", [False, True], ids=["inline", "vault-worker"])
def test_restore_from_a_backup_on_the_first_page(
    qtbot: Any, tmp_path: Path, threaded: bool
) -> None:
    backup, child = make_backup(tmp_path)
    errors: list[BaseException] = []
    runner = VaultRunner(errors.append) if threaded else InlineRunner()
    new_laptop = tmp_path / "new-laptop"
    wizard = FirstRunWizard(new_laptop, runner, kdf_target_ms=0)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.currentPage() is wizard.profile
    assert wizard.profile.restore_button.isVisible()
    assert wizard.profile.restore_button.text() == "从备份恢复…"

    seen: list[str] = []
    answer_restore(backup, PASSWORD, seen)
    qtbot.mouseClick(wizard.profile.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.result() == QDialog.DialogCode.Accepted, timeout=20_000)
    assert seen == ["shown"]
    assert wizard.created is None  # no new vault was made
    vault = wizard.vault
    assert vault is not None
    assert errors == []
    if threaded:
        runner.shutdown()
    assert vault.get(child).data["name"] == "李小花"
    vault.lock()


def test_cancelling_the_restore_stays_on_the_first_page(qtbot: Any, tmp_path: Path) -> None:
    wizard = FirstRunWizard(tmp_path / "new-laptop", InlineRunner(), kdf_target_ms=0)
    qtbot.addWidget(wizard)
    wizard.show()

    def cancel() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RestoreDialog):
            QTimer.singleShot(20, cancel)
            return
        dialog.reject()

    QTimer.singleShot(0, cancel)
    qtbot.mouseClick(wizard.profile.restore_button, Qt.MouseButton.LeftButton)
    assert wizard.isVisible() and wizard.currentPage() is wizard.profile
    assert wizard.vault is None and not (tmp_path / "new-laptop").exists()


def test_no_restore_once_the_vault_is_made(qtbot: Any, tmp_path: Path) -> None:
    wizard = FirstRunWizard(tmp_path / "vault", InlineRunner(), kdf_target_ms=0)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.profile.name.setText("王秀英")
    wizard.profile.village.setText("500119104201")
    wizard.next()
    wizard.password_page.password.setText("门前有棵老槐树2008")
    wizard.password_page.repeat.setText("门前有棵老槐树2008")
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.recovery_page, timeout=20_000)
    wizard.back()
    wizard.back()
    assert wizard.currentPage() is wizard.profile
    assert not wizard.profile.restore_button.isVisible()
    assert wizard.vault is not None
    wizard.vault.lock()
