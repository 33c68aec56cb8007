"""The 同步 page against the real district server on loopback: enrollment form, 立即同步,
the conflicts list (keep mine / keep theirs / edit), the quarantine with its reason in Chinese,
USB export to a folder, revocation. Vault and network work run inline (deterministic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.demo_caseload import fill_vault
from sync.laptop.engine import LaptopSync
from sync.server.district import District
from tests.conftest import VaultCopies
from tests.sync.conftest import (  # noqa: F401 (fixtures)
    VILLAGE_A,
    VILLAGE_B,
    ServerThread,
    district_keys,
    server,
    sqlite_district,
)
from tests.ui.conftest import TODAY
from ui.desk_services import DeskServices
from ui.sync_controller import SyncController
from ui.tasks import InlineRunner
from ui.views.sync_page import SyncPage


@pytest.fixture
def page(desk: DeskServices, qtbot: Any) -> SyncPage:
    engine = LaptopSync(desk.vault, author=desk.author, sleep=lambda _s: None, attempts=2)
    controller = SyncController(engine, desk.runner, net=InlineRunner())
    widget = SyncPage(desk, controller=controller, auto=False)
    qtbot.addWidget(widget)
    return widget


def enroll(page: SyncPage, district: District, url: str, qtbot: Any) -> None:
    page.enroll_form.server_field.setText(url)
    page.enroll_form.code_field.setText(district.create_enroll_code([VILLAGE_A], 3600))
    qtbot.mouseClick(page.enroll_form.connect_button, Qt.MouseButton.LeftButton)


def test_enroll_and_sync_from_the_page(
    page: SyncPage,
    server: ServerThread,  # noqa: F811
    sqlite_district: District,  # noqa: F811
    qtbot: Any,
) -> None:
    assert not page.enroll_box.isHidden()
    assert not page.sync_button.isEnabled()
    assert "还没有注册" in page.state_label.text()
    page.enroll_form.server_field.setText("not a url")
    qtbot.mouseClick(page.enroll_form.connect_button, Qt.MouseButton.LeftButton)
    assert "服务器地址" in page.message.text()
    # a wrong code: plain Chinese, nothing enrolled
    page.enroll_form.server_field.setText(server.url)
    page.enroll_form.code_field.setText("AAAA-BBBB-CCCC-DDDD-EEEE")
    qtbot.mouseClick(page.enroll_form.connect_button, Qt.MouseButton.LeftButton)
    assert "注册码" in page.message.text()
    assert page.controller.status is not None and not page.controller.status.enrolled
    enroll(page, sqlite_district, server.url, qtbot)
    assert "注册成功" in page.message.text() and VILLAGE_A in page.message.text()
    assert page.enroll_box.isHidden() and page.sync_button.isEnabled()
    assert sqlite_district.district_id in page.district_label.text()
    fill_vault(
        page.desk.vault, children=3, seed=2, village_code=VILLAGE_A, today=TODAY, author="王"
    )
    page.controller.refresh()
    pending = page.controller.status.pending  # type: ignore[union-attr]
    assert page.pending_label.text().startswith(f"{pending} 条")
    qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert "同步完成" in page.message.text(), page.message.text()
    assert page.pending_label.text().startswith("0 条")
    assert "联网" in page.last_label.text()
    assert sqlite_district.counts()["revisions"] == pending
    assert page.history_list.count() >= 2
    assert not page.controller.busy and page.sync_button.isEnabled()


def test_conflicts_quarantine_and_revocation_on_the_page(
    page: SyncPage,
    server: ServerThread,  # noqa: F811
    sqlite_district: District,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
    vault_copies: VaultCopies,
) -> None:
    enroll(page, sqlite_district, server.url, qtbot)
    vault = page.desk.vault
    child = vault.put(
        "child", {"village_code": VILLAGE_A, "name": "李小花", "school": "一小"}, author="王"
    )
    qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    other_vault = vault_copies.open(tmp_path / "colleague").vault
    try:
        other = LaptopSync(other_vault, author="李")
        other.enroll_network(server.url, sqlite_district.create_enroll_code([VILLAGE_A], 60))
        other.sync_now()
        data = other_vault.get(child.record_id).data
        other_vault.put("child", {**data, "school": "二小"}, author="李", record_id=child.record_id)
        other.sync_now()
    finally:
        other_vault.lock()
    vault.put(
        "child",
        {**vault.get(child.record_id).data, "school": "三小"},
        author="王",
        record_id=child.record_id,
    )
    qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert "需要您确认" in page.message.text()
    assert not page.conflicts_box.isHidden()
    table = page.conflicts_table
    assert table.rowCount() == 1
    assert table.item(0, 0).text() == "李小花" and table.item(0, 1).text() == "学校"
    assert {table.item(0, 2).text(), table.item(0, 3).text()} == {"三小", "二小"}
    qtbot.mouseClick(page.keep_theirs, Qt.MouseButton.LeftButton)
    assert vault.get(child.record_id).data["school"] == "二小"
    assert page.conflicts_box.isHidden()
    # both values stay in the history
    assert {"二小", "三小"} <= {r.data.get("school") for r in vault.history(child.record_id)}

    # a change the district refuses: kept, listed with the reason in Chinese
    vault.put("child", {"village_code": VILLAGE_B, "name": "外村"}, author="王")
    qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert not page.quarantine_box.isHidden()
    assert page.quarantine_table.rowCount() == 1
    assert "不在本机负责的范围" in page.quarantine_table.item(0, 1).text()

    # USB export to a folder standing in for a stick
    stick = tmp_path / "stick"
    stick.mkdir()
    vault.put("child", {"village_code": VILLAGE_A, "name": "新来的"}, author="王")
    page.set_folder(stick)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert "可以安全拔出" in page.message.text()
    assert len(list(stick.glob("*.cdbatch"))) == 1
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    assert "没有任何改变" in page.message.text()

    # revocation: stop, say so plainly, keep the vault
    sqlite_district.revoke(vault.device_id)
    before = vault.last_seq()
    qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert not page.revoked_banner.isHidden()
    assert "联系区民政局" in page.revoked_banner.text()
    assert not page.sync_button.isEnabled()
    assert vault.last_seq() == before


def test_edit_a_conflict_value(
    page: SyncPage, desk: DeskServices, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 改成… button writes the typed value (the dialog is answered by the test)."""
    from PySide6.QtWidgets import QInputDialog

    from sync.laptop.state import CONFLICT_TYPE

    vault = desk.vault
    child = vault.put(
        "child", {"village_code": VILLAGE_A, "name": "甲", "school": "一小"}, author="王"
    )
    vault.put(
        CONFLICT_TYPE,
        {
            "record_id": child.record_id,
            "record_type": "child",
            "child_id": child.record_id,
            "field": "school",
            "mine": "一小",
            "mine_absent": False,
            "theirs": "二小",
            "theirs_absent": False,
            "kept": "mine",
            "created": "2026-11-22T00:00:00Z",
            "resolved": "",
        },
        author="王",
    )
    page._reload_lists()
    assert page.conflicts_table.rowCount() == 1
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("六小", True))
    qtbot.mouseClick(page.edit_value, Qt.MouseButton.LeftButton)
    assert vault.get(child.record_id).data["school"] == "六小"
    assert page.conflicts_table.rowCount() == 0


def test_not_enrolled_says_what_to_do(desk: DeskServices, qtbot: Any) -> None:
    """With the real network worker thread: syncing before enrollment explains what to do."""
    engine = LaptopSync(desk.vault, author=desk.author, sleep=lambda _s: None, attempts=1)
    controller = SyncController(engine, InlineRunner())
    try:
        with qtbot.waitSignal(controller.finished, timeout=10_000) as blocker:
            controller.sync_now()
        assert "注册" in blocker.args[1]  # not enrolled yet: says what to do
    finally:
        controller.stop()


def test_published_rules_and_refusals_are_shown_after_a_sync(
    page: SyncPage,
    server: ServerThread,  # noqa: F811
    sqlite_district: District,  # noqa: F811
    qtbot: Any,
) -> None:
    """A real sync that installs the district's schedule rules and refuses a broken one: the
    summary counts what was enabled, the refusal is spelled out, other pages are told."""
    import json

    from resources import resource_path

    enroll(page, sqlite_district, server.url, qtbot)
    body = json.loads(resource_path("schedule", "visit_schedule.json").read_text("utf-8"))
    body["version"] = "2"
    sqlite_district.publish("schedule", "visit_schedule", "2", body)
    sqlite_district.publish("schedule", "visit_schedule", "9", {**body, "version": "8"})
    with qtbot.waitSignal(page.data_changed, timeout=5_000):
        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    text = page.message.text()
    assert text.startswith("同步完成："), text
    assert "启用区里发布的新问卷或走访规则 1 项" in text
    assert "「走访频次默认规则」（第2版）" in text  # the enabled one, named in Chinese
    assert "（第9版）没有通过检查" in text and "请告诉区民政局" in text
    assert "c62828" in page.message.styleSheet()  # a refusal: the warning colour
    assert page.desk.schedule.version == "2"


def test_report_counts_and_messages_in_the_summaries(page: SyncPage) -> None:
    from sync.laptop.messages import MessageCode, SyncMessage
    from sync.laptop.state import SyncReport
    from ui.sync_texts import messages_zh

    report = SyncReport(
        accepted=3,
        pulled=5,
        attachments_received=2,
        attachments_refused=1,
        definitions_installed=1,
        messages=[
            SyncMessage(MessageCode.ATTACHMENTS_REFUSED, count=1),
            SyncMessage(
                MessageCode.DEFINITION_INSTALLED, kind="schedule", title="走访频次", version="2"
            ),
        ],
    )
    changed: list[bool] = []
    page.data_changed.connect(lambda: changed.append(True))
    page._finished(report, "")
    text = page.message.text()
    for expected in (
        "发送 3 条",
        "收到 5 条",
        "收到附件 2 个",
        "启用区里发布的新问卷或走访规则 1 项",
    ):
        assert expected in text, text
    assert text.splitlines()[1:] == [  # each message on a line of its own
        "有 1 个附件（照片或扫描件）在传输中出错，没有保存；下次同步会重新接收。",
        "已启用区民政局发布的走访频次规则「走访频次」（第2版）。",
    ]
    assert text.splitlines()[1:] == messages_zh(report.messages)
    assert "c62828" in page.message.styleSheet()
    assert changed == [True]

    page._imported((report, []))
    text = page.message.text()
    assert text.startswith("导入完成：区里确认收到 3 条，收到区里的更新 5 条，收到附件 2 个")
    assert "启用区里发布的新问卷或走访规则 1 项" in text and "在传输中出错" in text
    assert changed == [True, True]

    # only files and rules, no records: still an import that changed something
    page._imported((SyncReport(definitions_installed=1), []))
    assert "启用区里发布的新问卷或走访规则 1 项" in page.message.text()
    assert "2e7d32" in page.message.styleSheet()
    # nothing at all
    notice = SyncMessage(MessageCode.DISTRICT_NOTICE, text="区里通知：<b>周五</b>停机维护")
    page._finished(SyncReport(messages=[notice]), "")
    assert (
        page.message.text() == "同步完成：发送 0 条，收到 0 条。\n区里通知：<b>周五</b>停机维护。"
    )
    assert page.message.textFormat() == Qt.TextFormat.PlainText  # shown as written
    assert len(changed) == 3


def test_unregistered_page_says_what_the_pending_count_means_and_shows_no_full_bar(
    page: SyncPage, qtbot: Any
) -> None:
    fill_vault(
        page.desk.vault, children=3, seed=2, village_code=VILLAGE_A, today=TODAY, author="王"
    )
    page.controller.refresh()
    page.show()
    status = page.controller.status
    assert status is not None and not status.enrolled and status.pending > 3
    assert page.pending_label.text().startswith(f"{status.pending} 条")
    hint = page.pending_hint.text()
    assert "每保存一次" in hint  # what counts as one change
    assert "未注册" in hint and "没有发出去" in hint  # nothing is sent yet
    assert "注册码" in hint and "注册这台电脑" in hint  # what to do
    assert "未注册" in page.district_label.text()
    # idle: no progress bar (a full bar read as "everything sent")
    assert page.progress.isHidden() and page.progress_label.isHidden()


def test_progress_bar_shows_only_while_syncing(
    page: SyncPage,
    server: ServerThread,  # noqa: F811
    sqlite_district: District,  # noqa: F811
    qtbot: Any,
) -> None:
    page.show()
    enroll(page, sqlite_district, server.url, qtbot)
    assert page.pending_hint.text()
    seen: list[bool] = []
    page.controller.busy_changed.connect(lambda _busy: seen.append(not page.progress.isHidden()))
    qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert "同步完成" in page.message.text()
    assert True in seen  # shown while the sync ran
    assert page.progress.isHidden()
    assert page.pending_hint.text() == "所有修改都已送到区里。"
