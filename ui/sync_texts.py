"""The Chinese words for what the laptop's sync engine reports in codes: receipt refusal
reasons, sync errors (with what to do next), the report's messages, and what the 同步 page
says of a report, of unsent changes and of conflicting fields. The one mapping; the engine
(``sync/laptop/``) returns codes only."""

from __future__ import annotations

import errno
import json
from typing import Any

from app.questionnaire.naming import version_zh
from app.services.definitions import kind_zh
from sync.errors import NotForUsError, RevokedError, SyncError
from sync.laptop.errors import NotEnrolledError, TransientError, UnverifiedRevocationError
from sync.laptop.messages import MessageCode, SyncMessage
from sync.laptop.state import Status, SyncReport
from ui.error_texts import (
    TOO_MANY_ENROLL_ATTEMPTS_ZH,
    file_error_zh,
    usb_write_error_zh,
    user_message,
)

_STICK_FULL_OR_LOCKED = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM)

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
    # docs/sync-protocol.md §16: e.g. a case conference or a district decision sent by a laptop
    "district_only": "这种记录只能由区里或乡镇填写（如个案会商、查验和复核决定）",
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
            return TOO_MANY_ENROLL_ATTEMPTS_ZH
        if isinstance(err, NotForUsError) or err.code in ("bad_signature", "tampered"):
            return (
                "文件不完整或已损坏（可能U盘在写入时被拔出），没有导入。请在区里重新导出后再导入。"
            )
        return "区服务器没有接受这次同步。资料都还在这台电脑上。请稍后再试，仍不行请联系区民政局。"
    if isinstance(err, OSError):
        if err.errno in _STICK_FULL_OR_LOCKED:  # only writing (an export) fills or meets a lock
            return usb_write_error_zh(err, retry="然后重试", keep="资料都还在这台电脑上。")
        return file_error_zh(err) or "无法读写所选的文件夹或U盘。请检查U盘是否插好，然后重试。"
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


# ----- the 同步 page: conflicts, the quarantine, history, the report summary -----------------

TYPE_ZH = {
    "child": "儿童档案",
    "visit": "走访记录",
    "assessment": "评估",
    "case": "个案",
    "attachment": "附件",
    "director_profile": "儿童主任信息",
}
FIELD_ZH = {
    "name": "姓名",
    "school": "学校",
    "notes": "备注",
    "village_code": "所在村",
    "guardians": "监护人",
    "status": "状态",
    "stage": "个案阶段",
    "plan": "帮扶计划",
    "_deleted": "是否删除",
}
VIA_ZH = {"network": "联网", "usb": "U盘"}


def value_text(value: Any, absent: bool) -> str:
    if absent:
        return "（空）"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    return json.dumps(value, ensure_ascii=False)


def when_text(text: str) -> str:
    return text.replace("T", " ").replace("Z", " UTC") if text else "从未"


def report_extras(report: SyncReport) -> list[str]:
    """What a sync or import brought besides records: attachment files, the district's new
    questionnaires and schedule rules (for the summary line)."""
    parts = []
    if report.attachments_received:
        parts.append(f"收到附件 {report.attachments_received} 个")
    if report.definitions_installed:
        parts.append(f"启用区里发布的新问卷或走访规则 {report.definitions_installed} 项")
    if report.recognitions_applied:
        parts.append(f"区民政局确认 {report.recognitions_applied} 名事实无人抚养儿童，已写入档案")
    return parts


def report_notes(report: SyncReport) -> str:
    """The report's own messages (what was enabled or refused, the district's notices), each on
    a line of its own under the summary; "" when there are none. They are whole sentences, some
    with a 。 or ； inside, so they are not run together."""
    notes = [m.strip() for m in messages_zh(report.messages) if m.strip()]
    return "".join(f"\n{n}" if n.endswith(("。", "！", "？")) else f"\n{n}。" for n in notes)


def report_needs_attention(report: SyncReport) -> bool:
    """Something the district sent was not taken: shown in the warning colour."""
    return bool(report.attachments_refused or report.definitions_refused)


def report_changed_data(report: SyncReport) -> bool:
    """The sync or import changed what the other pages show (records, files, rules)."""
    return bool(
        report.pulled
        or report.merged
        or report.conflicts
        or report.attachments_received
        or report.definitions_installed
        or report.recognitions_applied
    )


WHAT_COUNTS = (
    "每保存一次儿童档案、走访记录、评估、个案或儿童主任信息算一条，同一个孩子改过几次就算几条，"
    "所以常比孩子的人数多。"
)


def pending_explanation(status: Status) -> str:
    """What the count of unsent changes means, and what (if anything) the director should do,
    in plain words: unsent changes stay on this laptop until it is registered."""
    if status.revoked:
        return "区民政局已停止这台电脑的同步，这些修改不会再发送，但都保存在这台电脑上。"
    if not status.enrolled:
        register = (
            "请向区民政局儿童工作负责人要注册码，在下方“注册这台电脑”里注册，"
            "然后点“立即同步”或用U盘导出，修改就会送到区里。"
        )
        if status.pending == 0:
            return "这台电脑还没有在区民政局注册（未注册），资料只保存在本机。" + register
        return (
            WHAT_COUNTS + "这台电脑还没有在区民政局注册（未注册），这些修改只保存在本机，"
            "一条也没有发出去。" + register
        )
    if status.pending == 0:
        return "所有修改都已送到区里。"
    return WHAT_COUNTS + "联网时会自动发送，也可以点“立即同步”，或用U盘导出带到区里。"


def history_text(event: dict[str, Any]) -> str:
    """One line of the sync history."""
    when = when_text(str(event.get("at", "")))
    kind = event.get("kind")
    if kind == "sync":
        return (
            f"{when}　联网同步：发送 {event.get('accepted', 0)} 条，"
            f"收到 {event.get('pulled', 0)} 条"
        )
    if kind == "receipt":
        return (
            f"{when}　第 {event.get('sequence', '')} 批回执：接收 {event.get('accepted', 0)} 条，"
            f"未接收 {event.get('rejected', 0)} 条"
        )
    if kind == "export":
        return f"{when}　导出到U盘 {event.get('batches', 0)} 批"
    if kind == "import":
        return f"{when}　从U盘导入：收到 {event.get('pulled', 0)} 条"
    if kind == "enrolled":
        return f"{when}　注册成功（{VIA_ZH.get(str(event.get('via')), '')}）"
    if kind == "revoked":
        return f"{when}　区民政局停止了这台电脑的同步"
    return when
