"""活动照片 (issue 19): from the 活动 page and from 修改活动, photos are added from a file (a PDF
or an oversized file refused in words above the buttons, nothing stored), shown (decrypted and
decoded in memory on the vault worker — with the real threaded runner in strict mode, the GUI
thread never touches the vault nor decodes the photo), removed with a reason (a blank one
refused), counted in the list's 照片 column; correcting the activity keeps them."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.activity import MAX_PHOTO_BYTES, Activity, ActivityKind
from storage.thread_check import set_vault_thread_check
from tests.fixtures.photos import jpeg_bytes, png_bytes
from tests.ui.conftest import fixed_today
from tests.ui.test_window_fit import text_scale, walk  # noqa: F401 (text_scale: a fixture)
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.tasks import VaultRunner, enforce_vault_thread
from ui.views import activity_photos
from ui.views.activities_page import ActivitiesPage, ActivityDialog
from ui.views.activity_photos import ActivityPhotosDialog, decode_photo


def _page(qtbot: QtBot, desk: DeskServices) -> ActivitiesPage:
    store = CaseloadStore(desk.vault, desk.runner)
    store.load()
    page = ActivitiesPage(desk, store)
    qtbot.addWidget(page)
    page.show()
    return page


def _activity(desk: DeskServices, title: str = "红色实践：重走长征路") -> str:
    activity = Activity(fixed_today(), ActivityKind.RED_PRACTICE, title, desk.village_code)
    return desk.activities.record(activity).record_id


def test_add_view_refuse_and_remove_photos_from_the_page(
    qtbot: QtBot, demo_desk: DeskServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    activity_id = _activity(demo_desk)
    page = _page(qtbot, demo_desk)
    assert page.table.item(0, 6).text() == ""
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: told.append(a[2]))
    page.table.clearSelection()
    assert page.open_photos() is None and told == ["请先在列表中选中一次活动。"]
    page.table.selectRow(0)
    dialog = page.open_photos()
    assert isinstance(dialog, ActivityPhotosDialog)
    assert dialog.photo_list.count() == 0 and "还没有照片" in dialog.preview.text()
    assert not dialog.remove_button.isEnabled()

    photo = tmp_path / "合影.jpg"
    photo.write_bytes(jpeg_bytes(800, 600))
    with qtbot.waitSignal(dialog.photos_changed):
        dialog.add_file(photo)
    assert dialog.photo_list.count() == 1
    assert dialog.photo_list.item(0).text().startswith("合影.jpg\n")
    shown = dialog.preview.pixmap()
    assert not shown.isNull() and shown.width() <= dialog.preview.width()
    assert page.table.item(0, 6).text() == "1张"

    # a PDF (renamed .png) and a file over 10 MB are refused in words; nothing is stored
    fake = tmp_path / "签到表.png"
    fake.write_bytes(b"%PDF-1.4 not a photo")
    dialog.add_file(fake)
    assert "只能添加JPG或PNG格式的照片" in dialog.message.text()
    big = tmp_path / "太大.jpg"
    big.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * MAX_PHOTO_BYTES)
    dialog.add_file(big)
    assert "不能超过10MB" in dialog.message.text()
    missing = tmp_path / "拔掉的U盘.jpg"
    dialog.add_file(missing)
    assert "读不出来" in dialog.message.text()
    assert len(demo_desk.activities.photos(activity_id)) == 1

    second = tmp_path / "手工.png"
    second.write_bytes(png_bytes())
    with qtbot.waitSignal(dialog.photos_changed):
        dialog.add_file(second)
    assert dialog.message.text() == ""
    assert dialog.photo_list.count() == 2 and dialog.photo_list.currentRow() == 1  # the new one
    dialog.photo_list.setCurrentRow(0)
    assert not dialog.preview.pixmap().isNull()

    # removed with a reason; a blank one is refused
    first_id = dialog.selected_photo().photo_id  # type: ignore[union-attr]
    dialog.remove_with_reason(first_id, "   ")
    assert dialog.message.text() == "请写明删除的原因。"
    with qtbot.waitSignal(dialog.photos_changed):
        dialog.remove_with_reason(first_id, "拍到了路人")
    assert dialog.photo_list.count() == 1
    assert dialog.photo_list.item(0).text().startswith("手工.png")
    assert [p.filename for p in demo_desk.activities.photos(activity_id)] == ["手工.png"]
    assert page.table.item(0, 6).text() == "1张"
    dialog.accept()


def test_correcting_the_activity_keeps_its_photos_and_opens_them(
    qtbot: QtBot, demo_desk: DeskServices
) -> None:
    service = demo_desk.activities
    activity_id = _activity(demo_desk)
    service.add_photo(activity_id, io.BytesIO(png_bytes()), filename="a.png")
    page = _page(qtbot, demo_desk)
    new = page.new_activity()
    assert new.findChild(QLabel, "activity_photos_later") is not None  # saved first
    new.reject()
    page.table.selectRow(0)
    edit = page.edit_activity()
    assert edit is not None
    photos = edit.open_photos()
    assert photos is not None and photos.photo_list.count() == 1
    photos.accept()
    edit.title_edit.setText("红色实践：重走长征路（二）")
    with qtbot.waitSignal(page.changed):
        edit.save_button.click()
    assert [p.filename for p in service.photos(activity_id)] == ["a.png"]
    assert page.table.item(0, 2).text() == "红色实践：重走长征路（二）"
    assert page.table.item(0, 6).text() == "1张"


def test_decoded_on_the_vault_worker_with_the_real_runner(
    qtbot: QtBot, demo_desk: DeskServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Strict mode: a vault call from the GUI thread would raise; the decode's thread is
    recorded by wrapping the module's own function."""
    activity_id = _activity(demo_desk)
    decoded_on: list[str] = []
    original = activity_photos.decode_photo

    def recorded(data: bytes, bounds: QSize):  # type: ignore[no-untyped-def]
        decoded_on.append(threading.current_thread().name)
        return original(data, bounds)

    monkeypatch.setattr(activity_photos, "decode_photo", recorded)
    errors: list[BaseException] = []
    runner = VaultRunner(default_on_error=errors.append)
    desk = DeskServices.for_vault(demo_desk.vault, runner, today=fixed_today)
    stored = desk.activities.get(activity_id)
    enforce_vault_thread(runner)
    try:
        dialog = ActivityPhotosDialog(desk, stored)
        qtbot.addWidget(dialog)
        dialog.show()
        photo = tmp_path / "现场.jpg"
        photo.write_bytes(jpeg_bytes(1600, 1200))
        with qtbot.waitSignal(dialog.photos_changed, timeout=10000):
            dialog.add_file(photo)
        qtbot.waitUntil(lambda: not dialog.preview.pixmap().isNull(), timeout=10000)
        assert decoded_on and set(decoded_on) == {"vault-worker"}
        assert dialog.preview.pixmap().width() <= dialog.preview.width()
        assert errors == []
    finally:
        set_vault_thread_check(None)
        done: list[bool] = []
        runner.submit(lambda: None, lambda _v: done.append(True))
        qtbot.waitUntil(lambda: done == [True], timeout=5000)
        runner.shutdown()


def test_decode_photo_scales_and_refuses_junk(qapp: object) -> None:
    image = decode_photo(jpeg_bytes(1600, 1200), QSize(400, 300))
    assert (image.width(), image.height()) == (400, 300)
    small = decode_photo(png_bytes(40, 30), QSize(400, 300))
    assert (small.width(), small.height()) == (40, 30)  # a small photo stays as it is
    with pytest.raises(activity_photos.PhotoUnreadable):
        decode_photo(b"\xff\xd8\xff\xe0 damaged", QSize(400, 300))


@pytest.mark.usefixtures("text_scale")
def test_the_photos_window_fits_a_small_screen(qtbot: QtBot, demo_desk: DeskServices) -> None:
    """1366×768 with a taskbar (and 1280×720), default and 特大 text; 修改活动 with its 活动照片
    row too."""

    activity_id = _activity(demo_desk)
    demo_desk.activities.add_photo(
        activity_id, io.BytesIO(jpeg_bytes(1600, 1200)), filename="a.jpg"
    )
    stored = demo_desk.activities.get(activity_id)
    problems = walk(lambda: ActivityPhotosDialog(demo_desk, stored))
    problems += walk(lambda: ActivityDialog(demo_desk, None, None, stored))  # with 活动照片
    assert problems == [], "\n".join(problems)
