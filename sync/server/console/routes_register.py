"""儿童名册: the register — filters, search, sort and pages from the query string (malformed
values are dropped by queries.parse_register_filter, never an error); every view is logged with
its filters."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sync.server.console import accounts, queries
from sync.server.console.auth import SignedIn, log
from sync.server.console.routes_overview import LABELS, run, today
from sync.server.console.web import render

router = APIRouter()

SORT_ZH = {
    "next_due": "下次应走访",
    "name": "姓名拼音",
    "village": "村",
    "level": "监护等级",
    "last_visit": "上次走访",
    "birth_date": "出生日期",
    "eighteenth": "年满18周岁",
}
AGE_ZH = {
    "0-2": "0–2岁",
    "3-5": "3–5岁",
    "6-11": "6–11岁",
    "12-15": "12–15岁",
    "16-17": "16–17岁",
    "18+": "18岁及以上",
}


def page_link(flt: queries.RegisterFilter, page: int) -> str:
    return "?" + urlencode({**flt.as_params(), "page": str(page)})


def filter_params(flt: queries.RegisterFilter) -> dict[str, str]:
    params = flt.as_params()
    params.pop("page", None)
    return params


@router.get("/children")
async def register_page(request: Request, user: SignedIn) -> Response:
    flt = queries.parse_register_filter(dict(request.query_params))
    page: queries.RegisterPage = await run(request, queries.register, user.scope, flt, today())
    params = filter_params(page.filter)
    await log(request, user, "register", accounts.filters_target({**params, "page": page.page}))
    return render(
        request,
        "register.html",
        user,
        page=page,
        flt=page.filter,
        prev_link=page_link(page.filter, page.page - 1) if page.page > 1 else "",
        next_link=page_link(page.filter, page.page + 1) if page.page < page.pages else "",
        export_link="?" + urlencode(params) if params else "",
        CATEGORIES=queries.CATEGORIES,
        CASE_STAGES=queries.CASE_STAGES,
        SORT_ZH=SORT_ZH,
        AGE_ZH=AGE_ZH,
        PARTNER_SORTS=queries.PARTNER_SORTS,
        **LABELS,
    )
