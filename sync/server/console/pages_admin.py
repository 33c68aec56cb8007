"""用户与设备 and 访问日志: pages for ``district`` users only.

Devices are the console's face of ``childdesk-district enroll-code / devices / revoke``: the
same District methods. A new account's one-time password and a new enrollment code are shown
once, on the page that answers the form, and never stored in plain text.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.errors import SyncError
from sync.server.console import accounts, dates
from sync.server.console.accounts import AccountError
from sync.server.console.auth import DistrictUser, console, log
from sync.server.console.routes_workflows_labels import WORKFLOW_ACTIONS_ZH, WORKFLOW_OUTCOMES_ZH
from sync.server.console.web import render, restored_input

router = APIRouter()

ACTIONS_ZH = {
    "sign_in": "登录",
    "sign_out": "退出",
    "sign_out_all": "全部退出",
    "totp": "两步验证",
    "totp_enrol": "设置两步验证",
    "password_change": "修改密码",
    "csrf": "表单校验失败",
    "page": "访问页面",
    "overview": "查看总览",
    "screening": "查看心理筛查",
    "activities": "查看活动列表",
    "activity_view": "查看活动",
    "activity_photo": "查看活动照片",
    "summary": "查看年度汇总",
    "summary-pdf": "打印年度汇总",
    "register": "查看名册",
    "child_view": "查看儿童档案",
    "villages": "查看村列表",
    "village_view": "查看村",
    "export": "导出",
    "log_view": "查看访问日志",
    "user_add": "添加用户",
    "user_disable": "停用用户",
    "user_enable": "启用用户",
    "user_reset": "重置密码",
    "enroll_code": "生成注册码",
    "device_revoke": "吊销设备",
    "roster_set": "设置合作单位名单",
    "child_note": "添加儿童备注",
    "log_prune": "清理访问日志",
    **WORKFLOW_ACTIONS_ZH,
}
OUTCOMES_ZH = {
    "ok": "成功",
    "denied": "拒绝",
    "failed": "失败",
    "throttled": "已限制",
    **WORKFLOW_OUTCOMES_ZH,
}
EXPIRY_CHOICES = {"12h": 12 * 3600, "1d": 86400, "3d": 3 * 86400, "7d": 7 * 86400}
VILLAGE_SPLIT = re.compile(r"[\s,，;；、]+")


async def _users_page(
    request: Request,
    user: DistrictUser,
    *,
    status_code: int = 200,
    message: str = "",
    error: str = "",
    secret: str = "",
    secret_for: str = "",
) -> Response:
    c = console(request)
    users = await run_in_threadpool(accounts.list_users, c.engine)
    return render(
        request,
        "users.html",
        user,
        status_code=status_code,
        users=users,
        message=message,
        error=error,
        secret=secret,
        secret_for=secret_for,
        restored=restored_input(request, user),
    )


@router.get("/users")
async def users_page(request: Request, user: DistrictUser) -> Response:
    return await _users_page(request, user)


@router.post("/users/add")
async def user_add(
    request: Request,
    user: DistrictUser,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    towns: Annotated[str, Form()] = "",
) -> Response:
    c = console(request)
    codes = [code for code in VILLAGE_SPLIT.split(towns) if code]
    try:
        added, password = await run_in_threadpool(accounts.add_user, c.engine, name, role, codes)
    except AccountError as err:
        return await _users_page(request, user, status_code=400, error=err.message_zh)
    await log(request, user, "user_add", str(added.user_id))
    return await _users_page(
        request,
        user,
        message="已添加用户。初始密码只显示这一次，请交给本人；首次登录时必须修改。",
        secret=password,
        secret_for=added.name,
    )


@router.post("/users/{action}")
async def user_change(
    request: Request,
    user: DistrictUser,
    action: str,
    name: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    if action not in ("disable", "enable", "reset", "reset-totp"):
        return await _users_page(request, user, status_code=404, error="没有这个操作。")
    c = console(request)
    if confirmed != "1":
        questions = {
            "disable": "停用后，这个用户立即退出，不能再登录。确定停用吗？",
            "enable": "确定重新启用这个用户吗？",
            "reset": "重置后，这个用户立即退出，要用新的初始密码登录。确定重置密码吗？",
            "reset-totp": "重置后，这个用户要用新的初始密码登录，并重新设置两步验证。确定吗？",
        }
        return render(
            request,
            "confirm.html",
            user,
            question=questions[action],
            subject=name,
            action=f"/users/{action}",
            fields={"name": name},
            back="/users",
        )
    if name.strip() == user.user.name and action == "disable":
        return await _users_page(request, user, status_code=400, error="不能停用自己的账号。")
    password = ""
    try:
        if action in ("disable", "enable"):
            changed = await run_in_threadpool(
                accounts.set_disabled, c.engine, name, action == "disable"
            )
        else:
            changed, password = await run_in_threadpool(
                accounts.reset_password, c.engine, name, reset_totp=action == "reset-totp"
            )
    except AccountError as err:
        return await _users_page(request, user, status_code=400, error=err.message_zh)
    log_action = {"disable": "user_disable", "enable": "user_enable"}.get(action, "user_reset")
    await log(request, user, log_action, str(changed.user_id))
    messages = {
        "disable": "已停用，该用户的登录已全部结束。",
        "enable": "已重新启用。",
        "reset": "已重置密码。新的初始密码只显示这一次；首次登录时必须修改。",
        "reset-totp": "已重置密码和两步验证。新的初始密码只显示这一次；登录后须重新设置两步验证。",
    }
    return await _users_page(
        request,
        user,
        message=messages[action],
        secret=password,
        secret_for=changed.name if password else "",
    )


async def _devices_page(
    request: Request,
    user: DistrictUser,
    *,
    status_code: int = 200,
    message: str = "",
    error: str = "",
    code: str = "",
) -> Response:
    c = console(request)
    devices = await run_in_threadpool(c.district.devices)
    return render(
        request,
        "devices.html",
        user,
        status_code=status_code,
        devices=devices,
        message=message,
        error=error,
        code=code,
        expiry_choices=list(EXPIRY_CHOICES),
        restored=restored_input(request, user),
    )


@router.get("/devices")
async def devices_page(request: Request, user: DistrictUser) -> Response:
    return await _devices_page(request, user)


@router.post("/devices/enroll-code")
async def enroll_code(
    request: Request,
    user: DistrictUser,
    villages: Annotated[str, Form()] = "",
    expires: Annotated[str, Form()] = "7d",
) -> Response:
    c = console(request)
    codes = sorted({v for v in VILLAGE_SPLIT.split(villages) if v})
    seconds = EXPIRY_CHOICES.get(expires)
    if not codes or seconds is None:
        return await _devices_page(
            request, user, status_code=400, error="请填写至少一个 12 位村代码，并选择有效期。"
        )
    try:
        code = await run_in_threadpool(c.district.create_enroll_code, codes, seconds)
    except SyncError:
        return await _devices_page(
            request,
            user,
            status_code=400,
            error="村代码不对：每个村代码应为 12 位数字（行政区划代码）。",
        )
    await log(request, user, "enroll_code", ",".join(codes))
    return await _devices_page(
        request,
        user,
        message="已生成注册码。请在儿童主任的电脑上输入；注册码只能用一次，只显示这一次。",
        code=code,
    )


@router.post("/devices/revoke")
async def revoke(
    request: Request,
    user: DistrictUser,
    device: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    c = console(request)
    if not re.fullmatch(r"[0-9a-f]{16}", device):
        return await _devices_page(request, user, status_code=400, error="没有这台设备。")
    if confirmed != "1":
        return render(
            request,
            "confirm.html",
            user,
            question="吊销后，这台电脑不能再同步，下次同步时会收到通知。确定吊销吗？",
            subject=device,
            action="/devices/revoke",
            fields={"device": device},
            back="/devices",
        )
    try:
        changed = await run_in_threadpool(c.district.revoke, device)
    except SyncError:
        return await _devices_page(request, user, status_code=400, error="没有这台设备。")
    await log(request, user, "device_revoke", device)
    text = "已吊销。这台电脑下次同步时会收到通知。" if changed else "这台设备此前已被吊销。"
    return await _devices_page(request, user, message=text)


@router.get("/log")
async def log_page(
    request: Request,
    user: DistrictUser,
    name: str = "",
    action: str = "",
    outcome: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    page: str = "1",
) -> Response:
    c = console(request)
    error = ""
    try:
        since, until = dates.normalise(since), dates.normalise(until)
    except dates.DateInputError as err:
        error = err.message_zh
        since = until = ""
    if action and action not in ACTIONS_ZH:
        action = ""
    if outcome and outcome not in OUTCOMES_ZH:
        outcome = ""
    number = int(page) if page.isdigit() and len(page) < 8 else 1
    try:
        rows, total = await run_in_threadpool(
            lambda: accounts.search_log(
                c.engine,
                user_name=name[:64],
                action=action,
                outcome=outcome,
                target=target[:200],
                since=since,
                until=until,
                page=number,
            )
        )
    except ValueError:  # a date like 2026-02-31
        error = "日期不存在，请检查。"
        rows, total = await run_in_threadpool(lambda: accounts.search_log(c.engine, page=1))
        since = until = ""
    pages = max(1, (total + 49) // 50)
    await log(
        request,
        user,
        "log_view",
        accounts.filters_target({"name": name[:64], "action": action, "since": since}),
    )
    filters = {
        "name": name[:64],
        "action": action,
        "outcome": outcome,
        "target": target[:200],
        "since": since,
        "until": until,
    }
    return render(
        request,
        "log.html",
        user,
        rows=rows,
        total=total,
        page=min(number, pages),
        pages=pages,
        filters=filters,
        pager_query="".join(f"{urlencode({k: v})}&" for k, v in filters.items() if v),
        error=error,
        actions=ACTIONS_ZH,
        outcomes=OUTCOMES_ZH,
    )
