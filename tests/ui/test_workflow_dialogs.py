"""The laptop's 强制报告 and 认定申请 dialogs (issue 17) on real vaults: filed and followed on
the vault runner, the district's steps shown with who and when, errors told in Chinese,
unsaved input kept as a draft."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.domain.workflow import Role
from storage.outbox import mark_sent
from tests.ui.workflow_helpers import district_step, workflow_desk
from ui.desk_services import DeskServices
from ui.views.mandatory_report_dialog import MandatoryReportDialog
from ui.views.recognition_application_dialog import RecognitionApplicationDialog


def _child(desk: DeskServices) -> tuple[str, str]:
    revision = desk.vault.load("child").revisions[0]
    return revision.record_id, str(revision.data.get("name", ""))


def test_a_report_filed_from_the_child_file_then_followed(
    qtbot: QtBot, demo_desk: DeskServices
) -> None:
    desk = workflow_desk(demo_desk)
    child_id, name = _child(demo_desk)
    dialog = MandatoryReportDialog(desk, child_id, name)
    qtbot.addWidget(dialog)
    assert "110" in dialog.findChild(type(dialog.source_text), "urgent_warning").text()
    assert dialog.at_risk.text() == name
    # nothing chosen for the danger question: refused in Chinese, nothing stored
    dialog.seen.setPlainText("")
    dialog.file_button.click()
    assert "请写明看到或听到了什么" in dialog.form_message.text()
    assert "请选择是否有紧迫危险" in dialog.form_message.text()
    assert desk.workflows.reports(child_id) == []
    # unsaved input is kept as a draft
    dialog.seen.setPlainText("孩子脸上有新伤，说是昨晚被打的。")
    dialog.danger_yes.setChecked(True)
    assert dialog.danger_now.isVisibleTo(dialog)
    dialog.told["police"].setChecked(True)
    draft = dialog.unsaved_draft()
    assert draft is not None and draft["kind"] == "mandatory_report"
    assert draft["form"]["immediate_danger"] is True
    again = MandatoryReportDialog(desk, child_id, name, draft=draft)
    qtbot.addWidget(again)
    assert again.seen.toPlainText().startswith("孩子脸上有新伤")
    assert again.danger_yes.isChecked() and again.told["police"].isChecked()
    assert "已恢复" in again.form_message.text()
    again.discard_changes()
    with qtbot.waitSignal(dialog.saved):
        dialog.file_button.click()
    assert dialog.unsaved_draft() is None
    ((data, status),) = desk.workflows.reports(child_id)
    assert data["immediate_danger"] is True and data["told"]["police"] is True
    assert data["source"] == "child_file"
    assert status.state == mr.FILED
    assert dialog.report_id == status.report_id
    assert "待送达" in dialog.state.text()
    assert "优先报送" in dialog.state_hint.text()

    # the district receives, acknowledges and assigns it: the laptop shows who and when
    report_id = status.report_id
    mark_sent(demo_desk.vault, [(report_id, demo_desk.vault.get(report_id).meta.hlc)], "r-1")
    district_step(
        demo_desk,
        mr.RECORD_TYPE,
        report_id,
        child_id,
        mr.ACKNOWLEDGE,
        role=Role.TOWN,
        actor="张督导",
    )
    district_step(
        demo_desk,
        mr.RECORD_TYPE,
        report_id,
        child_id,
        mr.ASSIGN,
        at="2026-11-21T03:30:00Z",
        details={"assignee_kind": "rescue_center", "assignee": "区未成年人救助保护中心"},
    )
    shown = MandatoryReportDialog(desk, child_id, name, report_id=report_id)
    qtbot.addWidget(shown)
    assert "处理中" in shown.state.text()
    rows = shown.steps.rows()
    assert ("2026-11-21 10:00", "张督导（乡镇）", "签收", "") in rows
    assert any("区未成年人救助保护中心" in r[3] and r[0] == "2026-11-21 11:30" for r in rows)
    # the director adds information
    shown.add_info()
    assert "请写下要补充的情况" in shown.info_message.text()
    shown.info.setPlainText("今天孩子没有上学。")
    assert shown.unsaved_draft() == {
        "kind": "mandatory_report",
        "child_id": child_id,
        "child_name": name,
        "case_id": None,
        "assessment_id": None,
        "report_id": report_id,
        "info": "今天孩子没有上学。",
    }
    with qtbot.waitSignal(shown.saved):
        shown.info_button.click()
    assert any(r[2] == "补充情况" and r[3] == "今天孩子没有上学。" for r in shown.steps.rows())
    # closed: no more information
    district_step(
        demo_desk,
        mr.RECORD_TYPE,
        report_id,
        child_id,
        mr.CLOSE,
        at="2026-11-22T01:00:00Z",
        reason="已安置，监护人已接受训诫",
    )
    shown.reload()
    assert "已办结" in shown.state.text()
    assert "已安置" in shown.state_hint.text()
    assert not shown.info_button.isEnabled() or not shown._info_box.isEnabled()


def test_the_application_from_draft_to_refusal(
    qtbot: QtBot, demo_desk: DeskServices, tmp_path: Path
) -> None:
    desk = workflow_desk(demo_desk)
    child_id, name = _child(demo_desk)
    dialog = RecognitionApplicationDialog(desk, child_id, name)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.saved):
        dialog.create_button.click()
    assert dialog.application_id is not None
    assert "草稿" in dialog.state.text()
    assert "父亲" in dialog.facts.text()
    # not signed yet: 提交 stays off
    assert not dialog.submit_button.isEnabled()
    scan = tmp_path / "失联证明.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    with qtbot.waitSignal(dialog.saved):
        dialog.attach_file(scan)
    assert dialog.attachments.item(0).text() == "失联证明.png"
    dialog.signed.setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        dialog.submit_button.click()
    status = dialog.shown.status if dialog.shown else None
    assert status is not None and status.state == ra.SUBMITTED
    assert "待乡镇查验" in dialog.state.text()
    assert "乡镇查验期限" in dialog.deadline.text() and "工作日" in dialog.deadline.text()

    app_id = dialog.application_id
    district_step(
        demo_desk,
        ra.RECORD_TYPE,
        app_id,
        child_id,
        ra.RETURN,
        role=Role.TOWN,
        actor="张督导",
        reason="请补充派出所出具的失联证明",
    )
    dialog.reload()
    assert "退回补充材料" in dialog.state.text()
    assert "请补充派出所出具的失联证明" in dialog.reason.text()
    assert dialog.submit_button.text() == "重新提交"
    dialog.signed.setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        dialog.submit_button.click()
    district_step(
        demo_desk,
        ra.RECORD_TYPE,
        app_id,
        child_id,
        ra.REFUSE_TOWN,
        role=Role.TOWN,
        actor="张督导",
        at="2026-11-23T02:00:00Z",
        reason="母亲每月按时寄生活费",
    )
    dialog.reload()
    assert "不予认定" in dialog.state.text()
    assert "母亲每月按时寄生活费" in dialog.reason.text()
    assert "低保" in dialog.fallback.text() and "临时救助" in dialog.fallback.text()
    assert not dialog.withdraw_button.isEnabled()


def test_an_application_withdrawn_with_a_reason(qtbot: QtBot, demo_desk: DeskServices) -> None:
    desk = workflow_desk(demo_desk)
    child_id, name = _child(demo_desk)
    app_id = desk.workflows.create_application(child_id)
    dialog = RecognitionApplicationDialog(desk, child_id, name, application_id=app_id)
    qtbot.addWidget(dialog)
    assert not dialog.withdraw_button.isEnabled()  # a reason first
    dialog.withdraw_reason.setText("父亲已回家照料")
    from ui.views import messages

    original = messages.confirm
    messages.confirm = lambda *_a, **_k: True  # the question box answered 撤回
    try:
        with qtbot.waitSignal(dialog.saved):
            dialog.withdraw_button.click()
    finally:
        messages.confirm = original
    assert "已撤回" in dialog.state.text()
    assert any(r[2] == "撤回申请" and r[3] == "父亲已回家照料" for r in dialog.steps.rows())
    assert not dialog.submit_button.isEnabled()


def test_a_deadline_in_a_year_without_its_calendar_says_it_is_estimated(
    qtbot: QtBot, demo_desk: DeskServices
) -> None:
    from datetime import UTC, datetime

    # submitted on 2026-12-24: ten working days reach into 2027, whose holidays are unknown
    desk = workflow_desk(demo_desk, now=lambda: datetime(2026, 12, 24, 2, 0, tzinfo=UTC))
    child_id, name = _child(demo_desk)
    app_id = desk.workflows.create_application(child_id)
    desk.workflows.submit_application(app_id, guardian_signed=True)
    dialog = RecognitionApplicationDialog(desk, child_id, name, application_id=app_id)
    qtbot.addWidget(dialog)
    text = dialog.deadline.text()
    assert text.startswith("乡镇查验期限：2027-01-")
    assert "2027年的节假日安排尚未公布，按周一至周五估算" in text
    assert "还有" in text and "个工作日" in text  # counted from today (2026-11-22)


def test_the_form_is_printed_with_its_name(
    qtbot: QtBot, demo_desk: DeskServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.views import print_preview

    shown: list[tuple[str, bytes]] = []

    def exec_(self: print_preview.PdfPreviewDialog) -> int:
        shown.append((self.suggested_path().name, bytes(self._pdf)))
        return 0

    monkeypatch.setattr(print_preview.PdfPreviewDialog, "exec", exec_)
    desk = workflow_desk(demo_desk)
    child_id, name = _child(demo_desk)
    app_id = desk.workflows.create_application(child_id)
    dialog = RecognitionApplicationDialog(desk, child_id, name, application_id=app_id)
    qtbot.addWidget(dialog)
    dialog.print_button.click()
    ((file_name, pdf),) = shown
    assert file_name == f"认定申请表-{name}-2026-11-22.pdf"
    assert pdf.startswith(b"%PDF")


def test_confirmed_and_a_decision_after_a_withdrawal(qtbot: QtBot, demo_desk: DeskServices) -> None:
    desk = workflow_desk(demo_desk)
    revisions = demo_desk.vault.load("child").revisions
    first, second = revisions[0], revisions[1]
    # confirmed: the state says since when; no clock, nothing to submit or withdraw
    confirmed = desk.workflows.create_application(first.record_id)
    desk.workflows.submit_application(confirmed, guardian_signed=True)
    district_step(
        demo_desk,
        ra.RECORD_TYPE,
        confirmed,
        first.record_id,
        ra.VERIFY,
        role=Role.TOWN,
        actor="张督导",
        at="2099-01-01T01:00:00Z",
    )
    district_step(
        demo_desk, ra.RECORD_TYPE, confirmed, first.record_id, ra.CONFIRM, at="2099-01-02T01:00:00Z"
    )
    dialog = RecognitionApplicationDialog(
        desk, first.record_id, str(first.data["name"]), application_id=confirmed
    )
    qtbot.addWidget(dialog)
    assert dialog.state.text() == "状态：已认定（2099-01-02）"
    assert dialog.deadline.isHidden() and dialog.fallback.isHidden()
    assert not dialog.submit_button.isEnabled() and not dialog.withdraw_button.isEnabled()
    # withdrawn on the laptop before the town's decision was seen: the decision is void
    withdrawn = desk.workflows.create_application(second.record_id)
    desk.workflows.submit_application(withdrawn, guardian_signed=True)
    desk.workflows.withdraw_application(withdrawn, "父亲已回家照料")
    district_step(
        demo_desk,
        ra.RECORD_TYPE,
        withdrawn,
        second.record_id,
        ra.VERIFY,
        role=Role.TOWN,
        actor="张督导",
        at="2099-01-01T01:00:00Z",
    )
    later = RecognitionApplicationDialog(
        desk, second.record_id, str(second.data["name"]), application_id=withdrawn
    )
    qtbot.addWidget(later)
    assert "已撤回" in later.state.text()
    assert (
        "2099-01-01 09:00",
        "张督导（乡镇）",
        "查验通过",
        "未生效：申请已撤回",
    ) in later.steps.rows()


def test_an_application_without_the_parents_is_refused_in_chinese(
    qtbot: QtBot, desk: DeskServices
) -> None:
    from datetime import date

    from app.domain.child_file import ChildFile, Gender

    child_id = desk.children.create(
        ChildFile("周小雨", Gender.FEMALE, date(2016, 3, 1), "500119104201")
    ).record_id
    dialog = RecognitionApplicationDialog(workflow_desk(desk), child_id, "周小雨")
    qtbot.addWidget(dialog)
    dialog.create_button.click()
    assert dialog.application_id is None
    assert "请先在认定助手中填写父母情况" in dialog.new_message.text()
    assert not dialog.new_message.isHidden()


def test_a_material_file_is_opened_from_memory(
    qtbot: QtBot, demo_desk: DeskServices, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtWidgets import QDialog, QLabel

    from ui.views import print_preview

    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#1565c0"))
    png = QByteArray()
    buffer = QBuffer(png)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    (tmp_path / "判决书.png").write_bytes(bytes(png.data()))
    (tmp_path / "失联证明.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    seen: list[str] = []
    monkeypatch.setattr(
        QDialog,
        "exec",
        lambda self: (
            seen.append(f"image {self.windowTitle()} {self.findChild(QLabel).pixmap().width()}")
            or 0
        ),
    )
    monkeypatch.setattr(
        print_preview.PdfPreviewDialog,
        "exec",
        lambda self: seen.append(f"pdf {self.windowTitle()} {bytes(self._pdf)[:5]!r}") or 0,
    )
    desk = workflow_desk(demo_desk)
    child_id, name = _child(demo_desk)
    app_id = desk.workflows.create_application(child_id)
    dialog = RecognitionApplicationDialog(desk, child_id, name, application_id=app_id)
    qtbot.addWidget(dialog)
    for file in ("判决书.png", "失联证明.pdf"):
        with qtbot.waitSignal(dialog.saved):
            dialog.attach_file(tmp_path / file)
    for row in range(dialog.attachments.count()):
        dialog.attachments.itemActivated.emit(dialog.attachments.item(row))
    assert sorted(seen) == ["image 判决书.png 40", "pdf 失联证明.pdf b'%PDF-'"]
