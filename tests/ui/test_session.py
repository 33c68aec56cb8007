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
from tests.conftest import PASSWORD, create_vault
from tests.ui.conftest import fixed_today
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.gui import DRAFT_TYPE, DeskSession
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


def test_unlock_wrong_password_then_right(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    create_vault(tmp_path / "v").vault.lock()
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
    page = ChildrenPage(demo_desk.schedule, fixed_today)
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
    form.id_number.setText("990101201503081234")  # wrong check character
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


@pytest.fixture
def session(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    create_vault(tmp_path / "v").vault.lock()
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
    assert vault.load(DRAFT_TYPE).revisions == []
    restored.discard_changes()


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
