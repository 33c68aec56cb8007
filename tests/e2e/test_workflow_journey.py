"""A 强制报告 in the real program (issue 17), on a real X display at a laptop's size, strict vault
threading on, real X input: from a child's file (报告与申请 → 填写强制报告) the director fills the
report and files it; the file lists it as 待送达 and 待办 lists it in red; double-clicking the 待办
line brings the report's window. At normal and at the largest text every window fits."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from storage.vault import Vault
from tests.conftest import VaultCopies
from tests.e2e.conftest import locked_copy
from tests.e2e.harness import Desk, Display, write_settings
from tests.e2e.test_director_journeys import go_to
from tests.e2e.test_journeys import LARGEST, assert_fits, open_first_child, unlock

VILLAGE = "500119104201"
REPORT_TITLE = "强制报告"


def fill_eight(vault: Vault) -> None:
    from app.demo_caseload import fill_vault

    fill_vault(vault, children=8, seed=5, village_code=VILLAGE, today=date.today(), author="王")


@pytest.fixture
def vault_dir(workdir: Path, vault_copies: VaultCopies) -> Path:
    return locked_copy(vault_copies, workdir / "vault", "e2e-8-seed-5", fill_eight)


def file_a_report(desk: Desk, shot: str) -> None:
    open_first_child(desk)
    desk.choose_tab("child_tabs", "报告与申请")
    desk.one(name="workflows_tree", timeout=15)
    assert_fits(desk)
    desk.screenshot(f"{shot}-1-tab")
    desk.click(name="file_mandatory_report")
    desk.window(REPORT_TITLE, timeout=15)
    desk.one(name="report_seen", timeout=15)
    desk.fill_all(
        [
            ("孩子手臂上有淤青，说是被打的", {"name": "report_seen"}),
            ("今天下午入户时", {"name": "report_seen_at"}),
            ("孩子本人", {"name": "report_at_risk"}),
        ]
    )
    desk.click(name="report_danger_no")
    assert_fits(desk)
    desk.screenshot(f"{shot}-2-form")
    desk.click(name="file_report")
    desk.one(name="report_state", timeout=20)
    desk.screenshot(f"{shot}-3-filed")
    desk.wait(
        lambda: "强制报告（1）" in (desk.one(name="workflows_tree").get("items") or []),
        "the report listed in the child's file",
        timeout=20,
    )


def test_a_report_filed_from_the_child_file_shows_there_and_in_todo(
    display: Display, workdir: Path, vault_dir: Path
) -> None:
    desk = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    try:
        unlock(desk)
        file_a_report(desk, "normal")
        desk.click(name="close", window=REPORT_TITLE)
        desk.no_window(REPORT_TITLE, timeout=10)
        desk.screenshot("normal-4-file-lists-it")
        desk.click(name="close_child")
        desk.no_window("儿童档案", timeout=10)
        go_to(desk, "待办")
        tree = desk.one(name="todo_tree", timeout=20)
        title = "强制报告、认定申请、会商事项与转介（"
        assert any(r.startswith(title) for r in tree["items"]), tree
        # the status column says it; a double-click on it brings the report's window
        desk.click_item(name="todo_tree", item="强制报告待送达", col=2)
        assert_fits(desk)
        desk.screenshot("normal-5-todo")
        desk.click_item(name="todo_tree", item="强制报告待送达", col=2, double=True)
        desk.window(REPORT_TITLE, timeout=15)
        time.sleep(0.5)
        assert desk.one(name="report_state")["text"], "the filed report's status"
        desk.screenshot("normal-6-opened-from-todo")
        desk.alive()
    finally:
        desk.stop()


def test_the_report_windows_fit_at_the_largest_text(
    display: Display, workdir: Path, vault_dir: Path
) -> None:
    write_settings(workdir, text_scale=LARGEST)
    desk = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    try:
        unlock(desk)
        file_a_report(desk, "largest")
        desk.alive()
    finally:
        desk.stop()
