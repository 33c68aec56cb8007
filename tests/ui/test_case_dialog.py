"""The case dialog on a real vault: opening a case, moving it through its gates (checklist ✗
then ✓), follow-ups, closing and reopening, escalation and mandatory report with confirmation."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton

from app.domain.case import CaseKind, CaseStage
from app.domain.child_file import ChildFile, Gender
from app.domain.problems import DomainValidationError
from tests.ui.conftest import TODAY
from ui.desk_services import DeskServices
from ui.tasks import VaultRunner
from ui.views import messages
from ui.views.case_dialog import CaseDialog, demo_case_dialog
from ui.views.case_dialog import editing as editing_module
from ui.views.messages import user_message


def make_child(desk: DeskServices) -> str:
    child = ChildFile("李思远", Gender.MALE, date(2015, 9, 1), "500119104201")
    return desk.children.create(child).record_id


def open_dialog(
    qtbot: Any, desk: DeskServices, child_id: str, case_id: str | None = None
) -> CaseDialog:
    dialog = CaseDialog(desk, child_id, case_id)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def button(dialog: CaseDialog, name: str) -> QPushButton:
    found = dialog.findChild(QPushButton, name)
    assert found is not None, name
    return found


def click(qtbot: Any, dialog: CaseDialog, name: str) -> None:
    target = button(dialog, name)
    assert target.isEnabled(), name
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton)


def type_text(widget: QLineEdit | QPlainTextEdit, text: str) -> None:
    """Type Chinese as an input method commits it (QTest can only type Latin-1 keys)."""
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.insert(text)
    else:
        widget.insertPlainText(text)


def stage_of(desk: DeskServices, dialog: CaseDialog) -> CaseStage:
    assert dialog.record_id is not None
    return desk.cases.get(dialog.record_id).value.stage


@pytest.fixture(autouse=True)
def no_error_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error box would wait for a click forever offscreen: fail the test instead."""

    def fail(_parent: object, err: BaseException, _title: str = "") -> None:
        raise AssertionError(f"error shown to the user: {user_message(err)}")

    monkeypatch.setattr(messages, "show_error", fail)


@pytest.fixture
def always_yes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []

    def yes(_parent: object, title: str, _text: str, _ok: str = "") -> bool:
        asked.append(title)
        return True

    monkeypatch.setattr(messages, "confirm", yes)
    return asked


def test_opening_a_case_then_moving_it_round_the_loop(
    qtbot, desk: DeskServices, always_yes
) -> None:  # type: ignore[no-untyped-def]
    child_id = make_child(desk)
    dialog = open_dialog(qtbot, desk, child_id)
    assert dialog.findChild(QComboBox, "kind").isVisible()
    click(qtbot, dialog, "open_case")  # no summary yet
    assert "请简要写明情况" in dialog.findChild(QLabel, "new_case_message").text()
    assert not desk.cases.list_all(child_id)

    dialog.kind.setCurrentIndex(dialog.kind.findData(CaseKind.ABSENCE.value))
    type_text(dialog.findChild(QPlainTextEdit, "summary"), "儿童独自在家，父母失联")
    with qtbot.waitSignal(dialog.case_changed):
        click(qtbot, dialog, "open_case")
    assert stage_of(desk, dialog) == CaseStage.IDENTIFIED
    assert desk.cases.get(dialog.record_id).value.kind == CaseKind.ABSENCE  # type: ignore[arg-type]
    assert dialog.findChild(QLabel, "stage").text() == "当前阶段：识别"
    assert dialog.findChild(QLabel, "stage_identified").property("current") is True

    # 识别 → 评估: needs an assessment or notes
    assert not button(dialog, "move_assessed").isEnabled()
    assert dialog.gate_rows(CaseStage.ASSESSED) == [
        "✗ 进入“评估”前需要关联一次监护能力评估，或填写评估情况。"
    ]
    type_text(dialog.findChild(QPlainTextEdit, "assessment_notes"), "祖母年迈，照料不足")
    assert dialog.gate_rows(CaseStage.ASSESSED)[0].startswith("✓")
    click(qtbot, dialog, "move_assessed")
    stored = desk.cases.get(dialog.record_id).value  # type: ignore[arg-type]
    assert stored.stage == CaseStage.ASSESSED
    assert stored.assessment_notes == "祖母年迈，照料不足"  # saved with the move
    assert "✓ 识别" in dialog.findChild(QLabel, "stage_identified").text()

    # 评估 → 介入: blocked without a plan
    move = button(dialog, "move_intervening")
    assert not move.isEnabled()
    rows = dialog.gate_rows(CaseStage.INTERVENING)
    assert "✗ 帮扶方案至少要有一个目标。" in rows
    assert "✗ 帮扶方案至少要有一项措施。" in rows
    with pytest.raises(DomainValidationError):
        desk.cases.move(dialog.record_id, CaseStage.INTERVENING)  # type: ignore[arg-type]

    type_text(dialog.findChild(QLineEdit, "goal_0"), "落实兜底监护")
    type_text(dialog.findChild(QLineEdit, "action_0_what"), "申请临时救助")
    type_text(dialog.findChild(QLineEdit, "action_0_who"), "镇社会事务办")
    assert "✗ 第 1 项措施缺少：完成时间。" in dialog.gate_rows(CaseStage.INTERVENING)
    assert not move.isEnabled()
    dialog.plan_editor.set_action(0, "申请临时救助", "镇社会事务办", date(2026, 12, 10))
    assert all(row.startswith("✓") for row in dialog.gate_rows(CaseStage.INTERVENING))
    assert move.isEnabled()
    click(qtbot, dialog, "move_intervening")
    stored = desk.cases.get(dialog.record_id).value  # type: ignore[arg-type]
    assert stored.stage == CaseStage.INTERVENING
    assert stored.plan.goals == ["落实兜底监护"]
    assert stored.plan.actions[0].by_when == date(2026, 12, 10)
    assert not dialog.has_unsaved_changes

    # 介入 → 跟踪: no gate; the road ahead is previewed
    assert dialog.gate_rows(CaseStage.FOLLOWING_UP) == ["✓ 没有额外条件，可以随时转入"]
    assert "结案" in dialog.findChild(QLabel, "gate_preview").text()
    click(qtbot, dialog, "move_following_up")
    assert stage_of(desk, dialog) == CaseStage.FOLLOWING_UP

    # 跟踪 → 结案: a follow-up and a reason; back to 介入 is offered too
    assert button(dialog, "move_intervening").text() == "退回“介入”"
    assert not button(dialog, "move_closed").isEnabled()
    assert "✗ 结案前至少要有一次跟踪回访记录。" in dialog.gate_rows(CaseStage.CLOSED)
    dialog.follow_up_date.setDate(QDate(TODAY.year, TODAY.month, TODAY.day))
    type_text(dialog.findChild(QLineEdit, "follow_up_notes"), "救助已到位")
    click(qtbot, dialog, "add_follow_up")
    follow_ups = desk.cases.get(dialog.record_id).value.follow_ups  # type: ignore[arg-type]
    assert [(f.on, f.notes) for f in follow_ups] == [(TODAY, "救助已到位")]
    assert "救助已到位" in dialog.follow_ups.item(0).text()
    assert "✗ 请填写结案原因。" in dialog.gate_rows(CaseStage.CLOSED)
    type_text(dialog.findChild(QLineEdit, "closure_reason"), "帮扶目标已达成")
    assert all(row.startswith("✓") for row in dialog.gate_rows(CaseStage.CLOSED))
    click(qtbot, dialog, "move_closed")
    assert always_yes == ["结案"]
    stored = desk.cases.get(dialog.record_id).value  # type: ignore[arg-type]
    assert stored.stage == CaseStage.CLOSED and stored.closed_on == TODAY
    assert stored.closure_reason == "帮扶目标已达成"

    # reopening needs a reason
    assert not button(dialog, "move_assessed").isEnabled()
    assert "✗ 重新开案需要说明原因。" in dialog.gate_rows(CaseStage.ASSESSED)
    type_text(dialog.findChild(QLineEdit, "reopen_reason"), "发现新的风险线索")
    click(qtbot, dialog, "move_assessed")
    stored = desk.cases.get(dialog.record_id).value  # type: ignore[arg-type]
    assert stored.stage == CaseStage.ASSESSED and stored.reopen_reason == "发现新的风险线索"


def test_follow_up_before_the_case_opened_is_refused(qtbot, desk, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    child_id = make_child(desk)
    record_id = desk.cases.open(child_id, CaseKind.OTHER, "需关注").record_id
    dialog = open_dialog(qtbot, desk, child_id, record_id)
    shown: list[str] = []
    monkeypatch.setattr(
        messages, "show_error", lambda _p, err, *_a: shown.append(user_message(err))
    )
    dialog.follow_up_date.setDate(QDate(2026, 11, 1))
    type_text(dialog.findChild(QLineEdit, "follow_up_notes"), "回访")
    click(qtbot, dialog, "add_follow_up")
    assert shown == ["回访日期应在开案之后、今天之前。"]
    assert desk.cases.get(record_id).value.follow_ups == []
    assert dialog.findChild(QLineEdit, "follow_up_notes").text() == "回访"  # kept to fix


def test_refused_closing_changes_nothing(qtbot, desk: DeskServices, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    child_id = make_child(desk)
    case = desk.cases.open(child_id, CaseKind.IMPROPER, "照料不足")
    record_id = case.record_id
    desk.cases.link_assessment(record_id, notes="评估")
    desk.cases.move(record_id, CaseStage.ASSESSED)
    from app.domain.case import Plan, PlanAction

    desk.cases.update_plan(record_id, Plan(["目标"], [PlanAction("做", "我", date(2026, 12, 1))]))
    desk.cases.move(record_id, CaseStage.INTERVENING)
    desk.cases.move(record_id, CaseStage.FOLLOWING_UP)
    desk.cases.add_follow_up(record_id, "好转")
    dialog = open_dialog(qtbot, desk, child_id, record_id)
    assert dialog.findChild(QLabel, "stage").text() == "当前阶段：跟踪"
    type_text(dialog.findChild(QLineEdit, "closure_reason"), "已好转")
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: False)
    click(qtbot, dialog, "move_closed")
    assert desk.cases.get(record_id).value.stage == CaseStage.FOLLOWING_UP


def test_escalation_and_mandatory_report_ask_first(qtbot, desk: DeskServices, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    child_id = make_child(desk)
    record_id = desk.cases.open(child_id, CaseKind.ABUSE, "身上有不明伤痕").record_id
    dialog = open_dialog(qtbot, desk, child_id, record_id)
    dialog.tabs.setCurrentIndex(3)

    click(qtbot, dialog, "escalate")  # no notes: asked to write them, nothing stored
    assert dialog.findChild(QLabel, "escalation_message").isVisibleTo(dialog)
    assert desk.cases.get(record_id).value.escalated_on is None

    answers = iter([False, True])
    asked: list[str] = []

    def answer(_parent: object, title: str, text: str, _ok: str = "") -> bool:
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(messages, "confirm", answer)
    type_text(dialog.findChild(QLineEdit, "escalation_notes"), "疑似监护侵害，需会商")
    click(qtbot, dialog, "escalate")
    assert desk.cases.get(record_id).value.escalated_on is None  # refused
    with qtbot.waitSignal(dialog.case_changed):
        click(qtbot, dialog, "escalate")
    stored = desk.cases.get(record_id).value
    assert stored.escalated_on == TODAY and stored.escalation_notes == "疑似监护侵害，需会商"
    assert "疑似监护侵害，需会商" in asked[0]
    assert "已上报区民政局（2026-11-22）" in dialog.findChild(QLabel, "flags").text()
    assert button(dialog, "escalate").text() == "再次上报"

    answers = iter([False, True])
    asked.clear()
    click(qtbot, dialog, "mandatory_report")
    assert not desk.cases.get(record_id).value.mandatory_report
    click(qtbot, dialog, "mandatory_report")
    assert "强制报告" in asked[0]
    stored = desk.cases.get(record_id).value
    assert stored.mandatory_report and stored.mandatory_report_on == TODAY
    assert child_id in desk.cases.urgent_child_ids()
    assert not button(dialog, "mandatory_report").isEnabled()
    assert "已强制报告" in dialog.findChild(QLabel, "flags").text()


def test_linking_a_finished_assessment(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    import random

    from app.questionnaire.sample_answers import sample_answers

    child_id = make_child(desk)
    started = desk.assessments.start(child_id, desk.definition, [desk.author])
    answers = sample_answers(desk.definition, random.Random(5), TODAY)
    desk.assessments.save_draft(started.record_id, answers)
    desk.assessments.finish(started.record_id)
    record_id = desk.cases.open(child_id, CaseKind.IMPROPER, "照料不足").record_id
    dialog = open_dialog(qtbot, desk, child_id, record_id)
    combo = dialog.findChild(QComboBox, "assessment")
    assert combo.count() == 2 and combo.itemText(1).startswith("2026-11-22 · ")
    combo.setCurrentIndex(1)
    assert dialog.gate_rows(CaseStage.ASSESSED)[0].startswith("✓")
    click(qtbot, dialog, "save_assessment")
    assert desk.cases.get(record_id).value.assessment_id == started.record_id
    assert not dialog.has_unsaved_changes


def test_closing_with_an_unsaved_plan_asks(qtbot, desk: DeskServices, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    child_id = make_child(desk)
    record_id = desk.cases.open(child_id, CaseKind.OTHER, "需关注").record_id
    dialog = open_dialog(qtbot, desk, child_id, record_id)
    type_text(dialog.findChild(QLineEdit, "goal_0"), "按时上学")
    assert dialog.has_unsaved_changes and button(dialog, "save_plan").isEnabled()

    monkeypatch.setattr(editing_module, "ask_unsaved", lambda _parent: "cancel")
    dialog.reject()
    assert dialog.isVisible()
    monkeypatch.setattr(editing_module, "ask_unsaved", lambda _parent: "save")
    dialog.reject()
    assert not dialog.isVisible()
    assert desk.cases.get(record_id).value.plan.goals == ["按时上学"]


def test_demo_case_dialog(qtbot, demo_desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    dialog = demo_case_dialog(demo_desk)
    qtbot.addWidget(dialog)
    assert dialog.case is not None and dialog.case.stage == CaseStage.INTERVENING
    assert dialog.case.plan.actions
    assert dialog.findChild(QLabel, "stage").text() == "当前阶段：介入"
    assert dialog.gate_rows(CaseStage.FOLLOWING_UP)


def test_plan_rows_added_and_removed(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    child_id = make_child(desk)
    record_id = desk.cases.open(child_id, CaseKind.OTHER, "需关注").record_id
    dialog = open_dialog(qtbot, desk, child_id, record_id)
    dialog.plan_editor.set_goal(0, "按时上学")
    click(qtbot, dialog, "add_goal")
    dialog.plan_editor.set_goal(1, "吃饱穿暖")
    dialog.plan_editor.set_action(0, "送教上门", "学校", date(2026, 12, 1))
    click(qtbot, dialog, "add_action")
    dialog.plan_editor.set_action(1, "申请救助", "村儿童主任", date(2026, 12, 5))
    click(qtbot, dialog, "remove_goal_0")
    click(qtbot, dialog, "remove_action_0")
    plan = dialog.plan_editor.plan()
    assert plan.goals == ["吃饱穿暖"]
    assert [(a.what, a.who) for a in plan.actions] == [("申请救助", "村儿童主任")]
    click(qtbot, dialog, "save_plan")
    assert desk.cases.get(record_id).value.plan == plan
    assert not dialog.has_unsaved_changes


def test_closing_with_save_on_the_worker_closes_once_saved(qtbot, vault, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """保存 on closing, with the real threaded runner and the window deleted on close as the
    app does: the dialog stays until its plan is stored, then goes — the result is not handed
    to a deleted window (the old dialog closed at once and its callback then raised 'Signal
    source has been deleted')."""
    runner = VaultRunner(default_on_error=lambda err: None)
    try:
        desk = DeskServices.for_vault(vault, runner, today=lambda: TODAY)
        child_id = make_child(desk)
        record_id = desk.cases.open(child_id, CaseKind.OTHER, "需关注").record_id
        dialog = CaseDialog(desk, child_id, record_id)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.case is not None, timeout=5000)
        type_text(dialog.findChild(QLineEdit, "goal_0"), "按时上学")
        changed: list[bool] = []
        dialog.case_changed.connect(lambda: changed.append(True))

        gate = threading.Event()
        runner.submit(lambda: gate.wait(5))  # the worker is busy: the save waits its turn
        monkeypatch.setattr(editing_module, "ask_unsaved", lambda _parent: "save")
        dialog.reject()
        qtbot.wait(50)
        assert shiboken6.isValid(dialog) and dialog.isVisible()  # not gone before it is saved
        gate.set()
        qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=5000)
        assert changed == [True]
        assert desk.cases.get(record_id).value.plan.goals == ["按时上学"]
    finally:
        runner.shutdown()


def test_a_change_still_running_when_the_dialog_closes_is_not_shown(qtbot, vault) -> None:  # type: ignore[no-untyped-def]
    """A follow-up added, then the window closed before the worker got to it: the change is
    stored and its result dropped, not drawn into the deleted window."""
    runner = VaultRunner(default_on_error=lambda err: None)
    try:
        desk = DeskServices.for_vault(vault, runner, today=lambda: TODAY)
        child_id = make_child(desk)
        record_id = desk.cases.open(child_id, CaseKind.OTHER, "需关注").record_id
        dialog = CaseDialog(desk, child_id, record_id)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.case is not None, timeout=5000)

        gate = threading.Event()
        runner.submit(lambda: gate.wait(5))
        type_text(dialog.findChild(QLineEdit, "follow_up_notes"), "孩子按时上学")
        click(qtbot, dialog, "add_follow_up")
        dialog.reject()
        qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=5000)
        gate.set()
        done: list[bool] = []
        runner.submit(lambda: None, lambda _v: done.append(True))
        qtbot.waitUntil(lambda: done == [True], timeout=5000)
        assert [f.notes for f in desk.cases.get(record_id).value.follow_ups] == ["孩子按时上学"]
    finally:
        runner.shutdown()
