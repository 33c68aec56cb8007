"""村 / 儿童主任: per village the director, device, last sync, visits on time vs due (this
month and 12 months) and overdue children — what a supervisor checks before calling."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from sync.server.console import queries, queries_child
from sync.server.console.auth import log
from sync.server.console.routes_overview import LABELS, Supervisor, refuse, run, today
from sync.server.console.web import render

router = APIRouter()


@router.get("/villages")
async def villages_page(request: Request, user: Supervisor) -> Response:
    rows: list[queries_child.VillageRow] = await run(
        request, queries_child.villages, user.scope, today()
    )
    await log(request, user, "villages", "")
    return render(request, "villages.html", user, rows=rows, **LABELS)


@router.get("/villages/{village_code}")
async def village_page(request: Request, village_code: str, user: Supervisor) -> Response:
    if not queries.VILLAGE_CODE.match(village_code):
        raise HTTPException(status_code=404)
    try:
        overdue: list[queries_child.OverdueChild] = await run(
            request, queries_child.village_overdue, user.scope, village_code, today()
        )
    except queries.OutOfScopeError:
        await refuse(request, user, "village_view", village_code)
        raise
    rows: list[queries_child.VillageRow] = await run(
        request, queries_child.villages, user.scope, today(), village_code
    )
    await log(request, user, "village_view", village_code)
    return render(
        request,
        "villages.html",
        user,
        rows=rows,
        overdue=overdue,
        village=village_code,
        **LABELS,
    )
