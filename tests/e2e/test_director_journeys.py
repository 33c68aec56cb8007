"""More of a village child director's journeys, in the real program on a real X display at a
laptop's size (1366×768 with a taskbar), its real worker threads, faulthandler and strict vault
threading on; every click and key is a real X event (see tests/e2e/harness.py).

First run with going back, a new child with a bad then a good ID number and a guardian, a
visit, an assessment finished, auto-lock with a file open, opening from 待办 and 个案 (one
window per record), and a normal quit after a restored draft and a case dialog."""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.domain.case import CaseKind
from app.domain.child_file import ChildFile, Gender
from app.domain.id_number import check_character
from app.questionnaire.engine import evaluate
from app.questionnaire.sample_answers import sample_answers
from app.services.assessments import AssessmentService
from app.services.cases import CaseService
from app.services.children import ChildService
from app.services.definitions import DefinitionService
from storage.vault import Vault
from tests.conftest import VaultCopies
from tests.e2e.conftest import locked_copy
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


def fill_prepared(vault: Vault) -> None:
    """12 demo children, and one more child whose assessment draft has every answer but one
    (journey 4) and who has an open case (the demo children have none)."""
    from app.demo_caseload import fill_vault

    fill_vault(
        vault, children=12, seed=5, village_code=VILLAGE, today=date.today(), author=DIRECTOR
    )
    prepare_assessment_draft(vault)


@pytest.fixture
def vault_dir(workdir: Path, vault_copies: VaultCopies) -> Path:
    """A director's vault (floor KDF parameters, to stay quick) as ``fill_prepared`` leaves
    it."""
    return locked_copy(vault_copies, workdir / "vault", "e2e-12-seed-5-prepared", fill_prepared)


def prepare_assessment_draft(vault: Vault) -> None:
    """A complete, valid answer set (app/questionnaire/sample_answers.py) without
    本次评估采用的方式, saved as a draft for a child born on the answers' birth date; and an
    open case for that child."""
    today = date.today()
    definitions = DefinitionService(vault)
    definition = definitions.questionnaire()
    answers = sample_answers(definition, random.Random(11), today)
    assert evaluate(definition, answers, today=today).complete
    del answers["assessment_methods"]  # the one question the director answers by clicking
    born = date.fromisoformat(answers["child_birth_date"])
    child = ChildService(vault, author=DIRECTOR, today=lambda: today).create(
        ChildFile(PREPARED_CHILD, Gender.MALE, born, VILLAGE)
    )
    service = AssessmentService(vault, definitions.questionnaires(), author=DIRECTOR)
    started = service.start(child.record_id, definition, [DIRECTOR])
    service.save_draft(started.record_id, answers)
    CaseService(vault, author=DIRECTOR, today=lambda: today).open(
        child.record_id, CaseKind.ABSENCE, "父母外出务工，祖母年迈，无人辅导功课"
    )


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


# xdotool's `mousemove --sync` (Desk.click_at) waits ~15 s when the pointer is already on the
# spot (a second click where the last one was): such clicks land a few pixels apart, as a
# hand's do.


def pointer(desk: Desk) -> tuple[int, int]:
    shown = subprocess.run(
        ["xdotool", "getmouselocation", "--shell"],
        env=desk.display.env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    where = dict(line.split("=", 1) for line in shown.split() if "=" in line)
    return int(where["X"]), int(where["Y"])


def pointer_away(display: Display) -> None:
    """The pointer to the screen's corner (where no window is), so the next click moves it."""
    subprocess.run(["xdotool", "mousemove", "0", "0"], env=display.env(), check=True)


@pytest.fixture(autouse=True)
def pointer_in_the_corner(display: Display) -> None:
    """The display outlives a test: its last click must not be on the spot of the next
    test's first (the unlock window's password field)."""
    pointer_away(display)


def click_fresh(desk: Desk, *, double: bool = False, **spec: Any) -> None:
    """Click an enabled widget, a little beside its centre if the pointer is there already."""
    target = desk.wait(
        lambda: next((w for w in desk.find(**spec) if w["enabled"]), None),
        f"an enabled widget {spec}",
    )
    x, y = target["center"]
    if pointer(desk) == (x, y):
        x += 3
    desk.click_at(x, y, double=double)


def row_spot(
    desk: Desk, name: str, *, item: str | None = None, row: int | None = None, dx: int = 0
) -> tuple[int, int]:
    """A point of a list's row that no other window covers (a child's window often lies over
    most of the main window, as on a real screen): the middle of the widest free stretch."""
    widget = desk.one(name=name, timeout=20)
    _x, y = desk.wait(
        lambda: desk.ask("item", spec={"name": name}, item=item, row=row, col=0),
        f"{item or row} in {name}",
    )
    left, right = widget["rect"][0] + 4, widget["rect"][0] + widget["rect"][2] - 4
    covered = sorted(
        (w["frame"][0], w["frame"][0] + w["frame"][2])
        for w in desk.windows()
        if "儿童主任工作台" not in w["title"]
        and w["frame"][1] <= y <= w["frame"][1] + w["frame"][3]
    )
    free, start = [], left
    for a, b in covered:
        if a > start:
            free.append((start, min(a, right)))
        start = max(start, b)
    if start < right:
        free.append((start, right))
    a, b = max(free, key=lambda span: span[1] - span[0], default=(0, 0))
    assert b - a >= 12, f"row {item or row} of {name} is covered: {desk.windows()}"
    return (a + b) // 2 + dx, y


def open_case_row(desk: Desk, row: int = 0, *, double: bool = True, dx: int = 0) -> None:
    desk.click_at(*row_spot(desk, "cases_table", row=row, dx=dx), double=double)


def answer_unsaved(desk: Desk, choice: str) -> None:
    """The 有未保存的修改 question. The visit dialog says 保存 / 不保存 / 取消
    (ui/views/unsaved.py); the child file uses Qt's standard buttons: 保存 / 取消 / 丢弃."""
    desk.window("有未保存的修改", timeout=10)
    words = {"discard": ("不保存", "丢弃"), "cancel": ("取消",)}[choice]
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
        pointer_away(display)  # into the same field again
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
    desk.type("钱小禾")  # the cursor starts in 姓名
    if desk.one(name="name").get("text") != "钱小禾":  # X dropped a keystroke on a loaded machine
        desk.fill("钱小禾", name="name")
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

    desk.choose_tab("child_tabs", "监护人")
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


# ----- 3. a visit, and Esc in a visit dialog ----------------------------------------------------


def test_visit_recorded_from_the_child_file_and_esc_asks(desk: Desk) -> None:
    unlock(desk)
    open_first_child(desk)
    desk.choose_tab("child_tabs", "走访")
    before = len(desk.one(name="visits_list").get("items") or [])
    desk.click(name="new_visit")
    desk.window("走访记录", timeout=10)
    desk.one(name="proposal", contains="按走访规则", timeout=15)  # the next date is proposed
    desk.fill("祖母、儿童本人", name="met")
    desk.fill("住房安全，有独立床铺", name="obs_living_conditions")
    desk.fill("书包破旧", name="problems")
    assert_fits(desk)
    desk.screenshot("1-visit-typed")
    desk.click(name="save_visit")
    desk.no_window("走访记录", timeout=20)
    desk.wait(
        lambda: len(desk.one(name="visits_list").get("items") or []) == before + 1,
        "the visit in the list",
    )
    items = desk.one(name="visits_list")["items"]
    assert any("见到：祖母、儿童本人" in row and "书包破旧" in row for row in items), items
    assert date.today().isoformat() in " ".join(items)
    desk.screenshot("2-visit-listed")

    desk.click(name="new_visit")  # typed, then Esc: asked first
    desk.window("走访记录", timeout=10)
    desk.fill("班主任", name="met")
    desk.key("Escape")
    desk.window("有未保存的修改", timeout=10)
    assert_fits(desk)
    desk.screenshot("3-esc-asks")
    answer_unsaved(desk, "cancel")  # 取消: back to the visit, the input still there
    desk.no_window("有未保存的修改")
    assert desk.one(name="met", window="走访记录")["text"] == "班主任"
    desk.key("Escape")
    answer_unsaved(desk, "discard")  # 不保存: the dialog goes, nothing recorded
    desk.no_window("走访记录", timeout=10)
    time.sleep(1)
    assert len(desk.one(name="visits_list").get("items") or []) == before + 1
    desk.alive()


# ----- 4. an assessment finished ------------------------------------------------------------------


def test_assessment_answered_to_the_end_and_finished(desk: Desk) -> None:
    """Clicking every answer of the whole questionnaire (12 pages, some 60 questions) would
    make this journey take minutes; the draft comes prepared with every answer but one
    (prepare_assessment_draft), and the director answers that one, walks the pages to the
    result and finishes in the real window."""
    unlock(desk)
    desk.click_item(name="children_table", item=PREPARED_CHILD, double=True)
    desk.window("儿童档案")
    desk.choose_tab("child_tabs", "评估")
    desk.click_item(name="assessments_list", item="草稿", double=True)
    desk.window("监护能力评估", timeout=20)
    desk.one(name="choice_home_visit", timeout=20)  # resumed on the page still missing it
    desk.click(name="choice_home_visit")
    desk.screenshot("1-answered")
    for _ in range(15):  # 下一页 → … → 查看结果
        if desk.find(name="finish", window="监护能力评估"):
            break
        notice = desk.find(name="notice", window="监护能力评估")
        assert not notice or not notice[0]["text"], notice[0]["text"]
        click_fresh(desk, name="next", window="监护能力评估")
        time.sleep(0.3)
    finish = desk.one(name="finish", window="监护能力评估")
    assert finish["enabled"]
    desk.one(name="result_level", window="监护能力评估")
    assert_fits(desk)  # 完成评估 in the bottom bar, on the screen
    desk.screenshot("2-result")
    click_fresh(desk, name="finish", window="监护能力评估")  # where 下一页 was
    desk.window("完成评估", timeout=10)
    desk.screenshot("3-confirm")
    desk.click(text="完成评估", cls="QPushButton", window="完成评估")
    desk.wait(
        lambda: desk.one(name="save_status", window="监护能力评估")["text"] == "评估已完成",
        "the assessment finished",
        timeout=20,
    )
    assert desk.one(name="close", window="监护能力评估")["text"] == "关闭"
    assert not desk.find(name="finish", window="监护能力评估")
    desk.screenshot("4-finished")
    desk.click(name="close", window="监护能力评估")
    desk.no_window("监护能力评估")
    desk.wait(
        lambda: any("已完成" in row for row in desk.one(name="assessments_list").get("items", [])),
        "the finished assessment in the child's list",
    )
    items = desk.one(name="assessments_list")["items"]
    assert not any("草稿" in row for row in items), items
    desk.screenshot("5-listed")
    time.sleep(1)
    desk.alive()


# ----- 5. auto-lock with a file open -------------------------------------------------------


def test_auto_lock_with_a_file_open_keeps_the_input(
    display: Display, workdir: Path, vault_dir: Path
) -> None:
    write_settings(workdir, auto_lock_minutes=1)
    desk = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    try:
        unlock(desk)
        open_first_child(desk)
        desk.fill("村小三年级", name="school")
        started = time.monotonic()
        desk.one(name="password", timeout=90)  # nobody touches anything: it locks by itself
        waited = time.monotonic() - started
        assert 50 < waited < 90, waited
        time.sleep(1)
        desk.alive()
        assert not child_windows(desk), desk.titles()
        assert_fits(desk)
        desk.screenshot("1-locked")
        unlock(desk)
        restored = desk.one(name="school", timeout=20)
        assert restored["text"] == "村小三年级"
        assert len(child_windows(desk)) == 1, desk.titles()
        desk.screenshot("2-restored")
    finally:
        desk.stop()


# ----- 6. one window per record, from 待办 and 个案 --------------------------------------


def _opened(desk: Desk) -> list[str]:
    return [t for t in desk.titles() if t.startswith(("儿童档案", "个案", "监护能力评估"))]


def _cases(desk: Desk) -> list[str]:
    return [t for t in desk.titles() if t.startswith("个案")]


def test_opening_from_todo_and_cases_gives_one_window_per_record(desk: Desk) -> None:
    unlock(desk)
    go_to(desk, "待办")
    tree = desk.one(name="todo_tree", timeout=20)
    # child rows only: an empty group shows a 暂无 row (which group is empty depends on the day)
    entries = [
        row.strip()
        for row in tree.get("items", [])
        if row.startswith("  ") and not row.strip().startswith("暂无")
    ]
    assert entries, tree
    assert_fits(desk)
    desk.screenshot("1-todo")
    desk.click_item(name="todo_tree", item=entries[0], double=True)
    desk.wait(lambda: _opened(desk), "a window from 待办")
    time.sleep(1.0)
    first = _opened(desk)
    assert len(first) == 1, desk.titles()
    desk.screenshot("2-opened-from-todo")
    go_to(desk, "待办")
    # again, on the part of the row the child's window leaves free: brought to the front
    desk.click_at(*row_spot(desk, "todo_tree", item=entries[0]), double=True)
    time.sleep(1.0)
    assert _opened(desk) == first, desk.titles()
    assert any(w["active"] and w["title"] == first[0] for w in desk.windows()), desk.windows()

    go_to(desk, "个案")
    table = desk.one(name="cases_table", timeout=20)
    assert table.get("items"), table
    desk.screenshot("3-cases")
    open_case_row(desk)
    desk.wait(lambda: _cases(desk), "the case window")
    time.sleep(1.0)
    cases = _cases(desk)
    assert len(cases) == 1, desk.titles()
    assert_fits(desk)
    desk.screenshot("4-case-opened")
    go_to(desk, "个案")
    open_case_row(desk, dx=6)
    time.sleep(1.0)
    assert _cases(desk) == cases, desk.titles()
    go_to(desk, "个案")
    open_case_row(desk, double=False, dx=12)
    desk.key("Return")  # Enter opens too: still one
    time.sleep(1.0)
    assert _cases(desk) == cases, desk.titles()
    desk.screenshot("5-still-one")


# ----- 7. finding 8: a normal quit after a restored draft and a case dialog ---------------------


def test_quit_after_a_restored_draft_and_a_case_dialog_exits_cleanly(desk: Desk) -> None:
    unlock(desk)
    open_first_child(desk)
    desk.fill("锁定前的学校", name="school")
    desk.key("ctrl+l")  # the input is kept as an encrypted draft
    desk.one(name="password", timeout=20)
    unlock(desk)
    desk.one(name="school", timeout=20)
    desk.wait(
        lambda: "已恢复" in desk.one(name="status", window="儿童档案")["text"],
        "the restored-draft notice",
    )
    assert desk.one(name="school")["text"] == "锁定前的学校"
    desk.screenshot("1-restored-draft")
    desk.choose_tab("child_tabs", "个案")
    desk.click(name="new_case", window="儿童档案")
    desk.wait(lambda: _cases(desk), "the case dialog")
    assert_fits(desk)
    desk.screenshot("2-case-dialog")
    desk.click(name="close", window="个案")
    desk.wait(lambda: not _cases(desk), "the case dialog closed")
    go_to(desk, "个案")  # and one left open from the 个案 page
    open_case_row(desk)
    desk.wait(lambda: _cases(desk), "a case window")
    desk.screenshot("3-case-from-page")
    for _ in range(3):  # garbage collections run meanwhile
        time.sleep(1)
        desk.alive()
    raise_main_window(desk)
    desk.key("alt+F4")  # close the main window as a user would
    answer_unsaved(desk, "discard")  # the restored draft is not saved
    code = desk.wait_exit(30)
    stderr = desk.stderr()
    assert code == 0, stderr
    no_crash_in(stderr)


# ----- a case's unsaved plan across a lock ------------------------------------------------


def test_a_cases_unsaved_plan_comes_back_after_a_lock(desk: Desk) -> None:
    """Every editor keeps its input across a lock, not only the child's file: the plan typed
    into an open case window is back, marked 已恢复, after unlocking."""
    unlock(desk)
    go_to(desk, "个案")
    desk.one(name="cases_table", timeout=20)
    open_case_row(desk)
    desk.wait(lambda: _cases(desk), "the case window")
    title = _cases(desk)[0]
    desk.choose_tab("tabs", "帮扶方案")
    desk.fill("孩子每天按时上学", name="goal_0")
    desk.screenshot("1-plan-typed")
    desk.key("ctrl+l")
    desk.one(name="password", timeout=20)
    assert not _cases(desk), desk.titles()
    unlock(desk)
    desk.wait(lambda: _cases(desk) == [title], "the case window back", timeout=20)
    assert desk.one(name="goal_0")["text"] == "孩子每天按时上学"
    desk.wait(
        lambda: "已恢复" in desk.one(name="plan_status")["text"],
        "the restored-plan notice",
    )
    assert_fits(desk)
    desk.screenshot("2-plan-restored")
    desk.click(name="save_plan")
    desk.wait(lambda: "已恢复" not in desk.one(name="plan_status")["text"], "the plan saved")
    assert desk.one(name="goal_0")["text"] == "孩子每天按时上学"  # still on the plan tab
    desk.screenshot("3-plan-saved")
    desk.alive()


# ----- one window per record, across the child file's own tabs --------------------------------


def _wizards(desk: Desk) -> list[str]:
    return [t for t in desk.titles() if t.startswith("监护能力评估")]


def test_a_draft_or_case_open_elsewhere_is_not_opened_again_from_the_child_file(
    desk: Desk,
) -> None:
    unlock(desk)
    go_to(desk, "个案")
    desk.click_at(*row_spot(desk, "cases_table", item=PREPARED_CHILD), double=True)
    desk.wait(lambda: _cases(desk), "the case window")
    go_to(desk, "待办")
    # the 需要评估 group's entry (the prepared draft): its heading, then ↓ and Enter
    desk.click_at(*row_spot(desk, "todo_tree", item="需要评估"))
    desk.key("Down", "Return")
    desk.wait(lambda: _wizards(desk), "the assessment from 待办")
    go_to(desk, "儿童档案")
    desk.click_at(*row_spot(desk, "children_table", item=PREPARED_CHILD), double=True)
    desk.window("儿童档案")
    desk.choose_tab("child_tabs", "评估")
    desk.click_item(name="assessments_list", item="草稿", double=True)
    time.sleep(1.5)
    wizards = _wizards(desk)
    desk.screenshot("1-the-draft-again")
    assert len(wizards) == 1, desk.titles()  # the open one came to the front instead
    desk.activate("儿童档案")  # back to the child's file, as from the taskbar
    desk.choose_tab("child_tabs", "个案")
    desk.click_item(name="cases_list", row=0, double=True)
    time.sleep(1.5)
    cases = _cases(desk)
    desk.screenshot("2-the-case-again")
    assert (len(wizards), len(cases)) == (1, 1), desk.titles()
