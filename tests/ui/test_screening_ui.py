"""心理状况筛查 in the GUI (issue 19), offscreen on a real vault: the wizard runs the screening
checklist with its own words and result page (未见异常/建议关注/建议转介, 初步筛查，不是诊断), a
建议转介 result makes a referral the director follows up in 筛查与转介记录, self-harm shows the
report warning, the children page's right-click menu leads there, and the result prints."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QLabel, QPushButton

from app.domain.referral import REFERRAL_TYPE, SCREENING_TYPE, ReferralStatus
from app.printing.screening_report import screening_report_pdf
from app.services.screening import ReferralService
from tests.printing.helpers import flat, pdf_text
from tests.ui.test_assessment_wizard import click, complete_all_pages, make_child
from tests.ui.test_window_fit import text_scale  # noqa: F401 (the default and the largest text)
from ui.desk_services import DeskServices
from ui.views import messages
from ui.views.children_page import ChildrenPage
from ui.views.messages import user_message
from ui.views.screening_referrals import ReferralsDialog
from ui.views.screening_wizard import ScreeningWizard


@pytest.fixture(autouse=True)
def no_error_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_parent: object, err: BaseException, _title: str = "") -> None:
        raise AssertionError(f"error shown to the user: {user_message(err)}")

    monkeypatch.setattr(messages, "show_error", fail)
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)


def open_screening(qtbot: Any, desk: DeskServices, child_id: str) -> ScreeningWizard:
    wizard = ScreeningWizard(desk, child_id)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def label_text(widget: Any, name: str) -> str:
    found = widget.findChild(QLabel, name)
    assert found is not None, name
    return str(found.text())


def test_a_screening_runs_in_the_wizard_and_refer_makes_a_referral(
    qtbot: Any, desk: DeskServices
) -> None:
    child = make_child(desk, date(2014, 3, 1))
    wizard = open_screening(qtbot, desk, child)
    assert wizard.windowTitle() == "心理状况筛查"
    assert wizard.heading.text().startswith("心理状况筛查 · ")
    assert wizard.answers["child_birth_date"] == "2014-03-01"  # from the child file
    note = wizard.findChild(QLabel, "not_diagnosis_note")
    assert note is not None and "初步筛查，不是诊断" in note.text()
    complete_all_pages(qtbot, wizard)
    # the first choices: no signs, runaway 'yes' (the helper ticks 是) → 建议关注
    assert wizard.assessment_result is not None
    assert wizard.assessment_result.level == "watch"
    badge = wizard.findChild(QLabel, "result_level")
    assert badge is not None and badge.text() == "建议关注"
    assert "初步筛查，不是诊断" in label_text(wizard, "result_not_diagnosis")
    assert wizard.page_list.item(wizard.page_list.count() - 1).text() == "筛查结果"
    # change three signs to 经常: 建议转介, then finish
    for path in ("sl_sleep", "mo_low", "be_withdrawn"):
        wizard.set_answer(path, "often")
    wizard.set_answer("sh_runaway", "no")
    wizard.go_to_page(len(wizard._pages) - 1)
    click(qtbot, wizard, "next")
    assert wizard.assessment_result.level == "refer"
    assert "转介记录" in label_text(wizard, "result_referral")
    finish = wizard.findChild(QPushButton, "finish")
    assert finish is not None and finish.text() == "完成筛查"
    with qtbot.waitSignal(wizard.assessment_finished, timeout=10000):
        click(qtbot, wizard, "finish")
    assert wizard.is_finished
    assert desk.vault.load(SCREENING_TYPE).revisions
    assert all(a.value.definition_id != "psych_screening" for a in desk.assessments.list_all())
    (referral,) = ReferralService(desk.vault, author="x").list_all(child)
    assert referral.value.status == ReferralStatus.PENDING
    assert wizard.findChild(QPushButton, "print_screening") is not None
    pdf = screening_report_pdf(desk.vault, wizard.record_id or "", printed_on=desk.today())
    assert bytes(pdf).startswith(b"%PDF") and pdf.file_name.startswith("心理筛查-")
    text = flat(pdf_text(pdf))
    assert "初步筛查，不是诊断" in text and "筛查结果：建议转介" in text
    assert "周小雨" in text and "待转介" in text and "儿童心理状况初步筛查表（第1版）" in text
    if os.environ.get("CHILDDESK_SCREENING_PDF"):  # to look at it (pdftoppm)
        Path(os.environ["CHILDDESK_SCREENING_PDF"]).write_bytes(pdf)


def test_self_harm_shows_the_report_warning(qtbot: Any, desk: DeskServices) -> None:
    wizard = open_screening(qtbot, desk, make_child(desk))
    complete_all_pages(qtbot, wizard)
    wizard.set_answer("sh_self_harm", "talk")
    wizard.go_to_page(len(wizard._pages) - 1)
    click(qtbot, wizard, "next")
    assert wizard.assessment_result is not None and wizard.assessment_result.mandatory_report
    assert "报告镇（街道）和区民政局" in label_text(wizard, "result_mandatory_report")
    assert "调整为“建议转介”" in label_text(wizard, "result_total")


def test_following_up_a_referral_in_the_dialog(qtbot: Any, desk: DeskServices) -> None:
    child = make_child(desk, date(2014, 3, 1))
    wizard = open_screening(qtbot, desk, child)
    complete_all_pages(qtbot, wizard)
    wizard.set_answer("sh_self_harm", "act")
    wizard.go_to_page(len(wizard._pages) - 1)
    click(qtbot, wizard, "next")
    with qtbot.waitSignal(wizard.assessment_finished, timeout=10000):
        click(qtbot, wizard, "finish")
    dialog = ReferralsDialog(desk, child)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.referral_table.rowCount() == 1)
    assert dialog.screening_table.item(0, 1).text() == "建议转介"
    assert dialog.referral_table.item(0, 1).text() == "待转介"
    assert dialog.referral_form.isEnabled()
    # evaluated without a referral date: refused in words, nothing stored
    dialog.evaluated.setChecked(True)
    dialog.evaluated_on.setDate(QDate(2026, 5, 1))
    click(qtbot, dialog, "save_referral")  # type: ignore[arg-type]
    assert "转介日期" in dialog.error.text()
    dialog.referred_to.setCurrentText("区精神卫生中心")
    today = desk.today()
    qtbot.keyClicks(dialog.referred_on.edit, today.isoformat())  # typed, as a director does
    dialog.evaluated_on.edit.clear()
    qtbot.keyClicks(dialog.evaluated_on.edit, today.strftime("%Y.%m.%d"))
    dialog.outcome.setText("建议定期随访")
    click(qtbot, dialog, "save_referral")  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: dialog.referral_table.item(0, 1).text() == "已评估")
    (stored,) = ReferralService(desk.vault, author="x").list_all(child)
    assert stored.value.referred_to == "区精神卫生中心" and stored.value.evaluated
    assert stored.value.outcome == "建议定期随访"
    assert len(desk.vault.load(REFERRAL_TYPE).revisions) == 1


def test_the_children_page_menu_offers_the_screening(qtbot: Any, desk: DeskServices) -> None:
    page = ChildrenPage(desk.schedule, desk.today)
    qtbot.addWidget(page)
    menu = page.context_actions("abc")
    names = [a.text() for a in menu.actions() if a.text()]
    assert names == ["打开档案", "心理状况筛查…", "筛查与转介记录…"]
    with qtbot.waitSignal(page.screening_requested) as got:
        menu.actions()[2].trigger()
    assert got.args == ["abc", "new"]


def test_the_screening_windows_fit_the_screen(
    qtbot: Any,
    demo_desk: DeskServices,
    text_scale: float,  # noqa: F811 (the fixture imported above)
) -> None:
    """The wizard's pages and a finished 建议转介 result, and 筛查与转介记录 with a referral
    selected, fit 1366×768 with a taskbar and 1280×720, at the default and the largest text."""
    from app.demo_screening import fill_screenings
    from tests.ui.test_window_fit import walk

    desk = demo_desk
    children = [(s.record_id, s.value, "") for s in desk.children.list_all()[0]]
    if not desk.vault.load(SCREENING_TYPE).revisions:
        fill_screenings(
            desk.vault, children, seed=5, today=desk.today(), author=desk.author, mark="演示数据"
        )
    (referred, *_rest) = ReferralService(desk.vault, author="x").list_all()
    child, screening = referred.value.child_id, referred.value.screening_id

    def pages(window: Any) -> Any:
        for index in range(window.page_list.count()):
            window.go_to_page(index)
            yield window.page_list.item(index).text()

    problems = walk(lambda: ScreeningWizard(desk, child, screening), pages)
    problems += walk(lambda: ReferralsDialog(desk, child))
    assert problems == [], "\n".join(problems)


def test_a_blank_screening_form_prints(
    qtbot: Any, desk: DeskServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """打印空白筛查表 in 筛查与转介记录: the bundled checklist on paper, with its label."""
    from ui.views import print_preview, screening_referrals

    shown: list[bytes] = []

    def preview(runner: Any, make: Any, title: str, name: str, parent: Any) -> None:
        shown.append(make())

    monkeypatch.setattr(print_preview, "preview_pdf", preview)
    dialog = screening_referrals.ReferralsDialog(desk, make_child(desk))
    qtbot.addWidget(dialog)
    dialog.show()
    click(qtbot, dialog, "print_blank_screening")  # type: ignore[arg-type]
    (pdf,) = shown
    text = flat(pdf_text(pdf))
    assert "儿童心理状况初步筛查表" in text and "初步筛查，不是诊断" in text


def test_the_desk_opens_the_screening_windows_and_a_lock_closes_them(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vault_copies: Any
) -> None:
    """Through the real session (ui/gui.py): the children page's 心理状况筛查… and 筛查与转介记录…
    open the wizard and the dialog as registered editors; locking closes both, the draft kept."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from storage.vault import Vault
    from tests.conftest import PASSWORD
    from tests.ui.conftest import end_session, fixed_today
    from ui.gui import DeskSession
    from ui.tasks import InlineRunner
    from ui.ui_settings import UiSettings

    vault_copies.open(tmp_path / "v").vault.lock()
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    session = DeskSession(
        QApplication.instance(), tmp_path / "v", settings, InlineRunner(), today=fixed_today
    )
    monkeypatch.setattr(session, "ask_unlock", lambda: True)
    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    assert session.desk is not None and session.window is not None
    child = make_child(session.desk)
    page = session.window.findChild(ChildrenPage)
    assert page is not None
    page.screening_requested.emit(child, "new")
    page.screening_requested.emit(child, "list")
    kinds = {type(d).__name__ for d in session.open_dialogs}
    assert {"ScreeningWizard", "ReferralsDialog"} <= kinds
    wizard = next(d for d in session.open_dialogs if isinstance(d, ScreeningWizard))
    wizard.set_answer("sh_self_harm", "talk")
    session.lock()
    qtbot.waitUntil(lambda: session.window is None, timeout=3000)
    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    (draft,) = vault.load(SCREENING_TYPE).revisions
    assert draft.data["status"] == "draft" and draft.data["answers"]["sh_self_harm"] == "talk"
    vault.lock()
    end_session(session)


def test_the_desk_screening_service_follows_a_version_a_sync_installs(
    desk: DeskServices,
) -> None:
    """DeskServices.screenings is built in the composition root, once per set of definitions:
    the same service while nothing changes, a new one that knows a screening version a sync
    installs while the window is open (re-read on the vault worker, as the 同步 page does)."""
    import json

    from app.questionnaire.loader import SCREENING_DEFINITION_RESOURCE, SCREENING_ID
    from app.services.screening import screening_definition
    from resources import resource_path
    from storage import definitions_store

    child_id = make_child(desk)
    first = desk.screenings
    assert desk.screenings is first  # not rebuilt on each look
    body = json.loads(resource_path(*SCREENING_DEFINITION_RESOURCE).read_text("utf-8"))
    body["version"] = "9.0.0"
    definitions_store.install(
        desk.vault,
        kind="questionnaire",
        name=SCREENING_ID,
        version="9.0.0",
        sha256="0" * 64,
        body=body,
    )
    assert desk.refresh_definitions()
    newer = screening_definition(desk.definitions)
    assert newer.version == "9.0.0"
    assert desk.screenings is not first
    started = desk.screenings.start(child_id, newer, ["王"])
    assert desk.screenings.definition_for(started.value).version == "9.0.0"
