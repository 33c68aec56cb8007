"""导出: the register (with the register's filters) and the overview's figures as .xlsx.

The workbook is written to a private temporary file (0600) in a worker thread from the register
read in chunks — bounded memory for any number of rows — then streamed and removed. Every export
is logged (kind and filters, never names); a partner's export holds only its roster."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sync.server.console import accounts, queries, queries_overview
from sync.server.console import queries_export as qx
from sync.server.console.auth import SignedIn, console
from sync.server.console.routes_overview import LABELS, Supervisor, log, period, today
from sync.server.console.web import render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(path: Path, name: str) -> StreamingResponse:
    return StreamingResponse(
        qx.stream_file(path),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(path.stat().st_size),
        },
    )


@router.get("/exports")
async def exports_page(request: Request, user: SignedIn) -> Response:
    start, end = period(request)
    return render(request, "exports.html", user, start=start, end=end, **LABELS)


@router.get("/exports/register.xlsx")
async def export_register(request: Request, user: SignedIn) -> Response:
    flt = queries.parse_register_filter(dict(request.query_params))
    engine = console(request).engine
    day = today()

    def write() -> tuple[Path, int]:
        path = qx.temporary_path()
        try:
            with engine.connect() as conn:
                rows = queries.register_rows(conn, user.scope, flt, day)
                return path, qx.write_register(rows, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    path, count = await run_in_threadpool(write)
    params = flt.as_params()
    params.pop("page", None)
    await log(
        request, user, "export", "register " + accounts.filters_target({**params, "rows": count})
    )
    return _download(path, qx.export_name("register", day))


@router.get("/exports/figures.xlsx")
async def export_figures(request: Request, user: Supervisor) -> Response:
    start, end = period(request)
    engine = console(request).engine
    day = today()
    label = "全区" if user.scope.is_district else "乡镇 " + "、".join(user.scope.towns)

    def write() -> Path:
        path = qx.temporary_path()
        try:
            with engine.connect() as conn:
                figures = queries_overview.overview(conn, user.scope, start, end, day)
            qx.write_figures(figures, path, label)
            return path
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    path = await run_in_threadpool(write)
    target = accounts.filters_target({"start": start.isoformat(), "end": end.isoformat()})
    await log(request, user, "export", "figures " + target)
    return _download(path, qx.export_name("figures", day))
