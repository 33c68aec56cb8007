"""Enrollment with the district from the first-run wizard: real widgets offscreen, a real vault
made by the wizard, and the real district server on loopback. Network enrollment with a valid
code, a wrong code (retry, or skip), skipping, the plain-Chinese errors, and USB enrollment in
two steps (the response loaded in the wizard, or later on the 同步 page)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWizard

from storage.vault import Vault
from sync.documents import read_enrollment_request
from sync.laptop.engine import LaptopSync
from sync.recovery import ESCROW_FILE
from sync.server.district import District
from tests.sync.conftest import (  # noqa: F401 (fixtures)
    VILLAGE_A,
    VILLAGE_B,
    ServerThread,
    district_keys,
    free_port,
    server,
    sqlite_district,
)
from tests.ui.conftest import fixed_today
from ui.desk_services import DeskServices
from ui.sync_controller import SyncController
from ui.tasks import InlineRunner, Runner, VaultRunner
from ui.views.enrollment_form import (
    EnrollmentForm,
    code_problem,
    normalize_code,
    normalize_server_url,
)
from ui.views.first_run import DistrictPage, FirstRunWizard
from ui.views.sync_page import SyncPage

PASSWORD = "门前有棵老槐树2008"


@pytest.fixture
def wizards() -> Iterator[list[FirstRunWizard]]:
    made: list[FirstRunWizard] = []
    yield made
    for wizard in made:
        if wizard.vault is not None:
            wizard.vault.lock()


def open_district_page(
    qtbot: Any, data_dir: Path, runner: Runner, made: list[FirstRunWizard]
) -> FirstRunWizard:
    """Walk a new director through the pages before the district page (a real vault)."""
    wizard = FirstRunWizard(data_dir, runner, kdf_target_ms=0)
    made.append(wizard)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.profile.name.setText("王秀英")
    wizard.profile.village.setText(VILLAGE_A)
    wizard.next()
    wizard.password_page.password.setText(PASSWORD)
    wizard.password_page.repeat.setText(PASSWORD)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.recovery_page, timeout=20_000)
    wizard.recovery_page.written.setChecked(True)
    wizard.next()
    assert wizard.currentPage() is wizard.district_page
    return wizard


def finish(wizard: FirstRunWizard, qtbot: Any) -> None:
    button = wizard.button(QWizard.WizardButton.FinishButton)
    assert button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert wizard.result() == QDialog.DialogCode.Accepted


def enrolled(vault: Vault) -> bool:
    return LaptopSync(vault).enrollment() is not None


def page_form(wizard: FirstRunWizard) -> EnrollmentForm:
    return wizard.district_page.form


def click(qtbot: Any, button: Any) -> None:
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# ----- network --------------------------------------------------------------------------------


def test_wizard_enrolls_by_network_with_a_valid_code(
    qtbot: Any,
    tmp_path: Path,
    server: ServerThread,  # noqa: F811
    sqlite_district: District,  # noqa: F811
    wizards: list[FirstRunWizard],
) -> None:
    wizard = open_district_page(qtbot, tmp_path / "vault", InlineRunner(), wizards)
    finish_button = wizard.button(QWizard.WizardButton.FinishButton)
    assert finish_button.text() == DistrictPage.SKIP_TEXT  # skippable, and says so
    form = page_form(wizard)
    assert form.engine is not None and form.connect_button.isEnabled()
    form.server_field.setText(server.url)
    form.code_field.setText(sqlite_district.create_enroll_code([VILLAGE_A, VILLAGE_B], 3600))
    click(qtbot, form.connect_button)
    assert form.enrollment is not None
    shown = form.result_label.text()
    assert not form.result_label.isHidden() and form.inputs.isHidden()
    assert "注册成功" in shown and sqlite_district.district_id in shown
    assert f"{VILLAGE_A}（本村）" in shown and VILLAGE_B in shown
    assert "核对" in shown  # compare the district id by phone
    assert finish_button.text() == "完成"
    finish(wizard, qtbot)
    vault = wizard.vault
    assert vault is not None
    pinned = LaptopSync(vault).enrollment()
    assert pinned is not None and pinned.villages == (VILLAGE_A, VILLAGE_B)
    assert (vault.paths.root / ESCROW_FILE).exists()  # the district's key slot
    status = LaptopSync(vault).status()
    assert status.enrolled and status.server_url == server.url


def test_wrong_code_says_so_and_can_be_retried(
    qtbot: Any,
    tmp_path: Path,
    server: ServerThread,  # noqa: F811
    sqlite_district: District,  # noqa: F811
    wizards: list[FirstRunWizard],
) -> None:
    wizard = open_district_page(qtbot, tmp_path / "vault", InlineRunner(), wizards)
    form = page_form(wizard)
    form.server_field.setText(server.url)
    form.code_field.setText("K7QM-3XPA")  # too short: caught before anything is sent
    click(qtbot, form.connect_button)
    assert "20 个字母和数字" in form.message
    form.code_field.setText("AAAA-BBBB-CCCC-DDDD-EEEE")  # well formed, but not issued
    click(qtbot, form.connect_button)
    assert "注册码不对、已经用过或已经过期" in form.message
    assert not form.message_label.isHidden()
    assert form.enrollment is None and form.connect_button.isEnabled()
    assert wizard.vault is not None and not enrolled(wizard.vault)
    # an expired code reads the same, with what to do
    expired = sqlite_district.create_enroll_code([VILLAGE_A], -60)
    form.code_field.setText(expired)
    click(qtbot, form.connect_button)
    assert "新的注册码" in form.message
    # retry with the right code (lower case, spaces instead of dashes: still accepted)
    good = sqlite_district.create_enroll_code([VILLAGE_A], 3600)
    form.code_field.setText(good.lower().replace("-", " "))
    click(qtbot, form.connect_button)
    assert form.enrollment is not None, form.message
    finish(wizard, qtbot)
    assert enrolled(wizard.vault)


def test_wrong_code_then_skip_finishes_unenrolled(
    qtbot: Any,
    tmp_path: Path,
    server: ServerThread,  # noqa: F811
    wizards: list[FirstRunWizard],
) -> None:
    wizard = open_district_page(qtbot, tmp_path / "vault", InlineRunner(), wizards)
    form = page_form(wizard)
    form.server_field.setText(server.url)
    form.code_field.setText("AAAA-BBBB-CCCC-DDDD-EEEE")
    click(qtbot, form.connect_button)
    assert "注册码" in form.message
    assert wizard.button(QWizard.WizardButton.FinishButton).text() == DistrictPage.SKIP_TEXT
    finish(wizard, qtbot)
    assert wizard.vault is not None and not enrolled(wizard.vault)


def test_skip_without_a_connection(
    qtbot: Any, tmp_path: Path, wizards: list[FirstRunWizard]
) -> None:
    wizard = open_district_page(qtbot, tmp_path / "vault", InlineRunner(), wizards)
    finish(wizard, qtbot)
    vault = wizard.vault
    assert vault is not None and not enrolled(vault)
    assert not (vault.paths.root / ESCROW_FILE).exists()
    assert LaptopSync(vault).history() == []


def test_connection_errors_are_plain_chinese(
    qtbot: Any,
    tmp_path: Path,
    server: ServerThread,  # noqa: F811
    sqlite_district: District,  # noqa: F811
    wizards: list[FirstRunWizard],
) -> None:
    wizard = open_district_page(qtbot, tmp_path / "vault", InlineRunner(), wizards)
    form = page_form(wizard)
    code = sqlite_district.create_enroll_code([VILLAGE_A], 3600)
    form.code_field.setText(code)
    # not an address at all
    form.server_field.setText("区里的服务器")
    click(qtbot, form.connect_button)
    assert "服务器地址" in form.message
    # nothing listens there: unreachable
    form.server_field.setText(f"http://127.0.0.1:{free_port()}")
    click(qtbot, form.connect_button)
    assert "连不上区里的服务器" in form.message and "U盘" in form.message
    # a web server, but not the district's sync server: wrong address
    form.server_field.setText(server.url + "/no-such-place")
    click(qtbot, form.connect_button)
    assert "核对服务器地址" in form.message
    assert wizard.vault is not None and not enrolled(wizard.vault)
    # the district already holds another request from this laptop (sent by stick earlier)
    stick = tmp_path / "stick"
    stick.mkdir()
    form.drives.set_folder(stick)
    click(qtbot, form.request_button)
    request = next(stick.glob("*.cdenroll"))
    sqlite_district.enroll(request.read_bytes(), source="usb")
    form.code_field.setText(sqlite_district.create_enroll_code([VILLAGE_A], 3600))
    form.server_field.setText(server.url)
    click(qtbot, form.connect_button)
    assert "已经有这台电脑的另一份注册申请" in form.message
    assert "载入回复文件" in form.message
    assert not enrolled(wizard.vault)


def test_already_enrolled_is_said_plainly(
    qtbot: Any,
    tmp_path: Path,
    server: ServerThread,  # noqa: F811
    sqlite_district: District,  # noqa: F811
    wizards: list[FirstRunWizard],
) -> None:
    wizard = open_district_page(qtbot, tmp_path / "vault", InlineRunner(), wizards)
    form = page_form(wizard)
    form.server_field.setText(server.url)
    form.code_field.setText(sqlite_district.create_enroll_code([VILLAGE_A], 3600))
    click(qtbot, form.connect_button)
    assert form.enrollment is not None
    # Back and forward again: the same form, still enrolled; a second attempt is refused here
    wizard.back()
    wizard.next()
    assert wizard.currentPage() is wizard.district_page
    form.code_field.setText(sqlite_district.create_enroll_code([VILLAGE_A], 3600))
    form.enroll_network()
    assert "已经注册过了" in form.message
    assert sqlite_district.district_id in form.message


def test_network_enrollment_runs_on_the_worker(
    qtbot: Any,
    tmp_path: Path,
    server: ServerThread,  # noqa: F811
    sqlite_district: District,  # noqa: F811
    wizards: list[FirstRunWizard],
) -> None:
    """With the real serial worker: busy while the request runs, Finish waits, then done."""
    errors: list[BaseException] = []
    runner = VaultRunner(errors.append)
    try:
        wizard = open_district_page(qtbot, tmp_path / "vault", runner, wizards)
        form = page_form(wizard)
        finish_button = wizard.button(QWizard.WizardButton.FinishButton)
        form.server_field.setText(server.url)
        form.code_field.setText(sqlite_district.create_enroll_code([VILLAGE_A], 3600))
        seen_busy: list[bool] = []
        form.busy_changed.connect(seen_busy.append)
        click(qtbot, form.connect_button)
        assert form.busy and seen_busy == [True]
        assert not form.progress.isHidden() and "正在连接" in form.progress_label.text()
        assert not form.connect_button.isEnabled()
        assert not finish_button.isEnabled()  # finishing waits for the answer
        qtbot.waitUntil(lambda: not form.busy, timeout=30_000)
        assert seen_busy == [True, False] and form.progress.isHidden()
        assert form.enrollment is not None, form.message
        assert finish_button.isEnabled() and finish_button.text() == "完成"
        finish(wizard, qtbot)
        vault = wizard.vault
        assert vault is not None
        done: list[bool] = []
        runner.submit(lambda: enrolled(vault), done.append)
        qtbot.waitUntil(lambda: bool(done), timeout=10_000)
        assert done == [True] and errors == []
    finally:
        runner.shutdown()


# ----- USB ------------------------------------------------------------------------------------


def district_import(district: District, stick: Path) -> Path:
    """What `childdesk-district import` does with an enrollment request on a stick."""
    request = next(stick.glob("*.cdenroll"))
    data = request.read_bytes()
    answer = district.enroll(data, source="usb")
    target = stick / f"{read_enrollment_request(data).device_id}.cdenrolled"
    target.write_bytes(answer)
    return target


def test_usb_request_then_response_in_the_wizard(
    qtbot: Any,
    tmp_path: Path,
    sqlite_district: District,  # noqa: F811
    wizards: list[FirstRunWizard],
) -> None:
    wizard = open_district_page(qtbot, tmp_path / "vault", InlineRunner(), wizards)
    vault = wizard.vault
    assert vault is not None
    form = page_form(wizard)
    stick = tmp_path / "stick"
    stick.mkdir()
    form.code_field.setText(sqlite_district.create_enroll_code([VILLAGE_A], 3600))
    form.drives.combo.clear()  # no stick found
    click(qtbot, form.request_button)
    assert "请先插入U盘" in form.message
    form.drives.set_folder(stick)
    click(qtbot, form.request_button)
    request = stick / f"{vault.device_id}.cdenroll"
    assert request.exists() and [p.name for p in stick.iterdir()] == [request.name]
    body = json.loads(request.read_bytes().split(b"\n", 1)[0])
    assert body["type"] == "childdesk-enrollment-request" and body["protocol"] == 1
    parsed = read_enrollment_request(request.read_bytes())  # signed by the device's new key
    assert parsed.device_id == vault.device_id and parsed.label == VILLAGE_A
    assert "同步" in form.message and "从U盘导入" in form.message  # can be finished later
    assert wizard.button(QWizard.WizardButton.FinishButton).text() == "完成"
    assert not enrolled(vault)
    # a file that is not this laptop's answer: refused, nothing changes
    wrong = stick / "other.cdenrolled"
    wrong.write_bytes(b'{"type":"childdesk-enrollment"}\n{}\n')
    form.load_response(wrong)
    assert f"{vault.device_id}.cdenrolled" in form.message and not enrolled(vault)
    # the district imports the request; the answer is loaded on the same page
    answer = district_import(sqlite_district, stick)
    form.load_response(answer)
    assert form.enrollment is not None, form.message
    assert f"{VILLAGE_A}（本村）" in form.result_label.text()
    assert sqlite_district.district_id in form.result_label.text()
    finish(wizard, qtbot)
    assert enrolled(vault) and (vault.paths.root / ESCROW_FILE).exists()
    assert LaptopSync(vault).history()[-1]["via"] == "usb"


def test_usb_response_loaded_later_on_the_sync_page(
    qtbot: Any,
    tmp_path: Path,
    sqlite_district: District,  # noqa: F811
    wizards: list[FirstRunWizard],
) -> None:
    """Step one in the wizard, finish; step two after the trip to the district, on 同步."""
    wizard = open_district_page(qtbot, tmp_path / "vault", InlineRunner(), wizards)
    form = page_form(wizard)
    stick = tmp_path / "stick"
    stick.mkdir()
    form.drives.set_folder(stick)
    form.code_field.setText(sqlite_district.create_enroll_code([VILLAGE_A], 3600))
    click(qtbot, form.request_button)
    finish(wizard, qtbot)
    vault = wizard.vault
    assert vault is not None and not enrolled(vault)
    district_import(sqlite_district, stick)

    desk = DeskServices.for_vault(vault, InlineRunner(), today=fixed_today)
    engine = LaptopSync(vault, author=desk.author, sleep=lambda _s: None, attempts=1)
    controller = SyncController(engine, desk.runner, net=InlineRunner())
    page = SyncPage(desk, controller=controller, auto=False)
    qtbot.addWidget(page)
    assert not page.enroll_box.isHidden()
    page.set_folder(stick)
    click(qtbot, page.import_button)
    assert enrolled(vault)
    assert page.enroll_box.isHidden() and page.sync_button.isEnabled()
    assert sqlite_district.district_id in page.district_label.text()


def test_sync_page_usb_enrollment_uses_the_same_form(
    qtbot: Any,
    tmp_path: Path,
    sqlite_district: District,  # noqa: F811
    desk: DeskServices,
) -> None:
    engine = LaptopSync(desk.vault, author=desk.author, sleep=lambda _s: None, attempts=1)
    controller = SyncController(engine, desk.runner, net=InlineRunner())
    page = SyncPage(desk, controller=controller, auto=False)
    qtbot.addWidget(page)
    form = page.enroll_form
    assert isinstance(form, EnrollmentForm) and form.message_label.isHidden()
    stick = tmp_path / "stick"
    stick.mkdir()
    form.drives.set_folder(stick)
    form.code_field.setText(sqlite_district.create_enroll_code([VILLAGE_A], 3600))
    click(qtbot, form.request_button)
    assert "注册申请已写入" in page.message.text()  # the page's own message line
    form.load_response(district_import(sqlite_district, stick))
    assert "注册成功" in page.message.text() and VILLAGE_A in page.message.text()
    assert page.enroll_box.isHidden() and sqlite_district.district_id in page.district_label.text()


# ----- the small rules ------------------------------------------------------------------------


def test_codes_and_addresses_are_forgiving() -> None:
    assert normalize_code("k7qm-3xpa oiLl") == "K7QM3XPA0111"
    assert code_problem("") and code_problem("K7QM-3XPA")
    assert code_problem("UUUU-UUUU-UUUU-UUUU-UUUU")  # U is not in the alphabet
    assert code_problem("k7qm 3xpa k7qm 3xpa k7qm") == ""
    assert normalize_server_url("sync.example.gov.cn/") == "https://sync.example.gov.cn"
    assert normalize_server_url(" http://127.0.0.1:8080 ") == "http://127.0.0.1:8080"
    assert normalize_server_url("not a url") == ""
    assert normalize_server_url("ftp://x.cn") == ""
    assert normalize_server_url("区里的服务器") == ""
