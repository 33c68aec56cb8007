"""个案会商: the escalated cases in scope with their conferences, the form a district user
records a conference with (date, departments from the list, people, findings, decisions,
actions with who and by when, next review), and a conference's page with the follow-ups done on
the laptop and the district's review / close."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from app.domain import case_conference as cc
from sync.server import db
from sync.server.console import dates
from sync.server.console.auth import PREFIX, CurrentUser, DistrictUser, console, log
from sync.server.console.routes_overview import Supervisor, today
from sync.server.console.routes_workflows import (
    LABELS,
    actor_of,
    call,
    child_names,
    done_message,
    field,
    flows,
    kept_fields,
    not_found_or_refused,
    refused_step,
    version_of,
)
from sync.server.console.scope import Scope
from sync.server.console.web import render
from sync.server.workflows import NOT_FOUND, WorkflowError

router = APIRouter()
ACTION_ROWS = 5  # action lines on the form
STEP_FORMS = {
    "review": cc.REVIEW,
    "progress": cc.ACTION_PROGRESS,
    "done_action": cc.ACTION_DONE,
    "cancel_action": cc.ACTION_CANCEL,
    "closed": cc.CLOSE,
}


def valid_date(text: str | None) -> bool:
    try:
        date.fromisoformat(text or "")
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class EscalatedCase:
    case_id: str
    child_id: str
    village_code: str
    escalated_on: str
    stage: str


def escalated_cases(request: Request, scope: Scope, case_id: str | None = None) -> list[Any]:
    """Cases reported to the district (escalated or with a mandatory report) whose child is
    in ``scope`` — the scope is part of the query."""
    r = db.records
    child = r.alias("child")
    query = (
        select(r.c.record_id, r.c.child_id, r.c.data, child.c.village_code)
        .select_from(r.join(child, child.c.record_id == r.c.child_id))
        .where(r.c.record_type == "case", r.c.deleted.is_(False))
        .where(scope.village_clause(child.c.village_code))
    )
    if case_id is not None:
        query = query.where(r.c.record_id == case_id)
    rows = []
    with console(request).engine.connect() as conn:
        for row in conn.execute(query):
            data = json.loads(row.data)
            if not (data.get("escalated_on") or data.get("mandatory_report")):
                continue
            rows.append(
                EscalatedCase(
                    row.record_id,
                    row.child_id,
                    row.village_code or "",
                    str(data.get("escalated_on") or ""),
                    str(data.get("stage") or ""),
                )
            )
    rows.sort(key=lambda c: c.escalated_on, reverse=True)
    return rows


@router.get("/conferences")
async def conference_list(request: Request, user: Supervisor) -> Response:
    cases = await run_in_threadpool(escalated_cases, request, user.scope)
    conferences = await call(flows(request).conferences, user.scope)
    by_case: dict[str, list[Any]] = {}
    for c in conferences:
        by_case.setdefault(c.case_id, []).append(c)
    names = await run_in_threadpool(child_names, request, [c.child_id for c in cases])
    await log(request, user, "conference_list", "")
    return render(
        request,
        "workflows_conferences.html",
        user,
        cases=cases,
        by_case=by_case,
        names=names,
        today=today().isoformat(),
        **LABELS,
    )


async def _new_page(
    request: Request,
    user: CurrentUser,
    case_id: str,
    *,
    error: str = "",
    problems: list[str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    found = await run_in_threadpool(escalated_cases, request, user.scope, case_id)
    if not found:
        await log(request, user, "conference_new", case_id[:40], "failed")
        raise HTTPException(status_code=404)
    case = found[0]
    names = await run_in_threadpool(child_names, request, [case.child_id])
    await log(request, user, "conference_new", case_id)
    return render(
        request,
        "workflows_conference_new.html",
        user,
        status_code=status_code,
        case=case,
        name=names.get(case.child_id, ""),
        departments=cc.DEPARTMENTS,
        rows=range(1, ACTION_ROWS + 1),
        error=error,
        message="",
        problems=problems or [],
        form=form or {},
        chosen=(form or {}).get("departments", []),
    )


@router.get("/conferences/new")
async def conference_new(request: Request, user: DistrictUser) -> Response:
    return await _new_page(request, user, request.query_params.get("case", "")[:64])


@router.post("/conferences/new")
async def conference_record(request: Request, user: DistrictUser) -> Response:
    form = await request.form()
    case_id = field(form, "case_id", 64)
    actions = []
    date_problems: list[str] = []

    def day(name: str, label: str) -> str:
        """A date field as YYYY-MM-DD; a malformed one is told (Chinese) and kept as typed."""
        typed = field(form, name, 16)
        try:
            return dates.normalise(typed)
        except dates.DateInputError as err:
            date_problems.append(f"{label}：{err.message_zh}")
            return typed

    for n in range(1, ACTION_ROWS + 1):
        what, who = (field(form, f"{k}_{n}", 1000) for k in ("what", "who"))
        due = day(f"due_{n}", f"第{n}项完成期限")
        if what or who or due:
            actions.append({"id": str(n), "what": what, "who": who, "due": due})
    departments = [d for d in form.getlist("departments") if isinstance(d, str)]
    data = {
        "case_id": case_id,
        "held_on": day("held_on", "会商日期"),
        "departments": departments,
        "people": [p.strip() for p in field(form, "people").splitlines() if p.strip()],
        "findings": field(form, "findings"),
        "decisions": field(form, "decisions"),
        "actions": actions,
        "next_review": day("next_review", "下次复查日期"),
    }
    if date_problems:
        kept_form: dict[str, Any] = {**kept_fields(form), "departments": departments}
        return await _new_page(
            request,
            user,
            case_id,
            error=dates.DATE_HINT_ZH,
            problems=date_problems,
            form=kept_form,
            status_code=400,
        )
    try:
        conference_id = await call(
            flows(request).record_conference, user.scope, data, actor=actor_of(user)
        )
    except WorkflowError as err:
        await log(request, user, "conference_record", case_id, "failed")
        kept: dict[str, Any] = {**kept_fields(form), "departments": departments}
        if err.code == NOT_FOUND:
            raise HTTPException(status_code=404) from None
        return await _new_page(
            request,
            user,
            case_id,
            error=err.message_zh,
            problems=err.problems,
            form=kept,
            status_code=400,
        )
    await log(request, user, "conference_record", conference_id)
    return RedirectResponse(f"{PREFIX}/conferences/{conference_id}?done=recorded", status_code=303)


async def _conference_page(
    request: Request,
    user: CurrentUser,
    conference_id: str,
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    rows = await call(flows(request).conferences, user.scope, conference_ids=[conference_id])
    if not rows:
        await not_found_or_refused(request, user, "conference_view", cc.RECORD_TYPE, conference_id)
    row = rows[0]
    names = await run_in_threadpool(child_names, request, [row.child_id])
    await log(request, user, "conference_view", conference_id)
    return render(
        request,
        "workflows_conference.html",
        user,
        status_code=status_code,
        c=row,
        name=names.get(row.child_id, ""),
        today=today(),
        can_act=row.state == cc.RECORDED,
        message=done_message(request) if not error else "",
        error=error,
        **LABELS,
    )


@router.get("/conferences/{conference_id}")
async def conference_page(request: Request, conference_id: str, user: Supervisor) -> Response:
    return await _conference_page(request, user, conference_id)


@router.post("/conferences/{conference_id}")
async def conference_act(request: Request, conference_id: str, user: Supervisor) -> Response:
    form = await request.form()
    what = field(form, "action", 40)
    if what not in STEP_FORMS:
        return await _conference_page(
            request, user, conference_id, error="请选择要进行的操作。", status_code=400
        )
    action_id = field(form, "action_id", 40) or None
    try:
        next_review = dates.normalise(field(form, "next_review", 16)) or None
    except dates.DateInputError as err:
        return await _conference_page(
            request, user, conference_id, error=err.message_zh, status_code=400
        )
    if what == "review" and not valid_date(next_review):
        return await _conference_page(
            request, user, conference_id, error="请填写下次复查日期。", status_code=400
        )
    try:
        await call(
            flows(request).conference_step,
            user.scope,
            conference_id,
            STEP_FORMS[what],
            actor=actor_of(user),
            expected_version=version_of(form.get("version")),
            reason=field(form, "reason"),
            action_id=action_id if what != "review" and what != "closed" else None,
            next_review=next_review if what == "review" else None,
        )
    except WorkflowError as err:
        status = await refused_step(
            request, user, err, f"conference_{what}", cc.RECORD_TYPE, conference_id
        )
        return await _conference_page(
            request, user, conference_id, error=err.message_zh, status_code=status
        )
    await log(request, user, f"conference_{what}", conference_id)
    return RedirectResponse(f"{PREFIX}/conferences/{conference_id}?done={what}", status_code=303)
