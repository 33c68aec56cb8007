"""Enrolling this laptop, without Qt: checking the typed code and server address before
anything is sent, and what went wrong (network, request and response files) in plain Chinese
with what to do next."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from storage.errors import VaultError
from sync.documents import Enrollment
from sync.errors import SyncError
from sync.laptop.engine import TransientError
from ui.error_texts import READ_FILE_ZH, TOO_MANY_ENROLL_ATTEMPTS_ZH, usb_write_error_zh
from ui.sync_texts import sync_error_zh
from ui.views.messages import user_message

# The code's alphabet and length (Crockford base32, protocol §3); checked here so a typo is
# caught before anything is sent.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20
_CODE_TRANSLATE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")


def normalize_code(text: str) -> str:
    """Case, dashes and spaces are ignored; O→0, I/L→1 (as on the server)."""
    return "".join(c for c in text.upper() if c not in "- \t").translate(_CODE_TRANSLATE)


def code_problem(text: str) -> str:
    """Why the typed code cannot be right, in plain Chinese ("" when it may be)."""
    code = normalize_code(text)
    if not code:
        return "请填写区民政局给的注册码。"
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return (
            f"注册码应是 {CODE_LENGTH} 个字母和数字（如 K7QM-3XPA-……，横线可以不输），"
            "现在的不对。请对照区民政局给的注册码重新输入。"
        )
    return ""


def normalize_server_url(text: str) -> str:
    """The address as typed, with ``https://`` added when it was left out; "" when it cannot be
    an address."""
    text = text.strip()
    if not text or any(c.isspace() for c in text):
        return ""
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not host or not _HOST_RE.match(host):
        return ""
    return text.rstrip("/")


class AlreadyEnrolledError(Exception):
    """This vault already holds an enrollment."""

    def __init__(self, enrollment: Enrollment) -> None:
        super().__init__("already enrolled")
        self.enrollment = enrollment


class NoRequestError(Exception):
    """A response file was loaded before any request was written from this laptop."""


def enroll_error_zh(err: BaseException) -> str:
    """Network enrollment and request files: what went wrong and what to do, in plain Chinese."""
    if isinstance(err, AlreadyEnrolledError):
        return (
            f"这台电脑已经注册过了（区编号 {err.enrollment.district_id}），不需要再注册。"
            "可以直接在“同步”页同步。"
        )
    if isinstance(err, TransientError):
        text = str(err)
        if re.search(r"\b429\b", text):
            return TOO_MANY_ENROLL_ATTEMPTS_ZH
        if re.search(r"\b5\d\d\b", text):
            return "区里的服务器暂时出了问题。请过一会儿再试，仍不行请联系区民政局。"
        return (
            "连不上区里的服务器。请检查：服务器地址是否和区民政局给的一字不差；"
            "这台电脑是否已经联网。也可以改用U盘注册。"
        )
    if isinstance(err, SyncError):
        if err.code == "code_invalid":
            return (
                "注册码不对、已经用过或已经过期。请核对注册码后再试；"
                "仍不行请向区民政局要一个新的注册码（每个注册码只能用一次）。"
            )
        if err.code == "already_enrolled":
            return (
                "区里已经有这台电脑的另一份注册申请（可能以前用U盘申请过）。"
                "如果区里给过回复文件，请点“载入回复文件”；否则请联系区民政局处理。"
            )
        if err.code == "too_many_attempts":
            return TOO_MANY_ENROLL_ATTEMPTS_ZH
        if err.code == "unsupported_protocol":
            return "区服务器的版本和本程序不配套，请联系区民政局。"
        return (
            "这个地址回答的内容看不懂，可能不是区民政局的同步服务器。"
            "请核对服务器地址（向区民政局确认），然后再试。"
        )
    if isinstance(err, OSError):
        return usb_write_error_zh(err)
    if isinstance(err, VaultError):
        return user_message(err)
    return sync_error_zh(err)


def response_error_zh(err: BaseException, device_id: str) -> str:
    """Loading the district's response file."""
    expected = f"{device_id}.cdenrolled"
    if isinstance(err, AlreadyEnrolledError):
        return enroll_error_zh(err)
    if isinstance(err, NoRequestError):
        return "这台电脑还没有写入过注册申请。请先点“第一步：写入申请”，把U盘带到区民政局导入。"
    if isinstance(err, SyncError):
        return (
            "这个文件不是区里给这台电脑的注册回复，或者已经损坏（可能U盘在写入时被拔出）。"
            f"请选区里给的 {expected}；如果是最新写入的申请，请让区里重新导入后再试。"
        )
    if isinstance(err, OSError):
        return READ_FILE_ZH
    return enroll_error_zh(err)


def scope_text(enrollment: Enrollment, own_village: str = "") -> str:
    villages = "、".join(f"{v}（本村）" if v == own_village else v for v in enrollment.villages)
    return f"区编号：{enrollment.district_id}\n这台电脑负责的村（社区）：{villages}"
