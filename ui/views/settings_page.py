"""设置: the director's name, auto-lock time, text size (a real setting that scales the whole
UI), change the password, and show the recovery code again after the password is re-entered.

Renaming and password work (key derivation) go through the vault runner; nothing here touches the vault on
the GUI thread. Mistakes a user can make — a wrong current password, a weak new one, two new
passwords that differ — are explained beside the fields in plain Chinese.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QHideEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.problems import DomainValidationError
from app.services.account import AccountService
from app.services.profile import MAX_NAME_LENGTH, ProfileService, name_problems, normalize_name
from storage.errors import RecordNotFoundError, VaultError
from ui.tasks import Runner
from ui.theme import BASE_POINT_SIZE, TEXT_SCALES
from ui.ui_settings import UiSettings
from ui.views.backup_dialog import BackupPanel, BackupServices
from ui.views.messages import ErrorLabel, show_error
from ui.views.new_password_form import NewPasswordForm
from ui.views.widgets import page_scroll, plain_label

MIN_AUTO_LOCK = 1
MAX_AUTO_LOCK = 120


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def _show_message(label: ErrorLabel, text: str, *, error: bool) -> None:
    label.say(text, tone="error" if error else "ok")


def _is_user_error(err: BaseException) -> bool:
    """Errors a user can cause and fix (wrong password, weak password), shown beside the fields;
    anything else goes to the error box."""
    return isinstance(err, VaultError | DomainValidationError)


class SettingsServices(BackupServices, Protocol):
    """What 设置 uses of the desk (ui/desk_services.py): no vault, only these."""

    @property
    def runner(self) -> Runner: ...
    @property
    def author(self) -> str: ...
    @property
    def village_code(self) -> str: ...
    @property
    def profile(self) -> ProfileService: ...
    @property
    def account(self) -> AccountService: ...


class SettingsPage(QWidget):
    auto_lock_changed = Signal(int)  # minutes
    text_scale_changed = Signal(float)  # 1.0, 1.25, 1.5
    password_changed = Signal()
    director_renamed = Signal(str)  # the new name, as stored (the status bar shows it)

    def __init__(self, desk: SettingsServices, settings: UiSettings) -> None:
        super().__init__()
        self.setObjectName("settings_page")
        self._desk = desk
        self._settings = settings

        title = QLabel(self.tr("设置"))
        title.setProperty("role", "title")
        self._director_name = desk.author

        # ----- the director ------------------------------------------------------------------
        self.director_name = QLineEdit(desk.author)
        self.director_name.setObjectName("director_name")
        self.director_name.setMaxLength(MAX_NAME_LENGTH)
        self.save_name_button = QPushButton(self.tr("保存姓名"))
        self.save_name_button.setObjectName("save_director_name")
        self.save_name_button.setEnabled(False)
        self.name_message = ErrorLabel("name_message")
        self.name_message.clear_when_edited(self.director_name)
        name_hint = plain_label(
            self.tr(
                "打印的表格、报表和每条记录的“修改人”都用这个姓名（改名后，"
                "新记录从下次解锁起用新姓名）；换了儿童主任时，由新的儿童主任改成自己的姓名。"
            ),
            "hint",
        )
        village = QLabel(desk.village_code or self.tr("未填"))
        village.setObjectName("village_code")
        village.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        director_box = QGroupBox(self.tr("儿童主任"))
        director_form = QFormLayout(director_box)
        director_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        name_row = QHBoxLayout()
        name_row.addWidget(self.director_name, 1)
        name_row.addWidget(self.save_name_button)
        name_row.addStretch(1)  # a name is short: the field need not span the page
        director_form.addRow(self.tr("姓名"), name_row)
        director_form.addRow("", self.name_message)
        director_form.addRow(self.tr("村（社区）代码"), village)
        director_form.addRow(name_hint)

        # ----- auto-lock ---------------------------------------------------------------------
        self.auto_lock = QSpinBox()
        self.auto_lock.setObjectName("auto_lock_minutes")
        self.auto_lock.setRange(MIN_AUTO_LOCK, MAX_AUTO_LOCK)
        self.auto_lock.setSuffix(self.tr(" 分钟"))
        self.auto_lock.setValue(min(MAX_AUTO_LOCK, settings.auto_lock_minutes))
        lock_hint = plain_label(
            self.tr(
                "离开电脑这么久没有操作，程序会自动锁定，要输入密码才能再用。"
                "正在填写的内容会加密保存为草稿，不会丢失。"
            ),
            "hint",
        )
        lock_box = QGroupBox(self.tr("自动锁定"))
        lock_layout = QVBoxLayout(lock_box)
        lock_row = QHBoxLayout()
        lock_row.addWidget(QLabel(self.tr("无操作")))
        lock_row.addWidget(self.auto_lock)
        lock_row.addWidget(QLabel(self.tr("后自动锁定")))
        lock_row.addStretch(1)
        lock_layout.addLayout(lock_row)
        lock_layout.addWidget(lock_hint)

        # ----- text size ---------------------------------------------------------------------
        self.text_scale_group = QButtonGroup(self)
        text_box = QGroupBox(self.tr("字体大小"))
        text_layout = QVBoxLayout(text_box)
        scale_row = QHBoxLayout()
        self.scale_buttons: dict[float, QRadioButton] = {}
        current = settings.text_scale
        closest = min(TEXT_SCALES.values(), key=lambda s: abs(s - current))
        family = QApplication.font().family()
        for word, scale in TEXT_SCALES.items():
            button = QRadioButton(self.tr(word))
            button.setObjectName(f"text_scale_{word}")
            # Each choice is written in its own size, so the difference shows before choosing.
            preview = QFont(family)
            preview.setPointSizeF(BASE_POINT_SIZE * scale)
            button.setFont(preview)
            button.setChecked(scale == closest)
            self.text_scale_group.addButton(button, len(self.scale_buttons))
            self.scale_buttons[scale] = button
            scale_row.addWidget(button)
        scale_row.addStretch(1)
        text_hint = plain_label(self.tr("字大一些看得更清楚。整个程序的文字都会跟着变大。"), "hint")
        text_layout.addLayout(scale_row)
        text_layout.addWidget(text_hint)

        # ----- change password -----------------------------------------------------------------
        self.old_password = _password_field("old_password")
        self.password_form = NewPasswordForm(
            problems_name="new_password_problems", director_name=lambda: self._director_name
        )
        self.new_password = self.password_form.password
        self.repeat_password = self.password_form.repeat
        self.strength = self.password_form.strength
        self.new_problems = self.password_form.problems
        self.change_button = QPushButton(self.tr("修改密码"))
        self.change_button.setObjectName("change_password")
        self.change_message = ErrorLabel("change_message")
        self.change_message.clear_when_edited(
            self.old_password, self.new_password, self.repeat_password
        )
        password_box = QGroupBox(self.tr("修改密码"))
        password_form = self.password_form.rows
        password_form.insertRow(1, self.tr("现在的密码"), self.old_password)
        change_row = QHBoxLayout()
        change_row.addWidget(self.change_button)
        change_row.addWidget(self.change_message, 1)
        change_row.addStretch(0)  # keeps the button its own size while no message shows
        password_form.addRow("", change_row)
        QVBoxLayout(password_box).addWidget(self.password_form)

        # ----- recovery code -------------------------------------------------------------------
        self.recovery_password = _password_field("recovery_password")
        self.show_code_button = QPushButton(self.tr("显示恢复码"))
        self.show_code_button.setObjectName("show_recovery_code")
        self.hide_code_button = QPushButton(self.tr("隐藏"))
        self.hide_code_button.setObjectName("hide_recovery_code")
        self.hide_code_button.hide()
        self.recovery_message = ErrorLabel("recovery_message")
        self.recovery_message.clear_when_edited(self.recovery_password)
        self.recovery_code = QLabel("")
        self.recovery_code.setObjectName("recovery_code")
        self.recovery_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recovery_code.setStyleSheet(
            "QLabel#recovery_code { background: #fffde7; border: 1px solid #f9a825;"
            " border-radius: 4px; padding: 8px 12px; }"
        )
        self.recovery_code.hide()
        recovery_hint = plain_label(
            self.tr(
                "忘记密码时，凭恢复码才能重新打开资料。请再输入一次现在的密码查看，"
                "抄在纸上，和电脑分开妥善保管，不要告诉别人。"
            ),
            "hint",
        )
        recovery_box = QGroupBox(self.tr("恢复码"))
        recovery_layout = QVBoxLayout(recovery_box)
        recovery_layout.addWidget(recovery_hint)
        recovery_row = QHBoxLayout()
        recovery_row.addWidget(QLabel(self.tr("现在的密码")))
        recovery_row.addWidget(self.recovery_password, 1)
        recovery_row.addWidget(self.show_code_button)
        recovery_row.addWidget(self.hide_code_button)
        recovery_layout.addLayout(recovery_row)
        recovery_layout.addWidget(self.recovery_message)
        recovery_layout.addWidget(self.recovery_code)

        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(director_box)
        inner.addWidget(lock_box)
        inner.addWidget(text_box)
        inner.addWidget(password_box)
        inner.addWidget(recovery_box)
        inner.addWidget(BackupPanel(desk))  # 备份到U盘 (ui/views/backup_dialog.py)
        inner.addStretch(1)
        scroll = page_scroll(content, "settings_scroll")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(scroll, 1)
        self.password_form.tab_after(self.old_password)  # as the rows read (all in the page now)

        self.director_name.textChanged.connect(self._name_edited)
        self.director_name.returnPressed.connect(self.save_director_name)
        self.save_name_button.clicked.connect(self.save_director_name)
        self.auto_lock.valueChanged.connect(self._auto_lock_chosen)
        self.text_scale_group.idToggled.connect(self._scale_toggled)
        self.change_button.clicked.connect(self.change_password)
        self.repeat_password.returnPressed.connect(self.change_password)
        self.show_code_button.clicked.connect(self.show_recovery_code)
        self.recovery_password.returnPressed.connect(self.show_recovery_code)
        self.hide_code_button.clicked.connect(self.hide_recovery_code)

    # ----- the director's name -----------------------------------------------------------------

    def _name_edited(self, text: str) -> None:
        self.save_name_button.setEnabled(normalize_name(text) != self._director_name)

    def save_director_name(self) -> None:
        name = normalize_name(self.director_name.text())
        if name == self._director_name:
            return
        problems = name_problems(name)
        if problems:
            self.name_message.say(problems[0].message_zh)
            self.director_name.setFocus()
            return
        self.save_name_button.setEnabled(False)
        self.name_message.say(self.tr("正在保存…"), tone="progress")
        profile = self._desk.profile
        self._desk.runner.submit(lambda: profile.rename(name), self._name_saved, self._name_failed)

    def _name_saved(self, name: str) -> None:
        self._director_name = name
        self.director_name.setText(name)
        self.save_name_button.setEnabled(False)
        self.name_message.say(self.tr("姓名已保存。"), tone="ok")
        self.director_renamed.emit(name)

    def _name_failed(self, err: BaseException) -> None:
        self._name_edited(self.director_name.text())
        if not _is_user_error(err):
            self.name_message.clear()
            show_error(self, err, self.tr("姓名没有保存"))
            return
        self.name_message.say(err.message_zh)  # type: ignore[attr-defined]

    # ----- auto-lock and text size -------------------------------------------------------------

    def _auto_lock_chosen(self, minutes: int) -> None:
        self._settings.auto_lock_minutes = minutes
        self.auto_lock_changed.emit(minutes)

    def _scale_toggled(self, button_id: int, checked: bool) -> None:
        if checked:
            self._scale_chosen(list(self.scale_buttons)[button_id])

    def _scale_chosen(self, scale: float) -> None:
        self._settings.text_scale = scale
        self.text_scale_changed.emit(scale)

    # ----- password ----------------------------------------------------------------------------

    def change_password(self) -> None:
        old = self.old_password.text()
        new = self.new_password.text()
        self.change_message.clear()
        self.new_problems.clear()
        if not old:
            _show_message(self.change_message, self.tr("请先输入现在的密码。"), error=True)
            self.old_password.setFocus()
            return
        if self.password_form.accepted_password() is None:
            return
        if new == old:
            _show_message(
                self.change_message, self.tr("新密码和现在的密码一样，请换一个。"), error=True
            )
            return
        self.change_button.setEnabled(False)
        self.change_message.say(self.tr("正在修改，请稍候…"), tone="progress")
        account = self._desk.account
        self._desk.runner.submit(
            lambda: account.change_password(old, new), self._password_done, self._password_failed
        )

    def _password_done(self, _result: object) -> None:
        self.change_button.setEnabled(True)
        self.old_password.clear()
        self.password_form.clear()
        _show_message(
            self.change_message,
            self.tr("密码已修改。下次解锁请用新密码；恢复码不变。"),
            error=False,
        )
        self.password_changed.emit()

    def _password_failed(self, err: BaseException) -> None:
        self.change_button.setEnabled(True)
        if not _is_user_error(err):
            self.change_message.clear()
            show_error(self, err, self.tr("密码没有修改"))
            return
        _show_message(self.change_message, err.message_zh, error=True)  # type: ignore[attr-defined]
        self.old_password.selectAll()
        self.old_password.setFocus()

    # ----- recovery code -----------------------------------------------------------------------

    def show_recovery_code(self) -> None:
        password = self.recovery_password.text()
        self.hide_recovery_code()
        if not password:
            _show_message(self.recovery_message, self.tr("请先输入现在的密码。"), error=True)
            self.recovery_password.setFocus()
            return
        self.show_code_button.setEnabled(False)
        account = self._desk.account
        self._desk.runner.submit(
            lambda: account.recovery_code(password), self._code_shown, self._code_failed
        )

    def _code_shown(self, code: str) -> None:
        self.show_code_button.setEnabled(True)
        self.recovery_password.clear()
        self.recovery_code.setText(code)
        # Sized from the current text scale, which may have changed since the page was built.
        code_font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        code_font.setPointSizeF(QApplication.font().pointSizeF() * 1.4)
        code_font.setBold(True)
        self.recovery_code.setFont(code_font)
        self.recovery_code.show()
        self.hide_code_button.show()
        _show_message(
            self.recovery_message,
            self.tr("这是您的恢复码。抄好后点“隐藏”。"),
            error=False,
        )

    def _code_failed(self, err: BaseException) -> None:
        self.show_code_button.setEnabled(True)
        if isinstance(err, RecordNotFoundError):
            text = self.tr(
                "这个资料库没有保存恢复码的副本（可能是较早的版本创建的），无法再次显示。"
                "请找出当初打印或抄写的恢复码。"
            )
        elif _is_user_error(err):
            text = err.message_zh  # type: ignore[attr-defined]
        else:
            show_error(self, err, self.tr("恢复码没有显示"))
            return
        _show_message(self.recovery_message, text, error=True)
        self.recovery_password.selectAll()
        self.recovery_password.setFocus()

    def hide_recovery_code(self) -> None:
        self.recovery_code.clear()
        self.recovery_code.hide()
        self.hide_code_button.hide()
        self.recovery_message.clear()

    def hideEvent(self, event: QHideEvent) -> None:
        # Leaving the page (or locking) never leaves the code on screen.
        self.hide_recovery_code()
        super().hideEvent(event)
