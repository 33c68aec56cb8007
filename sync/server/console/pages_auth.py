"""Signing in and out: password, second factor (TOTP), first-time password change, enrolment.

The order of steps after a right password: the second factor when the account has one, then a
new password when the current one was handed out (``must_change``), then enrolment of a second
factor for a district account that has none. Only then is the session ``full``.
"""

from __future__ import annotations

import secrets
from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.server.console import accounts, secretbox, sessions
from sync.server.console.accounts import AccountError, User
from sync.server.console.auth import (
    PREFIX,
    Console,
    CurrentUser,
    Forbidden,
    SignedIn,
    client_source,
    console,
    log,
    safe_next,
    session_of,
)
from sync.server.console.web import (
    clear_session_cookie,
    home_for,
    render,
    set_session_cookie,
)

router = APIRouter()
MAX_TOTP_FAILURES = 5  # wrong codes in 15 minutes before the password is asked again
PRE_COOKIE = "childdesk_console_pre"  # the sign-in form's CSRF token (double submit)


def next_stage(user: User, *, totp_done: bool) -> str:
    if user.totp_enabled and not totp_done:
        return "totp"
    if user.must_change:
        return "password"
    if user.role == "district" and not user.totp_enabled:
        return "enrol"
    return "full"


def _after_step(request: Request, stage: str, next_path: str = "") -> Response:
    paths = {"totp": "/totp", "enrol": "/enrol", "password": "/password"}
    if stage in paths:
        return RedirectResponse(PREFIX + paths[stage], status_code=303)
    return RedirectResponse(next_path or PREFIX + "/", status_code=303)


def _resume_target(request: Request, user_id: int, next_path: str, resume: str) -> str:
    if resume:
        found = sessions.stash_path(console(request).engine, resume)
        if found and found[0] == user_id:
            return f"{safe_next(found[1])}?restore={resume}"
    return safe_next(next_path) if next_path else ""


@router.get("/")
async def root(request: Request, user: SignedIn) -> Response:
    return RedirectResponse(home_for(user.role), status_code=303)


@router.get("/signin")
async def signin_page(request: Request, next: str = "", resume: str = "") -> Response:
    return _signin_form(request, next_path=next, resume=resume)


def _signin_form(
    request: Request, *, next_path: str = "", resume: str = "", error: str = "", name: str = ""
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "signin.html",
        None,
        status_code=401 if error else 200,
        pre_csrf=token,
        next_path=next_path[:500],
        resume=resume[:100],
        error=error,
        name=name[:64],
        expired=bool(resume) or bool(request.query_params.get("expired")),
    )
    response.set_cookie(
        PRE_COOKIE,
        token,
        path=PREFIX + "/signin",
        httponly=True,
        secure=not console(request).insecure_cookie,
        samesite="strict",
        max_age=3600,
    )
    return response


@router.post("/signin")
async def signin(
    request: Request,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    resume: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(PRE_COOKIE, "")
    if not expected or not csrf or not secrets.compare_digest(expected.encode(), csrf.encode()):
        raise Forbidden("登录表单已失效，请刷新页面后重新登录。")
    c = console(request)
    source = client_source(request)
    try:
        user = await run_in_threadpool(accounts.check_password, c.engine, name, password, source)
    except AccountError as err:
        return _signin_form(request, next_path=next, resume=resume, error=err.message_zh, name=name)
    stage = next_stage(user, totp_done=False)
    token, _session = await run_in_threadpool(
        sessions.create, c.engine, user.user_id, stage, source
    )
    if stage == "full":
        await run_in_threadpool(
            accounts.log_access, c.engine, user.user_id, "sign_in", "", "ok", source
        )
    target = _resume_target(request, user.user_id, next, resume)
    response = _after_step(request, stage, target)
    set_session_cookie(response, request, token)
    response.delete_cookie(PRE_COOKIE, path=PREFIX + "/signin")
    if stage != "full" and target:
        response.set_cookie(
            "childdesk_console_next",
            target,
            path=PREFIX + "/",
            httponly=True,
            secure=not c.insecure_cookie,
            samesite="strict",
            max_age=1800,
        )
    return response


def _finish(request: Request, user: CurrentUser, stage: str) -> Response:
    target = safe_next(request.cookies.get("childdesk_console_next", "")) if stage == "full" else ""
    if stage == "full":
        accounts.log_access(console(request).engine, user.user_id, "sign_in", "", "ok", user.source)
        target = target if target != PREFIX + "/" else home_for(user.role)
    response = _after_step(request, stage, target)
    if stage == "full":
        response.delete_cookie("childdesk_console_next", path=PREFIX + "/")
        # Fully signed in: a new cookie value, so one seen before this point is worth nothing.
        set_session_cookie(
            response, request, sessions.rotate(console(request).engine, user.session)
        )
    return response


@router.get("/totp")
async def totp_page(request: Request) -> Response:
    user = await session_of(request, stages=("totp",))
    return render(request, "totp.html", user, error="")


@router.post("/totp")
async def totp_check(request: Request, code: Annotated[str, Form()] = "") -> Response:
    user = await session_of(request, stages=("totp",))
    c = console(request)
    if not await run_in_threadpool(accounts.verify_totp, c.engine, user.user_id, code, c.totp_key):
        await log(request, user, "totp", "", "failed")
        failures = await run_in_threadpool(
            accounts.recent_failures, c.engine, user.user_id, "totp", accounts.FAILURE_WINDOW_S
        )
        if failures >= MAX_TOTP_FAILURES:
            # Guessing codes: the password must be given again (and that is throttled).
            await run_in_threadpool(sessions.end, c.engine, user.session)
            response = RedirectResponse(PREFIX + "/signin?totp=1", status_code=303)
            clear_session_cookie(response, request)
            return response
        return render(
            request, "totp.html", user, status_code=401, error="验证码不对或已用过，请等下一个码。"
        )
    stage = next_stage(user.user, totp_done=True)
    await run_in_threadpool(sessions.set_stage, c.engine, user.session, stage, None)
    return await run_in_threadpool(_finish, request, user, stage)


@router.get("/enrol")
async def enrol_page(request: Request) -> Response:
    user = await session_of(request, stages=("enrol", "full"))
    if user.user.totp_enabled:
        raise Forbidden("这个账号已经设置了两步验证。")
    c = console(request)
    secret = _pending_secret(c, user)
    if not secret:
        secret = accounts.new_totp_secret()
        sealed = secretbox.seal(c.totp_key, secret, user.user_id)
        await run_in_threadpool(
            sessions.set_stage, c.engine, user.session, user.session.stage, sealed
        )
    return _enrol_form(request, user, secret, "")


def _pending_secret(c: Console, user: CurrentUser) -> str:
    """The secret being enrolled in this session (kept sealed), or '' if none opens."""
    stored = user.session.pending_totp
    if not stored:
        return ""
    try:
        return secretbox.open_sealed(c.totp_key, stored, user.user_id)
    except secretbox.SealedSecretError:
        return ""


def _enrol_form(request: Request, user: CurrentUser, secret: str, error: str) -> Response:
    uri = accounts.totp_uri(secret, user.user.name)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(
        request,
        "enrol.html",
        user,
        status_code=401 if error else 200,
        qr=qr,
        secret=grouped,
        error=error,
        forced=user.session.stage == "enrol",
    )


@router.post("/enrol")
async def enrol(request: Request, code: Annotated[str, Form()] = "") -> Response:
    user = await session_of(request, stages=("enrol", "full"))
    c = console(request)
    secret = _pending_secret(c, user)
    if user.user.totp_enabled or not secret:
        return RedirectResponse(PREFIX + "/enrol", status_code=303)
    if not await run_in_threadpool(
        accounts.enrol_totp, c.engine, user.user_id, secret, code, c.totp_key
    ):
        return _enrol_form(
            request,
            user,
            secret,
            "验证码不对。请用手机上的验证器应用扫码后，输入它显示的 6 位数字。",
        )
    await log(request, user, "totp_enrol", "")
    was = user.session.stage
    await run_in_threadpool(sessions.set_stage, c.engine, user.session, "full", None)
    if was == "full":
        return RedirectResponse(PREFIX + "/account?done=totp", status_code=303)
    return await run_in_threadpool(_finish, request, user, "full")


@router.get("/password")
async def password_page(request: Request) -> Response:
    user = await session_of(request, stages=("password", "full"))
    return render(request, "password.html", user, error="", forced=user.session.stage == "password")


@router.post("/password")
async def password_change(
    request: Request,
    old_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    again: Annotated[str, Form()] = "",
) -> Response:
    user = await session_of(request, stages=("password", "full"))
    c = console(request)
    try:
        await run_in_threadpool(
            accounts.change_password, c.engine, user.user, old_password, new_password, again
        )
    except AccountError as err:
        return render(
            request,
            "password.html",
            user,
            status_code=400,
            error=err.message_zh,
            forced=user.session.stage == "password",
        )
    await log(request, user, "password_change", "")
    fresh = await run_in_threadpool(accounts.get_user, c.engine, user.user_id)
    assert fresh is not None
    if user.session.stage == "full":
        # Other sessions of this user end; this one stays.
        await run_in_threadpool(
            sessions.end_others, c.engine, user.user_id, user.session.session_hash
        )
        return RedirectResponse(PREFIX + "/account?done=password", status_code=303)
    stage = next_stage(fresh, totp_done=True)
    await run_in_threadpool(sessions.set_stage, c.engine, user.session, stage, None)
    return await run_in_threadpool(_finish, request, user, stage)


@router.get("/account")
async def account(request: Request, user: SignedIn) -> Response:
    c = console(request)
    count = await run_in_threadpool(sessions.count_for, c.engine, user.user_id)
    return render(
        request,
        "account.html",
        user,
        sessions_count=count,
        done=request.query_params.get("done", ""),
    )


@router.post("/signout")
async def signout(request: Request) -> Response:
    user = await session_of(request, stages=("full", "totp", "enrol", "password"))
    c = console(request)
    await run_in_threadpool(sessions.end, c.engine, user.session)
    await log(request, user, "sign_out", "")
    response = RedirectResponse(PREFIX + "/signin?out=1", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.post("/signout-all")
async def signout_all(request: Request, user: SignedIn) -> Response:
    c = console(request)
    ended = await run_in_threadpool(sessions.end_all, c.engine, user.user_id)
    await log(request, user, "sign_out_all", str(ended))
    response = RedirectResponse(PREFIX + "/signin?out=1", status_code=303)
    clear_session_cookie(response, request)
    return response
