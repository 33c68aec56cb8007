"""The journeys a village child director makes, in the real program on a real X display at a
laptop's size (1366×768 with a taskbar), with the real worker threads, faulthandler and strict
vault threading on; every click and key is a real X event. A crash fails the test with its
trace (the program's stderr); so does a window that does not fit the screen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from storage.vault import Vault
from tests.conftest import PASSWORD, VaultCopies
from tests.e2e.conftest import locked_copy
from tests.e2e.harness import Desk, Display, write_settings
from ui.draft_keeper import DRAFT_TYPE

LARGEST = 1.5  # 特大 (ui/theme.py)
PRINT_AND_SHEETS = ("app.printing", "reportlab", "xlsxwriter", "openpyxl")


def fill_twelve(vault: Vault) -> None:
    """12 demo children, their assessments, visits and cases."""
    from app.demo_caseload import fill_vault

    fill_vault(
        vault, children=12, seed=5, village_code="500119104201", today=date.today(), author="王秀英"
    )


@pytest.fixture
def vault_dir(workdir: Path, vault_copies: VaultCopies) -> Path:
    """A director's vault with 12 demo children (floor KDF parameters, to stay quick)."""
    return locked_copy(vault_copies, workdir / "vault", "e2e-12-seed-5", fill_twelve)


@pytest.fixture
def desk(display: Display, workdir: Path, vault_dir: Path) -> Iterator[Desk]:
    running = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    yield running
    running.stop()
    assert not running.stderr_problems(), running.stderr_problems()


def unlock(desk: Desk, password: str = PASSWORD) -> None:
    desk.window("解锁", timeout=30) if _has_title(desk, "解锁") else desk.one(name="password")
    desk.fill(password, name="password")
    desk.key("Return")
    desk.window("儿童主任工作台", timeout=30)
    desk.wait(lambda: desk.one(name="children_table").get("items"), "the children list")


def _has_title(desk: Desk, text: str) -> bool:
    return any(text in t for t in desk.titles())


def child_windows(desk: Desk) -> list[str]:
    return [t for t in desk.titles() if t.startswith("儿童档案") or t == "新建儿童档案"]


def open_first_child(desk: Desk) -> None:
    desk.click_item(name="children_table", row=0, double=True)
    desk.window("儿童档案")
    time.sleep(1.0)  # a second window would show by now
    assert len(child_windows(desk)) == 1, desk.titles()


def assert_fits(desk: Desk) -> None:
    problems = desk.fits_screen()
    assert not problems, problems


# ----- the journeys ----------------------------------------------------------------------------


def test_unlock_wrong_then_right_password_then_quit(desk: Desk) -> None:
    desk.one(name="password", timeout=30)
    desk.screenshot("unlock")
    desk.fill("not-the-password-1", name="password")
    desk.key("Return")
    message = desk.one(contains="密码不正确", timeout=20)
    assert message["rect"][3] >= 10  # shown whole, not clipped to a sliver
    desk.screenshot("wrong-password")
    unlock(desk)
    assert_fits(desk)
    desk.screenshot("main")
    # the PDF renderer and the workbook writer load when first used, not at each start
    assert desk.ask("modules", names=list(PRINT_AND_SHEETS)) == []
    main = desk.window("儿童主任工作台")
    x, y, width, _h = main["frame"]
    desk.key("alt+F4")  # close the main window as a user would
    assert desk.wait_exit() == 0, desk.stderr()
    assert "Fatal Python error" not in desk.stderr()
    assert width > 0 and x >= 0 and y >= 0


def test_opening_a_child_from_the_list_opens_exactly_one_window(desk: Desk) -> None:
    unlock(desk)
    open_first_child(desk)  # a double-click: doubleClicked and activated both fire on X11
    desk.activate("儿童主任工作台")  # the list in front again (its window covered the row)
    desk.click_item(name="children_table", row=0, double=True)  # again: brought to the front
    desk.wait(lambda: desk.windows()[0]["title"] == "儿童档案", "the file in front again")
    time.sleep(1.0)
    assert len(child_windows(desk)) == 1, desk.titles()
    desk.window("儿童主任工作台")
    desk.activate("儿童主任工作台")
    desk.click_item(name="children_table", row=0)
    desk.key("Return")  # Enter opens too: still one
    time.sleep(1.0)
    assert len(child_windows(desk)) == 1, desk.titles()
    assert_fits(desk)


def test_assessment_changed_saved_and_closed_then_resumed(desk: Desk) -> None:
    """The crash of 保存并关闭: change an answer, wait for the autosave, close; the program
    carries on and the draft opens again where it was."""
    unlock(desk)
    open_first_child(desk)
    desk.choose_tab("child_tabs", "评估")
    desk.click(name="new_assessment")
    desk.window("监护能力评估", timeout=20)
    desk.click(name="choice_home_visit")
    time.sleep(3)  # the draft autosaves meanwhile
    desk.click(name="choice_interview")
    assert desk.one(name="choice_home_visit").get("checked") is True
    assert_fits(desk)
    desk.screenshot("assessment")
    desk.click(name="close", window="监护能力评估")
    desk.no_window("监护能力评估")
    for _ in range(3):  # the worker finishes the save; collections run; nothing crashes
        time.sleep(1)
        desk.alive()
    items = desk.one(name="assessments_list", timeout=10).get("items") or []
    assert any("草稿" in item for item in items), items
    desk.click_item(name="assessments_list", item="草稿", double=True)
    desk.window("监护能力评估", timeout=20)
    time.sleep(2)
    desk.screenshot("resumed")
    checked = desk.one(name="choice_home_visit", window="监护能力评估")
    assert checked.get("checked") is True  # resumed with the answers given
    desk.key("Escape")
    desk.no_window("监护能力评估")
    time.sleep(2)
    desk.alive()


def test_lock_with_a_file_open_keeps_unsaved_input_and_unlocks(desk: Desk, vault_dir: Path) -> None:
    unlock(desk)
    open_first_child(desk)
    desk.fill("已改的学校", name="school")
    desk.key("ctrl+l")  # from the child's window: the whole program locks
    desk.one(name="password", timeout=20)
    time.sleep(1)
    assert desk.titles() and all("儿童档案" not in t for t in desk.titles()), desk.titles()
    desk.screenshot("locked")
    unlock(desk)
    restored = desk.one(name="school", timeout=20)
    assert restored["text"] == "已改的学校"
    desk.screenshot("restored")
    # and the 锁定 button of the main window, with nothing unsaved
    desk.click(name="save_child")
    desk.wait(lambda: desk.one(name="status").get("text"), "saved")
    desk.click(name="lock")
    desk.one(name="password", timeout=20)
    unlock(desk)
    assert not child_windows(desk)


def test_esc_with_unsaved_changes_asks_first(desk: Desk) -> None:
    unlock(desk)
    open_first_child(desk)
    desk.fill("新的地址", name="address")
    desk.key("Escape")
    box = desk.window("未保存", timeout=10)
    assert box
    desk.screenshot("asked")
    desk.key("Escape")  # 取消: back to the file, the input still there
    desk.no_window("未保存")
    assert desk.one(name="address")["text"] == "新的地址"
    assert len(child_windows(desk)) == 1


def test_killed_mid_edit_the_new_file_is_offered_back(
    display: Display, workdir: Path, vault_dir: Path
) -> None:
    desk = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    try:
        unlock(desk)
        desk.click(name="new_child")
        desk.window("新建儿童档案")
        # the cursor starts in 姓名, once the window manager has made the new window active
        # (on a loaded machine the button that opened it keeps the focus a moment longer)
        desk.wait(lambda: (desk.focus() or {}).get("name") == "name", "the cursor in 姓名")
        desk.type("李小红")
        if desk.one(name="name").get("text") != "李小红":  # X dropped a keystroke under load
            desk.fill("李小红", name="name")
        desk.fill("110105201905030027", name="id_number")
        time.sleep(3)  # the draft is written a moment after typing
        desk.kill9()  # a crash or a power cut
        desk.start()
        unlock(desk)
        desk.window("新建儿童档案", timeout=20)
        assert desk.one(name="name")["text"] == "李小红"
        desk.screenshot("offered-back")
    finally:
        desk.stop()
    vault = Vault.unlock(vault_dir, PASSWORD)
    try:
        assert len(vault.load(DRAFT_TYPE).revisions) == 1  # kept until saved or thrown away
    finally:
        vault.lock()


def test_print_preview_and_save_as_pdf(desk: Desk, workdir: Path) -> None:
    unlock(desk)
    open_first_child(desk)
    desk.click(name="print_child")
    desk.one(name="save_pdf", timeout=30)
    assert_fits(desk)
    desk.screenshot("preview")
    desk.click(name="save_pdf")
    desk.window("保存为PDF")
    desk.one(name="fileNameEdit", timeout=15)  # Qt's own file dialog's name field
    desk.screenshot("save-dialog")
    target = workdir / "home" / "档案表.pdf"
    # typed and checked (X can drop a remapped Chinese keystroke: it saved "案表.pdf" once)
    desk.fill(str(target), name="fileNameEdit")
    desk.key("Return")
    desk.wait(target.exists, "the PDF written", timeout=20)
    assert target.read_bytes().startswith(b"%PDF")
    assert desk.ask("modules", names=list(PRINT_AND_SHEETS)) == ["app.printing", "reportlab"]


def test_every_window_fits_at_the_largest_text(
    display: Display, workdir: Path, vault_dir: Path
) -> None:
    write_settings(workdir, text_scale=LARGEST)
    desk = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    try:
        desk.one(name="password", timeout=30)
        assert_fits(desk)
        unlock(desk)
        assert_fits(desk)
        desk.screenshot("main-largest")
        open_first_child(desk)
        assert_fits(desk)
        desk.screenshot("child-largest")
        desk.choose_tab("child_tabs", "评估")
        desk.click(name="new_assessment")
        desk.window("监护能力评估", timeout=20)
        assert_fits(desk)
        desk.screenshot("assessment-largest")
        desk.click(name="close", window="监护能力评估")
        desk.no_window("监护能力评估")
        desk.click(name="print_child")
        desk.one(name="save_pdf", timeout=30)
        assert_fits(desk)
        desk.screenshot("preview-largest")
    finally:
        desk.stop()
