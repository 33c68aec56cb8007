"""恢复码也丢了: district-escrow recovery through the GUI, with real widgets (offscreen), a real
vault enrolled with a real district (``childdesk-district`` processes, as the operator runs
it), and the district's real ``recovery-grant``. Modal ``exec()`` calls are replaced by drivers
that click the dialog's own buttons, so the unlock dialog → 忘记密码 → district path is the one
a director takes."""

from __future__ import annotations

import errno
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QPushButton

from app.demo_caseload import fill_vault
from storage.errors import WrongPasswordError
from storage.unlock_throttle import UnlockThrottle
from storage.vault import Vault
from sync import recovery
from sync.laptop.engine import LaptopSync
from sync.laptop.usb import Drive
from tests.conftest import PASSWORD, VaultCopies, create_vault
from tests.console.site import district_cli_here
from tests.sync.conftest import VILLAGE_A
from tests.sync.test_district_cli import PASSPHRASE, district_cli, initialised  # noqa: F401
from tests.sync.test_district_core import TODAY
from ui.tasks import InlineRunner, VaultRunner
from ui.views import district_recovery
from ui.views.district_recovery import DistrictRecoveryDialog
from ui.views.unlock_dialog import RecoveryDialog, UnlockDialog

NEW_PASSWORD = "新的密码-河边的柳树-2027"
Click = Callable[[Any], None]


@pytest.fixture
def click(qtbot: Any) -> Click:
    def press(button: Any) -> None:
        assert button.isVisible() and button.isEnabled(), button.objectName()
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    return press


# The enrolled laptop and its district, made once per test session (two district processes, a
# vault and its children) and copied for each test: (district folder, vault folder, children).
_ENROLLED: list[tuple[Path, Path, frozenset[str]]] = []


def _enrolled(initialised: Path, root: Path) -> tuple[Path, Path, frozenset[str]]:  # noqa: F811
    if not _ENROLLED:
        district = root / "district"
        shutil.copytree(initialised, district)
        stick = root / "stick"
        stick.mkdir()
        vault_dir = root / "laptop"
        vault = create_vault(vault_dir).vault
        enrolled_here(district, vault, stick)
        fill_vault(vault, children=3, seed=4, village_code=VILLAGE_A, today=TODAY, author="王")
        children = frozenset(c.record_id for c in vault.load("child").revisions)
        vault.lock()
        _ENROLLED.append((district, vault_dir, children))
    return _ENROLLED[0]


def enrolled_here(district: Path, vault: Vault, stick: Path) -> None:
    """tests/sync/test_laptop_recovery.py's ``enrolled_by_stick`` (an enrolment code, the
    laptop's request on the stick, the district's ``import``, the laptop reading the answer),
    with ``childdesk-district`` run in this process: the enrolment is not what these tests are
    about, and its two processes cost ~2 CPU-s."""
    code = district_cli_here("enroll-code", "--village", VILLAGE_A, data_dir=district)
    assert code.returncode == 0, code.stderr
    laptop = LaptopSync(vault, author="王")
    laptop.enrollment_request_file(stick, code.stdout.strip().splitlines()[-1], label="一村")
    imported = district_cli_here(
        "import", str(stick), "--passphrase-stdin", data_dir=district, stdin=PASSPHRASE + "\n"
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    laptop.import_folder(stick)
    assert laptop.status().enrolled


@pytest.fixture
def laptop(
    initialised: Path,  # noqa: F811
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, set[str]]:
    """An enrolled laptop's vault with a few children, locked; and the (empty) USB stick. The
    district folder ``initialised`` is the one that enrolled it."""
    district, enrolled_vault, children = _enrolled(
        initialised, tmp_path_factory.mktemp("enrolled-laptop")
    )
    shutil.rmtree(initialised)
    shutil.copytree(district, initialised)
    stick = tmp_path / "stick"
    stick.mkdir()
    vault_dir = tmp_path / "laptop"
    shutil.copytree(enrolled_vault, vault_dir)
    return vault_dir, stick, set(children)


def grant_at_district(district: Path, stick: Path, code: str, *, process: bool = False) -> Path:
    """The operator runs ``recovery-grant`` on the stick after the director read the code:
    ``childdesk-district``'s main in this process (a process costs ~1 CPU-s of start-up), or,
    with ``process``, the real command (the first journey runs it as the operator does)."""
    (request,) = stick.glob("*.cdrecover")
    args = ("recovery-grant", str(request), "--passphrase-stdin", "--check-code", code)
    result = (
        district_cli(*args, data_dir=district)
        if process
        else district_cli_here(*args, data_dir=district, stdin=PASSPHRASE + "\n")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return request.with_suffix(recovery.GRANT_SUFFIX)


def on_stick(monkeypatch: pytest.MonkeyPatch, stick: Path) -> None:
    """The stick is what the removable-drive detection finds."""
    monkeypatch.setattr(district_recovery.base, "removable_drives", lambda: [Drive(stick, "STICK")])


def open_dialog(qtbot: Any, vault_dir: Path, **kwargs: Any) -> DistrictRecoveryDialog:
    dialog = DistrictRecoveryDialog(vault_dir, kwargs.pop("runner", InlineRunner()), **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_full_recovery_from_the_unlock_dialog(
    qtbot: Any,
    click: Click,
    laptop: tuple[Path, Path, set[str]],
    initialised: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vault_dir, stick, children = laptop
    on_stick(monkeypatch, stick)
    unlock = UnlockDialog(vault_dir, InlineRunner(), UnlockThrottle())
    qtbot.addWidget(unlock)
    unlock.show()
    assert not unlock.pending_box.isVisible()
    seen: dict[str, str] = {}

    # 忘记密码 → the recovery-code dialog → 恢复码也丢了
    def recovery_code_dialog(self: RecoveryDialog) -> int:
        self.show()
        assert "区里" in self.district_button.text()
        click(self.district_button)
        return self.result()

    def first_visit(self: DistrictRecoveryDialog) -> int:
        self.show()
        assert self.stack.currentWidget() is self.request_page
        procedure = self.findChild(QLabel, "procedure")
        assert procedure is not None and "区民政局" in procedure.text()
        assert self.folder_combo.currentData() == str(stick)  # the stick was detected
        click(self.write_button)
        assert self.stack.currentWidget() is self.waiting_page
        seen["code"] = self.check_code.text()
        assert "读回核对无误" in self.waiting_note.text()
        click(self.close_button)  # 稍后再办: off to the district
        return self.result()

    monkeypatch.setattr(RecoveryDialog, "exec", recovery_code_dialog)
    monkeypatch.setattr(DistrictRecoveryDialog, "exec", first_visit)
    click(unlock.forgot_button)
    assert unlock.vault is None
    assert len(list(stick.glob("*.cdrecover"))) == 1
    # the unlock dialog now offers the last step directly
    assert unlock.pending_box.isVisible()
    assert seen["code"] in unlock.pending_text.text()

    grant_at_district(initialised, stick, seen["code"], process=True)

    def second_visit(self: DistrictRecoveryDialog) -> int:
        self.show()
        assert self.stack.currentWidget() is self.apply_page  # straight to the last step
        assert self.grant_path.text().endswith(".cdrecovered")  # found on the stick by itself
        assert "答复有效" in self.grant_status.text()
        self.password.setText("12345678")
        self.repeat.setText("12345678")
        click(self.apply_button)
        assert "常见密码" in self.apply_message.text() or "连续" in self.apply_message.text()
        self.password.setText(NEW_PASSWORD)
        self.repeat.setText(NEW_PASSWORD + "x")
        click(self.apply_button)
        assert "不一样" in self.apply_message.text()
        assert self.strength.text()
        self.repeat.setText(NEW_PASSWORD)
        click(self.apply_button)
        assert self.stack.currentWidget() is self.done_page
        assert self.vault is not None
        assert self.code_label.text().count("  ") == 6  # the recovery code, in 8 groups
        assert not self.start_button.isEnabled()  # not until it is written down
        self.written.setChecked(True)
        click(self.start_button)
        return self.result()

    monkeypatch.setattr(DistrictRecoveryDialog, "exec", second_visit)
    click(unlock.resume_button)
    assert unlock.result() == QDialog.DialogCode.Accepted
    vault = unlock.vault
    assert vault is not None
    try:
        assert {c.record_id for c in vault.load("child").revisions} == children  # all there
    finally:
        vault.lock()
    with pytest.raises(WrongPasswordError):
        Vault.unlock(vault_dir, PASSWORD)
    Vault.unlock(vault_dir, NEW_PASSWORD).lock()
    assert recovery.pending_request(vault_dir) is None  # the one-time key is gone


def test_coming_back_later_finds_the_request_and_old_answers_are_refused(
    qtbot: Any,
    click: Click,
    laptop: tuple[Path, Path, set[str]],
    initialised: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    vault_dir, stick, _children = laptop
    on_stick(monkeypatch, stick)
    first = open_dialog(qtbot, vault_dir)
    click(first.write_button)
    code = first.check_code.text()
    first.close()
    old_grant = grant_at_district(initialised, stick, code)
    kept = tmp_path / "kept.cdrecovered"  # the director kept a copy of the first answer
    shutil.copy(old_grant, kept)

    # the program was closed; days later it finds the request on its own
    later = open_dialog(qtbot, vault_dir)
    assert later.stack.currentWidget() is later.waiting_page
    assert later.check_code.text() == code
    assert "写过一份恢复申请" in later.waiting_note.text()
    # she writes a new request instead (e.g. the stick was lost): the old one is void
    click(later.rewrite_button)
    assert later.stack.currentWidget() is later.request_page
    assert code in later.request_message.text()  # warned that the old one goes
    click(later.write_button)
    new_code = later.check_code.text()
    assert new_code != code
    assert not old_grant.exists()  # the useless old answer was cleared from the stick
    click(later.to_apply_button)
    assert later.stack.currentWidget() is later.apply_page
    later.load_grant_file(kept)
    assert "以前写的一份申请" in later.grant_status.text()
    assert new_code in later.grant_status.text()
    assert not later.apply_button.isEnabled()
    # the request itself, picked by mistake
    later.load_grant_file(next(stick.glob("*.cdrecover")))
    assert ".cdrecovered" in later.grant_status.text() and "不是区里的答复" in (
        later.grant_status.text()
    )
    Vault.unlock(vault_dir, PASSWORD).lock()  # untouched
    # the new request's answer works
    grant_at_district(initialised, stick, new_code)
    click(later.findChild(QPushButton, "find_grant"))
    assert "答复有效" in later.grant_status.text()
    later.password.setText(NEW_PASSWORD)
    later.repeat.setText(NEW_PASSWORD)
    click(later.apply_button)
    assert later.vault is not None
    later.reject()  # closing the last page still hands the open vault over
    assert later.result() == QDialog.DialogCode.Accepted
    later.vault.lock()
    Vault.unlock(vault_dir, NEW_PASSWORD).lock()


def test_a_laptop_that_was_never_enrolled_is_told_so(
    qtbot: Any, tmp_path: Path, click: Click, vault_copies: VaultCopies
) -> None:
    vault_dir = tmp_path / "laptop"
    vault_copies.open(vault_dir).vault.lock()
    unlock = UnlockDialog(vault_dir, InlineRunner(), UnlockThrottle())
    qtbot.addWidget(unlock)
    assert unlock.pending_box.isHidden()
    dialog = open_dialog(qtbot, vault_dir)
    assert dialog.stack.currentWidget() is dialog.not_enrolled_page
    text = dialog.findChild(QLabel, "not_enrolled_text")
    assert text is not None and "没有在区民政局注册" in text.text()
    assert dialog.steps.isHidden()
    click(dialog.close_button)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert list(vault_dir.glob("recovery-pending*")) == []


def test_another_laptops_or_a_tampered_answer_changes_nothing(
    qtbot: Any,
    click: Click,
    laptop: tuple[Path, Path, set[str]],
    initialised: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    vault_copies: VaultCopies,
) -> None:
    vault_dir, stick, _children = laptop
    other_stick = tmp_path / "other-stick"
    other_stick.mkdir()
    other = vault_copies.open(tmp_path / "other").vault
    enrolled_here(initialised, other, other_stick)
    other.lock()
    other_request = recovery.write_request(tmp_path / "other", other_stick)
    other_grant = grant_at_district(initialised, other_stick, other_request.check_code)

    on_stick(monkeypatch, stick)
    dialog = open_dialog(qtbot, vault_dir)
    click(dialog.write_button)
    grant = grant_at_district(initialised, stick, dialog.check_code.text())
    pending_before = (vault_dir / recovery.PENDING_FILE).read_bytes()
    click(dialog.to_apply_button)
    assert "答复有效" in dialog.grant_status.text()  # found on the stick

    dialog.load_grant_file(other_grant)
    assert "另一台电脑" in dialog.grant_status.text()
    assert not dialog.apply_button.isEnabled()

    tampered = tmp_path / "tampered.cdrecovered"
    tampered.write_bytes(grant.read_bytes().replace(b'"granted":"', b'"granted":"1', 1))
    dialog.load_grant_file(tampered)
    assert "不是区民政局签发的有效答复" in dialog.grant_status.text()
    truncated = tmp_path / "truncated.cdrecovered"
    truncated.write_bytes(grant.read_bytes()[:100])
    dialog.load_grant_file(truncated)
    assert "损坏" in dialog.grant_status.text()
    dialog.load_grant_file(tmp_path / "missing.cdrecovered")
    assert "读不到这个文件" in dialog.grant_status.text()
    assert not dialog.apply_button.isEnabled()

    assert (vault_dir / recovery.PENDING_FILE).read_bytes() == pending_before
    Vault.unlock(vault_dir, PASSWORD).lock()  # the vault is untouched
    dialog.load_grant_file(grant)  # and the right answer still works afterwards
    assert dialog.apply_button.isEnabled()


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (errno.ENOSPC, "已经满了"),
        (errno.EROFS, "写保护"),
        (errno.EACCES, "写保护"),
        (None, "写不进所选的U盘或文件夹"),  # a folder that is really a file
    ],
)
def test_an_unwritable_stick_loses_nothing(
    qtbot: Any,
    click: Click,
    laptop: tuple[Path, Path, set[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    failure: int | None,
    expected: str,
) -> None:
    vault_dir, stick, _children = laptop
    earlier = recovery.write_request(vault_dir, stick)
    before = (vault_dir / recovery.PENDING_FILE).read_bytes()
    dialog = open_dialog(qtbot, vault_dir, drives=lambda: [])
    assert dialog.stack.currentWidget() is dialog.waiting_page
    click(dialog.rewrite_button)
    if failure is None:
        target = tmp_path / "not-a-folder"
        target.write_text("")
    else:
        target = tmp_path / "full-stick"
        target.mkdir()

        def refuse(path: Path, data: bytes) -> None:
            raise OSError(failure, "refused", str(path))

        monkeypatch.setattr(recovery, "write_verified", refuse)
    dialog.set_folder(target)
    click(dialog.write_button)
    assert dialog.stack.currentWidget() is dialog.request_page
    message = dialog.request_message.text()
    assert expected in message and "之前写过的申请仍然有效" in message
    assert (vault_dir / recovery.PENDING_FILE).read_bytes() == before
    assert earlier.path.exists()
    assert dialog.write_button.isEnabled() and dialog.close_button.isEnabled()
    click(dialog.back_to_waiting)
    assert dialog.check_code.text() == earlier.check_code


def test_no_stick_and_no_folder_chosen(
    qtbot: Any, click: Click, laptop: tuple[Path, Path, set[str]]
) -> None:
    vault_dir, _stick, _children = laptop
    dialog = open_dialog(qtbot, vault_dir, drives=lambda: [])
    assert dialog.stack.currentWidget() is dialog.request_page
    click(dialog.write_button)
    assert "请先插上U盘" in dialog.request_message.text()
    assert recovery.pending_request(vault_dir) is None


def test_the_slow_work_runs_on_the_vault_worker(
    qtbot: Any,
    click: Click,
    laptop: tuple[Path, Path, set[str]],
    initialised: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vault_dir, stick, _children = laptop
    threads: dict[str, str] = {}

    def watched(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            threads[name] = threading.current_thread().name
            return real(*args)

        return call

    for name in ("has_escrow", "write_request", "verify_grant", "apply_grant"):
        monkeypatch.setattr(recovery, name, watched(name, getattr(recovery, name)))
    runner = VaultRunner(lambda err: None)
    try:
        dialog = open_dialog(qtbot, vault_dir, runner=runner, drives=lambda: [])
        qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.request_page)
        dialog.set_folder(stick)
        click(dialog.write_button)
        qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.waiting_page)
        grant = grant_at_district(initialised, stick, dialog.check_code.text())
        click(dialog.to_apply_button)
        qtbot.waitUntil(lambda: "答复有效" in dialog.grant_status.text())
        assert dialog.grant_path.text() == str(grant)
        dialog.password.setText(NEW_PASSWORD)
        dialog.repeat.setText(NEW_PASSWORD)
        click(dialog.apply_button)
        qtbot.waitUntil(lambda: dialog.vault is not None, timeout=20_000)
        assert dialog.vault is not None
        dialog.vault.lock()
    finally:
        runner.shutdown()
    assert set(threads.values()) == {"vault-worker"}, threads
    assert set(threads) == {"has_escrow", "write_request", "verify_grant", "apply_grant"}


class HeldRunner:
    """Keeps tasks until told to run them: the dialog while work is under way."""

    def __init__(self) -> None:
        self.held: list[tuple[Any, Any, Any]] = []

    def submit(self, task: Any, on_done: Any = None, on_error: Any = None) -> None:
        self.held.append((task, on_done, on_error))

    def run_all(self) -> None:
        while self.held:
            task, on_done, on_error = self.held.pop(0)
            InlineRunner(on_error).submit(task, on_done, on_error)

    def shutdown(self) -> None:
        pass


def test_the_dialog_cannot_be_closed_while_work_is_under_way(
    qtbot: Any, click: Click, laptop: tuple[Path, Path, set[str]]
) -> None:
    vault_dir, stick, _children = laptop
    runner = HeldRunner()
    dialog = open_dialog(qtbot, vault_dir, runner=runner, drives=lambda: [Drive(stick, "S")])
    assert dialog.stack.currentWidget() is dialog.checking_page
    assert not dialog.close_button.isEnabled()
    runner.run_all()
    click(dialog.write_button)
    assert not dialog.close_button.isEnabled() and not dialog.write_button.isEnabled()
    dialog.reject()  # Esc or the window's close box
    assert dialog.isVisible()
    runner.run_all()
    assert dialog.stack.currentWidget() is dialog.waiting_page
    assert dialog.close_button.isEnabled()
    assert dialog.close_button.text() == "稍后再办"
