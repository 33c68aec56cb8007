"""More of a village child director's journeys, in the real program on a real X display at a
laptop's size (1366×768 with a taskbar), its real worker threads, faulthandler and strict vault
threading on; every click and key is a real X event (see tests/e2e/harness.py).

First run with going back, a new child with a bad then a good ID number and a guardian, a
visit, an assessment finished, auto-lock with a file open, opening from 待办 and 个案 (one
window per record), and a normal quit after a restored draft and a case dialog."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.domain.child_file import ChildFile, Gender
from app.domain.id_number import check_character
from app.questionnaire.engine import evaluate
from app.questionnaire.sample_answers import sample_answers
from app.services.assessments import AssessmentService
from app.services.children import ChildService
from app.services.definitions import DefinitionService
from storage.vault import Vault
from tests.conftest import PASSWORD, create_vault
from tests.e2e.harness import Desk, Display, write_settings
from tests.e2e.test_journeys import assert_fits, child_windows, open_first_child, unlock

VILLAGE = "500119104201"
DIRECTOR = "王秀英"
# QWizard's buttons, by the object names Qt gives them
NEXT, BACK, FINISH = (
    "__qt__passive_wizardbutton1",
    "__qt__passive_wizardbutton0",
    "qt_wizard_finish",
)
CRASH_MARKS = ("malloc", "Fatal Python error", "Segmentation", "double free", "Aborted")

# A child whose assessment draft the test prepares (journey 4).
PREPARED_CHILD = "赵小满"


@pytest.fixture
def vault_dir(workdir: Path) -> Path:
    """A director's vault with 12 demo children (floor KDF parameters, to stay quick)."""
    from app.demo_caseload import fill_vault

    folder = workdir / "vault"
    vault = create_vault(folder).vault
    fill_vault(
        vault, children=12, seed=5, village_code=VILLAGE, today=date.today(), author=DIRECTOR
    )
    vault.lock()
    return folder


@pytest.fixture
def desk(display: Display, workdir: Path, vault_dir: Path) -> Iterator[Desk]:
    running = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    yield running
    running.stop()


def no_crash_in(stderr: str) -> None:
    marks = [mark for mark in CRASH_MARKS if mark in stderr]
    assert not marks, stderr


def raise_main_window(desk: Desk) -> None:
    """Click an empty spot of the navigation column: the main window comes to the front."""
    nav = desk.one(name="navigation")
    x, y, _width, height = nav["rect"]
    desk.click_at(x + 20, y + height - 30)
    desk.wait(
        lambda: any(w["active"] and "儿童主任工作台" in w["title"] for w in desk.windows()),
        "the main window in front",
    )


def go_to(desk: Desk, page: str) -> None:
    raise_main_window(desk)
    desk.click_item(name="navigation", item=page)
    time.sleep(0.5)


def titled(desk: Desk, text: str) -> list[str]:
    return [t for t in desk.titles() if text in t]


def answer_unsaved(desk: Desk, choice: str) -> None:
    """The 有未保存的修改 question: 保存 / 不保存 / 取消 (Qt's standard buttons, translated)."""
    desk.window("有未保存的修改", timeout=10)
    words = {"discard": ("不保存", "放弃", "Discard"), "cancel": ("取消", "Cancel")}[choice]
    buttons = desk.find(cls="QPushButton", window="有未保存的修改")
    target = next((b for b in buttons if b["text"] in words), None)
    assert target is not None, [b["text"] for b in buttons]
    desk.click_at(*target["center"])


# ----- 1. first run, going back -------------------------------------------------------------


FIRST_PASSWORD = "river-bridge-lantern-42"
SECOND_PASSWORD = "mountain-cloud-orchard-77"


def test_first_run_going_back_changes_the_password(display: Display, workdir: Path) -> None:
    folder = workdir / "new-vault"
    desk = Desk(display, workdir, ["--data-dir", str(folder)]).start()
    try:
        desk.window("首次使用", timeout=30)
        desk.fill(DIRECTOR, name="director_name")
        desk.fill(VILLAGE, name="village_code")
        assert_fits(desk)
        desk.screenshot("1-profile")
        desk.click(name=NEXT)
        desk.one(name="repeat_password")
        desk.fill(FIRST_PASSWORD, name="password")
        desk.fill(FIRST_PASSWORD, name="repeat_password")
        desk.click(name=NEXT)  # the vault is created here
        code = desk.one(name="recovery_code", timeout=60)["text"]
        assert code.strip()
        assert_fits(desk)
        desk.screenshot("2-recovery-code")
        desk.click(name=BACK)  # 上一步: another password after all
        desk.one(name="repeat_password")
        desk.fill(SECOND_PASSWORD, name="password")
        desk.fill(SECOND_PASSWORD, name="repeat_password")
        desk.click(name=NEXT)
        note = desk.one(name="password_changed_note", timeout=60)
        assert "新密码" in note["text"]
        assert desk.one(name="recovery_code")["text"] == code  # the code written down stays
        desk.screenshot("3-password-changed")
        desk.click(name="written_down")
        desk.click(name=NEXT)
        finish = desk.one(name=FINISH, timeout=20)  # the district page: skip it
        assert_fits(desk)
        desk.screenshot("4-district")
        desk.click_at(*finish["center"])
        desk.window("儿童主任工作台", timeout=30)
        desk.one(name="children_table", timeout=30)
        assert_fits(desk)
        desk.screenshot("5-main")
        raise_main_window(desk)
        desk.key("alt+F4")
        assert desk.wait_exit() == 0, desk.stderr()
        no_crash_in(desk.stderr())

        desk.start()  # the next morning
        desk.one(name="password", timeout=30)
        desk.fill(FIRST_PASSWORD, name="password")
        desk.key("Return")
        desk.one(contains="密码不正确", timeout=30)
        desk.screenshot("6-first-password-refused")
        desk.fill(SECOND_PASSWORD, name="password")
        desk.key("Return")
        desk.window("儿童主任工作台", timeout=30)
        desk.one(name="children_table", timeout=30)
        assert_fits(desk)
        desk.screenshot("7-second-password-opens")
    finally:
        desk.stop()


# ----- 2. a new child: a bad then a good ID number, a guardian --------------------------------


def valid_id(first17: str) -> str:
    return first17 + check_character(first17)


def wrong_check(first17: str) -> str:
    right = check_character(first17)
    return first17 + ("1" if right != "1" else "2")


def test_new_child_with_a_bad_then_a_good_id_number_and_a_guardian(desk: Desk) -> None:
    first17 = "11010520190503002"  # born 2019-05-03; sequence 002 is even: a girl
    unlock(desk)
    desk.click(name="new_child")
    desk.window("新建儿童档案")
    desk.type("钱小禾")
    desk.fill(wrong_check(first17), name="id_number")
    error = desk.one(name="error_id_number", timeout=10)
    assert "校验" in error["text"] or "身份证" in error["text"], error
    assert error["rect"][3] >= 10  # shown whole, not clipped
    assert_fits(desk)
    desk.screenshot("1-bad-id")
    desk.fill(valid_id(first17), name="id_number")
    desk.gone(name="error_id_number", timeout=10)
    birth = [w for w in desk.find(name="birth_date") if w["cls"] == "QLineEdit"]
    assert birth and birth[0]["text"] == "2019-05-03", birth
    assert desk.one(name="gender")["text"] == "女"
    desk.screenshot("2-good-id")

    desk.click_item(name="child_tabs", item="监护人")
    desk.click(name="add_guardian")
    desk.window("监护人", timeout=10)
    desk.one(name="guardian_name")
    desk.screenshot("3-guardian-dialog")
    assert_fits(desk)
    desk.fill("钱大山", name="guardian_name")
    desk.fill("13800138000", name="guardian_phone")
    desk.key("Return")  # 确定 is the default button
    desk.wait(
        lambda: any("钱大山" in row for row in desk.one(name="guardians_table").get("items", [])),
        "the guardian in the table",
    )
    desk.screenshot("4-guardian-added")
    desk.click(name="save_child")
    desk.wait(lambda: desk.one(name="status")["text"] == "已保存", "saved", timeout=20)
    assert titled(desk, "儿童档案") and not titled(desk, "新建儿童档案"), desk.titles()
    desk.screenshot("5-saved")
    raise_main_window(desk)
    desk.wait(
        lambda: any("钱小禾" in row for row in desk.one(name="children_table").get("items", [])),
        "the new child in the list",
    )
    assert_fits(desk)
    desk.screenshot("6-in-the-list")
