"""The first-run wizard when the director goes back after the vault was made (issue 13, finding
4), its error messages (full height, cleared when the field changes), and the printed recovery
code sheet (each line of four groups kept whole). Real widgets offscreen and real vaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QLabel, QWizard

from storage.errors import WrongPasswordError
from storage.unlock_throttle import UnlockThrottle
from storage.vault import Vault
from ui.tasks import InlineRunner, VaultRunner
from ui.theme import apply_text_scale
from ui.views.first_run import FirstRunWizard, recovery_sheet_document
from ui.views.unlock_dialog import UnlockDialog

FIRST = "门前有棵老槐树2008"
SECOND = "村口小河弯弯流1999"
VILLAGE = "500119104201"


def shown_code(wizard: FirstRunWizard) -> str:
    return wizard.recovery_page.code.text().replace(" ", "").replace("\n", "")


def to_recovery_page(qtbot: Any, wizard: FirstRunWizard, password: str) -> None:
    wizard.password_page.password.setText(password)
    wizard.password_page.repeat.setText(password)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.recovery_page, timeout=20_000)


def start(qtbot: Any, data_dir: Path, runner: Any) -> FirstRunWizard:
    wizard = FirstRunWizard(data_dir, runner, kdf_target_ms=0)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.profile.name.setText("王秀英")
    wizard.profile.village.setText(VILLAGE)
    wizard.next()
    assert wizard.currentPage() is wizard.password_page
    return wizard


@pytest.mark.parametrize("threaded", [False, True], ids=["inline", "vault-worker"])
def test_going_back_and_choosing_another_password_changes_the_vaults_password(
    qtbot: Any, tmp_path: Path, threaded: bool
) -> None:
    errors: list[BaseException] = []
    runner = VaultRunner(errors.append) if threaded else InlineRunner()
    data_dir = tmp_path / "vault"
    wizard = start(qtbot, data_dir, runner)
    to_recovery_page(qtbot, wizard, FIRST)
    first_code = shown_code(wizard)
    wizard.recovery_page.written.setChecked(True)

    wizard.back()
    assert wizard.currentPage() is wizard.password_page
    to_recovery_page(qtbot, wizard, SECOND)
    assert shown_code(wizard) == first_code  # the code the director may have copied still works
    note = wizard.recovery_page.changed_note
    assert not note.isHidden() and "新密码" in note.text() and "恢复码没有变" in note.text()
    wizard.next()
    assert wizard.currentPage() is wizard.district_page
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    assert wizard.vault is not None and not errors
    runner.shutdown()
    wizard.vault.lock()

    Vault.unlock(data_dir, SECOND).lock()
    with pytest.raises(WrongPasswordError):
        Vault.unlock(data_dir, FIRST)
    recovered = Vault.recover(data_dir, first_code, "河边的柳树又绿了2024")
    recovered.lock()


def test_back_without_changing_the_password_changes_nothing(qtbot: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "vault"
    wizard = start(qtbot, data_dir, InlineRunner())
    to_recovery_page(qtbot, wizard, FIRST)
    assert wizard.vault is not None
    header = wizard.vault.header
    wizard.back()
    wizard.next()
    assert wizard.currentPage() is wizard.recovery_page
    assert wizard.vault.header == header  # no needless key derivation or header write
    wizard.vault.lock()
    Vault.unlock(data_dir, FIRST).lock()


def test_a_weak_or_mismatched_new_password_is_refused_and_the_old_one_stays(
    qtbot: Any, tmp_path: Path
) -> None:
    data_dir = tmp_path / "vault"
    wizard = start(qtbot, data_dir, InlineRunner())
    to_recovery_page(qtbot, wizard, FIRST)
    wizard.back()
    page = wizard.password_page
    page.password.setText("12345678")
    page.repeat.setText("12345678")
    wizard.next()
    assert wizard.currentPage() is page and page.problems.text()
    page.password.setText(SECOND)
    page.repeat.setText(SECOND + "x")
    wizard.next()
    assert wizard.currentPage() is page and "不一样" in page.problems.text()
    assert wizard.vault is not None
    wizard.vault.lock()
    Vault.unlock(data_dir, FIRST).lock()


def test_going_back_to_the_first_page_and_changing_the_name_updates_the_profile(
    qtbot: Any, tmp_path: Path
) -> None:
    data_dir = tmp_path / "vault"
    wizard = start(qtbot, data_dir, InlineRunner())
    to_recovery_page(qtbot, wizard, FIRST)
    wizard.back()
    wizard.back()
    assert wizard.currentPage() is wizard.profile
    wizard.profile.name.setText("李春花")
    wizard.next()
    assert wizard.currentPage() is wizard.password_page
    assert wizard.vault is not None
    assert wizard.vault.profile()["name"] == "李春花"
    wizard.next()
    assert wizard.currentPage() is wizard.recovery_page
    wizard.vault.lock()


# ----- error messages -------------------------------------------------------------------------


def test_password_problems_clear_when_the_password_is_edited(qtbot: Any, tmp_path: Path) -> None:
    wizard = start(qtbot, tmp_path / "vault", InlineRunner())
    page = wizard.password_page
    page.password.setText("aaa")
    page.repeat.setText("aaa")
    wizard.next()
    assert page.problems.text() and page.problems.isVisible()
    qtbot.keyClick(page.password, Qt.Key.Key_B)
    assert page.problems.text() == "" and not page.problems.isVisible()


def test_profile_error_clears_when_the_field_is_edited(qtbot: Any, tmp_path: Path) -> None:
    wizard = FirstRunWizard(tmp_path / "vault", InlineRunner(), kdf_target_ms=0)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.profile.name.setText("王秀英")
    wizard.profile.village.setText("5001")
    wizard.next()
    assert "12 位" in wizard.profile.error.text()
    qtbot.keyClick(wizard.profile.village, Qt.Key.Key_2)
    assert wizard.profile.error.text() == ""


@pytest.fixture
def largest_text(qapp: QApplication) -> Any:
    font = qapp.font()
    apply_text_scale(qapp, 1.5)
    yield
    apply_text_scale(qapp, 1.0)
    qapp.setFont(font)


def fully_shown(label: QLabel) -> bool:
    return label.isVisible() and label.height() >= label.heightForWidth(label.width())


@pytest.mark.parametrize("scale", ["default", "largest"])
def test_unlock_wrong_password_message_gets_its_full_height(
    qtbot: Any, tmp_path: Path, vault_dir: Path, created: Any, request: Any, scale: str
) -> None:
    if scale == "largest":
        request.getfixturevalue("largest_text")
    created.vault.lock()
    dialog = UnlockDialog(vault_dir, InlineRunner(), UnlockThrottle())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.password.setText("not-the-password")
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert "密码" in dialog.message.text()
    assert dialog.message.heightForWidth(dialog.message.width()) > dialog.fontMetrics().height()
    qtbot.waitUntil(lambda: fully_shown(dialog.message))
    qtbot.keyClick(dialog.password, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: dialog.message.text() == "" or "等待" in dialog.message.text())


@pytest.mark.parametrize("scale", ["default", "largest"])
def test_weak_password_message_gets_its_full_height(
    qtbot: Any, tmp_path: Path, request: Any, scale: str
) -> None:
    if scale == "largest":
        request.getfixturevalue("largest_text")
    wizard = start(qtbot, tmp_path / "vault", InlineRunner())
    qtbot.waitExposed(wizard)
    page = wizard.password_page
    page.password.setText("aaa")
    page.repeat.setText("aaa")
    wizard.next()
    assert page.problems.text().count("\n") >= 1  # several problems, several lines
    qtbot.waitUntil(lambda: fully_shown(page.problems))


# ----- the printed recovery code ----------------------------------------------------------------


@pytest.mark.parametrize("scale", ["default", "largest"])
def test_printed_recovery_code_keeps_each_line_of_four_groups_whole(
    qapp: QApplication, request: Any, scale: str
) -> None:
    if scale == "largest":
        request.getfixturevalue("largest_text")
    code = "7225-5040-8087-3388-3270-9652-0054-1881"
    document = recovery_sheet_document("王秀英", code)
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    document.setPageSize(printer.pageLayout().paintRectPoints().size().toSizeF())
    code_lines = []
    block = document.begin()
    while block.isValid():
        text = block.text().replace("\xa0", " ")
        if any(group in text for group in code.split("-")):
            document.documentLayout().blockBoundingRect(block)  # lays the block out
            code_lines.append((" ".join(text.split()), block.layout().lineCount()))
        block = block.next()
    assert code_lines == [("7225 5040 8087 3388", 1), ("3270 9652 0054 1881", 1)]


def test_a_long_message_grows_the_wizard_instead_of_being_cut_off(
    qtbot: Any, tmp_path: Path, largest_text: Any
) -> None:
    """A QWizard keeps its fixed minimum size whatever its page needs: the message makes it
    grow (within the screen) so every line shows."""
    wizard = start(qtbot, tmp_path / "vault", InlineRunner())
    qtbot.waitExposed(wizard)
    before = wizard.height()
    problems = wizard.password_page.problems
    line = "密码太短：至少需要 8 个字符（现在是 5 个）。这是很多人都在用的常见密码，请换一个。"
    problems.setText("\n".join([line] * 6))

    def whole() -> bool:
        shown = problems.visibleRegion().boundingRect().height()
        return fully_shown(problems) and shown == problems.height()

    qtbot.waitUntil(whole)
    assert wizard.height() > before
    rules = wizard.password_page.findChild(QLabel, "password_rules")
    assert rules is not None and fully_shown(rules)  # nothing else squeezed to make room
