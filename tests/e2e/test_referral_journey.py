"""Issue 19's follow-up in the real program, on a real X display at a laptop's size with real X
input, over the demo caseload with its programme (screenings, referrals, the reports a director
would have filed): 待办 lists the open referral with how long it has been open, and only a few
urgent lines; double-clicking the referral's line brings 心理状况筛查与转介 for that child; the
child's file lists the screening and the referral in 历史. At normal and at the largest text
every window fits."""

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
from tests.e2e.test_journeys import LARGEST, assert_fits, unlock

VILLAGE = "500119104201"
REFERRALS_TITLE = "心理状况筛查与转介"


def fill_programme(vault: Vault) -> None:
    """30 demo children with the programme (screenings, referrals, reports filed)."""
    from app.demo_caseload import fill_vault

    fill_vault(
        vault,
        children=30,
        seed=5,
        village_code=VILLAGE,
        today=date.today(),
        author="王",
        programme=True,
    )


@pytest.fixture
def vault_dir(workdir: Path, vault_copies: VaultCopies) -> Path:
    return locked_copy(vault_copies, workdir / "vault", "e2e-30-seed-5-programme", fill_programme)


def _referral_line(vault_dir: Path) -> tuple[str, str, int]:
    """(status, child's name) of an open referral in 待办 whose child's name no other name
    contains (the children list is searched by it), and how many 待办 lines are red."""
    from app.services.workflows import REFERRAL_KIND, WorkflowService
    from storage.vault import Vault
    from tests.conftest import PASSWORD

    vault = Vault.unlock(vault_dir, PASSWORD)
    try:
        names = {r.record_id: str(r.data["name"]) for r in vault.load("child").revisions}
        archived = {r.record_id for r in vault.load("child").revisions if r.data.get("archive")}
        items = WorkflowService(vault, author="王").todo()
        urgent = sum(1 for i in items if i.urgent and i.child_id not in archived)
        for item in items:
            name = names.get(item.child_id, "")
            others = [n for cid, n in names.items() if cid != item.child_id]
            if (
                item.kind == REFERRAL_KIND
                and item.child_id not in archived
                and name
                and not any(name in other for other in others)
            ):
                return item.short_zh, name, urgent
        pytest.fail("the demo has no open referral to follow")
    finally:
        vault.lock()


def walk(desk: Desk, status: str, name: str, shot: str) -> None:
    unlock(desk)
    go_to(desk, "待办")
    tree = desk.one(name="todo_tree", timeout=20)
    title = "强制报告、认定申请、会商事项与转介（"
    assert any(r.startswith(title) for r in tree["items"]), tree
    desk.click_item(name="todo_tree", item=status, col=2)
    detail = desk.one(name="todo_detail")["text"]
    assert "心理状况筛查建议转介" in detail and "登记转介，已" in detail, detail
    assert_fits(desk)
    desk.screenshot(f"{shot}-1-todo")
    desk.click_item(name="todo_tree", item=status, col=2, double=True)
    desk.window(f"{REFERRALS_TITLE} — {name}", timeout=15)
    desk.one(name="referral_table", timeout=15)
    time.sleep(0.5)
    assert_fits(desk)
    desk.screenshot(f"{shot}-2-referrals")
    desk.click(name="close", window=f"{REFERRALS_TITLE} — {name}")
    desk.no_window(REFERRALS_TITLE, timeout=10)
    go_to(desk, "儿童档案")
    desk.click_item(name="children_table", item=name, double=True)
    desk.window("儿童档案", timeout=15)
    desk.choose_tab("child_tabs", "历史")
    desk.wait(
        lambda: any(
            "转介：登记了转介（心理状况筛查建议转介" in t
            for t in desk.one(name="history_list").get("items") or []
        ),
        "the referral in 历史",
        timeout=20,
    )
    items = desk.one(name="history_list")["items"]
    assert any("完成了心理状况筛查" in t for t in items), items
    assert_fits(desk)
    desk.screenshot(f"{shot}-3-history")
    desk.alive()


def test_a_referral_in_todo_opens_its_follow_up_and_shows_in_history(
    display: Display, workdir: Path, vault_dir: Path
) -> None:
    status, name, urgent = _referral_line(vault_dir)
    assert urgent <= 8  # a few red lines, not one per assessment that demanded a report
    desk = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    try:
        walk(desk, status.split("（")[0], name, "normal")
    finally:
        desk.stop()


def test_the_referral_windows_fit_at_the_largest_text(
    display: Display, workdir: Path, vault_dir: Path
) -> None:
    status, name, _urgent = _referral_line(vault_dir)
    write_settings(workdir, text_scale=LARGEST)
    desk = Desk(display, workdir, ["--data-dir", str(vault_dir)]).start()
    try:
        walk(desk, status.split("（")[0], name, "largest")
    finally:
        desk.stop()
