"""强制报告: the mandatory-report inbox per scope and a report's page (签收, 交办, 记录处置,
办结), plus the helpers the other workflow pages share (routes_workflows_apps.py,
routes_workflows_conf.py). The data and every check come from sync/server/workflows/, which
takes the user's Scope: a report outside it is refused there, and here with 403 (logged).

Every action is a POST carrying the CSRF token (checked by ``current_user``) and the version
the page showed; when someone else acted first the page says who did what (409), never 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from app.domain import mandatory_report as mr
from app.domain.workflow import ROLE_ZH, Refused
from sync.server import db
from sync.server.console import accounts
from sync.server.console.auth import PREFIX, CurrentUser, console, log
from sync.server.console.routes_overview import Supervisor, refuse
from sync.server.console.web import render
from sync.server.workflows import NOT_FOUND, OUT_OF_SCOPE, WorkflowError, Workflows, _local_time

router = APIRouter()

REPORT_ACTIONS = {
    "acknowledge": mr.ACKNOWLEDGE,
    "assign": mr.ASSIGN,
    "record_action": mr.RECORD_ACTION,
    "close": mr.CLOSE,
}
# What a user may be told after an action (?done=…)
DONE_ZH = {
    "acknowledge": "已签收。",
    "assign": "已交办。",
    "record_action": "处置情况已记录。",
    "close": "已办结。",
    "pass": "查验通过，已报区民政局复核。",
    "return": "已退回补充材料。",
    "refuse_town": "已作出不予认定的查验意见。",
    "confirm": "已复核确认。",
    "refuse": "已作出不予认定的决定。",
    "recorded": "会商记录已保存，将在村（社区）下次同步时送达。",
    "review": "复查日期已更新。",
    "progress": "进展已记录。",
    "done_action": "事项已标记完成。",
    "cancel_action": "事项已取消。",
    "closed": "会商跟踪已结束。",
    "threshold": "签收时限已保存。",
    "calendar": "日历已保存。",
}


# ----- shared helpers -----------------------------------------------------------------------


def flows(request: Request) -> Workflows:
    c = console(request)
    return Workflows(c.engine, c.district.district_id)


def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """A Workflows function in a worker thread."""
    return run_in_threadpool(lambda: fn(*args, **kwargs))


def child_names(request: Request, child_ids: Iterable[str]) -> dict[str, str]:
    """Names of children the caller already found in the user's scope (for display only)."""
    ids = sorted(set(child_ids))
    found: dict[str, str] = {}
    r = db.records
    with console(request).engine.connect() as conn:
        for start in range(0, len(ids), 500):
            for row in conn.execute(
                select(r.c.record_id, r.c.data).where(r.c.record_id.in_(ids[start : start + 500]))
            ):
                try:
                    name = json.loads(row.data).get("name")
                except (ValueError, AttributeError):
                    name = None
                found[row.record_id] = name if isinstance(name, str) and name else "（未填姓名）"
    return found


def record_exists(request: Request, record_type: str, record_id: str) -> bool:
    r = db.records
    with console(request).engine.connect() as conn:
        row = conn.execute(
            select(r.c.record_id).where(r.c.record_id == record_id, r.c.record_type == record_type)
        ).first()
    return row is not None


async def not_found_or_refused(
    request: Request, user: CurrentUser, action: str, record_type: str, record_id: str
) -> None:
    """A record the user's scope did not find: 403 (logged) when it exists, else 404."""
    target = record_id[:40]
    if await run_in_threadpool(record_exists, request, record_type, record_id):
        await refuse(request, user, action, target)
    await log(request, user, action, target, "failed")
    raise HTTPException(status_code=404)


async def fetched(
    request: Request,
    user: CurrentUser,
    action: str,
    record_type: str,
    record_id: str,
    fn: Any,
) -> Any:
    """What ``fn(user.scope, record_id)`` gives a record's page; a record the user's
    scope does not find: 403 (logged) when it exists, else 404."""
    try:
        return await call(fn, user.scope, record_id)
    except WorkflowError as err:
        if err.code != NOT_FOUND:
            raise
        await not_found_or_refused(request, user, action, record_type, record_id)
        raise  # unreachable


async def refused_step(
    request: Request,
    user: CurrentUser,
    err: WorkflowError,
    action: str,
    record_type: str,
    record_id: str,
) -> int:
    """Log a workflow step the machine refused and give the HTTP status its page is shown
    with; a record out of the user's scope is logged as refused (403), one not found at all
    raises 404."""
    if err.code == NOT_FOUND:
        await not_found_or_refused(request, user, action, record_type, record_id)
    if err.code == OUT_OF_SCOPE:
        await refuse(request, user, action, record_id[:40])
    status, outcome = refused_outcome(err)
    await log(request, user, action, record_id, outcome)
    return status


def kept_fields(form: Any) -> dict[str, str]:
    """A posted form's text fields (without the CSRF token), to fill the form in again."""
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


def version_of(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1


def field(form: Any, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def actor_of(user: CurrentUser) -> str:
    """Who acted, as the step records it (its role is recorded beside it)."""
    return user.user.name


def hours_zh(hours: float) -> str:
    return f"{hours:g}"


def since_zh(hours: float) -> str:
    if hours < 1:
        return f"{max(1, int(hours * 60))}分钟"
    if hours < 48:
        return f"{int(hours)}小时"
    return f"{int(hours // 24)}天{int(hours % 24)}小时"


def done_message(request: Request) -> str:
    return DONE_ZH.get(request.query_params.get("done", ""), "")


def refused_outcome(err: WorkflowError) -> tuple[int, str]:
    """(HTTP status, access-log outcome) of a refused action."""
    if err.code == Refused.STALE:
        return 409, "stale"
    if err.code in (Refused.ROLE, OUT_OF_SCOPE):
        return 403, "denied"
    return 400, "failed"


FILTERS = {"local_time": _local_time, "since_zh": since_zh, "hours_zh": hours_zh}
LABELS: dict[str, Any] = {
    "ASSIGNEE_KINDS": mr.ASSIGNEE_KINDS,
    "CONCERNS": mr.CONCERNS,
    "SOURCES": mr.SOURCES,
    "TOLD": mr.TOLD,
    "ROLE_ZH": {str(k): v for k, v in ROLE_ZH.items()},
    **FILTERS,
}


# ----- 强制报告 -------------------------------------------------------------------------------


@router.get("/reports")
async def report_inbox(request: Request, user: Supervisor) -> Response:
    include_closed = request.query_params.get("closed") == "1"
    flow = flows(request)
    rows = await call(flow.report_inbox, user.scope, include_closed=include_closed)
    threshold = await call(flow.ack_hours)
    names = await run_in_threadpool(child_names, request, [r.child_id for r in rows])
    await log(
        request, user, "report_inbox", accounts.filters_target({"closed": str(include_closed)})
    )
    return render(
        request,
        "workflows_reports.html",
        user,
        rows=rows,
        names=names,
        threshold=threshold,
        include_closed=include_closed,
        late=sum(1 for r in rows if r.unacknowledged_too_long),
        **LABELS,
    )


async def _report_page(
    request: Request,
    user: CurrentUser,
    report_id: str,
    *,
    error: str = "",
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    flow = flows(request)
    row = await fetched(request, user, "report_view", mr.RECORD_TYPE, report_id, flow.report)
    names = await run_in_threadpool(child_names, request, [row.child_id])
    threshold = await call(flow.ack_hours)
    await log(request, user, "report_view", report_id)
    allowed = _allowed(row.state, user)
    return render(
        request,
        "workflows_report.html",
        user,
        status_code=status_code,
        r=row,
        name=names.get(row.child_id, ""),
        threshold=threshold,
        allowed=allowed,
        message=done_message(request) if not error else "",
        error=error,
        form=form or {},
        **LABELS,
    )


def _allowed(state: str, user: CurrentUser) -> dict[str, bool]:
    """Which forms the page offers in this state (the machine decides again on POST)."""
    open_states = (mr.ACKNOWLEDGED, mr.IN_PROGRESS)
    office = user.role in ("town", "district")
    return {
        "acknowledge": office and state == mr.DELIVERED,
        "assign": office and state in open_states,
        "record_action": office and state in open_states,
        "close": office and state in open_states,
    }


@router.get("/reports/{report_id}")
async def report_page(request: Request, report_id: str, user: Supervisor) -> Response:
    return await _report_page(request, user, report_id)


@router.post("/reports/{report_id}")
async def report_act(request: Request, report_id: str, user: Supervisor) -> Response:
    form = await request.form()
    what = field(form, "action", 40)
    if what not in REPORT_ACTIONS:
        return await _report_page(
            request, user, report_id, error="请选择要进行的操作。", status_code=400
        )
    flow = flows(request)
    version = version_of(form.get("version"))
    common: dict[str, Any] = {"actor": actor_of(user), "expected_version": version}
    try:
        if what == "acknowledge":
            await call(flow.acknowledge, user.scope, report_id, **common)
        elif what == "assign":
            await call(
                flow.assign,
                user.scope,
                report_id,
                assignee_kind=field(form, "assignee_kind", 40),
                assignee=field(form, "assignee", 200),
                note=field(form, "note"),
                **common,
            )
        elif what == "record_action":
            await call(
                flow.record_action, user.scope, report_id, text=field(form, "text"), **common
            )
        else:
            await call(
                flow.close_report, user.scope, report_id, outcome=field(form, "outcome"), **common
            )
    except WorkflowError as err:
        status = await refused_step(request, user, err, f"report_{what}", mr.RECORD_TYPE, report_id)
        return await _report_page(
            request,
            user,
            report_id,
            error=err.message_zh,
            status_code=status,
            form=kept_fields(form),
        )
    await log(request, user, f"report_{what}", report_id)
    return RedirectResponse(f"{PREFIX}/reports/{report_id}?done={what}", status_code=303)
