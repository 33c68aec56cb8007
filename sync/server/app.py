"""The district server over HTTP (FastAPI on uvicorn): docs/sync-protocol.md §13.

Request bodies are bounded before they are read; every refusal is JSON
``{"error": code, "message": English sentence}``; an unexpected failure is logged by type only
(no personal data) and answered with 500, and the server keeps serving.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from sync.documents import HEX16
from sync.errors import RevokedError, SyncError, TooLargeError, UnknownDeviceError
from sync.server.connections import Network, in_networks
from sync.server.district import District

log = logging.getLogger("childdesk.district.http")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

AGE_MEDIA = "application/octet-stream"
DOC_MEDIA = "text/plain; charset=utf-8"


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


class BodyLimit:
    """Refuse request bodies over a limit (by Content-Length, and by counting what arrives)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("path", "")))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > limit:
                    await self._refuse(scope, receive, send, limit)
                    return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLargeError(f"the request body is larger than {limit} bytes")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = _error(413, "too_large", f"the request body is larger than {limit} bytes")
        await response(scope, receive, send)


def client_source(request: Request, trusted_proxies: tuple[Network, ...]) -> str:
    """Who sent a request, for throttling: the connection's address, or, when the connection
    comes from a trusted reverse proxy, the nearest untrusted address in X-Forwarded-For
    (proxies append the address they saw; everything left of a trusted proxy's entry may be
    forged by the client)."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not in_networks(peer, trusted_proxies):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not in_networks(hop, trusted_proxies):
            return hop[:64]
    return hops[0][:64] if hops else peer


def create_app(
    district: District,
    *,
    trusted_proxies: tuple[Network, ...] = (),
    console_insecure_cookie: bool = False,
    access_log_days: int | None = None,
) -> FastAPI:
    app = FastAPI(
        title="childdesk-district",
        version="1",
        description="District server of 儿童主任工作台: enrollment, batches, changes. "
        "Protocol: docs/sync-protocol.md.",
    )

    def limit_for(path: str) -> int:
        if path.endswith("/batches"):
            return district.limits.max_batch_bytes
        if path.endswith("/enroll"):
            return district.limits.max_enroll_bytes
        return 64 * 1024

    @app.exception_handler(SyncError)
    async def sync_error(_request: Request, err: SyncError) -> JSONResponse:
        return _error(err.http_status, err.code, err.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, _err: RequestValidationError) -> JSONResponse:
        return _error(400, "malformed", "the request is malformed")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "error")
        return _error(err.status_code, code, str(err.detail))

    @app.exception_handler(ClientDisconnect)
    async def client_gone(_request: Request, _err: ClientDisconnect) -> Response:
        # The client went away before its request was complete (a dropped mobile link, a
        # closed laptop lid): nothing was stored, nobody is listening, and it is not a fault.
        log.info("a client disconnected before its request was complete")
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, err: Exception) -> JSONResponse:
        log.error("internal error: %s", type(err).__name__)
        return _error(500, "internal", "the server could not process the request")

    body_doc: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "content": {AGE_MEDIA: {"schema": {"type": "string", "format": "binary"}}},
        }
    }

    @app.get("/api/v1/info", summary="The district's public keys and protocol versions")
    async def info() -> dict[str, Any]:
        return district.info()

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/api/v1/enroll",
        summary="Enroll a device with a one-time code",
        openapi_extra=body_doc,
        response_class=Response,
        responses={200: {"content": {DOC_MEDIA: {}}, "description": "enrollment document"}},
    )
    async def enroll(request: Request) -> Response:
        body = await request.body()
        source = client_source(request, trusted_proxies)
        answer = await run_in_threadpool(district.enroll, body, source=source)
        return Response(answer, media_type=DOC_MEDIA)

    @app.post(
        "/api/v1/batches",
        summary="Upload a batch file; returns a signed receipt",
        openapi_extra=body_doc,
        response_class=Response,
        responses={200: {"content": {DOC_MEDIA: {}}, "description": "signed receipt"}},
    )
    async def batches(request: Request) -> Response:
        body = await request.body()
        try:
            result = await run_in_threadpool(district.ingest, body, via="network")
        except RevokedError as err:
            # The device is told with the district's signed notice, which it can verify.
            device_id = getattr(err, "device_id", "")
            notice = await run_in_threadpool(district.revocation_notice, device_id)
            extra = {"notice": notice.decode("utf-8")} if notice is not None else {}
            return _error(403, err.code, err.message, **extra)
        return Response(result.receipt, media_type=DOC_MEDIA)

    @app.get(
        "/api/v1/devices/{device_id}/changes",
        summary="Changes for a device after a cursor (age-encrypted to it, signed)",
        response_class=Response,
        responses={200: {"content": {AGE_MEDIA: {}}, "description": "changes file"}},
    )
    async def changes(device_id: str, after: str = "") -> Response:
        if not HEX16.fullmatch(device_id):
            raise UnknownDeviceError("no such device")
        try:
            notice = await run_in_threadpool(district.revocation_notice, device_id)
            if notice is not None:
                err = RevokedError("this device has been revoked; contact the district")
                return _error(403, err.code, err.message, notice=notice.decode("utf-8"))
            data = await run_in_threadpool(district.changes, device_id, after)
        except UnknownDeviceError:
            return _error(404, "unknown_device", "no such device is enrolled here")
        return Response(data, media_type=AGE_MEDIA)

    # The district console (web pages for the bureau, towns and partners): docs/district-server.md.
    from sync.server.console.web import create_console

    app.mount(
        "/console",
        create_console(
            district,
            trusted_proxies=trusted_proxies,
            insecure_cookie=console_insecure_cookie,
            access_log_days=access_log_days,
        ),
    )
    app.add_middleware(BodyLimit, limit_for=limit_for)
    return app
