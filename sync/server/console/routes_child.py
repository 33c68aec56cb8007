"""儿童页: one child's file as the district holds it (read-only). Every view is logged with the
record id; a child outside the user's scope is refused with 403 and the attempt logged."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.domain.categories import RELATION_LABELS_ZH, GuardianRelation
from app.domain.guardian_situation import SITUATION_LABELS_ZH, GuardianSituation
from sync.server.console import queries, queries_child
from sync.server.console.routes_overview import LABELS, Supervisor, log, refuse, run
from sync.server.console.web import render

router = APIRouter()


def relation_zh(code: object) -> str:
    try:
        return RELATION_LABELS_ZH[GuardianRelation(str(code))]
    except ValueError:
        return str(code)


def situation_zh(code: object) -> str:
    try:
        return SITUATION_LABELS_ZH[GuardianSituation(str(code))]
    except ValueError:
        return str(code)


def text(value: object) -> str:
    """A synced value for display: text as it is (escaped by the template), else ''."""
    return value if isinstance(value, str) else ("" if value is None else str(value))


@router.get("/children/{child_id}")
async def child_view(request: Request, child_id: str, user: Supervisor) -> Response:
    target = child_id[:40]
    try:
        page: queries_child.ChildPage = await run(
            request, queries_child.child_page, user.scope, child_id
        )
    except queries.OutOfScopeError:
        await refuse(request, user, "child_view", target)
        raise  # unreachable: refuse raises
    except queries.NotFoundError:
        await log(request, user, "child_view", target, "failed")
        raise HTTPException(status_code=404) from None
    await log(request, user, "child_view", child_id)
    data = page.data
    return render(
        request,
        "child.html",
        user,
        page=page,
        data=data,
        guardians=[g for g in data.get("guardians") or [] if isinstance(g, dict)],
        relation_zh=relation_zh,
        situation_zh=situation_zh,
        text=text,
        **LABELS,
    )
