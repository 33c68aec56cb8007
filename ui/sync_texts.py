"""The Chinese words for what the laptop's sync engine reports in codes: receipt refusal
reasons, sync errors (with what to do next) and the report's messages. The one mapping; the
engine (``sync/laptop/``) returns codes only."""

from __future__ import annotations

from app.questionnaire.naming import version_zh
from app.services.definitions import kind_zh
from sync.errors import NotForUsError, RevokedError, SyncError
from sync.laptop.errors import NotEnrolledError, TransientError, UnverifiedRevocationError
from sync.laptop.messages import MessageCode, SyncMessage

REASONS_ZH = {
    "out_of_scope": "这条记录所属的村不在本机负责的范围内",
    "unknown_child": "区里还没有这名儿童的档案（请先同步儿童档案）",
    "malformed": "记录内容不完整或格式不对",
    "foreign_device": "记录来自另一台电脑",
    "unknown_record_type": "区服务器不接收这种记录",
    "type_mismatch": "区里同一编号的记录是另一种类型",
    "unknown_record": "区里没有要删除的这条记录",
    "conflicting_duplicate": "区里已有同一编号但内容不同的记录",
    "blob_mismatch": "附件文件与记录不符",
}

# Refusals the director can fix on this laptop (not a matter for the district), with what to do.
REASONS_SELF_ZH = {
    # the revision's clock is more than 24 hours ahead of the server's (docs/sync-protocol.md §4a)
    "clock_skew": "电脑日期不对：请把电脑的日期和时间改正后再同步",
}


def reason_zh(code: str) -> str:
    """A quarantined revision's refusal reason (the receipt's code)."""
    if code in REASONS_SELF_ZH:
        return REASONS_SELF_ZH[code] + "。"
    return REASONS_ZH.get(code, "区服务器没有接收") + "。请联系区民政局核对。"


def sync_error_zh(err: BaseException) -> str:
    """Plain Chinese, with what to do next."""
    if isinstance(err, UnverifiedRevocationError):
        return (
            "服务器说这台电脑已被停用，但没有区民政局签名的通知，所以本机照常使用、稍后再试。"
            "如果一直这样，请联系区民政局核实。资料都还在这台电脑上。"
        )
    if isinstance(err, TransientError):
        return (
            "连不上区里的服务器（可能没有网络，或服务器暂时不可用）。"
            "资料都还在这台电脑上，一个也不会丢，联网后会自动再试。"
        )
    if isinstance(err, RevokedError):
        return (
            "区民政局已停止这台电脑的同步。请联系区民政局儿童工作负责人。"
            "本机的资料不受影响，可以继续使用。"
        )
    if isinstance(err, NotEnrolledError):
        return "这台电脑还没有在区服务器注册。请填写服务器地址和注册码，或用U盘注册。"
    if isinstance(err, SyncError):
        if err.code in ("code_invalid", "already_enrolled"):
            return "注册码无效、已经用过或已过期。请向区民政局要一个新的注册码。"
        if err.code == "too_many_attempts":
            return "注册尝试次数太多，请过十分钟再试。"
        if isinstance(err, NotForUsError) or err.code in ("bad_signature", "tampered"):
            return (
                "文件不完整或已损坏（可能U盘在写入时被拔出），没有导入。请在区里重新导出后再导入。"
            )
        return "区服务器没有接受这次同步。资料都还在这台电脑上。请稍后再试，仍不行请联系区民政局。"
    if isinstance(err, OSError):
        return "无法读写所选的文件夹或U盘。请检查U盘是否插好、是否写保护，然后重试。"
    from ui.views.messages import user_message

    return user_message(err)


def definition_zh(message: SyncMessage) -> str:
    """评估表「困境儿童…评估表」（第2版）: the kind, the title, the version — never the id."""
    shown = kind_zh(message.kind)
    if message.title:
        shown += f"「{message.title}」"
    return shown + f"（{version_zh(message.version)}）"


def message_zh(message: SyncMessage) -> str:
    """One of a sync report's messages as a sentence for the director."""
    code = message.code
    if code == MessageCode.DISTRICT_NOTICE:
        return message.text  # the district's own words
    if code == MessageCode.ATTACHMENTS_REFUSED:
        return (
            f"有 {message.count} 个附件（照片或扫描件）在传输中出错，没有保存；下次同步会重新接收。"
        )
    if code == MessageCode.ATTACHMENTS_WAITING:
        return f"有 {message.count} 个附件还没有传到区里，暂时没有收到；下次同步会再接收。"
    if code == MessageCode.DEFINITION_INSTALLED:
        return f"已启用区民政局发布的{definition_zh(message)}。"
    if code == MessageCode.DEFINITION_REFUSED:
        return (
            f"区民政局发布的{definition_zh(message)}没有通过检查，没有安装，仍按原来的版本使用。"
            "请告诉区民政局。"
        )
    return ""


def messages_zh(messages: list[SyncMessage]) -> list[str]:
    return [text for text in (message_zh(m) for m in messages) if text]
