"""Showing errors a user can hit, in plain Chinese with what to do next."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from app.domain.problems import DomainValidationError
from storage.errors import VaultError

log = logging.getLogger("childdesk.ui")


def user_message(err: BaseException) -> str:
    if isinstance(err, VaultError | DomainValidationError):
        return err.message_zh
    if hasattr(err, "problems"):  # questionnaire AnswerError: the details sit on the questions
        return (
            f"评估还有 {len(err.problems)} 处没有填写或填写有误，请按页面上的红字提示补充后再完成。"
        )
    log.error("unexpected error (%s)", type(err).__name__)
    return "程序遇到了意外的问题，刚才的操作没有完成。已保存的数据不受影响。请重试，若仍不行请联系技术人员。"


def show_error(parent: QWidget | None, err: BaseException, title: str = "操作没有完成") -> None:
    QMessageBox.warning(parent, title, user_message(err))


def confirm(parent: QWidget | None, title: str, text: str, ok_text: str = "确定") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.exec()
    return box.clickedButton() is yes
