"""The one form for choosing a new password: the rules, the password typed twice, a strength
hint while typing (zxcvbn, :func:`storage.password_policy.password_strength`) and the reasons a
password cannot be used, in plain Chinese beside the fields.

Used by the first run (设置密码), 设置 → 修改密码, 用恢复码重设密码 and the district recovery's
last step. The rules themselves live in ``storage/password_policy.py`` (the vault enforces them
too); this form only shows them early, before any key derivation runs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget

from storage.password_policy import password_problems, password_strength
from ui.views.messages import ErrorLabel, FullHeightLabel

RULES_TEXT = (
    "密码至少 8 个字符；不能用常见密码（如 12345678、woaini1314）、同一个字符或连续的字符，"
    "也不能含有自己的名字或身份证号。建议用一句好记的话，越长越安全。"
)
# zxcvbn score 0 (very weak) … 4 (very strong)
STRENGTH_COLOURS = ("#c62828", "#c62828", "#ef6c00", "#2e7d32", "#2e7d32")


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class NewPasswordForm(QWidget):
    """Rules, the new password, the same again, its strength and what is wrong with it.

    ``word`` names the password in labels and messages (``密码`` at first run, ``新密码`` when one
    is replaced); ``director_name`` gives the name the password must not contain (asked again at
    each check: it can change while the form is open). :attr:`rows` is the form layout, so a
    screen can add its own rows (the current password, a button) in line with these.
    """

    def __init__(
        self,
        *,
        word: str = "新密码",
        field_name: str = "new_password",
        problems_name: str = "password_problems",
        director_name: Callable[[], str] = lambda: "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("new_password_form")
        self._word = word
        self._director_name = director_name
        self.rules = FullHeightLabel(self.tr(RULES_TEXT))
        self.rules.setObjectName("password_rules")
        self.rules.setProperty("role", "hint")
        self.password = _password_field(field_name)
        self.repeat = _password_field("repeat_password")
        self.strength = FullHeightLabel("")
        self.strength.setObjectName("strength")
        self.strength.setProperty("role", "hint")
        self.problems = ErrorLabel(problems_name)
        self.problems.clear_when_edited(self.password, self.repeat)
        self.rows = QFormLayout(self)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.rows.addRow(self.rules)
        self.rows.addRow(self.tr(word), self.password)
        self.rows.addRow(self.tr("再输一遍"), self.repeat)
        self.rows.addRow(self.tr("强度"), self.strength)
        self.rows.addRow("", self.problems)
        self.password.textChanged.connect(self._update_strength)

    def tab_after(self, field: QWidget) -> None:
        """Tab goes from ``field`` (a row a screen inserted above) to the password, then to
        the repeat (a widget parented later would otherwise come last in the tab order).
        Call once the form and ``field`` are in the same window."""
        QWidget.setTabOrder(field, self.password)
        QWidget.setTabOrder(self.password, self.repeat)

    def _update_strength(self, text: str) -> None:
        if not text:
            self.strength.setText("")
            return
        hint = password_strength(text, director_name=self._director_name())
        self.strength.setText(f"{hint.label_zh}。{hint.advice_zh}")
        self.strength.setStyleSheet(f"color: {STRENGTH_COLOURS[hint.score]};")

    def problem_text(self) -> str:
        """Why the typed password cannot be used, or ``""`` when it can."""
        text = self.password.text()
        problems = password_problems(text, director_name=self._director_name())
        if problems:
            return "\n".join(p.message_zh for p in problems)
        if text != self.repeat.text():
            return f"两次输入的{self._word}不一样，请重新输入。"
        return ""

    def accepted_password(self) -> str | None:
        """The new password when it may be used. Otherwise ``None``, the reason shown under
        the fields and the cursor in the field to fix (a differing repeat is emptied)."""
        problem = self.problem_text()
        if not problem:
            self.problems.clear()
            return self.password.text()
        self.problems.say(problem)
        if password_problems(self.password.text(), director_name=self._director_name()):
            self.password.setFocus()
        else:
            self.repeat.clear()
            self.repeat.setFocus()
        return None

    def clear(self) -> None:
        """Empty both fields (after the password was set: it is not left on screen)."""
        self.password.clear()
        self.repeat.clear()
