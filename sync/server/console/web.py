"""The console as a FastAPI application mounted under ``/console/`` by the district server.

Pages are server-rendered Jinja2 templates (autoescaped: a synced name such as ``<script>`` or
``{{7*7}}`` shows as text); every asset is served from ``static/``, nothing from a CDN. Pages
from other modules are routers found by name: every ``sync.server.console.routes_*`` module with
a ``router`` attribute is included.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from sync.server.console import dates, sessions
from sync.server.console.accounts import AccountError
from sync.server.console.auth import (
    COOKIE,
    PREFIX,
    Console,
    CurrentUser,
    Forbidden,
    SignInRequired,
    StepRequired,
    console,
    signin_url,
)
from sync.server.console.catch_up import PENDING_STATE, catch_up_for_reading

log = logging.getLogger("childdesk.district.console")
HERE = Path(__file__).resolve().parent

# (path, label, roles that see it)
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (f"{PREFIX}/overview", "总览", ("district", "town")),
    (f"{PREFIX}/children", "名册", ("district", "town", "partner")),
    (f"{PREFIX}/villages", "村/儿童主任", ("district", "town")),
    (f"{PREFIX}/reports", "强制报告", ("district", "town")),
    (f"{PREFIX}/applications", "认定申请", ("district", "town")),
    (f"{PREFIX}/conferences", "个案会商", ("district", "town")),
    (f"{PREFIX}/summary", "年度汇总", ("district", "town")),
    (f"{PREFIX}/screening", "心理筛查", ("district", "town")),  # routes_screening.py
    (f"{PREFIX}/activities", "活动", ("district", "town")),  # routes_activities.py
    (f"{PREFIX}/exports", "导出", ("district", "town", "partner")),
    (f"{PREFIX}/users", "用户与设备", ("district",)),
    (f"{PREFIX}/log", "访问日志", ("district",)),
)
ROLE_LABELS = {"district": "区民政局", "town": "乡镇督导员", "partner": "合作单位"}
STEP_PATHS = {"totp": "/totp", "enrol": "/enrol", "password": "/password"}

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.globals.update(PREFIX=PREFIX, ROLE_LABELS=ROLE_LABELS, local_time=dates.local_time)
env.filters["local_time"] = dates.local_time  # stored UTC shown in China's time (dates.py)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def nav_for(role: str) -> list[tuple[str, str]]:
    return [(path, label) for path, label, roles in NAV if role in roles]


def home_for(role: str) -> str:
    return nav_for(role)[0][0]


def render(
    request: Request,
    template: str,
    user: CurrentUser | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page in the console layout. ``restored`` holds a form's input kept across an expired
    session (``?restore=…`` after signing in again), for the form to fill itself from."""
    restored: dict[str, str] = context.pop("restored", None) or {}
    context.setdefault("pending_children", getattr(request.state, PENDING_STATE, 0))
    html = env.get_template(template).render(
        request=request,
        user=user,
        nav=nav_for(user.role) if user else [],
        path=request.url.path,
        csrf=user.csrf if user else "",
        restored=restored,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def restored_input(request: Request, user: CurrentUser) -> dict[str, str]:
    """A form's kept input when the page was reached after signing in again, else {}."""
    token = request.query_params.get("restore", "")
    if not token:
        return {}
    return sessions.take_stash(console(request).engine, token, user.user_id) or {}


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        path=PREFIX + "/",
        httponly=True,
        secure=not console(request).insecure_cookie,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE,
        path=PREFIX + "/",
        httponly=True,
        secure=not console(request).insecure_cookie,
        samesite="strict",
    )


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            if name == "Cache-Control" and request.url.path.startswith(PREFIX + "/static/"):
                continue
            response.headers.setdefault(name, value)
        return response


def _error_page(
    request: Request, status: int, title: str, message: str, user: CurrentUser | None = None
) -> HTMLResponse:
    return render(request, "error.html", user, status_code=status, title=title, message=message)


_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_ASGIApp = Callable[[_Scope, _Receive, _Send], Awaitable[None]]


class CatchUpFirst:
    """ASGI middleware of the console: before a signed-in browser's request (every page, export
    and form) the pending children are applied (at most ``catch_up.inline_children()``); how
    many are still pending goes to ``request.state.pending_children`` for the page's notice
    (:func:`render`)."""

    def __init__(self, app: _ASGIApp, engine: Engine, cookie: str) -> None:
        self.app = app
        self.engine = engine
        self.cookie = cookie.encode()

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if (
            scope["type"] == "http"
            and "/static/" not in str(scope.get("path", ""))
            and self._signed_in(scope)
        ):
            remaining = await run_in_threadpool(catch_up_for_reading, self.engine)
            scope.setdefault("state", {})[PENDING_STATE] = remaining
        await self.app(scope, receive, send)

    def _signed_in(self, scope: _Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"cookie" and self.cookie + b"=" in value:
                return True
        return False


def _start_up(district: Any, access_log_days: int | None = None) -> bytes:
    """What the console does once per process as the server starts: derive the key sealing
    TOTP secrets (secretbox.py) and seal any still stored in plain base32; prune the access log
    to ``access_log_days`` (``serve --access-log-days``, checked by the CLI; None: from the
    environment, else 3 years — log_retention.py). Returns the sealing key."""
    from sync.errors import SyncError
    from sync.server.console import log_retention, secretbox

    engine = district.engine
    try:
        key = secretbox.key_from(district.keys)
    except SyncError:  # no district keys in this process: sealed secrets cannot be opened
        log.warning("console: no district keys; second-factor codes cannot be checked")
        key = secrets.token_bytes(32)
    else:
        if sealed := secretbox.migrate_plain(engine, key):
            log.warning("console: sealed %d TOTP secret(s) stored in plain text", sealed)
    days = access_log_days
    if days is None:
        try:
            days = log_retention.retention_from_env()
        except AccountError as err:
            log.warning(
                "console: %s; keeping %d days", err.message_en, log_retention.RETENTION_DAYS
            )
            days = log_retention.RETENTION_DAYS
    log_retention.prune_access_log(engine, days)
    start_catch_up = getattr(district, "start_catch_up", None)
    if start_catch_up is not None:  # the query tables kept up to the records (catch_up.py)
        start_catch_up()
    return key


def console_routers() -> list[Any]:
    """The console's routers, in the order the app includes them: sign-in, administration, then
    every ``routes_*`` module by name. Importing them is most of a worker's start (fastapi's
    route classes, the query modules, templates, QR codes: ~0.3 CPU-s), so ``serve --workers N``
    calls this once in the parent before it forks: the workers inherit the imported modules
    instead of each importing them again (and a replaced worker serves sooner)."""
    from sync.server.console.pages_admin import router as admin_router
    from sync.server.console.pages_auth import router as auth_router

    routers: list[Any] = [auth_router, admin_router]
    package = importlib.import_module("sync.server.console")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("routes_"):
            module = importlib.import_module(f"sync.server.console.{info.name}")
            router = getattr(module, "router", None)
            if router is not None:
                routers.append(router)
    return routers


def create_console(
    district: Any,
    *,
    trusted_proxies: tuple[Any, ...] = (),
    insecure_cookie: bool = False,
    access_log_days: int | None = None,
) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = Console(
        engine=district.engine,
        district=district,
        insecure_cookie=insecure_cookie,
        trusted_proxies=trusted_proxies,
        totp_key=_start_up(district, access_log_days),
    )

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, err: SignInRequired) -> Response:
        response = RedirectResponse(signin_url(err.next_path, err.resume), status_code=303)
        clear_session_cookie(response, request)
        return response

    @app.exception_handler(StepRequired)
    async def step(_request: Request, err: StepRequired) -> Response:
        return RedirectResponse(PREFIX + STEP_PATHS.get(err.stage, "/signin"), status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, err: Forbidden) -> Response:
        return _error_page(request, 403, "没有权限", err.message_zh, err.user)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, _err: RequestValidationError) -> Response:
        return _error_page(request, 400, "请求有误", "链接或表单的内容不对，请返回上一页重试。")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        if err.status_code == 404:
            return _error_page(request, 404, "找不到这一页", "链接可能有误，或者内容已不存在。")
        if err.status_code == 405:
            return _error_page(request, 405, "请求有误", "这个地址不接受这种请求。")
        return _error_page(request, err.status_code, "请求有误", "请返回上一页重试。")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> Response:
        log.error("console internal error: %s", type(err).__name__)
        return _error_page(request, 500, "出错了", "服务器处理时出错，已记录。请稍后再试。")

    for router in console_routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CatchUpFirst, engine=district.engine, cookie=COOKIE)  # read-your-writes
    return app
