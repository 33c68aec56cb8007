"""Unlock: the password; 忘记密码 leads to the recovery-code path, and from there (恢复码也丢了)
to recovery through the district (ui/views/district_recovery.py). A recovery request waiting
for the district's answer is shown here, one click from its last step. Unlocking (≈0.5 s of
Argon2id on purpose) runs on the vault worker; after repeated wrong passwords a growing delay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storage.errors import WrongPasswordError
from storage.unlock_throttle import UnlockThrottle
from storage.vault import Vault
from sync import recovery
from ui.tasks import Runner
from ui.views.district_recovery import DistrictRecoveryDialog
from ui.views.messages import ErrorLabel, user_message
from ui.views.new_password_form import NewPasswordForm


class UnlockDialog(QDialog):
    def __init__(
        self,
        data_dir: Path,
        runner: Runner,
        throttle: UnlockThrottle,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("unlock_dialog")
        self.setWindowTitle(self.tr("儿童主任工作台 · 解锁"))
        self.vault: Vault | None = None
        self._data_dir = data_dir
        self._runner = runner
        self._throttle = throttle

        title = QLabel(self.tr("请输入密码解锁数据"))
        title.setProperty("role", "title")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("密码"))
        self.message = ErrorLabel("message")
        self.message.clear_when_edited(self.password)
        self.unlock_button = QPushButton(self.tr("解锁"))
        self.unlock_button.setObjectName("unlock")
        self.unlock_button.setDefault(True)
        self.forgot_button = QPushButton(self.tr("忘记密码"))
        self.forgot_button.setObjectName("forgot")
        self.forgot_button.setFlat(True)

        # A recovery request written earlier: its last step is one click away.
        self.pending_box = QFrame()
        self.pending_box.setObjectName("pending_recovery")
        self.pending_box.setStyleSheet(
            "QFrame#pending_recovery { background: #e3f2fd; border: 1px solid #90caf9;"
            " border-radius: 4px; }"
        )
        self.pending_text = QLabel("")
        self.pending_text.setObjectName("pending_text")
        self.pending_text.setWordWrap(True)
        self.resume_button = QPushButton(self.tr("载入区里的答复…"))
        self.resume_button.setObjectName("resume_recovery")
        self.resume_button.setAutoDefault(False)
        pending_layout = QVBoxLayout(self.pending_box)
        pending_layout.addWidget(self.pending_text)
        pending_row = QHBoxLayout()
        pending_row.addStretch(1)
        pending_row.addWidget(self.resume_button)
        pending_layout.addLayout(pending_row)
        self.pending_box.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.password)
        layout.addWidget(self.message)
        layout.addWidget(self.unlock_button)
        layout.addWidget(self.forgot_button)
        self.restore_button = QPushButton(self.tr("从备份恢复…"))
        self.restore_button.setObjectName("restore_backup")
        self.restore_button.setFlat(True)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.pending_box)
        layout.addStretch(1)  # room a cleared message leaves goes below, not between the rows
        self.setMinimumWidth(380)

        self.unlock_button.clicked.connect(self._unlock)
        self.password.returnPressed.connect(self._unlock)
        self.forgot_button.clicked.connect(self._recover)
        self.restore_button.clicked.connect(self._restore_backup)
        self.resume_button.clicked.connect(lambda: self.district_recovery(resume=True))
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._update_wait)
        self.check_pending()

    def _update_wait(self) -> None:
        wait = self._throttle.seconds_to_wait()
        if wait <= 0:
            self._tick.stop()
            self.unlock_button.setEnabled(True)
            self.message.setText(
                self.tr("密码不正确，请再试一次。注意大小写和输入法（中文/英文）。")
            )
        else:
            self.unlock_button.setEnabled(False)
            self.message.setText(
                self.tr("密码多次输入错误，请等待 {0} 秒后再试。").format(round(wait))
            )

    def _unlock(self) -> None:
        if self._throttle.seconds_to_wait() > 0 or not self.unlock_button.isEnabled():
            return
        password = self.password.text()
        self.unlock_button.setEnabled(False)
        self.message.say(self.tr("正在解锁…"), tone="progress")
        self._runner.submit(
            lambda: Vault.unlock(self._data_dir, password), self._unlocked, self._failed
        )

    def _unlocked(self, vault: Vault) -> None:
        self._throttle.record_success()
        self.vault = vault
        self.password.clear()
        self.accept()

    def _failed(self, err: BaseException) -> None:
        self.unlock_button.setEnabled(True)
        self.password.selectAll()
        if isinstance(err, WrongPasswordError) and self._throttle.record_failure() > 0:
            self._update_wait()
            self._tick.start()
            return
        self.message.setText(user_message(err))

    def _restore_backup(self) -> None:
        """A backup made to a USB stick (设置 → 备份到U盘) replaces this laptop's vault."""
        from ui.views.backup_dialog import offer_restore

        vault = offer_restore(self._data_dir, self._runner, self)
        if vault is not None:
            self.vault = vault
            self.accept()

    def _recover(self) -> None:
        dialog = RecoveryDialog(self._data_dir, self._runner, self)
        result = dialog.exec()
        if result == QDialog.DialogCode.Accepted and dialog.vault is not None:
            self.vault = dialog.vault
            self.accept()
        elif result == RecoveryDialog.ASK_DISTRICT:
            self.district_recovery()

    def district_recovery(self, resume: bool = False) -> None:
        """恢复码也丢了: the three steps with the district; ``resume`` goes straight to loading
        the answer when a request is waiting."""
        dialog = DistrictRecoveryDialog(self._data_dir, self._runner, self, resume=resume)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.vault is not None:
            self.vault = dialog.vault
            self.accept()
            return
        self.check_pending()  # a request may have been written meanwhile

    def check_pending(self) -> None:
        data_dir = self._data_dir
        self._runner.submit(
            lambda: recovery.pending_request(data_dir), self._show_pending, lambda _err: None
        )

    def _show_pending(self, pending: recovery.PendingRequest | None) -> None:
        if pending is None:
            self.pending_box.hide()
            return
        self.pending_text.setText(
            self.tr(
                "您有一份恢复申请在等区里答复（核对码 {0}）。带回区里的答复后点下面继续。"
            ).format(pending.check_code)
        )
        self.pending_box.show()
        if self.isVisible():  # the answer came after the window was shown: make room
            layout = self.layout()
            if layout is not None:
                layout.activate()
            need = self.heightForWidth(self.width())
            if need > self.height():
                self.resize(self.width(), need)


class RecoveryDialog(QDialog):
    """忘记密码: the recovery code printed at set-up sets a new password. When that is lost too,
    the dialog ends with :attr:`ASK_DISTRICT` and the unlock dialog opens the district path."""

    ASK_DISTRICT = 2

    def __init__(
        self,
        data_dir: Path,
        runner: Runner,
        parent: QWidget | None = None,
        on_done: Callable[[Vault], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recovery_dialog")
        self.setWindowTitle(self.tr("用恢复码重设密码"))
        self.vault: Vault | None = None
        self._data_dir = data_dir
        self._runner = runner
        intro = QLabel(
            self.tr("请输入设置时打印或抄写的恢复码（32 位数字，可带空格或横线），再设一个新密码。")
        )
        intro.setWordWrap(True)
        self.code = QLineEdit()
        self.code.setObjectName("recovery_code")
        self.code.setPlaceholderText("1234-5678-…")
        self.password_form = NewPasswordForm(problems_name="message")
        self.password_form.rows.insertRow(0, self.tr("恢复码"), self.code)
        self.new_password = self.password_form.password
        self.repeat = self.password_form.repeat
        # what is wrong with the new password, what runs and why the code was refused
        self.message = self.password_form.problems
        self.message.clear_when_edited(self.code)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.district_button = QPushButton(self.tr("恢复码也丢了？请区里帮忙恢复…"))
        self.district_button.setObjectName("ask_district")
        self.district_button.setAutoDefault(False)
        self.district_button.clicked.connect(lambda: self.done(self.ASK_DISTRICT))
        district_hint = QLabel(
            self.tr("这台电脑在区民政局注册过同步的，区里可以帮您重新设密码，资料不会丢。")
        )
        district_hint.setProperty("role", "hint")
        district_hint.setWordWrap(True)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        district_row = QHBoxLayout()
        district_row.addWidget(self.district_button)
        district_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.password_form)
        layout.addWidget(buttons)
        layout.addWidget(line)
        layout.addLayout(district_row)
        layout.addWidget(district_hint)
        layout.addStretch(1)  # room a cleared message leaves goes below, not between the rows
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(460)
        self.password_form.tab_after(self.code)  # the code first, then the new password
        self.code.setFocus()

    def _submit(self) -> None:
        password = self.password_form.accepted_password()
        if password is None:
            return
        code = self.code.text()
        self.message.say(self.tr("正在核对恢复码…"), tone="progress")
        self._runner.submit(
            lambda: Vault.recover(self._data_dir, code, password), self._done, self._failed
        )

    def _done(self, vault: Vault) -> None:
        self.vault = vault
        self.accept()

    def _failed(self, err: BaseException) -> None:
        self.message.setText(user_message(err))
