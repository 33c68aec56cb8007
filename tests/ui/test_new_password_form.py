"""The one new-password form (ui/views/new_password_form.py) in the screens that use it:
the rows a screen adds above it come first when tabbing, and each screen refuses a weak or
differing password under the fields before any key is derived."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from ui.desk_services import DeskServices
from ui.tasks import InlineRunner
from ui.ui_settings import UiSettings
from ui.views.new_password_form import NewPasswordForm
from ui.views.settings_page import SettingsPage
from ui.views.unlock_dialog import RecoveryDialog

GOOD = "laohuaishu-menqian-2008"


def _tab_chain(start: QWidget, count: int) -> list[QWidget]:
    chain, widget = [], start
    for _ in range(count):
        following = widget.nextInFocusChain()
        while not following.focusPolicy() & following.focusPolicy().TabFocus:
            following = following.nextInFocusChain()
        chain.append(following)
        widget = following
    return chain


def test_settings_tab_from_the_current_password_to_the_new_ones(
    qtbot: QtBot, desk: DeskServices, tmp_path: Path
) -> None:
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    page = SettingsPage(desk, settings)
    qtbot.addWidget(page)
    page.show()
    assert _tab_chain(page.old_password, 2) == [page.new_password, page.repeat_password]


def test_recovery_code_first_then_the_new_password(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = RecoveryDialog(tmp_path / "vault", InlineRunner())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert _tab_chain(dialog.code, 2) == [dialog.new_password, dialog.repeat]
    assert dialog.focusWidget() is dialog.code

    dialog.code.setText("1234-5678")
    dialog.new_password.setText("12345678")
    dialog.repeat.setText("12345678")
    dialog._submit()
    assert "连续的字符" in dialog.message.text()  # refused here, not after a key derivation
    dialog.new_password.setText(GOOD)
    dialog.repeat.setText(GOOD + "x")
    dialog._submit()
    assert "两次输入的新密码不一样" in dialog.message.text()
    assert dialog.repeat.text() == ""


def test_the_name_to_avoid_is_asked_at_each_check(qtbot: QtBot) -> None:
    name = ["王秀英"]
    form = NewPasswordForm(director_name=lambda: name[0])
    qtbot.addWidget(form)
    form.password.setText("lichunhua2024")
    form.repeat.setText("lichunhua2024")
    assert form.accepted_password() == "lichunhua2024"
    name[0] = "李春花"  # renamed while the form is open
    assert form.accepted_password() is None
    assert "名字" in form.problems.text()
    assert form.focusWidget() in (form.password, None)
    form.password.setText(GOOD)
    form.repeat.setText(GOOD)
    assert form.strength.text().startswith(("强", "很强"))
    assert form.accepted_password() == GOOD
    assert form.problems.text() == ""
    form.clear()
    assert form.password.text() == form.repeat.text() == form.strength.text() == ""
