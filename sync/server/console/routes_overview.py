"""总览: the overview page (figures for the user's scope and a period), with server-rendered
SVG charts. Thin: the figures come from queries_overview.overview; the helpers here (today, logging,
labels, chart geometry) are shared by the other routes_* modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.domain.working_days import china_date
from sync.server.console import accounts, dates, queries, queries_overview
from sync.server.console.auth import CurrentUser, Forbidden, console, log, require_role
from sync.server.console.queries_child import recent_window
from sync.server.console.queries_export import STAGE_ZH, category_zh, level_zh
from sync.server.console.web import render
from sync.server.workflows import Workflows

router = APIRouter()
# Pages for people who supervise villages (a partner sees only its roster: the register).
Supervisor = Annotated[CurrentUser, Depends(require_role("district", "town"))]

LEVEL_COLOURS = {"red": "#c62828", "orange": "#ef6c00", "yellow": "#f9a825", "green": "#2e7d32"}
LABELS: dict[str, Any] = {
    "level_zh": level_zh,
    "category_zh": category_zh,
    "STAGE_ZH": STAGE_ZH,
    "LEVEL_COLOURS": LEVEL_COLOURS,
    "GENDER_ZH": {"male": "男", "female": "女"},
}


def today(now: datetime | None = None) -> date:
    """Today in the district (China, UTC+8): between 00:00 and 08:00 there the UTC date is
    still yesterday, and 逾期 / 本月 would be a day behind."""
    moment = now or datetime.now(UTC)
    return china_date(moment.astimezone(UTC).isoformat())


def parse_day(text: str | None) -> date | None:
    """A date typed as 年-月-日 (dates.py), or None when blank or not a date."""
    try:
        return dates.parse_day(text)
    except dates.DateInputError:
        return None


def period_error(request: Request) -> str:
    """What is wrong with the period's dates as typed (Chinese), or ''."""
    for key in ("start", "end"):
        try:
            dates.parse_day(request.query_params.get(key))
        except dates.DateInputError as err:
            return err.message_zh
    return ""


def period(request: Request) -> tuple[date, date]:
    """The period asked for (?start=&end=, YYYY-MM-DD), else the last 12 months; at most ten
    years, never reversed."""
    default_start, default_end = recent_window(today())
    start = parse_day(request.query_params.get("start")) or default_start
    end = parse_day(request.query_params.get("end")) or default_end
    if end < start:
        start, end = end, start
    if (end - start).days > 3660:
        start = date(end.year - 10, 1, 1)
    return start, end


async def refuse(request: Request, user: CurrentUser, action: str, target: str) -> None:
    """Log the attempt on something outside the user's scope and answer 403."""
    await log(request, user, action, target, "denied")
    raise Forbidden("这条记录不在您负责的范围内。")


def run(request: Request, fn: Any, *args: Any) -> Any:
    """Call a query with a connection of its own (in a worker thread)."""

    def call() -> Any:
        with console(request).engine.connect() as conn:
            return fn(conn, *args)

    return run_in_threadpool(call)


async def read_in_scope(
    request: Request, user: CurrentUser, action: str, target: str, fn: Any, *args: Any
) -> Any:
    """``fn(conn, user.scope, *args)`` for one record, logged as ``action`` on ``target``:
    a record outside the user's scope answers 403 (logged ``denied``), none at all 404
    (logged ``failed``)."""
    try:
        found = await run(request, fn, user.scope, *args)
    except queries.OutOfScopeError:
        await refuse(request, user, action, target)
        raise  # unreachable: refuse raises
    except queries.NotFoundError:
        await log(request, user, action, target, "failed")
        raise HTTPException(status_code=404) from None
    await log(request, user, action, target)
    return found


def scope_label(user: CurrentUser) -> str:
    """Whose figures a page shows: 全区, or the user's towns."""
    return "全区" if user.scope.is_district else "乡镇 " + "、".join(user.scope.towns)


# ----- charts (geometry only; the template draws) ------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str
    value: int


def bars(values: list[tuple[str, int, str]], width: int = 420, height: int = 160) -> list[Bar]:
    """Vertical bars for (label, value, colour), scaled to the largest value."""
    if not values:
        return []
    top = max(v for _l, v, _c in values) or 1
    slot = width / len(values)
    out = []
    for index, (label, value, colour) in enumerate(values):
        h = (height - 20) * value / top
        out.append(Bar(index * slot + slot * 0.15, height - h, slot * 0.7, h, colour, label, value))
    return out


def paired_bars(
    months: list[tuple[str, int, int, int]], width: int = 640, height: int = 180
) -> list[tuple[str, Bar, Bar]]:
    """Per month: a 'due' bar and a 'done' bar side by side."""
    if not months:
        return []
    top = max(max(due, done) for _m, due, done, _t in months) or 1
    slot = width / len(months)
    out = []
    for index, (month, due, done, _on_time) in enumerate(months):
        x = index * slot + slot * 0.1
        w = slot * 0.38
        hd = (height - 24) * due / top
        hn = (height - 24) * done / top
        out.append(
            (
                month[2:],
                Bar(x, height - 12 - hd, w, hd, "#90a4ae", "应走访", due),
                Bar(x + w, height - 12 - hn, w, hn, "#1565c0", "已走访", done),
            )
        )
    return out


@router.get("/overview")
async def overview_page(request: Request, user: Supervisor) -> Response:
    start, end = period(request)
    figures: queries_overview.Overview = await run(
        request, queries_overview.overview, user.scope, start, end, today()
    )
    c = console(request)
    workflow_counts = await run_in_threadpool(
        Workflows(c.engine, c.district.district_id).overview, user.scope
    )  # 强制报告 and 认定申请 per town (routes_workflows*.py)
    await log(
        request,
        user,
        "overview",
        accounts.filters_target({"start": start.isoformat(), "end": end.isoformat()}),
    )
    level_bars = bars(
        [
            (level_zh(lv), figures.by_level.get(lv, 0), LEVEL_COLOURS.get(lv, "#9e9e9e"))
            for lv in ("red", "orange", "yellow", "green", "")
        ]
    )
    date_error = period_error(request)
    typed = request.query_params
    return render(
        request,
        "overview.html",
        user,
        figures=figures,
        start=start,
        end=end,
        date_error=date_error,
        start_text=typed.get("start", "")[:16] if date_error else start.isoformat(),
        end_text=typed.get("end", "")[:16] if date_error else end.isoformat(),
        level_bars=level_bars,
        month_bars=paired_bars(figures.months),
        workflow_counts=workflow_counts,
        **LABELS,
    )
