"""用户与设备 → a partner's 名单: a district user gives a ``partner`` account (e.g. the 妇联, for
爱心妈妈 pairing) the towns and child categories it may see. The partner then sees those children
on the register and its export, with the roster's columns only (queries.for_scope,
roster_export.py). Every change is logged (the account's id, never names of children)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.server.console import accounts, queries, rosters
from sync.server.console.accounts import AccountError, User
from sync.server.console.auth import PREFIX, DistrictUser, console, log
from sync.server.console.pages_admin import VILLAGE_SPLIT
from sync.server.console.queries_export import category_zh
from sync.server.console.web import render, restored_input

router = APIRouter()


async def _partner(request: Request, user_id: str) -> User:
    if not user_id.isdigit() or len(user_id) > 12:
        raise HTTPException(status_code=404)
    found = await run_in_threadpool(accounts.get_user, console(request).engine, int(user_id))
    if found is None or found.role != "partner":
        raise HTTPException(status_code=404)
    return found


def _page(
    request: Request,
    user: DistrictUser,
    partner: User,
    *,
    form: dict[str, object],
    status_code: int = 200,
    error: str = "",
    message: str = "",
) -> Response:
    return render(
        request,
        "roster.html",
        user,
        status_code=status_code,
        partner=partner,
        form=form,
        error=error,
        message=message,
        CATEGORIES=queries.CATEGORIES,
        category_zh=category_zh,
    )


def _form_of(partner: User) -> dict[str, object]:
    roster = partner.roster
    if roster is None:
        return {"towns": "", "whole_district": False, "categories": []}
    return {
        "towns": " ".join(roster.towns),
        "whole_district": roster.whole_district,
        "categories": list(roster.categories),
    }


@router.get("/users/{user_id}/roster")
async def roster_page(request: Request, user_id: str, user: DistrictUser) -> Response:
    partner = await _partner(request, user_id)
    form = _form_of(partner)
    restored = restored_input(request, user)
    if restored:
        form = {
            "towns": restored.get("towns", ""),
            "whole_district": restored.get("whole_district") == "1",
            "categories": [],
        }
    saved = request.query_params.get("saved") == "1"
    return _page(request, user, partner, form=form, message="已保存名单。" if saved else "")


@router.post("/users/{user_id}/roster")
async def roster_save(request: Request, user_id: str, user: DistrictUser) -> Response:
    partner = await _partner(request, user_id)
    data = await request.form()
    towns = str(data.get("towns") or "")[:2000]
    whole = data.get("whole_district") == "1"
    categories = [str(v)[:40] for v in data.getlist("category")][:40]
    clear = data.get("clear") == "1"
    c = console(request)
    form: dict[str, object] = {"towns": towns, "whole_district": whole, "categories": categories}
    try:
        roster = (
            None
            if clear
            else rosters.check_roster(
                [code for code in VILLAGE_SPLIT.split(towns) if code], whole, categories
            )
        )
        changed = await run_in_threadpool(rosters.set_roster, c.engine, partner.user_id, roster)
    except AccountError as err:
        return _page(request, user, partner, form=form, status_code=400, error=err.message_zh)
    target = str(changed.user_id)
    if roster is not None:
        target += " " + accounts.filters_target(
            {
                "towns": ",".join(roster.towns) or ("all" if roster.whole_district else ""),
                "categories": ",".join(roster.categories),
            }
        )
    await log(request, user, "roster_set", target)
    return RedirectResponse(f"{PREFIX}/users/{changed.user_id}/roster?saved=1", status_code=303)
