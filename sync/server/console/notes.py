"""The district's own notes on a child's page: who wrote what, when. Kept in the district
database only (``console_child_notes``), never sent to laptops; the child's file itself stays
read-only. Plain Python, no web imports; the scope is checked here, as for the page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select

from sync.server import db
from sync.server.console import tables as t
from sync.server.console.queries import NotFoundError, OutOfScopeError
from sync.server.console.query_tables import q_children
from sync.server.console.scope import Scope
from sync.wire import utc_now

NOTE_MAX = 2000
CHILD_ID_MAX = 40


class NoteError(Exception):
    """A note that cannot be kept, with the reason in Chinese."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


@dataclass(frozen=True)
class Note:
    id: int
    at: str
    author: str
    text: str


def clean(text: str) -> str:
    """The note as kept: control characters other than line breaks and tabs dropped, line
    breaks made ``\\n``, outer blanks trimmed. :class:`NoteError` when empty or too long."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip()
    if not text:
        raise NoteError("备注不能为空。")
    if len(text) > NOTE_MAX:
        raise NoteError(f"备注最多 {NOTE_MAX} 字，现在有 {len(text)} 字。")
    return text


def check_child(conn: Connection, scope: Scope, child_id: str) -> None:
    """NotFoundError for an unknown child, OutOfScopeError for one outside the scope."""
    if not child_id or len(child_id) > CHILD_ID_MAX or not child_id.isalnum():
        raise NotFoundError(child_id[:CHILD_ID_MAX])
    village = conn.execute(
        select(q_children.c.village_code).where(q_children.c.child_id == child_id)
    ).first()
    if village is None:
        raise NotFoundError(child_id)
    if not scope.allows_village(village[0]):
        raise OutOfScopeError(child_id)


def notes_of(conn: Connection, scope: Scope, child_id: str) -> list[Note]:
    """The child's notes, newest first (the scope checked first)."""
    check_child(conn, scope, child_id)
    n, u = t.child_notes, t.users
    rows = conn.execute(
        select(n.c.id, n.c.at, n.c.text, u.c.name)
        .select_from(n.outerjoin(u, u.c.user_id == n.c.user_id))
        .where(n.c.child_id == child_id)
        .order_by(n.c.id.desc())
        .limit(500)
    ).all()
    return [Note(int(r.id), r.at, r.name or "", r.text) for r in rows]


def add_note(engine: Engine, scope: Scope, child_id: str, text: str) -> int:
    """Keep a note on a child in the user's scope; returns its id."""
    body = clean(text)
    with db.write_transaction(engine) as conn:
        check_child(conn, scope, child_id)
        result = conn.execute(
            insert(t.child_notes).values(
                child_id=child_id, user_id=scope.user_id, at=utc_now(), text=body
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]
