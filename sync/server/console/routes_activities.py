"""关爱服务活动 (activities) of a town or the district for a period, and one activity with its
photos (the laptop's evidence that it took place). Every list, view and photo read is logged;
an activity of another town is refused with 403 and the attempt logged. Thin: the reads are
queries_activities.py's."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.domain.activity import ACTIVITY_KIND_LABELS_ZH
from sync.server.console import accounts, queries_activities
from sync.server.console.auth import log
from sync.server.console.routes_overview import (
    Supervisor,
    period,
    read_in_scope,
    run,
    scope_label,
)
from sync.server.console.web import render

router = APIRouter()


@router.get("/activities")
async def activities_page(request: Request, user: Supervisor) -> Response:
    start, end = period(request)
    target = accounts.filters_target({"start": start.isoformat(), "end": end.isoformat()})
    listed: queries_activities.ActivityList = await run(
        request, queries_activities.activity_list, user.scope, start, end
    )
    await log(request, user, "activities", target)
    return render(
        request,
        "activities.html",
        user,
        a=listed,
        start=start,
        end=end,
        scope_label=scope_label(user),
        KIND_ZH=ACTIVITY_KIND_LABELS_ZH,
    )


@router.get("/activities/{record_id}")
async def activity_page(request: Request, record_id: str, user: Supervisor) -> Response:
    page: queries_activities.ActivityPage = await read_in_scope(
        request, user, "activity_view", record_id[:40], queries_activities.activity_page, record_id
    )
    return render(request, "activity.html", user, p=page, KIND_ZH=ACTIVITY_KIND_LABELS_ZH)


@router.get("/activities/{record_id}/photos/{sha256}")
async def activity_photo(
    request: Request, record_id: str, sha256: str, user: Supervisor
) -> Response:
    content, mime = await read_in_scope(
        request,
        user,
        "activity_photo",
        f"{record_id[:40]} {sha256[:64]}",
        queries_activities.activity_photo,
        record_id,
        sha256,
    )
    return Response(content, media_type=mime)
