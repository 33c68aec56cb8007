"""What went wrong with a recovery request or answer, in Chinese, and what to do next."""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from pathlib import Path

from sync import recovery
from sync.errors import SyncError
from ui.error_texts import (
    NOT_ENROLLED_FOR_RECOVERY_ZH,
    READ_FILE_ZH,
    laptop_disk_full_zh,
    usb_write_error_zh,
)
from ui.views.messages import user_message


def local_date(created: str) -> str:
    """``2026-11-22T08:00:00Z`` → ``2026年11月22日`` (the local day)."""
    try:
        when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "之前"
    day = when.astimezone()
    return f"{day.year}年{day.month}月{day.day}日"


def write_error_zh(err: BaseException, data_dir: Path, had_pending: bool) -> str:
    """Why the request could not be written, and what to do next."""
    keep = "之前写过的申请仍然有效。" if had_pending else "这台电脑上的资料没有任何改动。"
    if isinstance(err, recovery.NoEscrowError):
        return NOT_ENROLLED_FOR_RECOVERY_ZH
    if isinstance(err, OSError):
        on_laptop = bool(err.filename) and Path(str(err.filename)).parent == Path(data_dir)
        if err.errno == errno.ENOSPC and on_laptop:
            return laptop_disk_full_zh("申请", keep)
        return usb_write_error_zh(err, retry="再点“写入恢复申请”", keep=keep)
    if isinstance(err, SyncError):
        return (
            "这台电脑上区里的钥匙备份文件已损坏，无法写申请。请不要删除任何文件，"
            "联系区民政局的技术人员。"
        )
    return user_message(err)


def grant_error_zh(err: BaseException, pending: recovery.PendingRequest | None) -> str:
    """Why an answer file was refused (the vault is untouched in every case)."""
    untouched = "档案库没有任何改动。"
    if isinstance(err, recovery.NotAGrantError):
        return (
            "您选的是这台电脑写的“恢复申请”（文件名以 .cdrecover 结尾），不是区里的答复。"
            "区里的答复文件名以 .cdrecovered 结尾，通常和申请在U盘的同一个地方。"
        )
    if isinstance(err, recovery.GrantForAnotherLaptopError):
        return (
            "这个答复是给另一台电脑的，不能用在这台电脑上。请确认带回的是这台电脑的答复，"
            f"或请区民政局核对。{untouched}"
        )
    if isinstance(err, recovery.GrantForOlderRequestError):
        latest = f"（核对码 {pending.check_code}）" if pending else ""
        return (
            "这个答复对应的是您以前写的一份申请；后来您又写了新的申请，旧的答复就作废了。"
            f"请把最新的申请{latest}带到区民政局重新办理。{untouched}"
        )
    if isinstance(err, recovery.NoPendingRequestError):
        return (
            "这台电脑现在没有等待答复的恢复申请（可能已经用这个答复设过新密码）。"
            "如果设过，请关掉这个窗口，用新密码解锁；否则请重新写一份申请。"
        )
    if isinstance(err, recovery.NoEscrowError):
        return NOT_ENROLLED_FOR_RECOVERY_ZH
    if isinstance(err, SyncError):
        return (
            "这个文件不是区民政局签发的有效答复，或者已经损坏（可能U盘在写入时被拔出）。"
            f"{untouched}请检查选的文件，或请区里重新办理。"
        )
    if isinstance(err, OSError):
        return READ_FILE_ZH
    return user_message(err)
