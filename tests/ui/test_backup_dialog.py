"""备份到U盘 (设置) and 从备份恢复 (unlock window / first run), driven like a director would,
with real vaults and files."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtWidgets import QDialog

from storage.vault import Vault
from tests.conftest import PASSWORD, VaultCopies
from ui.desk_services import DeskServices
from ui.tasks import InlineRunner
from ui.views.backup_dialog import BackupPanel, RestoreDialog


def _backup(qtbot, desk: DeskServices, stick: Path) -> Path:  # type: ignore[no-untyped-def]
    panel = BackupPanel(desk)
    qtbot.addWidget(panel)
    panel.drives.set_folder(stick)
    panel.backup_button.click()
    assert panel.last_backup is not None
    assert panel.message.text().startswith("已备份并核对无误：")
    assert str(panel.last_backup.path) in panel.message.text()
    return panel.last_backup.path


def test_back_up_from_settings_then_restore_on_a_new_laptop(
    qtbot, desk: DeskServices, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    child = desk.vault.put("child", {"name": "李小花"}, author="王").record_id
    stick = tmp_path / "stick"
    stick.mkdir()
    backup = _backup(qtbot, desk, stick)

    new_laptop = tmp_path / "new-laptop"
    dialog = RestoreDialog(new_laptop, InlineRunner())
    qtbot.addWidget(dialog)
    dialog.set_file(backup)
    assert "文件完好" in dialog.details.text()
    dialog.password.setText("not-the-password-9")
    dialog.restore_button.click()
    assert "做这个备份时用的密码" in dialog.message.text()
    assert not new_laptop.exists()
    dialog.password.setText(PASSWORD)
    dialog.restore_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.vault is not None
    with dialog.vault as restored:
        assert restored.get(child).data["name"] == "李小花"


def test_a_damaged_backup_is_named_and_nothing_changes(
    qtbot, desk: DeskServices, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    stick = tmp_path / "stick"
    stick.mkdir()
    backup = _backup(qtbot, desk, stick)
    pulled = stick / "pulled.cdbackup"
    pulled.write_bytes(backup.read_bytes()[:2000])
    dialog = RestoreDialog(tmp_path / "laptop", InlineRunner())
    qtbot.addWidget(dialog)
    dialog.set_file(pulled)
    assert "不完整或已损坏" in dialog.message.text()
    dialog.password.setText(PASSWORD)
    dialog.restore_button.click()
    assert "不完整或已损坏" in dialog.message.text()
    assert dialog.vault is None and not (tmp_path / "laptop").exists()


def test_replacing_the_vault_on_the_laptop_needs_a_yes_and_keeps_it_aside(
    qtbot, desk: DeskServices, tmp_path: Path, vault_copies: VaultCopies
) -> None:  # type: ignore[no-untyped-def]
    stick = tmp_path / "stick"
    stick.mkdir()
    backup = _backup(qtbot, desk, stick)
    laptop = tmp_path / "laptop"
    other = vault_copies.open(laptop, "another-long-password-7").vault
    kept = other.put("child", {"name": "别人"}, author="赵").record_id
    other.lock()
    asked: list[str] = []
    dialog = RestoreDialog(laptop, InlineRunner())
    qtbot.addWidget(dialog)
    dialog.confirm_replace = lambda err: asked.append(err.message_zh) or False  # type: ignore[method-assign]
    dialog.set_file(backup)
    dialog.password.setText(PASSWORD)
    dialog.restore_button.click()
    assert len(asked) == 1 and "不是同一份" in asked[0]
    assert dialog.vault is None
    with Vault.unlock(laptop, "another-long-password-7") as still_there:
        assert still_there.get(kept).data["name"] == "别人"
    dialog.confirm_replace = lambda err: True  # type: ignore[method-assign]
    told: list[Path] = []
    dialog.tell_set_aside = told.append  # type: ignore[method-assign]
    dialog.restore_button.click()
    assert dialog.vault is not None and dialog.restored is not None
    dialog.vault.lock()
    aside = dialog.restored.set_aside
    assert aside is not None and told == [aside]
    with Vault.unlock(aside, "another-long-password-7") as set_aside:
        assert set_aside.get(kept).data["name"] == "别人"


def test_a_panel_closed_right_after_a_message_is_not_touched_again(
    qtbot, desk: DeskServices
) -> None:  # type: ignore[no-untyped-def]
    """The scroll to the message is queued; it must be dropped with the panel, not run on a
    deleted object (an error in the event loop, or worse)."""
    panel = BackupPanel(desk)
    panel.back_up()  # no stick: a message, and a queued scroll to it
    assert panel.message.isVisibleTo(panel)
    shiboken6.delete(panel)  # e.g. the window closed by the lock at that moment
    qtbot.wait(50)  # the queued call comes due; pytest-qt fails on an exception in the loop
