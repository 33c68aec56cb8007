"""Errors a user can cause, each with an English message (command line) and a plain Chinese one
(GUI) that says what to do next. Messages never contain personal data."""

from __future__ import annotations


class VaultError(Exception):
    """Base class. ``message_zh`` is shown in the GUI, ``str(err)`` on the command line."""

    message_zh = "保险库出现问题。"

    def __init__(self, message: str, message_zh: str | None = None) -> None:
        super().__init__(message)
        if message_zh is not None:
            self.message_zh = message_zh


class VaultNotFoundError(VaultError):
    message_zh = "在这个文件夹里没有找到数据保险库。请检查数据文件夹，或先创建新的保险库。"


class VaultExistsError(VaultError):
    message_zh = "这个文件夹里已经有一个保险库了，不能再创建。"


class WrongPasswordError(VaultError):
    message_zh = "密码不正确，请再试一次。注意大小写和输入法（中文/英文）。"


class WrongRecoveryCodeError(VaultError):
    message_zh = "恢复码不正确。请对照打印或抄写的恢复码逐组核对后再输入。"


class VaultTooNewError(VaultError):
    message_zh = "这个保险库是由更新版本的儿童主任工作台创建的，请先升级本程序再打开。"


class VaultCorruptError(VaultError):
    message_zh = "保险库文件已损坏，无法打开。请不要删除任何文件，联系区里的技术人员从备份恢复。"


class VaultLockedError(VaultError):
    message_zh = "保险库已锁定，请先输入密码解锁。"


class DiskFullError(VaultError):
    message_zh = "磁盘空间已满，刚才的修改没有保存。请清理磁盘空间后再试，已保存的数据不受影响。"


class ReadOnlyLocationError(VaultError):
    message_zh = "数据文件夹不能写入（只读或没有权限）。请换一个文件夹，或联系技术人员。"


class RecordNotFoundError(VaultError):
    message_zh = "找不到这条记录。"


class RecordDamagedError(VaultError):
    message_zh = "这条记录已损坏，无法读取。其他记录不受影响。"


class AttachmentDamagedError(VaultError):
    message_zh = "这个附件已损坏或不完整，无法打开。"


class WeakPasswordError(VaultError):
    """Raised with the list of Chinese explanations from the password policy."""

    def __init__(self, reasons_zh: list[str], reasons_en: list[str]) -> None:
        super().__init__("; ".join(reasons_en), "\n".join(reasons_zh))
        self.reasons_zh = reasons_zh
        self.reasons_en = reasons_en
