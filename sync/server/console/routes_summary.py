"""年度汇总 (issue 19, seed 004 四 3: 总结提升阶段, 区级评估验收): the year-end figures of a town or
the district for a period — activities and children reached summed across villages, youths
turning 18 in the next 12 months per town with their plan status, the year-end summary's
figures — on a page and as a printed PDF. Thin: the figures come from queries_summary.py, the
print from app/printing/year_summary_console.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.domain.activity import ACTIVITY_KIND_LABELS_ZH
from app.domain.categories import CATEGORY_LABELS_ZH, ChildCategory
from app.domain.labels_zh import CASE_KIND_ZH, SCREENING_ZH  # not app.printing: reportlab at start
from app.domain.transition_plan import PLAN_STATUS_LABELS_ZH, PlanStatus
from app.domain.visit import VISIT_FORM_LABELS_ZH
from app.services.monthly_report import MonthError
from sync.server.console import accounts, queries_summary
from sync.server.console.auth import CurrentUser, console, log
from sync.server.console.routes_overview import LABELS, Supervisor, period, today
from sync.server.console.web import render

router = APIRouter()
REFRESH_S = 3
SUMMARY_LABELS: dict[str, Any] = {
    "KIND_ZH": ACTIVITY_KIND_LABELS_ZH,
    "PLAN_ZH": PLAN_STATUS_LABELS_ZH,
    "PlanStatus": PlanStatus,
    "CASE_KIND_ZH": CASE_KIND_ZH,
    "CATEGORY_ZH": {c.value: CATEGORY_LABELS_ZH[c] for c in ChildCategory},
    "FORM_ZH": VISIT_FORM_LABELS_ZH,
    "SCREENING_ZH": SCREENING_ZH,
}


def _year_start(request: Request) -> tuple[date, date]:
    """The period asked for, else this year from 1 January to today."""
    if request.query_params.get("start") or request.query_params.get("end"):
        return period(request)
    day = today()
    return date(day.year, 1, 1), day


def scope_label(user: CurrentUser) -> str:
    return "全区" if user.scope.is_district else "乡镇 " + "、".join(user.scope.towns)


async def _figures(
    request: Request, user: CurrentUser, start: date, end: date
) -> queries_summary.ConsoleSummary | None:
    """The figures, or None while a big scope's are being counted off the request (the
    count runs on queries_summary.JOBS' own thread; the page asks again)."""
    result: queries_summary.ConsoleSummary | None = await run_in_threadpool(
        queries_summary.JOBS.lookup, console(request).engine, user.scope, start, end, today()
    )
    return result


def _pending(request: Request, user: CurrentUser, start: date, end: date) -> Response:
    """计算中…: the page reloads itself (Refresh header) until the figures are ready."""
    response = render(
        request,
        "summary_pending.html",
        user,
        start=start,
        end=end,
        scope_label=scope_label(user),
        refresh_s=REFRESH_S,
    )
    response.headers["Refresh"] = str(REFRESH_S)
    return response


async def _figures_or_page(
    request: Request, user: CurrentUser, action: str
) -> tuple[queries_summary.ConsoleSummary, str, date, date] | Response:
    """The asked period's figures with the access log's target and the period; or the page to
    answer instead: an error for a bad period (logged as failed under ``action``), or 计算中…
    while the figures are being counted."""
    start, end = _year_start(request)
    target = accounts.filters_target({"start": start.isoformat(), "end": end.isoformat()})
    try:
        figures = await _figures(request, user, start, end)
    except MonthError as err:
        await log(request, user, action, target, "failed")
        return render(
            request, "error.html", user, status_code=400, title="年度汇总", message=err.message_zh
        )
    if figures is None:
        return _pending(request, user, start, end)
    return figures, target, start, end


@router.get("/summary")
async def summary_page(request: Request, user: Supervisor) -> Response:
    found = await _figures_or_page(request, user, "summary")
    if isinstance(found, Response):
        return found
    figures, target, start, end = found
    await log(request, user, "summary", target)
    return render(
        request,
        "summary.html",
        user,
        f=figures,
        s=figures.summary,
        start=start,
        end=end,
        scope_label=scope_label(user),
        youths_total=sum(len(t.youths) for t in figures.turning_18),
        **LABELS,
        **SUMMARY_LABELS,
    )


@router.get("/summary.pdf")
async def summary_pdf(request: Request, user: Supervisor) -> Response:
    from app.printing.page import Letterhead
    from app.printing.year_summary import IdentifyingDataError
    from app.printing.year_summary_console import (
        TownRow,
        VillageRow,
        render_console_summary,
    )

    found = await _figures_or_page(request, user, "summary-pdf")
    if isinstance(found, Response):
        return found
    figures, target, _, _ = found
    ready = figures
    label = scope_label(user)
    towns_text = "" if user.scope.is_district else "乡镇代码 " + "、".join(user.scope.towns)
    letterhead = Letterhead(district="区民政局", town=towns_text, village="")
    day = today()

    def build() -> bytes:
        return render_console_summary(
            ready.summary,
            ready.children,
            villages=[
                VillageRow(
                    v.village_code,
                    v.activities,
                    v.child_attendances,
                    v.children_reached,
                    v.all_attendances,
                )
                for v in ready.by_village
            ],
            towns=[
                TownRow(
                    t.town_code,
                    len(t.youths),
                    t.count(PlanStatus.NONE),
                    t.count(PlanStatus.STARTED),
                    t.count(PlanStatus.REFERRED),
                    t.count(PlanStatus.HANDED_OVER),
                )
                for t in ready.turning_18
            ],
            window_end=ready.window_end,
            letterhead=letterhead,
            place=label,
            printed_on=day,
        )

    try:
        pdf = await run_in_threadpool(build)
    except IdentifyingDataError as err:
        await log(request, user, "summary-pdf", target, "failed")
        return render(
            request, "error.html", user, status_code=409, title="年度汇总", message=err.message_zh
        )
    await log(request, user, "summary-pdf", target)
    name = f"年度汇总-{figures.period.start}至{figures.period.end}.pdf"
    ascii_name = f"summary-{figures.period.start}-{figures.period.end}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{_quote(name)}"
        },
    )


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)
