"""心理筛查 (issue 19, seed 000 四: 813 screened, 16 referred for evaluation): the psychological
screening figures of a town or the district for a period — children screened, flagged (建议关注
or 建议转介), referred, evaluated — per village and in total, and the referrals still waiting to
be made or evaluated. Counts only: no names (a screening is sensitive). Thin: the figures come
from queries_screening.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.domain.referral import NOT_A_DIAGNOSIS_ZH
from sync.server.console import accounts, queries_screening
from sync.server.console.auth import log
from sync.server.console.routes_overview import Supervisor, period, run, scope_label
from sync.server.console.web import render

router = APIRouter()


@router.get("/screening")
async def screening_page(request: Request, user: Supervisor) -> Response:
    start, end = period(request)
    target = accounts.filters_target({"start": start.isoformat(), "end": end.isoformat()})
    figures: queries_screening.ConsoleScreening = await run(
        request, queries_screening.console_screening, user.scope, start, end
    )
    await log(request, user, "screening", target)
    return render(
        request,
        "screening.html",
        user,
        f=figures,
        start=start,
        end=end,
        scope_label=scope_label(user),
        NOT_A_DIAGNOSIS_ZH=NOT_A_DIAGNOSIS_ZH,
    )
