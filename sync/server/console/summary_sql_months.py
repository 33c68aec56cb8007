"""年度汇总 counted in SQL, the visits due of the children the query tables cannot answer (a
level changed or first set in the period, ties on one day, a file no longer in use): counted
by :func:`app.domain.visit_months.count_child_months`, the laptop's own rule, a chunk of
children at a time from the few fields it needs, extracted by the database — bounded, and
few."""

from __future__ import annotations

import bisect
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    select,
)

from app.domain.schedule import VisitSchedule
from app.domain.visit import VisitForm
from app.domain.visit_months import ChildMonthFacts, CountedMonth, count_child_months
from app.services.assessments import FINISHED
from sync.server import db
from sync.server.console.query_tables import q_children
from sync.server.console.scope import Scope
from sync.server.console.summary_sql_fields import (
    C,
    Json,
    R,
    V,
)

COMPLEX_CHUNK = 2_000  # children counted in Python at a time


def python_months(
    conn: Connection,
    scope: Scope,
    wanted: dict[str, set[int]],
    months: list[CountedMonth],
    schedule: VisitSchedule,
) -> tuple[Counter[str], list[str]]:
    """These children's ``wanted`` months (by :attr:`CountedMonth.index`; the children are of
    ``scope``), counted by :func:`count_child_months` as the laptop counts them, a chunk of
    children at a time from the fields they need (extracted by the database): their file's
    dates and categories, their visits' dates and requested next dates, their finished
    assessments' dates and levels. Returns the counts and the children whose file's dates do
    not read."""
    counts: Counter[str] = Counter()
    damaged: list[str] = []
    j = Json(conn)
    forms = {f.value for f in VisitForm}
    ids = sorted(c for c, wanted_months in wanted.items() if wanted_months)
    for start in range(0, len(ids), COMPLEX_CHUNK):
        chunk = ids[start : start + COMPLEX_CHUNK]
        files: dict[str, Any] = {}
        for file_row in conn.execute(
            select(
                C.child_id,
                C.categories,
                func.substr(j("opened_on"), 1, 10).label("opened"),
                func.substr(j("recognition_confirmed_on"), 1, 10).label("recognized"),
                func.coalesce(j("status"), "active").label("status"),
                j("archive", "on").label("archive_on"),
                j("archive", "reason").label("archive_reason"),
                j("transfer", "on").label("transfer_on"),
            )
            .select_from(q_children.join(db.records, R.record_id == C.child_id))
            .where(C.child_id.in_(chunk), R.record_type == "child", R.deleted.is_(False))
        ):
            files[file_row.child_id] = file_row
        # visits: their dates from q_visits; the hlc (order within a day) and the requested
        # next date read only of the visits a wanted month's due date starts from (every
        # visit on the day of the last visit before the month)
        dated: dict[str, list[tuple[str, str]]] = {}
        for visit_row in conn.execute(
            select(V.child_id, V.on_date, V.visit_id).where(V.child_id.in_(chunk))
        ):
            dated.setdefault(visit_row.child_id, []).append((visit_row.on_date, visit_row.visit_id))
        needed: set[str] = set()
        for child_id in chunk:
            own_dated = sorted(dated.get(child_id, []))
            on_days = [d for d, _ in own_dated]
            for m in months:
                if m.index in wanted[child_id]:
                    before = bisect.bisect_left(on_days, m.first.isoformat())
                    if before:
                        low = bisect.bisect_left(on_days, on_days[before - 1])
                        needed.update(visit_id for _d, visit_id in own_dated[low:before])
        details: dict[str, tuple[str, date | None]] = {}
        needed_ids = sorted(needed)
        for at in range(0, len(needed_ids), 500):
            for detail_row in conn.execute(
                select(
                    R.record_id,
                    R.head_hlc,
                    j("next_visit_on").label("next_on"),
                    j("form").label("form"),
                ).where(R.record_id.in_(needed_ids[at : at + 500]), R.deleted.is_(False))
            ):
                if detail_row.form not in forms:
                    continue
                try:
                    next_on = date.fromisoformat(detail_row.next_on) if detail_row.next_on else None
                except (TypeError, ValueError):
                    continue
                details[detail_row.record_id] = (detail_row.head_hlc, next_on)
        visits: dict[str, list[tuple[date, str, date | None]]] = {}
        for child_id, rows in dated.items():
            for on_text, visit_id in rows:
                try:
                    on = date.fromisoformat(on_text)
                except ValueError:
                    continue
                hlc, next_on = details.get(visit_id, ("", None))
                visits.setdefault(child_id, []).append((on, hlc, next_on))
        levels: dict[str, list[tuple[date, str, str]]] = {}
        for level_row in conn.execute(
            select(
                R.record_id,
                j("child_id").label("child"),
                j("finished_on").label("on"),
                j("result", "level").label("level"),
            ).where(
                R.deleted.is_(False),
                R.record_type == "assessment",
                R.child_id.in_(chunk),
                j("status") == FINISHED,
            )
        ):
            if not level_row.level or not level_row.on or level_row.child is None:
                continue
            try:
                on = date.fromisoformat(level_row.on)
            except ValueError:
                continue
            levels.setdefault(str(level_row.child), []).append(
                (on, str(level_row.level), level_row.record_id)
            )
        for child_id in chunk:
            file = files.get(child_id)
            if file is None:
                continue
            try:
                opened = date.fromisoformat(file.opened) if file.opened else date.min
                recognized = date.fromisoformat(file.recognized) if file.recognized else None
            except ValueError:
                damaged.append(child_id)
                continue
            facts = ChildMonthFacts(
                child_id=child_id,
                categories=frozenset(c for c in str(file.categories or "").split("|") if c),
                opened_on=opened,
                recognized_on=recognized,
                visits=[
                    (on, next_on)
                    for on, _hlc, next_on in sorted(visits.get(child_id, []), key=lambda v: v[:2])
                ],
                levels=sorted(levels.get(child_id, [])),
            )
            followed = (
                m
                for m in months
                if m.index in wanted[child_id] and _followed_fields(file, m.first, m.last, opened)
            )
            count_child_months(counts, facts, followed, schedule)
    return counts, damaged


def _followed_fields(file: Any, first: date, last: date, opened: date) -> bool:
    """:func:`app.services.monthly_report._followed` over a file's extracted fields."""
    if opened > last:
        return False
    if file.archive_on is not None and (
        file.archive_on[:10] < first.isoformat() or file.archive_reason == "duplicate"
    ):
        return False
    if file.status == "active":
        return True
    return (
        file.status == "transferred"
        and file.transfer_on is not None
        and file.transfer_on[:10] >= first.isoformat()
    )
