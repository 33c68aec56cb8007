"""The user-facing error texts of the desktop app, in one place: what went wrong and what to do
next, in plain Chinese. No Qt here (ui/views/messages.py shows them).

Errors of the vault and the domain carry their own ``message_zh``; this module adds the texts
for files (USB sticks, folders, the disk), printing, and the unexpected. The sync page's texts
are in ui/sync_texts.py.
"""

from __future__ import annotations

import errno
import logging

from app.domain.problems import DomainValidationError
from storage.errors import VaultError

log = logging.getLogger("childdesk.ui")

UNEXPECTED_ZH = "程序遇到了意外的问题，刚才的操作没有完成。已保存的数据不受影响。请重试，若仍不行请联系技术人员。"

# Titles of the error boxes.
NOT_DONE_TITLE = "操作没有完成"
NOT_SAVED_TITLE = "没有保存"
CANNOT_PRINT_TITLE = "不能打印"

PRINTER_UNAVAILABLE_ZH = (
    "打印机没有准备好（可能没开机、没连好或缺纸），没有打印。"
    "请检查打印机后再试；也可以先点“保存为PDF”，以后再打印。"
)
TOO_MANY_ENROLL_ATTEMPTS_ZH = "注册尝试次数太多，请过十分钟再试。"
NOT_ENROLLED_FOR_RECOVERY_ZH = "这台电脑没有在区民政局注册过，区里无法帮忙恢复。"
READ_FILE_ZH = "读不到这个文件。请检查U盘是否插好，再选一次。"

_WRITE_PROTECTED = (errno.EROFS, errno.EACCES, errno.EPERM)


def laptop_disk_full_zh(what: str, keep: str = "") -> str:
    """The laptop's own disk is full (``what`` was not written)."""
    return f"这台电脑的磁盘已满，{what}没有写成。请联系技术人员清理磁盘后再试。{keep}"


def usb_write_error_zh(err: OSError, *, retry: str = "再试一次", keep: str = "") -> str:
    """Writing to a chosen USB stick or folder failed: full, write-protected, or gone.
    ``retry`` says how to try again, ``keep`` what is still in order."""
    if err.errno == errno.ENOSPC:
        return (
            "U盘（或所选的文件夹）已经满了，没有写进去。请删掉U盘上不用的文件，"
            f"或换一个U盘，{retry}。{keep}"
        )
    if err.errno in _WRITE_PROTECTED:
        return (
            "所选的U盘或文件夹不能写入（U盘的写保护开关可能拨上了，或没有权限）。"
            f"请拨开写保护开关或换一个U盘、换一个文件夹，{retry}。{keep}"
        )
    return (
        f"写不进所选的U盘或文件夹。请检查U盘是否插好（或文件夹是否还在），或换一个，{retry}。{keep}"
    )


def file_error_zh(err: OSError) -> str | None:
    """A file that could not be read or written, when the reason is one a user can fix
    (full, no permission, gone, a stick pulled out); ``None`` otherwise."""
    if err.errno == errno.ENOSPC:
        return "磁盘（或U盘）已经满了，文件没有写进去。请腾出空间或换一个位置后再试。"
    if err.errno in _WRITE_PROTECTED:
        return "这个位置不能写入（没有权限，或U盘的写保护开关拨上了）。请换一个文件夹后再试。"
    if err.errno in (errno.ENOENT, errno.ENOTDIR):
        return "找不到所选的文件或文件夹（U盘可能已经拔出）。请检查后再试。"
    if err.errno in (errno.EIO, errno.ENODEV, errno.ENXIO):
        return "读写U盘或磁盘时出错（可能U盘被拔出或已损坏）。请插好U盘或换一个再试。"
    return None


def answers_incomplete_zh(count: int) -> str:
    return f"评估还有 {count} 处没有填写或填写有误，请按页面上的红字提示补充后再完成。"


def user_message(err: BaseException) -> str:
    """What to tell the user about ``err``; anything unforeseen is logged (its type only: no
    personal data) and explained as the unexpected."""
    if isinstance(err, VaultError | DomainValidationError):
        return err.message_zh
    if hasattr(err, "problems"):  # questionnaire AnswerError: the details sit on the questions
        return answers_incomplete_zh(len(err.problems))
    if isinstance(err, OSError):
        text = file_error_zh(err)
        if text is not None:
            return text
    log.error("unexpected error (%s)", type(err).__name__)
    return UNEXPECTED_ZH
