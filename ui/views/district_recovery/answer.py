"""Step 3: find or choose the district's answer, check it, set the new password and open the
vault (on the runner); then show the new recovery code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from storage.errors import VaultError
from storage.records import RECOVERY_CODE_TYPE
from storage.vault import Vault
from sync import recovery
from sync.errors import SyncError
from ui.views.district_recovery.base import DistrictRecoveryBase
from ui.views.district_recovery.parts import OK_STYLE
from ui.views.district_recovery.texts import grant_error_zh
from ui.views.messages import show_error, user_message


class AnswerPart(DistrictRecoveryBase):
    # ----- step 3: the answer and the new password -----------------------------------------

    def go_to_apply(self) -> None:
        self._show(self.apply_page)
        if self._grant is None:
            self.find_grant(quiet=True)

    def find_grant(self, quiet: bool = False) -> None:
        if self._busy:
            return
        data_dir, drives, pending = self._data_dir, self._drives, self.pending

        def find() -> tuple[Path, bytes] | None:
            folders = [d.path for d in drives()]
            if pending is not None and pending.folder is not None:
                folders.insert(0, pending.folder)
            found = recovery.find_grant(data_dir, folders)
            if found is None:
                return None
            return found, self._read_and_verify(found)

        def done(result: tuple[Path, bytes] | None) -> None:
            self._set_busy(False)
            if result is None:
                if not quiet:
                    self._grant_problem(
                        self.tr(
                            "U盘上没有找到区里的答复文件。请确认插的是带回来的U盘，"
                            "或点“选择文件…”自己找（名字以 .cdrecovered 结尾）。"
                        )
                    )
                return
            self._grant_ok(*result)

        self._set_busy(True)
        self._runner.submit(find, done, self._grant_failed)

    def _choose_grant(self) -> None:
        start = str(self.pending.folder) if self.pending and self.pending.folder else ""
        name, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("选择区里的答复文件"),
            start,
            self.tr("区里的答复 (*.cdrecovered);;所有文件 (*)"),
        )
        if name:
            self.load_grant_file(Path(name))

    def load_grant_file(self, path: Path) -> None:
        """Read and check an answer file (on the runner)."""
        if self._busy:
            return
        self._set_busy(True)
        self.grant_path.setText(str(path))
        self.grant_status.setText(self.tr("正在核对答复文件…"))
        self._runner.submit(
            lambda: (path, self._read_and_verify(path)), self._grant_loaded, self._grant_failed
        )

    def _grant_loaded(self, result: tuple[Path, bytes]) -> None:
        self._set_busy(False)
        self._grant_ok(*result)

    def _read_and_verify(self, path: Path) -> bytes:  # runs on the runner
        grant = recovery.read_grant_file(path)
        recovery.verify_grant(self._data_dir, grant)
        return grant

    def _grant_ok(self, path: Path, grant: bytes) -> None:
        self._grant = grant
        self.grant_path.setText(str(path))
        self.grant_status.setProperty("role", None)
        self.grant_status.setStyleSheet(OK_STYLE)
        self.grant_status.setText(
            self.tr("✓ 答复有效：区民政局签发，给这台电脑，对应您最近的申请。请设新密码。")
        )
        self.apply_message.setText("")
        self._update_apply_button()
        self.password.setFocus()
        self._fit()

    def _grant_failed(self, err: BaseException) -> None:
        self._set_busy(False)
        self._grant_problem(grant_error_zh(err, self.pending))

    def _grant_problem(self, text: str) -> None:
        self._grant = None
        self.grant_status.setStyleSheet("")
        self.grant_status.setProperty("role", "error")
        self._repolish(self.grant_status)
        self.grant_status.setText(text)
        self._update_apply_button()
        self._fit()

    def _update_apply_button(self) -> None:
        self.apply_button.setEnabled(self._grant is not None and not self._busy)

    def apply(self) -> None:
        grant = self._grant
        if self._busy or grant is None:
            return
        text = self.password_form.accepted_password()
        if text is None:
            self._fit()
            return
        data_dir = self._data_dir

        def open_vault() -> tuple[Vault, str | None]:
            vault = recovery.apply_grant(data_dir, grant, text)
            code: str | None = None
            try:
                stored = vault.load(RECOVERY_CODE_TYPE).revisions
                code = str(stored[0].data["code"]) if stored else None
            except (VaultError, KeyError):
                code = None
            return vault, code

        self._say_apply(self.tr("正在打开档案库并设置新密码，请稍候…"), tone="progress")
        self._set_busy(True)
        self._runner.submit(open_vault, self._opened, self._apply_failed)

    def _say_apply(self, text: str, tone: str = "error") -> None:
        self.apply_message.say(text, tone=tone)
        self._fit()

    def _apply_failed(self, err: BaseException) -> None:
        self._set_busy(False)
        if isinstance(err, SyncError | OSError):
            self._say_apply("")
            self._grant_problem(grant_error_zh(err, self.pending))
        else:
            self._say_apply(user_message(err))

    def _opened(self, result: tuple[Vault, str | None]) -> None:
        self._set_busy(False)
        self.vault, self.recovery_code = result
        self.password_form.clear()
        self._grant = None
        if self.recovery_code is None:
            self.code_intro.hide()
            self.code_label.hide()
            self.print_button.hide()
            self.written.hide()
        else:
            self._show_code(self.recovery_code)
        self._update_start()
        self._show(self.done_page)

    def _show_code(self, code: str) -> None:
        groups = code.split("-")  # two lines of four groups: easy to copy, never clipped
        self.code_label.setText("  ".join(groups[:4]) + "\n" + "  ".join(groups[4:]))

    def _update_start(self, *_args: Any) -> None:
        self.start_button.setEnabled(self.recovery_code is None or self.written.isChecked())

    def _print(self) -> None:
        from PySide6.QtGui import QTextDocument
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from ui.views.first_run import recovery_sheet_html

        if self.vault is None or self.recovery_code is None:
            return
        vault, code = self.vault, self.recovery_code

        def print_sheet(name: str) -> None:
            printer = QPrinter()
            dialog = QPrintDialog(printer, self)
            if dialog.exec() != QPrintDialog.DialogCode.Accepted:
                return
            document = QTextDocument()
            document.setHtml(recovery_sheet_html(name, code))
            document.print_(printer)

        # the director's name is in the vault: read on the vault's worker, not here
        self._runner.submit(
            lambda: str(vault.profile().get("name", "")),
            print_sheet,
            lambda err: show_error(self, err),
        )

    # ----- closing -------------------------------------------------------------------------

    def reject(self) -> None:
        if self._busy:
            return  # a task is running: its result must not be lost (the vault may open)
        if self.vault is not None:
            self.accept()  # the vault is open: the session starts whatever button was used
            return
        super().reject()
