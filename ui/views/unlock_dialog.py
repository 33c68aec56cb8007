"""Unlock: the password; 忘记密码 leads to the recovery-code path. Unlocking (≈0.5 s of Argon2id
on purpose) runs on the vault worker; after repeated wrong passwords a growing delay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storage.errors import VaultError, WrongPasswordError
from storage.unlock_throttle import UnlockThrottle
from storage.vault import Vault
from ui.tasks import Runner
from ui.views.messages import user_message


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
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.unlock_button = QPushButton(self.tr("解锁"))
        self.unlock_button.setObjectName("unlock")
        self.unlock_button.setDefault(True)
        self.forgot_button = QPushButton(self.tr("忘记密码"))
        self.forgot_button.setObjectName("forgot")
        self.forgot_button.setFlat(True)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.password)
        layout.addWidget(self.message)
        layout.addWidget(self.unlock_button)
        layout.addWidget(self.forgot_button)
        self.setMinimumWidth(380)

        self.unlock_button.clicked.connect(self._unlock)
        self.password.returnPressed.connect(self._unlock)
        self.forgot_button.clicked.connect(self._recover)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._update_wait)

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
        self.message.setText(self.tr("正在解锁…"))
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

    def _recover(self) -> None:
        dialog = RecoveryDialog(self._data_dir, self._runner, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.vault is not None:
            self.vault = dialog.vault
            self.accept()


class RecoveryDialog(QDialog):
    """忘记密码: the recovery code printed at set-up sets a new password."""

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
        self.new_password = QLineEdit()
        self.new_password.setObjectName("new_password")
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("repeat_password")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("恢复码"), self.code)
        form.addRow(self.tr("新密码"), self.new_password)
        form.addRow(self.tr("再输一遍"), self.repeat)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(460)

    def _submit(self) -> None:
        if self.new_password.text() != self.repeat.text():
            self.message.setText(self.tr("两次输入的新密码不一样，请重新输入。"))
            return
        code, password = self.code.text(), self.new_password.text()
        self.message.setText(self.tr("正在核对恢复码…"))
        self._runner.submit(
            lambda: Vault.recover(self._data_dir, code, password), self._done, self._failed
        )

    def _done(self, vault: Vault) -> None:
        self.vault = vault
        self.accept()

    def _failed(self, err: BaseException) -> None:
        self.message.setText(user_message(err) if isinstance(err, VaultError) else str(err))
