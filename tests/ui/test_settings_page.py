"""设置: auto-lock time, text size (saved, signalled, and really scaling the app's font),
change password, and the recovery code shown only after the right password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from storage.errors import WrongPasswordError
from storage.vault import CreatedVault
from ui.desk_services import DeskServices
from ui.theme import BASE_POINT_SIZE, TEXT_SCALES, apply_text_scale
from ui.ui_settings import UiSettings
from ui.views.settings_page import SettingsPage

PASSWORD = "river-bridge-lantern-42"  # tests/conftest.py
NEW_PASSWORD = "laohuaishu-menqian-2008"


@pytest.fixture
def settings(tmp_path: Path) -> UiSettings:
    return UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def page(qtbot: QtBot, desk: DeskServices, settings: UiSettings) -> SettingsPage:
    widget = SettingsPage(desk, settings)
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture
def started_app(qapp: QApplication) -> Iterator[QApplication]:
    """The application as create_application leaves it: text scale applied before any window
    exists (so the style sheet is in place); the font is put back afterwards."""
    font, sheet = qapp.font(), qapp.styleSheet()
    apply_text_scale(qapp, 1.0)
    qapp.processEvents()
    yield qapp
    qapp.setFont(font)
    qapp.setStyleSheet(sheet)
    qapp.processEvents()


def test_auto_lock_defaults_to_ten_minutes_and_is_saved(
    qtbot: QtBot, page: SettingsPage, settings: UiSettings
) -> None:
    assert page.auto_lock.value() == 10
    with qtbot.waitSignal(page.auto_lock_changed) as changed:
        page.auto_lock.setValue(5)
    assert changed.args == [5]
    assert settings.auto_lock_minutes == 5


def test_text_scale_is_signalled_saved_and_scales_the_app(
    qtbot: QtBot, started_app: QApplication, desk: DeskServices, settings: UiSettings
) -> None:
    page = SettingsPage(desk, settings)
    qtbot.addWidget(page)
    page.show()
    assert page.scale_buttons[1.0].isChecked()
    largest = TEXT_SCALES["特大"]
    with qtbot.waitSignal(page.text_scale_changed) as changed:
        page.scale_buttons[largest].click()
    assert changed.args == [largest]
    assert settings.text_scale == largest

    # Applied the way the app does it, the whole UI's text grows.
    before = page.old_password.fontMetrics().height()
    apply_text_scale(started_app, changed.args[0])
    assert started_app.font().pointSizeF() == pytest.approx(BASE_POINT_SIZE * largest)
    qtbot.waitUntil(
        lambda: page.old_password.font().pointSizeF() == pytest.approx(BASE_POINT_SIZE * largest)
    )
    assert page.old_password.fontMetrics().height() > before

    # The saved choice is what a new settings page shows.
    again = SettingsPage(desk, settings)
    qtbot.addWidget(again)
    assert again.scale_buttons[largest].isChecked()
    assert not again.scale_buttons[1.0].isChecked()


def test_change_password(qtbot: QtBot, page: SettingsPage, created: CreatedVault) -> None:
    page.old_password.setText(PASSWORD)
    page.new_password.setText(NEW_PASSWORD)
    assert page.strength.text()  # the strength hint follows the typing
    page.repeat_password.setText(NEW_PASSWORD)
    with qtbot.waitSignal(page.password_changed):
        page.change_button.click()
    assert "密码已修改" in page.change_message.text()
    assert page.old_password.text() == page.new_password.text() == ""
    vault = created.vault
    assert vault.recovery_code(NEW_PASSWORD) == created.recovery_code
    with pytest.raises(WrongPasswordError):
        vault.recovery_code(PASSWORD)


def test_wrong_old_password_is_explained_in_chinese(
    page: SettingsPage, created: CreatedVault
) -> None:
    page.old_password.setText("not-the-password-1")
    page.new_password.setText(NEW_PASSWORD)
    page.repeat_password.setText(NEW_PASSWORD)
    page.change_button.click()
    assert page.change_message.isVisible()
    assert page.change_message.text() == WrongPasswordError.message_zh
    assert "密码不正确" in page.change_message.text()
    assert created.vault.recovery_code(PASSWORD) == created.recovery_code  # unchanged


def test_weak_or_mismatched_new_password_is_refused_before_the_vault(
    page: SettingsPage, created: CreatedVault
) -> None:
    page.old_password.setText(PASSWORD)
    page.new_password.setText("1234567")
    page.repeat_password.setText("1234567")
    page.change_button.click()
    assert page.new_problems.isVisible()
    assert "密码太短" in page.new_problems.text()
    assert "连续的字符" in page.new_problems.text()

    page.new_password.setText(NEW_PASSWORD)
    page.repeat_password.setText(NEW_PASSWORD + "x")
    page.change_button.click()
    assert "两次输入的新密码不一样" in page.new_problems.text()  # under the fields, as any problem
    assert page.repeat_password.text() == ""
    assert created.vault.recovery_code(PASSWORD) == created.recovery_code


def test_recovery_code_only_after_the_right_password(
    page: SettingsPage, created: CreatedVault
) -> None:
    assert not page.recovery_code.isVisible()
    page.show_code_button.click()
    assert "请先输入现在的密码" in page.recovery_message.text()

    page.recovery_password.setText("wrong-password-9")
    page.show_code_button.click()
    assert not page.recovery_code.isVisible()
    assert page.recovery_code.text() == ""
    assert page.recovery_message.text() == WrongPasswordError.message_zh

    page.recovery_password.setText(PASSWORD)
    page.show_code_button.click()
    assert page.recovery_code.isVisible()
    assert page.recovery_code.text() == created.recovery_code
    assert page.recovery_password.text() == ""  # not left in the field

    page.hide_code_button.click()
    assert not page.recovery_code.isVisible() and page.recovery_code.text() == ""

    page.recovery_password.setText(PASSWORD)
    page.show_code_button.click()
    page.hide()  # leaving the page hides the code
    assert page.recovery_code.text() == ""


# ----- the director's name ----------------------------------------------------------------------


def test_director_name_is_changed_in_the_vault_and_signalled(
    qtbot: QtBot, page: SettingsPage, desk: DeskServices
) -> None:
    assert page.director_name.text() == desk.author
    assert not page.save_name_button.isEnabled()  # nothing to save yet
    page.director_name.setText("　李春花 ")
    assert page.save_name_button.isEnabled()
    with qtbot.waitSignal(page.director_renamed) as renamed:
        qtbot.mouseClick(page.save_name_button, Qt.MouseButton.LeftButton)
    assert renamed.args == ["李春花"]
    assert desk.vault.profile()["name"] == "李春花"
    assert page.director_name.text() == "李春花"
    assert "已保存" in page.name_message.text()
    assert not page.save_name_button.isEnabled()
    # the password rules now know the new name
    page.new_password.setText("lichunhua2024")
    page.old_password.setText(PASSWORD)
    page.repeat_password.setText("lichunhua2024")
    page.change_password()
    assert "名字" in page.new_problems.text()


def test_an_empty_director_name_is_refused_beside_the_field(
    qtbot: QtBot, page: SettingsPage, desk: DeskServices
) -> None:
    before = desk.vault.profile()["name"]
    page.director_name.setText("   ")
    with qtbot.assertNotEmitted(page.director_renamed):
        page.save_director_name()
    assert "请填写" in page.name_message.text() and page.name_message.isVisible()
    assert desk.vault.profile()["name"] == before
    qtbot.keyClick(page.director_name, Qt.Key.Key_A)
    assert page.name_message.text() == ""  # the message goes once the field is edited


def test_password_messages_clear_when_the_fields_are_edited(
    qtbot: QtBot, page: SettingsPage
) -> None:
    page.change_password()  # no current password
    assert "现在的密码" in page.change_message.text()
    qtbot.keyClick(page.old_password, Qt.Key.Key_A)
    assert page.change_message.text() == "" and page.change_message.isHidden()
    page.show_recovery_code()
    assert page.recovery_message.text()
    qtbot.keyClick(page.recovery_password, Qt.Key.Key_A)
    assert page.recovery_message.text() == ""
