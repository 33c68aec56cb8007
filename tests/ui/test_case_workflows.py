"""The case dialog's part of issue 17: 填写强制报告 from a case (prefilled from the case, the case
marked once filed), and a 个案会商 from the district shown as the plan to carry out, with the
director's follow-up on each action — the director's own 帮扶方案 untouched."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.domain import case_conference as cc
from app.domain.case import CaseKind, Plan, PlanAction
from app.domain.workflow import STEP_TYPE
from tests.ui.test_case_dialog import make_child, open_dialog
from tests.ui.test_session import session  # noqa: F401 (the fixture)
from ui.desk_services import DeskServices
from ui.views import messages
from ui.views.case_dialog.conference import OVERDUE_ZH


@pytest.fixture(autouse=True)
def answers_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages, "confirm", lambda *_a, **_k: True)

    def fail(_parent: object, err: BaseException, *_a: object) -> None:
        raise AssertionError(f"error box: {err}")

    monkeypatch.setattr(messages, "show_error", fail)


def conference(desk: DeskServices, child_id: str, case_id: str) -> str:
    """A conference recorded at the district, as a sync brings it to the laptop."""
    data: dict[str, Any] = {
        "child_id": child_id,
        "case_id": case_id,
        "held_on": "2026-11-18",
        "departments": ["民政", "公安", "学校"],
        "people": ["区民政局李科长", "派出所王警官", "学校周老师"],
        "findings": "父亲酒后多次打骂，祖母无力照料。",
        "decisions": "派出所训诫父亲；学校每日关注；儿童主任每周家访。",
        "actions": [
            {"id": "a1", "what": "每周家访一次", "who": "儿童主任", "due": "2026-12-31"},
            {"id": "a2", "what": "协助办理临时救助", "who": "儿童主任", "due": "2026-11-20"},
            {"id": "a3", "what": "训诫父亲", "who": "派出所", "due": "2026-11-25"},
        ],
        "next_review": "2026-12-15",
    }
    assert cc.conference_problems(data) == []
    return desk.vault.put(cc.RECORD_TYPE, data, author="区民政局李科长").record_id


def test_the_conference_is_the_plan_to_carry_out(qtbot: QtBot, desk: DeskServices) -> None:
    child_id = make_child(desk)
    case_id = desk.cases.open(child_id, CaseKind.ABUSE, "身上有不明伤痕").record_id
    own = Plan(
        goals=["孩子按时上学"], actions=[PlanAction("联系学校", "儿童主任", date(2026, 12, 1))]
    )
    desk.cases.update_plan(case_id, own)
    plain = open_dialog(qtbot, desk, child_id, case_id)
    tab = plain.tabs.indexOf(plain._conference_tab)
    assert not plain.tabs.isTabVisible(tab)  # no conference: no tab

    conference_id = conference(desk, child_id, case_id)
    dialog = open_dialog(qtbot, desk, child_id, case_id)
    assert dialog.tabs.isTabVisible(tab)
    assert dialog.tabs.tabText(tab) == "个案会商（3项待落实）"
    box = dialog.conference_panel.box(conference_id)
    assert box is not None
    assert box.title() == "2026-11-18 会商"
    assert "参加部门：民政、公安、学校" in box.summary.text()
    assert "派出所训诫父亲" in box.summary.text() and "2026-12-15" in box.summary.text()
    rows = box.action_rows()
    assert rows[0][:4] == ("每周家访一次", "儿童主任", "2026-12-31", "待落实")
    assert rows[1][3] == OVERDUE_ZH  # due 11-20, today 11-22

    # nothing written: asked to say what was done
    box.progress_button.click()
    assert "请写明" in box.message.text()
    box.action.setCurrentIndex(box.action.findData("a1"))
    box.text.setText("11月21日家访，孩子情绪稳定")
    with qtbot.waitSignal(dialog.case_changed):
        box.progress_button.click()
    box = dialog.conference_panel.box(conference_id)
    assert box is not None
    assert box.action_rows()[0][3:] == ("待落实", "11月21日家访，孩子情绪稳定")
    box.action.setCurrentIndex(box.action.findData("a2"))
    box.text.setText("临时救助已报乡镇")
    with qtbot.waitSignal(dialog.case_changed):
        box.done_button.click()
    box = dialog.conference_panel.box(conference_id)
    assert box is not None
    assert box.action_rows()[1][3] == "已完成"
    assert box.action.findData("a2") == -1  # done: no longer offered
    assert dialog.tabs.tabText(tab) == "个案会商（2项待落实）"
    steps = [r.data for r in desk.vault.load(STEP_TYPE).revisions]
    assert {(s["action"], s["details"]["action_id"]) for s in steps} == {
        (cc.ACTION_PROGRESS, "a1"),
        (cc.ACTION_DONE, "a2"),
    }
    # the director's own plan is as it was
    assert desk.cases.get(case_id).value.plan == own
    assert dialog.plan_editor.plan() == own


def test_a_report_filed_from_the_case(qtbot: QtBot, desk: DeskServices) -> None:
    from tests.ui.workflow_helpers import workflow_desk

    child_id = make_child(desk)
    case_id = desk.cases.open(child_id, CaseKind.ABUSE, "身上有不明伤痕，疑似遭受侵害").record_id
    dialog = open_dialog(qtbot, workflow_desk(desk), child_id, case_id)  # type: ignore[arg-type]
    dialog.tabs.setCurrentIndex(3)
    assert not dialog.case_reports.isVisibleTo(dialog)
    dialog.file_report_button.click()
    report = dialog.report_dialog
    assert report is not None
    qtbot.addWidget(report)
    assert report.seen.toPlainText() == "身上有不明伤痕，疑似遭受侵害"  # from the case
    assert report.concern.currentData() == "abuse"
    assert report.at_risk.text() == "李思远"
    report.danger_no.setChecked(True)
    with qtbot.waitSignal(dialog.case_changed):
        report.file_button.click()
    stored = desk.cases.get(case_id).value
    assert stored.mandatory_report  # the case is marked too
    ((data, _status),) = desk.workflows.reports(child_id)  # type: ignore[attr-defined]
    assert data["source"] == "case" and data["source_id"] == case_id
    assert dialog.case_reports.isVisibleTo(dialog)
    assert "待送达" in dialog.case_reports.item(0).text()


def test_an_assessment_whose_rules_demand_a_report(qtbot: QtBot, desk: DeskServices) -> None:
    from PySide6.QtWidgets import QPushButton

    from tests.ui.test_assessment_wizard import click, complete_all_pages, open_wizard
    from tests.ui.test_assessment_wizard import make_child as make_assessed_child

    wizard = open_wizard(qtbot, desk, make_assessed_child(desk))
    wizard.go_to_page([p.id for p in wizard.definition.pages].index("child_safety"))  # type: ignore[union-attr]
    wizard.question_widget("sf_abuse").choose("confirmed")  # type: ignore[attr-defined]
    wizard.go_to_page(0)
    complete_all_pages(qtbot, wizard)
    assert wizard.findChild(QPushButton, "result_file_report") is None  # a preview: finish first
    with qtbot.waitSignal(wizard.assessment_finished):
        click(qtbot, wizard, "finish")
    assessment_id = wizard.record_id
    assert assessment_id in desk.workflows.assessments_needing_report()  # type: ignore[attr-defined]
    button = wizard.findChild(QPushButton, "result_file_report")
    assert button is not None and button.text() == "填写强制报告"
    button.click()
    report = wizard.report_dialog
    assert report is not None
    qtbot.addWidget(report)
    assert "监护侵害" in report.seen.toPlainText()  # the rule that demands the report
    assert report.concern.currentData() == "abuse"
    assert "监护能力评估" in report.source_text.text()
    report.danger_yes.setChecked(True)
    with qtbot.waitSignal(report.saved):
        report.file_button.click()
    assert assessment_id not in desk.workflows.assessments_needing_report()  # type: ignore[attr-defined]


def test_a_report_being_written_from_a_case_survives_the_lock(
    qtbot: QtBot, desk: DeskServices
) -> None:
    """The case's draft carries the report window's input (the session keeps the case's draft
    across an auto-lock); the case reopened with it reopens the report, input and all."""
    child_id = make_child(desk)
    case_id = desk.cases.open(child_id, CaseKind.ABUSE, "身上有不明伤痕").record_id
    dialog = open_dialog(qtbot, desk, child_id, case_id)
    assert dialog.unsaved_draft() is None
    dialog.file_report_button.click()
    report = dialog.report_dialog
    assert report is not None
    qtbot.addWidget(report)
    with qtbot.waitSignal(dialog.edited):  # the session's keeper is poked
        report.seen.setPlainText("身上有不明伤痕，昨天又添新伤")  # type: ignore[attr-defined]
    report.danger_yes.setChecked(True)  # type: ignore[attr-defined]
    draft = dialog.unsaved_draft()
    assert draft is not None and draft["kind"] == "case" and draft["case_id"] == case_id
    assert draft["report"]["form"]["seen"] == "身上有不明伤痕，昨天又添新伤"
    dialog.discard_changes()  # the lock kept it: closing asks nothing
    assert dialog.unsaved_draft() is None

    from ui.views.case_dialog import CaseDialog

    restored = CaseDialog(desk, child_id, case_id, draft=draft)
    qtbot.addWidget(restored)
    back = restored.report_dialog
    assert back is not None
    qtbot.addWidget(back)
    assert back.seen.toPlainText() == "身上有不明伤痕，昨天又添新伤"  # type: ignore[attr-defined]
    assert back.danger_yes.isChecked()  # type: ignore[attr-defined]
    assert "已恢复" in back.form_message.text()  # type: ignore[attr-defined]
    assert restored.unsaved_draft() is not None  # still unsaved until filed


def test_the_wizard_hands_the_report_to_the_session(qtbot: QtBot, desk: DeskServices) -> None:
    from tests.ui.test_assessment_wizard import click, complete_all_pages, open_wizard
    from tests.ui.test_assessment_wizard import make_child as make_assessed_child

    child_id = make_assessed_child(desk)
    wizard = open_wizard(qtbot, desk, child_id)
    asked: list[tuple[Any, ...]] = []
    wizard.open_report = lambda *a, **k: asked.append((*a, k))
    wizard.go_to_page([p.id for p in wizard.definition.pages].index("child_safety"))  # type: ignore[union-attr]
    wizard.question_widget("sf_abuse").choose("confirmed")  # type: ignore[attr-defined]
    wizard.go_to_page(0)
    complete_all_pages(qtbot, wizard)
    with qtbot.waitSignal(wizard.assessment_finished):
        click(qtbot, wizard, "finish")
    click(qtbot, wizard, "result_file_report")
    assert asked == [(child_id, "周小雨", "", {"assessment_id": wizard.record_id})]
    assert wizard.report_dialog is None


def test_the_session_keeps_a_report_written_from_a_case_across_the_auto_lock(
    qtbot: QtBot,
    session: Any,  # noqa: F811 (the fixture)
    tmp_path: Any,
) -> None:
    """The walk by hand, as the program runs it: a case opened by the session, 填写强制报告,
    something typed, the auto-lock; after the password, the case and its report window come
    back with what was typed (kept encrypted meanwhile)."""
    from app.domain.child_file import ChildFile, Gender
    from storage.vault import Vault
    from tests.conftest import PASSWORD
    from ui.draft_keeper import DRAFT_TYPE

    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    desk = session.desk
    child_id = desk.children.create(
        ChildFile("张小雨", Gender.FEMALE, date(2015, 3, 8), "500119104201")
    ).record_id
    case_id = desk.cases.open(child_id, CaseKind.ABUSE, "身上有不明伤痕").record_id
    session.open_case(child_id, case_id)
    (case,) = session.open_dialogs
    case.file_report_button.click()
    case.report_dialog.seen.setPlainText("昨晚又听到打骂声")
    session.idle.setInterval(50)
    session.idle.start()
    qtbot.waitUntil(lambda: session.window is None, timeout=3000)
    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    (draft,) = [r.data for r in vault.load(DRAFT_TYPE).revisions]
    assert draft["kind"] == "case" and draft["report"]["form"]["seen"] == "昨晚又听到打骂声"
    raw = b"".join(p.read_bytes() for p in (tmp_path / "v").rglob("*") if p.is_file())
    assert "昨晚又听到打骂声".encode() not in raw
    session.opened(vault)
    qtbot.waitUntil(lambda: len(session.open_dialogs) == 1, timeout=3000)
    (restored,) = session.open_dialogs
    report = restored.report_dialog
    assert report is not None and report.seen.toPlainText() == "昨晚又听到打骂声"
    report.danger_no.setChecked(True)
    with qtbot.waitSignal(restored.case_changed):
        report.file_button.click()
    assert [d["source_id"] for d, _s in session.desk.workflows.reports(child_id)] == [case_id]
    qtbot.waitUntil(lambda: vault.load(DRAFT_TYPE).revisions == [], timeout=3000)


def test_a_report_demanded_by_an_assessment_started_from_a_case_survives_the_auto_lock(
    qtbot: QtBot,
    session: Any,  # noqa: F811 (the fixture)
    tmp_path: Any,
) -> None:
    """新建评估 in a case the session opened (the wizard modal over the case), an assessment
    whose rules demand a report, 填写强制报告 on its result: the report window is the case's
    (the wizard closes), so what is typed there is kept across the auto-lock with the case's
    draft, as a report opened anywhere else in the session is; filed after the password, it
    names the assessment as its source and marks the case."""
    from PySide6.QtCore import QTimer

    from app.domain.child_file import ChildFile, Gender
    from storage.vault import Vault
    from tests.conftest import PASSWORD
    from tests.ui.test_assessment_wizard import click, complete_all_pages
    from ui.draft_keeper import DRAFT_TYPE
    from ui.views.assessment_wizard import AssessmentWizard

    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    desk = session.desk
    child_id = desk.children.create(
        ChildFile("周小雨", Gender.FEMALE, date(2016, 3, 1), "500119104201")
    ).record_id
    case_id = desk.cases.open(child_id, CaseKind.ABUSE, "身上有不明伤痕").record_id
    session.open_case(child_id, case_id)
    (case,) = session.open_dialogs
    walked: list[str] = []

    def walk_the_modal_wizard() -> None:
        wizard = case.findChild(AssessmentWizard)
        assert wizard is not None and wizard.isModal()
        try:
            qtbot.waitUntil(lambda: wizard.definition is not None, timeout=3000)
            wizard.go_to_page([p.id for p in wizard.definition.pages].index("child_safety"))
            wizard.question_widget("sf_abuse").choose("confirmed")
            wizard.go_to_page(0)
            complete_all_pages(qtbot, wizard)
            with qtbot.waitSignal(wizard.assessment_finished):
                click(qtbot, wizard, "finish")
            walked.append(str(wizard.record_id))
            click(qtbot, wizard, "result_file_report")  # closes the wizard: exec() returns
        finally:
            if wizard.isVisible():  # a report window of the wizard's own: end the modal loop
                walked.append("the wizard stayed open")
                wizard.done(0)

    QTimer.singleShot(0, walk_the_modal_wizard)
    case.new_assessment.click()
    assert len(walked) == 1, walked  # the wizard closed, its report handed to the case
    assessment_id = walked[0]
    report = case.report_dialog
    assert report is not None and report.isVisible()
    assert "监护能力评估" in report.source_text.text()
    report.seen.setPlainText("评估时发现新伤")
    report.edited.emit()
    session.idle.setInterval(50)
    session.idle.start()
    qtbot.waitUntil(lambda: session.window is None, timeout=3000)
    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    drafts = [r.data for r in vault.load(DRAFT_TYPE).revisions]
    (draft,) = [d for d in drafts if d.get("kind") == "case"]
    assert draft["report"]["form"]["seen"] == "评估时发现新伤"
    assert draft["report"]["assessment_id"] == assessment_id
    session.opened(vault)
    qtbot.waitUntil(
        lambda: any(getattr(d, "report_dialog", None) for d in session.open_dialogs),
        timeout=3000,
    )
    (restored,) = [d for d in session.open_dialogs if getattr(d, "report_dialog", None)]
    back = restored.report_dialog
    assert back.seen.toPlainText() == "评估时发现新伤"
    back.danger_yes.setChecked(True)
    with qtbot.waitSignal(restored.case_changed):
        back.file_button.click()
    reports = session.desk.workflows.reports(child_id)
    assert [(d["source"], d["source_id"]) for d, _s in reports] == [("assessment", assessment_id)]
    assert session.desk.cases.get(case_id).value.mandatory_report_on is not None
