"""认定申请 (事实无人抚养儿童认定): the list with each application's working-day clock and an
application's page (the town's 查验, the district's 复核确认); and, for district users, the
settings of the workflows: the unacknowledged-report threshold and the calendar years (holidays
and 调休 working days of a year the package does not know yet)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.domain import recognition_application as ra
from app.domain.working_days import PACKAGE_YEARS, YearCalendar, china_date
from sync.server.console import accounts
from sync.server.console.auth import PREFIX, CurrentUser, DistrictUser, log
from sync.server.console.routes_overview import Supervisor
from sync.server.console.routes_workflows import (
    LABELS,
    actor_of,
    call,
    child_names,
    done_message,
    fetched,
    field,
    flows,
    kept_fields,
    refused_step,
    version_of,
)
from sync.server.console.web import render
from sync.server.workflows import WorkflowError
from sync.wire import utc_now

router = APIRouter()

# form value → (Workflows call, its argument)
APP_ACTIONS = {"pass", "return", "refuse_town", "confirm", "refuse"}


def clock_zh(days_left: int | None) -> str:
    if days_left is None:
        return "—"
    if days_left < 0:
        return f"已逾期 {-days_left} 个工作日"
    if days_left == 0:
        return "今天到期"
    return f"剩 {days_left} 个工作日"


APP_LABELS = {**LABELS, "clock_zh": clock_zh, "FALLBACK_ZH": ra.FALLBACK_ZH}


@router.get("/applications")
async def application_list(request: Request, user: Supervisor) -> Response:
    finished = request.query_params.get("finished") == "1"
    rows = await call(flows(request).applications, user.scope, include_finished=finished)
    names = await run_in_threadpool(child_names, request, [r.child_id for r in rows])
    await log(
        request, user, "application_list", accounts.filters_target({"finished": str(finished)})
    )
    return render(
        request,
        "workflows_applications.html",
        user,
        rows=rows,
        names=names,
        finished=finished,
        overdue=sum(1 for r in rows if r.overdue),
        approximate=any(r.approximate for r in rows),
        **APP_LABELS,
    )


async def _application_page(
    request: Request,
    user: CurrentUser,
    application_id: str,
    *,
    error: str = "",
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    row = await fetched(
        request,
        user,
        "application_view",
        ra.RECORD_TYPE,
        application_id,
        flows(request).application,
    )
    names = await run_in_threadpool(child_names, request, [row.child_id])
    await log(request, user, "application_view", application_id)
    return render(
        request,
        "workflows_application.html",
        user,
        status_code=status_code,
        a=row,
        name=names.get(row.child_id, ""),
        can_verify=row.state == ra.SUBMITTED,
        can_decide=row.state == ra.VERIFIED and user.role == "district",
        message=done_message(request) if not error else "",
        error=error,
        form=form or {},
        **APP_LABELS,
    )


@router.get("/applications/{application_id}")
async def application_page(request: Request, application_id: str, user: Supervisor) -> Response:
    return await _application_page(request, user, application_id)


@router.post("/applications/{application_id}")
async def application_act(request: Request, application_id: str, user: Supervisor) -> Response:
    form = await request.form()
    what = field(form, "action", 40)
    if what not in APP_ACTIONS:
        return await _application_page(
            request, user, application_id, error="请选择查验或复核的结果。", status_code=400
        )
    flow = flows(request)
    common = {
        "actor": actor_of(user),
        "expected_version": version_of(form.get("version")),
        "reason": field(form, "reason"),
    }
    try:
        if what in ("pass", "return", "refuse_town"):
            outcome = "refuse" if what == "refuse_town" else what
            await call(flow.verify, user.scope, application_id, outcome=outcome, **common)
        else:
            await call(flow.decide, user.scope, application_id, confirm=what == "confirm", **common)
    except WorkflowError as err:
        status = await refused_step(
            request, user, err, f"application_{what}", ra.RECORD_TYPE, application_id
        )
        return await _application_page(
            request,
            user,
            application_id,
            error=err.message_zh,
            status_code=status,
            form=kept_fields(form),
        )
    await log(request, user, f"application_{what}", application_id)
    return RedirectResponse(f"{PREFIX}/applications/{application_id}?done={what}", status_code=303)


# ----- settings: threshold and calendar years (district users) -----------------------------


def parse_days(text: str, year: int) -> tuple[list[date], list[str]]:
    """Dates typed one per line or separated by spaces/commas (YYYY-MM-DD; a range
    ``YYYY-MM-DD~YYYY-MM-DD`` is expanded); problems in Chinese."""
    days: list[date] = []
    problems: list[str] = []
    for part in text.replace("，", ",").replace(",", " ").replace("至", "~").split():
        ends = part.split("~")
        try:
            first, last = date.fromisoformat(ends[0]), date.fromisoformat(ends[-1])
        except ValueError:
            problems.append(f"“{part[:30]}”不是日期（应写成 {year}-01-01）。")
            continue
        if len(ends) > 2 or last < first or (last - first).days > 40:
            problems.append(f"“{part[:30]}”不是有效的日期范围。")
            continue
        while first <= last:
            if first.year != year:
                problems.append(f"{first.isoformat()} 不在 {year} 年。")
                break
            days.append(first)
            first = date.fromordinal(first.toordinal() + 1)
    return days, problems


async def _settings_page(
    request: Request,
    user: CurrentUser,
    *,
    error: str = "",
    problems: list[str] | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    flow = flows(request)
    years = await call(flow.calendar_years)
    threshold = await call(flow.ack_hours)
    this_year = china_date(utc_now()).year
    await log(request, user, "workflow_settings", "")
    return render(
        request,
        "workflows_settings.html",
        user,
        status_code=status_code,
        years=years,
        package_years=sorted(PACKAGE_YEARS),
        threshold=threshold,
        next_year=this_year + 1,
        missing=[
            y
            for y in (this_year, this_year + 1)
            if y not in PACKAGE_YEARS and y not in {c.year for c in years}
        ],
        message=done_message(request) if not error else "",
        error=error,
        problems=problems or [],
        form=form or {},
        **LABELS,
    )


@router.get("/workflow-settings")
async def settings_page(request: Request, user: DistrictUser) -> Response:
    return await _settings_page(request, user)


@router.post("/workflow-settings/threshold")
async def set_threshold(request: Request, user: DistrictUser) -> Response:
    form = await request.form()
    try:
        hours = float(field(form, "hours", 20))
    except ValueError:
        hours = -1.0
    try:
        await call(flows(request).set_ack_hours, user.scope, hours, actor=actor_of(user))
    except WorkflowError as err:
        await log(request, user, "set_ack_hours", "", "failed")
        return await _settings_page(request, user, error=err.message_zh, status_code=400)
    await log(request, user, "set_ack_hours", str(hours))
    return RedirectResponse(f"{PREFIX}/workflow-settings?done=threshold", status_code=303)


@router.post("/workflow-settings/calendar")
async def save_calendar(request: Request, user: DistrictUser) -> Response:
    form = await request.form()
    kept = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    year_text = field(form, "year", 10)
    year = int(year_text) if year_text.isdigit() else 0
    problems: list[str] = []
    if not 2000 <= year <= 2200:
        problems.append("请填写年份（如 2027）。")
    holidays, bad = parse_days(field(form, "holidays", 8000), year)
    problems += bad
    workdays, bad = parse_days(field(form, "workdays", 8000), year)
    problems += bad
    calendar = None
    if not problems:
        try:
            calendar = YearCalendar(year, frozenset(holidays), frozenset(workdays))
        except ValueError:
            problems.append("同一天不能既是假日又是调休上班日。")
    if calendar is None:
        await log(request, user, "save_calendar", year_text, "failed")
        return await _settings_page(
            request, user, error="日历未保存。", problems=problems, status_code=400, form=kept
        )
    try:
        await call(flows(request).save_calendar_year, user.scope, calendar, actor=actor_of(user))
    except WorkflowError as err:
        await log(request, user, "save_calendar", str(year), "failed")
        return await _settings_page(request, user, error=err.message_zh, status_code=400)
    await log(request, user, "save_calendar", str(year))
    return RedirectResponse(f"{PREFIX}/workflow-settings?done=calendar", status_code=303)
