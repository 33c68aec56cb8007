"""The unlock window says, in Chinese, that ``vault.db`` was emptied or is an older copy, and
opens nothing (issue 14: such a vault used to open empty). Real widgets offscreen, real files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from storage.unlock_throttle import UnlockThrottle
from storage.vault import Vault
from tests.conftest import DIRECTOR, PASSWORD
from ui.tasks import InlineRunner
from ui.views.unlock_dialog import UnlockDialog


def _try_unlock(qtbot: Any, vault_dir: Path) -> UnlockDialog:
    dialog = UnlockDialog(vault_dir, InlineRunner(), UnlockThrottle())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.password.setText(PASSWORD)
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.text() != "", timeout=20_000)
    return dialog


def test_emptied_database_is_named_in_chinese(qtbot: Any, vault_dir: Path, created: Any) -> None:
    created.vault.put("child", {"name": "甲"}, author=DIRECTOR)
    created.vault.lock()
    (vault_dir / "vault.db").write_bytes(b"")
    dialog = _try_unlock(qtbot, vault_dir)
    assert "数据文件（vault.db）是空的" in dialog.message.text()
    assert "备份" in dialog.message.text()
    assert dialog.vault is None
    assert (vault_dir / "vault.db").stat().st_size == 0


def test_older_database_is_named_in_chinese(qtbot: Any, vault_dir: Path, created: Any) -> None:
    created.vault.lock()
    old = (vault_dir / "vault.db").read_bytes()
    with Vault.unlock(vault_dir, PASSWORD) as vault:
        vault.put("child", {"name": "乙"}, author=DIRECTOR)
    (vault_dir / "vault.db").write_bytes(old)
    dialog = _try_unlock(qtbot, vault_dir)
    assert "旧的副本" in dialog.message.text() and "1 条修改" in dialog.message.text()
    assert dialog.vault is None
