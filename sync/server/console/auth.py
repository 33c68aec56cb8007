"""Who is asking: the FastAPI dependencies every console page uses.

``current_user`` answers a signed-in, fully verified user (password, second factor, changed
initial password) or sends the browser to sign in; for a POST it also checks the form's CSRF
token (403 when missing or wrong). When the session expired while a form was being filled in, the
form's input is kept server-side and the user comes back to it after signing in again.
``require_role("district")`` refuses other roles with 403 and logs the refusal.

Pages of other modules use them like this::

    @router.get("/children")
    async def children(request: Request, user: CurrentUser = Depends(current_user)) -> Response:
        rows = queries.register(console(request).engine, user.scope, ...)
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sync.server.console import accounts, sessions
from sync.server.console.accounts import User
from sync.server.console.scope import Role, Scope

COOKIE = "childdesk_console"
PREFIX = "/console"


@dataclass
class Console:
    """What the console's pages share: the database, the District facade, settings."""

    engine: Engine
    district: Any  # sync.server.district.District (not imported: no cycle with the app)
    insecure_cookie: bool = False  # only for plain http on loopback in tests and development
    trusted_proxies: tuple[Any, ...] = field(default_factory=tuple)
    # The key sealing TOTP secrets at rest (secretbox.py), derived from the district keys.
    totp_key: bytes = b""


def console(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


def client_source(request: Request) -> str:
    from sync.server.app import client_source as source_of

    return source_of(request, console(request).trusted_proxies)


@dataclass(frozen=True)
class CurrentUser:
    user: User
    session: sessions.Session
    source: str

    @property
    def scope(self) -> Scope:
        return self.user.scope

    @property
    def user_id(self) -> int:
        return self.user.user_id

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def csrf(self) -> str:
        return self.session.csrf


async def log(
    request: Request, user: CurrentUser, action: str, target: str, outcome: str = "ok"
) -> None:
    """One line in the access log for what ``user`` did (``target``: what it was done to)."""
    await run_in_threadpool(
        accounts.log_access,
        console(request).engine,
        user.user_id,
        action,
        target,
        outcome,
        user.source,
    )


class SignInRequired(Exception):
    """Answered with a redirect to the sign-in page (web.py)."""

    def __init__(self, next_path: str, resume: str = "") -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.resume = resume


class StepRequired(Exception):
    """The session still owes a step (second factor, new password, enrolment)."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


class Forbidden(Exception):
    """Answered with 403 and a page in Chinese (web.py)."""

    def __init__(
        self, message_zh: str = "您没有权限查看这一页。", user: CurrentUser | None = None
    ) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.user = user  # signed in: the page keeps the user's menu


def signin_url(next_path: str = "", resume: str = "") -> str:
    url = f"{PREFIX}/signin"
    params = []
    if next_path:
        params.append(f"next={quote(next_path, safe='/')}")
    if resume:
        params.append(f"resume={quote(resume, safe='')}")
    return url + ("?" + "&".join(params) if params else "")


def safe_next(path: str) -> str:
    """Only console paths are followed after signing in (no open redirect)."""
    if path.startswith(PREFIX + "/") and not path.startswith("//") and "\\" not in path:
        return path
    return PREFIX + "/"


async def _form(request: Request) -> FormData:
    # Starlette keeps the parsed form on the request: the route's Form(...) parameters reuse it.
    return await request.form()


def _csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), str(given).encode())


async def session_of(request: Request, *, stages: tuple[str, ...]) -> CurrentUser:
    """The request's session at one of ``stages``, checked as :func:`current_user` describes."""
    c = console(request)
    token = request.cookies.get(COOKIE)
    session = await run_in_threadpool(sessions.load, c.engine, token)
    now = int(time.time())
    path = request.url.path
    is_post = request.method == "POST"
    if session is not None and is_post:
        form = await _form(request)
        given = form.get("csrf") or request.headers.get("x-csrf-token")
        if not _csrf_ok(session.csrf, given if isinstance(given, str) else None):
            source = client_source(request)
            await run_in_threadpool(
                accounts.log_access, c.engine, session.user_id, "csrf", path, "denied", source
            )
            raise Forbidden("表单已失效或来源不明，请返回上一页刷新后重新提交。")
    here = path + ("?" + request.url.query if request.url.query else "")
    back = here if request.method == "GET" and len(here) <= 500 else ""
    if session is None:
        raise SignInRequired(back)
    user = await run_in_threadpool(accounts.get_user, c.engine, session.user_id)
    if user is None or user.disabled:
        await run_in_threadpool(sessions.end, c.engine, session)
        raise SignInRequired("")
    if session.expired(now):
        await run_in_threadpool(sessions.end, c.engine, session)
        resume = ""
        if is_post and session.stage == "full":
            form = await _form(request)
            fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
            form_page = form.get("_page")
            page = safe_next(form_page) if isinstance(form_page, str) else path
            resume = await run_in_threadpool(
                sessions.stash_form, c.engine, user.user_id, page, fields
            )
        raise SignInRequired(back, resume)
    if session.stage not in stages:
        if session.stage != "full":
            raise StepRequired(session.stage)
        raise Forbidden("这一步已经完成。")
    await run_in_threadpool(sessions.touch, c.engine, session, now)
    return CurrentUser(user=user, session=session, source=client_source(request))


async def current_user(request: Request) -> CurrentUser:
    """A signed-in user who has done every step (FastAPI dependency)."""
    return await session_of(request, stages=("full",))


def require_role(*roles: Role) -> Callable[[Request], Awaitable[CurrentUser]]:
    """A dependency: :func:`current_user`, refused with 403 (and logged) unless of ``roles``."""

    async def dependency(request: Request) -> CurrentUser:
        user = await current_user(request)
        if user.role not in roles:
            await log(request, user, "page", request.url.path, "denied")
            raise Forbidden(user=user)
        return user

    return dependency


require_district = require_role("district")

# For route signatures: ``user: SignedIn`` or ``user: DistrictUser``.
SignedIn = Annotated[CurrentUser, Depends(current_user)]
DistrictUser = Annotated[CurrentUser, Depends(require_district)]
