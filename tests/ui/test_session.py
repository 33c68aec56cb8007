"""The desktop app as a new director meets it: first run, unlock, the children list, editing a
child, recording a visit, auto-lock with unsaved input kept, the larger-text setting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWizard

from app.domain.id_number import FICTIONAL_AREA_CODE, make_id_number
from storage.unlock_throttle import UnlockThrottle
from storage.vault import Vault
from tests.conftest import PASSWORD, VaultCopies
from tests.ui.conftest import end_session, fixed_today
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.draft_keeper import DRAFT_TYPE
from ui.gui import DeskSession
from ui.tasks import InlineRunner
from ui.theme import BASE_POINT_SIZE
from ui.ui_settings import UiSettings
from ui.views.child_file_dialog import ChildFileDialog
from ui.views.children_model import _char_pinyin
from ui.views.children_page import ChildrenPage
from ui.views.first_run import FirstRunWizard
from ui.views.unlock_dialog import UnlockDialog
from ui.views.visit_dialog import VisitDialog


def test_first_run_creates_a_vault_and_shows_the_recovery_code(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wizard = FirstRunWizard(tmp_path / "vault", InlineRunner(), kdf_target_ms=0)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.profile.name.setText("王秀英")
    wizard.profile.village.setText("5001")
    wizard.next()
    assert wizard.currentPage() is wizard.profile  # village code refused
    assert "12 位" in wizard.profile.error.text()
    wizard.profile.village.setText("500119104201")
    wizard.next()
    assert wizard.currentPage() is wizard.password_page
    wizard.password_page.password.setText("wangxiuying1")
    assert wizard.password_page.strength.text()  # a strength hint while typing
    wizard.next()
    assert "名字" in wizard.password_page.problems.text()
    wizard.password_page.password.setText("门前有棵老槐树2008")
    wizard.password_page.repeat.setText("门前有棵老槐树2008")
    wizard.next()
    assert wizard.currentPage() is wizard.recovery_page
    assert wizard.created is not None
    shown = wizard.recovery_page.code.text().replace(" ", "").replace("\n", "")
    assert shown == wizard.created.recovery_code.replace("-", "")
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()  # not until it was written down
    wizard.recovery_page.written.setChecked(True)
    assert next_button.isEnabled()
    wizard.next()
    assert wizard.currentPage() is wizard.district_page  # skippable
    wizard.created.vault.lock()
    Vault.unlock(tmp_path / "vault", "门前有棵老槐树2008").lock()


def test_unlock_wrong_password_then_right(qtbot, tmp_path: Path, vault_copies: VaultCopies) -> None:  # type: ignore[no-untyped-def]
    vault_copies.open(tmp_path / "v").vault.lock()
    throttle = UnlockThrottle()
    dialog = UnlockDialog(tmp_path / "v", InlineRunner(), throttle)
    qtbot.addWidget(dialog)
    dialog.password.setText("wrong-password")
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert "密码不正确" in dialog.message.text()
    assert dialog.vault is None
    for _ in range(3):
        dialog.password.setText("wrong-password")
        dialog._unlock()
    assert not dialog.unlock_button.isEnabled()  # a growing delay after repeated misses
    assert "秒后再试" in dialog.message.text()
    throttle.record_success()
    dialog.unlock_button.setEnabled(True)
    dialog.password.setText(PASSWORD)
    dialog._unlock()
    assert dialog.vault is not None
    dialog.vault.lock()


def test_children_list_search_by_pinyin_and_filter_by_level(qtbot, demo_desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    store = CaseloadStore(demo_desk.vault, demo_desk.runner)
    page = ChildrenPage(lambda: demo_desk.schedule, fixed_today)
    qtbot.addWidget(page)
    store.changed.connect(page.show_caseload)
    store.load()
    assert page.model.rowCount() == 40
    target = page.model.row_at(0)
    initials = "".join(_char_pinyin(c)[1] for c in target.name)  # e.g. 张三 → zs
    qtbot.keyClicks(page.search, initials)
    names = {page.model.row_at(r).name for r in range(page.model.rowCount())}
    assert target.name in names
    assert all(initials in page.model.row_at(r).haystack for r in range(page.model.rowCount()))
    page.search.clear()
    page.level_filter.setCurrentIndex(page.level_filter.findData("red"))
    levels = {page.model.row_at(r).level for r in range(page.model.rowCount())}
    assert levels == {"red"}
    assert "显示" in page.count.text()


def test_editing_a_child_with_a_validation_error(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    dialog = ChildFileDialog(desk, None)
    qtbot.addWidget(dialog)
    form = dialog.form
    form.name.setText("李小明")
    form.birth_date.setDate(form.birth_date.date().__class__(2015, 3, 8))
    form.id_number.setText("500199201503081234")  # wrong check character
    dialog.save()
    error = dialog.findChild(QLabel, "error_id_number")
    assert error is not None and error.isVisibleTo(dialog) and "身份证号" in error.text()
    assert desk.children.list_all()[0] == []  # nothing stored
    form.id_number.setText(make_id_number(FICTIONAL_AREA_CODE, date(2015, 3, 8), 123))
    dialog.save()
    assert dialog.child_id is not None
    assert desk.children.get(dialog.child_id).value.name == "李小明"
    assert dialog.tabs.isTabEnabled(3)  # 走访 once saved
    dialog.discard_changes()


def test_recording_a_visit_proposes_the_next_date(qtbot, desk: DeskServices) -> None:  # type: ignore[no-untyped-def]
    from app.domain.categories import ChildCategory
    from app.domain.child_file import ChildFile, Gender

    child = desk.children.create(
        ChildFile(
            "陈雨桐",
            Gender.FEMALE,
            date(2014, 6, 1),
            "500119104201",
            categories=[ChildCategory.DE_FACTO_UNSUPPORTED],
        )
    )
    dialog = VisitDialog(desk, child.record_id, level="green")
    qtbot.addWidget(dialog)
    assert dialog.next_on.date().toPython() == date(2026, 12, 22)  # monthly for 事实无人抚养
    assert "每月" in dialog.proposal.text()
    dialog.met.setText("祖母、儿童本人")
    dialog.problems.setPlainText("冬季衣物不足")
    saved: list[str] = []
    dialog.visit_saved.connect(saved.append)
    qtbot.mouseClick(dialog.findChild(QPushButton, "save_visit"), Qt.MouseButton.LeftButton)
    assert saved
    stored = desk.visits.list_all(child.record_id)
    assert stored[0].value.met == ["祖母", "儿童本人"]
    assert stored[0].value.next_visit_on == date(2026, 12, 22)


def _install_green_every(vault: Vault, days: int) -> None:
    """The district's schedule rules with green children visited every ``days``, installed as a
    sync would (storage.definitions_store)."""
    import json

    from resources import resource_path
    from storage import definitions_store
    from sync.wire import canonical_json, sha256_hex

    body = json.loads(resource_path("schedule", "visit_schedule.json").read_text("utf-8"))
    for rule in body["rules"]:
        if rule["id"] == "level_green":
            rule["max_interval_days"] = days
    body["version"] = "2"
    assert definitions_store.install(
        vault,
        kind="schedule",
        name="visit_schedule",
        version="2",
        sha256=sha256_hex(canonical_json(body)),
        body=body,
        district_seq=1,
    )


def _due_dates(page: ChildrenPage) -> dict[str, date | None]:
    rows = (page.model.row_at(r) for r in range(page.model.rowCount()))
    return {row.summary.child_id: row.next_due for row in rows}


def test_children_list_follows_schedule_rules_installed_while_open(
    qtbot, demo_desk: DeskServices
) -> None:  # type: ignore[no-untyped-def]
    from app.domain.schedule import next_due

    store = CaseloadStore(demo_desk.vault, demo_desk.runner)
    page = ChildrenPage(lambda: demo_desk.schedule, fixed_today)
    qtbot.addWidget(page)
    store.changed.connect(page.show_caseload)
    page.show()
    store.load()
    before = _due_dates(page)
    assert store.caseload is not None
    summaries = store.caseload.summaries
    _install_green_every(demo_desk.vault, 20)
    assert demo_desk.schedule.version == "1"  # the GUI thread never reads the vault itself
    assert demo_desk.refresh_definitions()  # what the session runs on the worker after a sync
    assert demo_desk.schedule.version == "2"
    page.hide()
    page.show()  # shown again: the list is made with the rules now in force
    after = _due_dates(page)
    changed = {cid for cid in after if after[cid] != before[cid]}
    assert changed and all(summaries[cid].level == "green" for cid in changed)
    for cid in changed:
        assert after[cid] == next_due(summaries[cid].schedule_facts, demo_desk.schedule).due


@pytest.fixture
def session(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vault_copies: VaultCopies):  # type: ignore[no-untyped-def]
    vault_copies.open(tmp_path / "v").vault.lock()
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    session = DeskSession(
        QApplication.instance(), tmp_path / "v", settings, InlineRunner(), today=fixed_today
    )
    asked: list[bool] = []
    monkeypatch.setattr(session, "ask_unlock", lambda: asked.append(True) or True)
    session.asked = asked  # type: ignore[attr-defined]
    yield session
    if session.desk is not None:
        session.desk.vault.lock()
    end_session(session)


def test_auto_lock_keeps_unsaved_input_encrypted(qtbot, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    assert session.window is not None
    session.open_child(None)
    dialog = session.open_dialogs[0]
    dialog.form.name.setText("未保存的名字")
    dialog.form.edited.emit()
    session.idle.setInterval(50)  # a short timeout for the test
    session.idle.start()
    qtbot.waitUntil(lambda: session.window is None, timeout=3000)
    qtbot.waitUntil(lambda: session.asked == [True], timeout=3000)  # the password is asked again
    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    drafts = vault.load(DRAFT_TYPE).revisions
    assert len(drafts) == 1 and drafts[0].data["data"]["name"] == "未保存的名字"
    raw = b"".join(p.read_bytes() for p in (tmp_path / "v").rglob("*") if p.is_file())
    assert "未保存的名字".encode() not in raw  # kept encrypted, never in plaintext
    session.opened(vault)
    restored = session.open_dialogs[0]
    assert restored.form.name.text() == "未保存的名字"
    # kept until it is saved or thrown away: a second crash would not lose it either
    assert [r.data["data"]["name"] for r in vault.load(DRAFT_TYPE).revisions] == ["未保存的名字"]
    restored.discard_changes()
    restored.close()  # closed without saving: the draft goes
    qtbot.waitUntil(lambda: session.open_dialogs == [], timeout=3000)
    assert vault.load(DRAFT_TYPE).revisions == []


def test_auto_lock_keeps_a_cases_unsaved_plan_and_a_new_cases_summary(
    qtbot, session, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Every editor keeps its unsaved input across an auto-lock, not only a child's file: a
    case's edited plan and a new case's summary come back, encrypted meanwhile."""
    from app.domain.case import CaseKind
    from app.domain.child_file import ChildFile, Gender

    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    session.opened(vault)
    assert session.desk is not None
    desk = session.desk
    child_id = desk.children.create(
        ChildFile(
            name="张小雨",
            gender=Gender.FEMALE,
            birth_date=date(2015, 3, 8),
            village_code="500119104201",
        )
    ).record_id
    case_id = desk.cases.open(child_id, CaseKind.ABSENCE, "父母外出务工").record_id
    session.open_case(child_id, case_id)
    session.open_case(child_id, "")  # a new case, not yet opened
    edited, new = session.open_dialogs
    edited.plan_editor.set_goal(0, "按时上学的目标")
    new.summary.setPlainText("走访发现独自在家")
    assert edited.has_unsaved_changes
    session.idle.setInterval(50)
    session.idle.start()
    qtbot.waitUntil(lambda: session.window is None, timeout=3000)
    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    drafts = [r.data for r in vault.load(DRAFT_TYPE).revisions]
    assert sorted(d["kind"] for d in drafts) == ["case", "case"]
    raw = b"".join(p.read_bytes() for p in (tmp_path / "v").rglob("*") if p.is_file())
    assert "按时上学的目标".encode() not in raw and "独自在家".encode() not in raw
    assert vault.get(case_id).data["plan"]["goals"] == []  # kept as a draft, not saved

    session.opened(vault)
    qtbot.waitUntil(lambda: len(session.open_dialogs) == 2, timeout=3000)
    by_case = {d.record_id: d for d in session.open_dialogs}
    restored, restored_new = by_case[case_id], by_case[None]
    assert restored.plan_editor.plan().goals == ["按时上学的目标"]
    assert restored.has_unsaved_changes and "已恢复" in restored.plan_status.text()
    assert restored_new.summary.toPlainText() == "走访发现独自在家"
    restored.save_plan()
    assert session.desk.cases.get(case_id).value.plan.goals == ["按时上学的目标"]
    qtbot.waitUntil(lambda: len(vault.load(DRAFT_TYPE).revisions) == 1, timeout=3000)
    restored_new.open_case()  # opening the new case: its draft goes too
    qtbot.waitUntil(lambda: vault.load(DRAFT_TYPE).revisions == [], timeout=3000)


def test_a_sync_that_installs_rules_refreshes_the_children_list(
    qtbot, session, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The 同步 page says something changed (here: the district's new rules): the caseload is
    refreshed and the 儿童档案 list is made again with the rules in force."""
    from app.demo_caseload import fill_vault
    from tests.ui.conftest import TODAY
    from ui.views.sync_page import SyncPage

    vault = Vault.unlock(tmp_path / "v", PASSWORD)
    fill_vault(vault, children=30, seed=7, village_code="500119104201", today=TODAY, author="王")
    session.opened(vault)
    pages = session.window.pages
    children, sync = pages["儿童档案"], pages["同步"]
    assert isinstance(children, ChildrenPage) and isinstance(sync, SyncPage)
    before = _due_dates(children)
    assert before
    _install_green_every(vault, 20)
    sync._data_changed()  # what the page does when a sync changed data: rules re-read first
    after = _due_dates(children)
    assert after.keys() == before.keys() and after != before


def test_a_deleted_session_takes_its_idle_filter_and_windows_with_it(
    qtbot, tmp_path: Path, vault_copies: VaultCopies
) -> None:  # type: ignore[no-untyped-def]
    """The auto-lock's filter on the application is the session's child: deleting the session
    (as quitting does) takes it off the application, instead of every later event still
    running through it; and nothing of the desk's windows is left behind."""
    import shiboken6

    vault_copies.open(tmp_path / "v").vault.lock()
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    widgets_before = len(QApplication.allWidgets())
    session = DeskSession(
        QApplication.instance(), tmp_path / "v", settings, InlineRunner(), today=fixed_today
    )
    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    assert session.window is not None and len(QApplication.allWidgets()) > widgets_before
    watcher = session._watcher
    session.desk.vault.lock()
    end_session(session)
    assert not shiboken6.isValid(session)
    assert not shiboken6.isValid(watcher), "the idle filter outlived its session"
    assert len(QApplication.allWidgets()) == widgets_before


def test_larger_text_scales_the_whole_ui(qtbot, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    session.set_text_scale(1.5)
    assert app.font().pointSizeF() == pytest.approx(BASE_POINT_SIZE * 1.5)
    assert session.settings.text_scale == 1.5
    label = QLabel("儿童档案")
    assert label.font().pointSizeF() >= 16
    session.set_text_scale(1.0)


def test_correcting_a_finished_assessment_from_the_child_file(
    qtbot, demo_desk, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import ui.views.child_file_dialog as module

    finished = next(s for s in demo_desk.assessments.list_all() if s.value.status == "finished")
    dialog = ChildFileDialog(demo_desk, finished.value.child_id)
    qtbot.addWidget(dialog)
    opened: list[str] = []
    monkeypatch.setattr(
        module.ChildFileDialog, "_open_assessment", lambda self, rid: opened.append(rid)
    )
    items = dialog.assessments_list
    row = next(
        i
        for i in range(items.count())
        if items.item(i).data(Qt.ItemDataRole.UserRole) == finished.record_id
    )
    items.setCurrentRow(row)
    qtbot.mouseClick(dialog.correct_assessment, Qt.MouseButton.LeftButton)
    assert len(opened) == 1
    correction = demo_desk.assessments.get(opened[0]).value
    assert correction.corrects == finished.record_id and correction.status == "draft"


def test_printing_from_the_desk_uses_the_definitions_in_force(
    qtbot, demo_desk: DeskServices, session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """儿童档案表 and 月度工作报表 printed from the window follow the district's schedule rules;
    the assessment report knows every questionnaire version installed."""
    import app.printing
    import ui.views.print_preview
    from app.domain.schedule import load_schedule, next_due
    from app.printing.markup import zh_date
    from app.services.caseload import Caseload
    from tests.printing.helpers import flat, pdf_text

    made: list[bytes] = []
    monkeypatch.setattr(
        ui.views.print_preview, "preview_pdf", lambda _r, make, *_a: made.append(make())
    )
    _install_green_every(demo_desk.vault, 20)
    demo_desk.refresh_definitions()  # the session does this on the worker after a sync
    schedule = demo_desk.schedule
    assert schedule.version == "2"
    caseload = Caseload.build(demo_desk.vault)
    bundled = load_schedule()
    green = next(
        s
        for s in sorted(caseload.summaries.values(), key=lambda s: s.child_id)
        if s.active
        and s.level == "green"
        and next_due(s.schedule_facts, schedule).due != next_due(s.schedule_facts, bundled).due
    )
    dialog = ChildFileDialog(demo_desk, green.child_id)
    qtbot.addWidget(dialog)
    dialog.print_sheet()
    text = flat(pdf_text(made[-1]))
    assert f"下次应走访日期：{flat(zh_date(next_due(green.schedule_facts, schedule).due))}" in text
    assert flat(zh_date(next_due(green.schedule_facts, bundled).due)) not in text

    seen: dict[str, object] = {}

    def spy(_vault: object, _id: str, **kwargs: object) -> bytes:
        seen.update(kwargs)
        return b"%PDF"

    monkeypatch.setattr(app.printing, "assessment_report_pdf", spy)
    dialog.assessments_list.setCurrentRow(0)
    dialog._print_assessment()
    assert seen["definitions"] == demo_desk.definitions.questionnaires()

    monkeypatch.setattr(app.printing, "monthly_report_pdf", spy)
    session.desk = demo_desk
    try:
        session.print_monthly("2026-11")
    finally:
        session.desk = None  # the vault is demo_desk's to lock
    assert seen["schedule"] is schedule


def test_a_todo_line_opens_the_case_on_the_tab_it_is_about(qtbot, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A 待办 line about an overdue 措施 opens the case on 帮扶方案, where the 措施 and its
    完成日期 are, not on 跟踪回访 where the 介入 stage would put it; from the 个案 list the
    stage still chooses."""
    from datetime import timedelta

    from app.domain.case import CaseKind, CaseStage, Plan, PlanAction
    from app.domain.child_file import ChildFile, Gender
    from ui.views.todo_lists import CASES
    from ui.views.todo_page import TodoPage

    session.opened(Vault.unlock(tmp_path / "v", PASSWORD))
    desk = session.desk
    assert desk is not None and session.window is not None and session.store is not None
    child_id = desk.children.create(
        ChildFile("陈雨桐", Gender.FEMALE, date(2015, 3, 1), desk.village_code)
    ).record_id
    case_id = desk.cases.open(child_id, CaseKind.IMPROPER, "监护不当").record_id
    desk.cases.link_assessment(case_id, notes="已入户核实")
    desk.cases.move(case_id, CaseStage.ASSESSED)
    late = fixed_today() - timedelta(days=2)
    desk.cases.update_plan(case_id, Plan(["按时上学"], [PlanAction("联系学校", "班主任", late)]))
    desk.cases.move(case_id, CaseStage.INTERVENING)
    page = session.window.findChild(TodoPage)
    session.window.show()
    session.window.nav.setCurrentRow(session.window.stack.indexOf(page))  # 待办, as clicked
    session.store.refresh()
    qtbot.waitUntil(lambda: len(page.entries(CASES)) == 1, timeout=3000)
    [entry] = page.entries(CASES)
    assert entry.status == "措施已过期 2 天"

    page.activate(entry)
    [dialog] = session.open_dialogs
    qtbot.waitUntil(lambda: dialog.case is not None, timeout=3000)
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "帮扶方案"
    dialog.close()
    qtbot.waitUntil(lambda: session.open_dialogs == [], timeout=3000)

    session.open_case(child_id, case_id)  # as the 个案 list opens it: the stage's tab
    [dialog] = session.open_dialogs
    qtbot.waitUntil(lambda: dialog.case is not None, timeout=3000)
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "跟踪回访"
    dialog.close()
