"""儿童页: one child's file as the district holds it (read-only), and the district's own notes
on it (notes.py: kept on the server, never synced). Every view and note is logged with the
record id; a child outside the user's scope is refused with 403 and the attempt logged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from app.domain.categories import RELATION_LABELS_ZH, GuardianRelation
from app.domain.guardian_situation import SITUATION_LABELS_ZH, GuardianSituation
from sync.server.console import notes, queries, queries_child
from sync.server.console.auth import PREFIX, console, log
from sync.server.console.routes_overview import LABELS, Supervisor, read_in_scope, refuse
from sync.server.console.scope import Scope
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


def _read(
    conn: Connection, scope: Scope, child_id: str
) -> tuple[queries_child.ChildPage, list[notes.Note]]:
    page = queries_child.child_page(conn, scope, child_id)
    return page, notes.notes_of(conn, scope, child_id)


async def _child(
    request: Request,
    child_id: str,
    user: Supervisor,
    *,
    note_error: str = "",
    note_text: str = "",
    status_code: int = 200,
) -> Response:
    page, child_notes = await read_in_scope(
        request, user, "child_view", child_id[:40], _read, child_id
    )
    data = page.data
    return render(
        request,
        "child.html",
        user,
        status_code=status_code,
        page=page,
        data=data,
        guardians=[g for g in data.get("guardians") or [] if isinstance(g, dict)],
        notes=child_notes,
        note_error=note_error,
        note_text=note_text,
        note_max=notes.NOTE_MAX,
        note_saved=request.query_params.get("noted") == "1",
        relation_zh=relation_zh,
        situation_zh=situation_zh,
        text=text,
        **LABELS,
    )


@router.get("/children/{child_id}")
async def child_view(request: Request, child_id: str, user: Supervisor) -> Response:
    return await _child(request, child_id, user)


@router.post("/children/{child_id}/notes")
async def child_note(
    request: Request,
    child_id: str,
    user: Supervisor,
    note: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    """A district or town user's note on a child in their scope (CSRF checked by Supervisor)."""
    target = child_id[:40]
    try:
        await run_in_threadpool(notes.add_note, console(request).engine, user.scope, child_id, note)
    except queries.OutOfScopeError:
        await refuse(request, user, "child_note", target)
        raise  # unreachable
    except queries.NotFoundError:
        await log(request, user, "child_note", target, "failed")
        raise HTTPException(status_code=404) from None
    except notes.NoteError as err:
        await log(request, user, "child_note", target, "failed")
        return await _child(
            request, child_id, user, note_error=err.message_zh, note_text=note, status_code=400
        )
    await log(request, user, "child_note", child_id)
    return RedirectResponse(f"{PREFIX}/children/{child_id}?noted=1#notes", status_code=303)
