"""导出: the register (with the register's filters) and the overview's figures as .xlsx, and
the figures as a printed PDF (for the 评估验收 file).

The workbooks are written by the shared writer in a worker thread from the register read in
chunks — bounded memory for any number of rows — into a private folder beside the district
database (queries_export: never the system's temporary folder), then streamed; the folder goes
when the download ends or the client goes away, and a crashed process's leftovers are removed
before the next export. The PDF is built in memory. Every export is logged (kind and filters,
never names); a partner's export holds only its roster and no figures, and a partner asking
for the child files (the 登记表 layout: ID numbers, addresses) is refused with 403, logged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.registers.xlsx_export import Layout
from sync.server.console import accounts, queries, queries_overview, roster_export
from sync.server.console import queries_export as qx
from sync.server.console.auth import CurrentUser, SignedIn, console, log
from sync.server.console.routes_overview import LABELS, Supervisor, period, refuse, today
from sync.server.console.web import render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _body(path: Path, work_dir: Path) -> AsyncIterator[bytes]:
    """The file in chunks (read in a worker thread); the folder goes however this ends: sent
    whole, a read error, or the client gone (the server closes or cancels this generator)."""
    chunks = qx.stream_file(path, work_dir)
    try:
        while (chunk := await run_in_threadpool(next, chunks, b"")) != b"":
            yield chunk
    finally:
        chunks.close()
        qx.remove_work_dir(work_dir)  # also when the file was never opened


def _download(path: Path, work_dir: Path, name: str) -> StreamingResponse:
    return StreamingResponse(
        _body(path, work_dir),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(path.stat().st_size),
        },
    )


def _scope_label(user: CurrentUser) -> str:
    return "全区" if user.scope.is_district else "乡镇 " + "、".join(user.scope.towns)


async def _written(request: Request, name: str, write: Any) -> tuple[Path, Path, Any]:
    """Run ``write(path, work_dir)`` in a worker thread in a fresh private folder; the folder
    is removed if writing fails."""
    root = qx.work_root(console(request).engine)

    def run() -> tuple[Path, Path, Any]:
        qx.clean_leftovers(root)
        work_dir = qx.new_work_dir(root)
        path = work_dir / name
        try:
            return path, work_dir, write(path, work_dir)
        except BaseException:
            qx.remove_work_dir(work_dir)
            raise

    return await run_in_threadpool(run)


@router.get("/exports")
async def exports_page(request: Request, user: SignedIn) -> Response:
    start, end = period(request)
    return render(request, "exports.html", user, start=start, end=end, **LABELS)


@router.get("/exports/register.xlsx")
async def export_register(request: Request, user: SignedIn) -> Response:
    flt = queries.parse_register_filter(dict(request.query_params))
    engine = console(request).engine
    day = today()

    def write(path: Path, work_dir: Path) -> int:
        with engine.connect() as conn:
            rows = queries.register_rows(conn, user.scope, flt, day)
            if user.role == "partner":  # only its roster's columns (roster_export.py, H4)
                return roster_export.write_partner_register(rows, path, work_dir)
            return qx.write_register(rows, path, work_dir)

    path, work_dir, count = await _written(request, "register.xlsx", write)
    params = flt.as_params()
    params.pop("page", None)
    await log(
        request, user, "export", "register " + accounts.filters_target({**params, "rows": count})
    )
    return _download(path, work_dir, qx.export_name("register", day))


@router.get("/exports/children.xlsx")
async def export_child_files(request: Request, user: SignedIn) -> Response:
    """The child files in the laptop's 登记表 layout (``layout=register``, the default) or its
    flat one (``layout=flat``), with the register's filters. A partner is refused by the query
    layer (queries_export.child_files) before anything is read: 403, logged."""
    flt = queries.parse_register_filter(dict(request.query_params))
    layout: Layout = "flat" if request.query_params.get("layout") == "flat" else "register"
    kind = f"children-{layout}"
    engine = console(request).engine
    day = today()

    def write(path: Path, work_dir: Path) -> int:
        with engine.connect() as conn:
            children = qx.child_files(conn, user.scope, flt, day)
            return qx.write_child_files(children, path, work_dir, layout)

    try:
        path, work_dir, count = await _written(request, f"{kind}.xlsx", write)
    except queries.OutOfScopeError:
        await refuse(request, user, "export", kind)
        raise  # unreachable: refuse raises
    params = flt.as_params()
    params.pop("page", None)
    params.pop("per_page", None)
    await log(
        request, user, "export", f"{kind} " + accounts.filters_target({**params, "rows": count})
    )
    return _download(path, work_dir, qx.export_name(qx.EXPORT_NAMES[layout], day))


def _figures(request: Request, user: CurrentUser) -> tuple[date, date, Any]:
    start, end = period(request)
    engine = console(request).engine
    day = today()

    def read() -> Any:
        with engine.connect() as conn:
            return queries_overview.overview(conn, user.scope, start, end, day)

    return start, end, read


@router.get("/exports/figures.xlsx")
async def export_figures(request: Request, user: Supervisor) -> Response:
    start, end, read = _figures(request, user)
    label = _scope_label(user)

    def write(path: Path, work_dir: Path) -> None:
        qx.write_figures(read(), path, work_dir, label)

    path, work_dir, _ = await _written(request, "figures.xlsx", write)
    target = accounts.filters_target({"start": start.isoformat(), "end": end.isoformat()})
    await log(request, user, "export", "figures " + target)
    return _download(path, work_dir, qx.export_name("figures", today()))


@router.get("/exports/figures.pdf")
async def export_figures_pdf(request: Request, user: Supervisor) -> Response:
    """The same figures as a printed report (A4, the laptop's report style), built in memory."""
    from app.printing.district_figures import render_district_figures
    from app.printing.markup import zh_date
    from app.printing.page import Letterhead

    start, end, read = _figures(request, user)
    label = _scope_label(user)
    day = today()
    towns = "" if user.scope.is_district else "乡镇代码 " + "、".join(user.scope.towns)
    letterhead = Letterhead(district="区民政局", town=towns, village="")

    def build() -> bytes:
        tables = qx.figure_tables(read(), label)
        return render_district_figures(
            tables,
            scope_label=label,
            period=f"统计期间：{zh_date(start)} 至 {zh_date(end)}",
            letterhead=letterhead,
            printed_on=day,
        )

    pdf = await run_in_threadpool(build)
    target = accounts.filters_target({"start": start.isoformat(), "end": end.isoformat()})
    await log(request, user, "export", "figures-pdf " + target)
    name = qx.export_name("figures", day, ".pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
