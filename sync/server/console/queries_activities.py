"""关爱服务活动 as the district holds them: the activities of a user's scope in a period, newest
first, with how many children came and how many photos the director took; one activity with its
photos; and a photo's bytes. The photos (activity_photos on the laptop: a record of type
``attachment`` owned by the activity, its bytes in the ``blobs`` table) are evidence that an
activity took place, and they show children: a photo is served only for an activity in scope,
and only when it is one of that activity's.

Scope is enforced in the statements (the activity's village, which its photos carry too). Plain
Python, no web imports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, select
from sqlalchemy.exc import DBAPIError

from app.domain.activity import ACTIVITY_TYPE, Activity, photo_mime
from storage.records import ATTACHMENT_TYPE
from sync.server import db
from sync.server.console.queries import NotFoundError, OutOfScopeError, scoped
from sync.server.console.scope import Scope
from sync.server.console.summary_sql_fields import Json, load_json

R = db.records.c
B = db.blobs.c
MAX_LISTED = 500  # a page of activities; the period narrows it


@dataclass(frozen=True)
class ActivityRow:
    record_id: str
    activity: Activity
    photos: int


@dataclass(frozen=True)
class ActivityList:
    start: date
    end: date
    rows: list[ActivityRow]
    more: bool  # more than MAX_LISTED in the period: the newest are listed
    damaged: int  # activities that could not be read


@dataclass(frozen=True)
class Photo:
    sha256: str
    filename: str
    mime: str
    size: int


@dataclass(frozen=True)
class ActivityPage:
    record_id: str
    activity: Activity
    photos: list[Photo]


def _activity(data: dict[str, Any] | None) -> Activity | None:
    if data is None:
        return None
    try:
        return Activity.from_json(data)
    except (KeyError, TypeError, ValueError):
        return None


def _photos_of(conn: Connection, scope: Scope, owner_ids: list[str]) -> dict[str, list[Photo]]:
    """The photos of these activities (those whose bytes the district holds), by activity."""
    found: dict[str, list[Photo]] = {}
    if not owner_ids:
        return found
    wanted = set(owner_ids)
    statement = select(R.data).where(
        R.deleted.is_(False),
        R.record_type == ATTACHMENT_TYPE,
        R.child_id.is_(None),  # a village's own records' attachments, not a child's
        scoped(scope, R.village_code),
    )
    for row in _narrowed(conn, statement, lambda s, json: s.where(json("owner_id").in_(wanted))):
        data = load_json(row.data)
        if data is None or data.get("owner_id") not in wanted:
            continue
        sha, mime = data.get("sha256"), data.get("mime")
        if not isinstance(sha, str) or not isinstance(mime, str):
            continue
        photo = Photo(sha, str(data.get("filename") or ""), mime, int(data.get("size") or 0))
        found.setdefault(str(data["owner_id"]), []).append(photo)
    held = _held(conn, [p.sha256 for photos in found.values() for p in photos])
    return {
        owner: sorted((p for p in photos if p.sha256 in held), key=lambda p: p.filename)
        for owner, photos in found.items()
    }


def _narrowed(
    conn: Connection, statement: Select[Any], narrow: Callable[[Select[Any], Json], Select[Any]]
) -> Sequence[Row[Any]]:
    """``statement``'s rows, narrowed by what ``narrow`` adds on the records' JSON fields, which
    the database evaluates (``json_extract``, ``json_extract_path_text``): a village's years of
    activities and their photos are not all read to show a few. A database that cannot extract
    them (a body that is not JSON) gives every row of ``statement`` instead; the caller checks
    each row itself either way."""
    try:
        return conn.execute(narrow(statement, Json(conn))).all()
    except DBAPIError:
        conn.rollback()
        return conn.execute(statement).all()


def _held(conn: Connection, shas: list[str]) -> set[str]:
    if not shas:
        return set()
    return {r.sha256 for r in conn.execute(select(B.sha256).where(B.sha256.in_(set(shas))))}


def _period_rows(
    conn: Connection, scope: Scope, start: date, end: date
) -> tuple[list[tuple[str, Activity]], int]:
    """The scope's activities held in the period (at most MAX_LISTED + 1, newest first, picked
    by the database on the JSON date), and how many could not be read."""
    statement = select(R.record_id, R.data).where(
        R.deleted.is_(False), R.record_type == ACTIVITY_TYPE, scoped(scope, R.village_code)
    )

    def newest(s: Select[Any], json: Json) -> Select[Any]:
        on = json("on")
        return (
            s.where(on >= start.isoformat(), on <= end.isoformat())
            .order_by(on.desc(), R.record_id.desc())
            .limit(MAX_LISTED + 1)
        )

    rows: list[tuple[str, Activity]] = []
    damaged = 0
    for row in _narrowed(conn, statement, newest):
        activity = _activity(load_json(row.data))
        if activity is None:
            damaged += 1
        elif start <= activity.on <= end:
            rows.append((row.record_id, activity))
    rows.sort(key=lambda r: (r[1].on, r[0]), reverse=True)
    return rows, damaged


def activity_list(conn: Connection, scope: Scope, start: date, end: date) -> ActivityList:
    """The scope's activities held on a day of the period, newest first."""
    rows, damaged = _period_rows(conn, scope, start, end)
    listed = rows[:MAX_LISTED]
    photos = _photos_of(conn, scope, [rid for rid, _a in listed])
    return ActivityList(
        start,
        end,
        [ActivityRow(rid, a, len(photos.get(rid, []))) for rid, a in listed],
        more=len(rows) > MAX_LISTED,
        damaged=damaged,
    )


def activity_page(conn: Connection, scope: Scope, record_id: str) -> ActivityPage:
    """One activity and its photos. Raises NotFoundError (no such activity, or one that cannot
    be read) or OutOfScopeError (another town's)."""
    row = conn.execute(
        select(R.data, R.village_code).where(
            R.record_id == record_id, R.record_type == ACTIVITY_TYPE, R.deleted.is_(False)
        )
    ).first()
    if row is None:
        raise NotFoundError(record_id)
    if not scope.allows_village(row.village_code):
        raise OutOfScopeError(record_id)
    activity = _activity(load_json(row.data))
    if activity is None:
        raise NotFoundError(record_id)
    return ActivityPage(
        record_id, activity, _photos_of(conn, scope, [record_id]).get(record_id, [])
    )


def activity_photo(
    conn: Connection, scope: Scope, record_id: str, sha256: str
) -> tuple[bytes, str]:
    """A photo of an activity in scope: its bytes and type. Raises NotFoundError when the
    activity has no such photo, OutOfScopeError for another town's. The type is read from the
    bytes (JPEG or PNG, as the laptop accepts), not taken from the record: anything else is
    not served."""
    page = activity_page(conn, scope, record_id)
    photo = next((p for p in page.photos if p.sha256 == sha256), None)
    if photo is None:
        raise NotFoundError(sha256)
    blob = conn.execute(
        select(B.data).where(and_(B.sha256 == sha256, B.size == photo.size))
    ).first()
    content = bytes(blob.data) if blob is not None else b""
    mime = photo_mime(content)
    if mime is None:
        raise NotFoundError(sha256)
    return content, mime
