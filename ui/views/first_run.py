"""First run: the director's name and village, a password (rules and a strength hint), the
recovery code with a print button and a check that it was written down, and the (skippable)
enrollment with the district (network or USB, the same form as on the 同步 page)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.domain.child_file import VILLAGE_CODE_RE
from app.services.profile import ProfileService
from storage.vault import CreatedVault, Vault
from sync.laptop.engine import LaptopSync
from ui.tasks import Runner
from ui.views.enrollment_form import EnrollmentForm
from ui.views.messages import ErrorLabel, FullHeightLabel, user_message
from ui.views.new_password_form import NewPasswordForm
from ui.window_fit import usable_area


class ProfilePage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard | None = None) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("欢迎使用儿童主任工作台"))
        self.setSubTitle(
            self.tr(
                "先填写您的姓名和所在村（社区）。所有资料都加密保存在这台电脑上，不联网也能用。"
            )
        )
        self.name = QLineEdit()
        self.name.setObjectName("director_name")
        self.village = QLineEdit()
        self.village.setObjectName("village_code")
        self.village.setPlaceholderText(self.tr("12 位行政区划代码，如 500119104201"))
        self.error = ErrorLabel("profile_error")
        self.error.clear_when_edited(self.name, self.village)
        # 从备份恢复: a laptop replaced or reinstalled starts from the USB backup instead
        self.restore_hint = FullHeightLabel(
            self.tr("换了电脑或重装了系统？如果有备份到U盘的资料，可以直接恢复，不用重新填写。")
        )
        self.restore_hint.setObjectName("restore_hint")
        self.restore_button = QPushButton(self.tr("从备份恢复…"))
        self.restore_button.setObjectName("restore_backup")
        if wizard is not None:
            self.restore_button.clicked.connect(wizard.restore_backup)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        form = QFormLayout(self)
        form.addRow(self.tr("儿童主任姓名"), self.name)
        form.addRow(self.tr("村（社区）代码"), self.village)
        form.addRow("", self.error)
        form.addRow(line)
        form.addRow(self.restore_hint)
        restore_row = QHBoxLayout()
        restore_row.addWidget(self.restore_button)
        restore_row.addStretch(1)
        form.addRow(restore_row)

    def validatePage(self) -> bool:
        if not self.name.text().strip():
            self.error.setText(self.tr("请填写您的姓名。"))
            return False
        if not VILLAGE_CODE_RE.match(self.village.text().strip()):
            self.error.setText(self.tr("村（社区）代码应为 12 位数字，可向乡镇询问。"))
            return False
        self.error.setText("")
        wizard = self._wizard
        if wizard is not None and wizard.created is not None and wizard.profile_changed():
            # Back from a later page: the vault already holds the profile, so the change is
            # written there (the wizard moves on when it is stored).
            self.error.say(self.tr("正在保存…"), tone="progress")
            wizard.update_profile()
            return False
        return True


class PasswordPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("设置密码"))
        self.form = NewPasswordForm(
            word="密码",
            field_name="password",
            problems_name="problems",
            director_name=lambda: self._wizard.profile.name.text(),
        )
        self.password = self.form.password
        self.repeat = self.form.repeat
        self.strength = self.form.strength
        self.problems = self.form.problems  # also says what runs (creating the vault)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addStretch(1)

    def validatePage(self) -> bool:
        wizard = self._wizard
        if wizard.busy:
            return False
        text = self.form.accepted_password()
        if text is None:
            return False
        if wizard.created is None:
            self.problems.say(self.tr("正在创建加密保险库，请稍候…"), tone="progress")
            wizard.create_vault(text)
            return False  # the wizard moves on when the vault exists
        if wizard.has_password(text):
            self.problems.clear()
            return True
        # Back from the recovery-code page with a different password: the vault already
        # exists, so its password is changed (the recovery code shown stays valid).
        self.problems.say(self.tr("正在修改密码，请稍候…"), tone="progress")
        wizard.change_password(text)
        return False  # the wizard moves on when the new password is set


class RecoveryCodePage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("请保存恢复码"))
        self.setSubTitle(
            self.tr(
                "忘记密码时，只有这个恢复码能重新设置密码。请抄写或打印下来，放在安全的地方，不要告诉别人。"
            )
        )
        self.code = QLabel("")
        self.code.setObjectName("recovery_code")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.code.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.code.setFont(font)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.print_button = QPushButton(self.tr("打印恢复码"))
        self.print_button.setObjectName("print_recovery_code")
        self.written = QCheckBox(self.tr("我已把恢复码抄写或打印好，并妥善保存"))
        self.written.setObjectName("written_down")
        self.changed_note = FullHeightLabel("")
        self.changed_note.setObjectName("password_changed_note")
        self.changed_note.setStyleSheet("color: #2e7d32; font-weight: bold;")
        self.changed_note.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.changed_note)
        layout.addWidget(self.code)
        layout.addWidget(self.print_button)
        layout.addWidget(self.written)
        self.print_button.clicked.connect(self._print)
        self.written.toggled.connect(self.completeChanged)

    def initializePage(self) -> None:
        if self._wizard.created is not None:
            groups = self._wizard.created.recovery_code.split("-")
            # Two lines of four groups: easy to read aloud and copy, never clipped.
            self.code.setText("  ".join(groups[:4]) + "\n" + "  ".join(groups[4:]))
        if self._wizard.password_was_changed:
            self.changed_note.setText(
                self.tr("密码已改成您刚才输入的新密码。恢复码没有变，还是下面这个。")
            )
        self.changed_note.setVisible(self._wizard.password_was_changed)

    def isComplete(self) -> bool:
        return self.written.isChecked()

    def _print(self) -> None:
        printer = QPrinter()
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted or self._wizard.created is None:
            return
        print_recovery_sheet(
            printer, self._wizard.profile.name.text().strip(), self._wizard.created.recovery_code
        )


RECOVERY_CODE_PT = 22


def recovery_sheet_html(name: str, code: str) -> str:
    """The printed recovery code: two lines of four groups, each line kept whole (never broken
    inside a group or between groups), every size given in points so the app's text size does
    not change the sheet."""
    from html import escape

    groups = code.split("-")
    lines = ["&nbsp;&nbsp;&nbsp;".join(groups[start : start + 4]) for start in (0, 4)]
    code_lines = "".join(
        f"<p style='font-size:{RECOVERY_CODE_PT}pt; font-weight:bold; white-space:nowrap;"
        f" margin:0'>{line}</p>"
        for line in lines
    )
    return (
        "<h2 style='font-size:16pt'>儿童主任工作台 · 恢复码</h2>"
        f"<p style='font-size:11pt'>儿童主任：{escape(name)}</p>"
        f"{code_lines}"
        "<p style='font-size:11pt'>忘记密码时，在解锁界面点“忘记密码”，输入此恢复码即可重新设置密码。"
        "请妥善保管，不要交给他人。内部资料 注意保密。</p>"
    )


def recovery_sheet_document(name: str, code: str) -> QTextDocument:
    document = QTextDocument()
    font = QFont(QApplication.font().family())
    font.setPointSizeF(11)  # the sheet is the same whatever text size the screens use
    document.setDefaultFont(font)
    document.setHtml(recovery_sheet_html(name, code))
    return document


def print_recovery_sheet(printer: QPrinter, name: str, code: str) -> None:
    recovery_sheet_document(name, code).print_(printer)


class DistrictPage(QWizardPage):
    """Enrollment with the district (skippable). It comes after the password page, so the vault
    exists and is unlocked: the device keys and the district's pinned keys are kept in it and
    the escrow slot is written at enrollment."""

    SKIP_TEXT = "跳过，以后在同步页连接"
    SUBTITLE = "不联网也能完整使用；还没有注册码的请点“跳过”，以后在“同步”页注册。"

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("连接区民政局（可跳过）"))
        self.setSubTitle(self.tr(self.SUBTITLE))
        self.form = EnrollmentForm()
        self.form.busy_changed.connect(lambda _busy: self.completeChanged.emit())
        self.form.enrolled.connect(lambda _enrollment: self._update_finish_text())
        self.form.request_written.connect(lambda _path: self._update_finish_text())
        self.form.said.connect(lambda _text, _error: self._after_layout(self._show_message))
        self._body = body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 4, 0)
        inner.addWidget(self.form)
        inner.addStretch(1)
        # Larger text or a long message never squeezes the form: it scrolls instead, and the
        # wizard grows (up to the screen) when the page opens.
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("district_scroll")
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area)

    def initializePage(self) -> None:
        vault = self._wizard.vault
        profile = self._wizard.profile
        if vault is not None and self.form.engine is None:
            self.form.attach(
                LaptopSync(vault, author=profile.name.text().strip()),
                self._wizard.runner,
                label=profile.village.text().strip(),
            )
        elif self.form.engine is not None:  # back and forth: the profile may have changed
            self.form.engine.author = profile.name.text().strip()
            self.form.label = profile.village.text().strip()
        self._update_finish_text()
        self._after_layout(self.grow_to_fit)

    @staticmethod
    def _after_layout(call: Callable[[], None]) -> None:
        QTimer.singleShot(0, call)

    def grow_to_fit(self) -> None:
        """Make the wizard large enough for the whole form, within the screen."""
        if not shiboken6.isValid(self) or not self.isVisible():
            return
        wizard = self._wizard
        screen = usable_area(wizard)  # less a taskbar, even one the window manager hides
        viewport = self.scroll_area.viewport()
        body = self._body
        missing_w = body.minimumSizeHint().width() - viewport.width()
        width = min(wizard.width() + max(missing_w, 0), screen.width() - 40)
        layout = body.layout()
        inner_w = viewport.width() + width - wizard.width()
        need = (
            layout.totalHeightForWidth(inner_w)
            if layout is not None and layout.hasHeightForWidth()
            else body.sizeHint().height()
        )
        height = min(wizard.height() + max(need - viewport.height(), 0), screen.height() - 60)
        if width > wizard.width() or height > wizard.height():
            wizard.resize(max(width, wizard.width()), max(height, wizard.height()))

    def _show_message(self) -> None:
        if shiboken6.isValid(self) and self.form.message_label.isVisible():
            self.grow_to_fit()
            self.scroll_area.ensureWidgetVisible(self.form.message_label)

    def isComplete(self) -> bool:
        return not self.form.busy  # finishing waits for a running enrollment

    def _update_finish_text(self) -> None:
        if self.form.enrollment is not None:
            self.setSubTitle(self.tr("这台电脑已经连上区民政局。点“完成”开始使用。"))
        elif self.form.request_path is not None:
            self.setSubTitle(
                self.tr("注册申请已写好。点“完成”开始使用；区里的回复文件以后在“同步”页导入。")
            )
        done = self.form.enrollment is not None or self.form.request_path is not None
        self._wizard.setButtonText(
            QWizard.WizardButton.FinishButton, self.tr("完成") if done else self.tr(self.SKIP_TEXT)
        )


class FirstRunWizard(QWizard):
    def __init__(
        self,
        data_dir: Path,
        runner: Runner,
        parent: QWidget | None = None,
        kdf_target_ms: float | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("first_run")
        self.setWindowTitle(self.tr("儿童主任工作台 · 首次使用"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.created: CreatedVault | None = None
        self.restored: Vault | None = None  # 从备份恢复 on the first page
        self._data_dir = data_dir
        self.runner = runner
        self._kdf_target_ms = kdf_target_ms
        # What the vault holds now, so going back and changing a page changes the vault too.
        self._vault_password: str | None = None
        self._stored_profile: tuple[str, str] | None = None
        self.password_was_changed = False
        self.busy = False
        self.profile = ProfilePage(self)
        self.password_page = PasswordPage(self)
        self.recovery_page = RecoveryCodePage(self)
        self.district_page = DistrictPage(self)
        for page in (self.profile, self.password_page, self.recovery_page, self.district_page):
            self.addPage(page)
        self.setMinimumSize(620, 460)

    def _entered_profile(self) -> tuple[str, str]:
        return self.profile.name.text().strip(), self.profile.village.text().strip()

    def create_vault(self, password: str) -> None:
        name, village = self._entered_profile()
        options = {} if self._kdf_target_ms is None else {"kdf_target_ms": self._kdf_target_ms}
        data_dir = self._data_dir

        def create() -> CreatedVault:
            return Vault.create(
                data_dir, password, director_name=name, village_code=village, **options
            )

        self.busy = True
        self.runner.submit(
            create,
            lambda created: self._created(created, password, (name, village)),
            self._password_failed,
        )

    def _created(self, created: CreatedVault, password: str, profile: tuple[str, str]) -> None:
        self.busy = False
        self.created = created
        # a vault is made now: going back to the first page offers no restore into it
        self.profile.restore_hint.hide()
        self.profile.restore_button.hide()
        self._vault_password = password
        self._stored_profile = profile
        self.password_page.problems.clear()
        self.next()

    def has_password(self, password: str) -> bool:
        """Whether the vault already opens with ``password``."""
        return self._vault_password is not None and password == self._vault_password

    def change_password(self, new_password: str) -> None:
        """The director went back and chose another password after the vault was made: the
        vault's password becomes the new one (the old one stops opening it). The recovery
        code is not touched, so the one already shown (and perhaps written down) still works."""
        vault, old_password = self.vault, self._vault_password
        if vault is None or old_password is None:
            return

        def change() -> None:
            vault.change_password(old_password, new_password)

        self.busy = True
        self.runner.submit(
            change, lambda _none: self._password_changed(new_password), self._password_failed
        )

    def _password_changed(self, new_password: str) -> None:
        self.busy = False
        self._vault_password = new_password
        self.password_was_changed = True
        self.password_page.problems.clear()
        if shiboken6.isValid(self) and self.currentPage() is self.password_page:
            self.next()

    def _password_failed(self, err: BaseException) -> None:
        self.busy = False
        if shiboken6.isValid(self):
            self.password_page.problems.setText(user_message(err))

    def profile_changed(self) -> bool:
        return self._stored_profile is not None and self._entered_profile() != (
            self._stored_profile
        )

    def update_profile(self) -> None:
        """Write a name or village changed after the vault was made into the vault's profile."""
        vault = self.vault
        if vault is None or self.busy:
            return
        name, village = self._entered_profile()

        def update() -> None:
            ProfileService(vault).update(name=name, village_code=village)

        self.busy = True
        self.runner.submit(
            update, lambda _none: self._profile_updated((name, village)), self._profile_failed
        )

    def _profile_updated(self, profile: tuple[str, str]) -> None:
        self.busy = False
        self._stored_profile = profile
        self.profile.error.clear()
        if shiboken6.isValid(self) and self.currentPage() is self.profile:
            self.next()

    def _profile_failed(self, err: BaseException) -> None:
        self.busy = False
        if shiboken6.isValid(self):
            self.profile.error.setText(user_message(err))

    def restore_backup(self) -> None:
        """从备份恢复 (as on the unlock window): the vault of a USB backup becomes this laptop's
        vault and the wizard is done — :attr:`vault` is the restored vault, already unlocked."""
        from ui.views.backup_dialog import offer_restore

        if self.created is not None or self.busy:
            return
        vault = offer_restore(self._data_dir, self.runner, self)
        if vault is not None:
            self.restored = vault
            self.accept()

    def done(self, result: int) -> None:
        self._vault_password = None  # not kept once the wizard is over
        if self.restored is not None:
            # QWizard.done would validate the (empty) first page before accepting
            QDialog.done(self, result)
            return
        super().done(result)

    @property
    def vault(self) -> Vault | None:
        if self.restored is not None:
            return self.restored
        return self.created.vault if self.created else None
