"""The console's query tables: what the district console reads instead of the revision log.

One row per child (``q_children``: village, town, categories, current level, last visit, next
visit due, open case stage, caring mother, 18th birthday, pinyin initials, a key of the ID
number for duplicate checks), one row per visit (``q_visits``: its village, month and the due
date it answered), the level changes between consecutive finished assessments
(``q_level_changes``: 升级/降码) and visit figures per village and month (``q_visit_months``).

Every row is derived from the merged records (``records``), by :func:`refresh` for the children
a group of batches touched, inside the same transaction as ingest, and by :func:`rebuild`
(``childdesk-district reindex``) from scratch; tests check both give the same rows. The due
dates are the laptop's: :func:`app.domain.schedule.next_due` with the schedule rules the
district published last (else the bundled ones), exactly as a laptop picks them.

Not here: names of guardians, addresses, notes — the child's page reads the record itself.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from pypinyin.pinyin_dict import pinyin_dict
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    case,
    delete,
    func,
    select,
    tuple_,
)

from app.domain.child_file import eighteenth_birthday
from app.domain.schedule import ScheduleFacts, VisitSchedule, load_schedule, next_due
from sync.protocol_types import CHILD_LINKED
from sync.server import db
from sync.server.store import StoreSession

LEVELS = ("green", "yellow", "orange", "red")
SEVERITY = {level: index for index, level in enumerate(LEVELS)}
CHUNK = 500

q_children = Table(
    "q_children",
    db.metadata,
    Column("child_id", String(32), primary_key=True),
    Column("village_code", String(12), nullable=False),
    Column("town_code", String(9), nullable=False),
    Column("name", Text, nullable=False),
    Column("initials", String(40), nullable=False),  # pinyin first letters, lower case
    Column("gender", String(10), nullable=False),
    Column("birth_date", String(10)),
    Column("eighteenth", String(10)),  # 18th birthday
    Column("categories", Text, nullable=False),  # "|left_behind|migrant|" ("" for none)
    Column("level", String(10)),  # latest finished assessment; NULL: not assessed
    Column("level_on", String(10)),
    Column("last_visit", String(10)),
    Column("next_due", String(10)),  # NULL for a file not in use (closed, archived)
    Column("case_stage", String(20)),  # the open case's stage; NULL: no open case
    Column("urgent", Boolean, nullable=False),  # an open case carries a mandatory report
    Column("caring_mother", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),  # status active and not archived
    Column("status", String(20), nullable=False),
    Column("id_key", String(64)),  # keyed hash of the ID number (duplicates, search)
    # Covers the overview's and the villages page's counts (an index-only scan: the rows
    # themselves are wide), and the register's village + level + overdue filter.
    Index(
        "q_children_village_cover",
        "village_code",
        "active",
        "level",
        "next_due",
        "categories",
        "caring_mother",
        "case_stage",
        "urgent",
    ),
    Index("q_children_town", "town_code"),
    Index("q_children_due", "next_due", "active", "village_code"),  # covering: due per month
    Index("q_children_initials", "initials"),
    Index("q_children_id_key", "id_key"),
    Index("q_children_eighteenth", "eighteenth"),
)

q_visits = Table(
    "q_visits",
    db.metadata,
    Column("visit_id", String(32), primary_key=True),
    Column("child_id", String(32), nullable=False),
    Column("village_code", String(12), nullable=False),
    Column("on_date", String(10), nullable=False),
    Column("month", String(7), nullable=False),
    Column("due_before", String(10), nullable=False),  # the due date this visit answered
    Column("due_month", String(7), nullable=False),
    Column("on_time", Boolean, nullable=False),
    Index("q_visits_child", "child_id"),
    Index("q_visits_village_month", "village_code", "month"),
    Index("q_visits_village_due_month", "village_code", "due_month"),
)

q_level_changes = Table(
    "q_level_changes",
    db.metadata,
    Column("assessment_id", String(32), primary_key=True),  # the assessment that changed it
    Column("child_id", String(32), nullable=False),
    Column("village_code", String(12), nullable=False),
    Column("from_level", String(10), nullable=False),
    Column("to_level", String(10), nullable=False),
    Column("on_date", String(10), nullable=False),
    Index("q_level_changes_child", "child_id"),
    Index("q_level_changes_on", "on_date"),
)

q_visit_months = Table(
    "q_visit_months",
    db.metadata,
    Column("village_code", String(12), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("done", Integer, nullable=False),  # visits made in the month
    Column("on_time", Integer, nullable=False),  # of which by the due date
    Column("due_met", Integer, nullable=False),  # visits whose due date fell in the month
)

q_village_counts = Table(
    "q_village_counts",
    db.metadata,
    Column("village_code", String(12), nullable=False),
    Column("categories", Text, nullable=False),
    Column("level", String(10)),
    Column("caring_mother", Boolean, nullable=False),
    Column("case_stage", String(20)),
    Column("urgent", Boolean, nullable=False),
    Column("children", Integer, nullable=False),  # children in use (active) with these facts
    Index("q_village_counts_village", "village_code"),
)

TABLES = (q_children, q_visits, q_level_changes, q_visit_months, q_village_counts)
_COUNTED = ("categories", "level", "caring_mother", "case_stage", "urgent")


def create(conn: Connection) -> None:
    """The migration step (sync/server/db.py): the tables, then every row from the records."""
    db.metadata.create_all(conn, tables=list(TABLES))
    rebuild(conn)


# ----- derived facts ----------------------------------------------------------------------


def id_key(id_number: str) -> str | None:
    """The key of an ID number for duplicate checks and search (None for no number)."""
    normalized = id_number.strip().upper()
    if not normalized:
        return None
    return hashlib.sha256(b"childdesk-console-id\0" + normalized.encode()).hexdigest()


def pinyin_initials(name: str) -> str:
    """``张小明`` → ``zxm``: each character's most common reading (pypinyin's dictionary), its
    first letter; ASCII letters and digits kept, other characters dropped. Per character, not
    pypinyin's phrase segmentation: 6,000 names cost milliseconds, not seconds, on ingest."""
    out = []
    for ch in name[:60]:
        if ch.isascii():
            if ch.isalnum():
                out.append(ch.lower())
            continue
        letter = _INITIALS.get(ch)
        if letter is None:
            reading = pinyin_dict.get(ord(ch), "")
            first = unicodedata.normalize("NFD", reading[:1])[:1].lower()
            letter = _INITIALS[ch] = first if first.isascii() and first.isalpha() else ""
        out.append(letter)
    return "".join(out)[:40]


_INITIALS: dict[str, str] = {}


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _text(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


@dataclass
class _Facts:
    child_id: str
    data: dict[str, Any]
    visits: list[tuple[date, str, date | None]]  # (on, visit id, next_visit_on)
    assessments: list[tuple[date, str, str]]  # finished (on, assessment id, level)
    cases: list[tuple[str, str, str, bool]]  # open (opened_on, case id, stage, urgent)


def _level_at(assessments: list[tuple[date, str, str]], day: date) -> str | None:
    level = None
    for on, _id, lv in assessments:
        if on <= day:
            level = lv
    return level


def _rows(
    facts: _Facts, schedule: VisitSchedule
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    data = facts.data
    village = _text(data.get("village_code"), 12)
    listed = data.get("categories")
    categories = sorted(
        {c[:40] for c in listed if isinstance(c, str) and "|" not in c}
        if isinstance(listed, list)
        else set()
    )
    birth = _day(data.get("birth_date"))
    opened = _day(data.get("opened_on")) or date.min
    status = _text(data.get("status"), 20) or "active"
    active = status == "active" and not data.get("archive")
    assessments = sorted(facts.assessments)
    visits = sorted(facts.visits)
    level = assessments[-1][2] if assessments else None
    frozen = frozenset(categories)
    visit_rows: list[dict[str, Any]] = []
    last: tuple[date, str, date | None] | None = None
    for visit in visits:
        before = next_due(
            ScheduleFacts(
                facts.child_id,
                frozen,
                _level_at(assessments, visit[0]),
                last[0] if last else None,
                last[2] if last else None,
                opened,
            ),
            schedule,
        ).due
        visit_rows.append(
            {
                "visit_id": visit[1],
                "child_id": facts.child_id,
                "village_code": village,
                "on_date": visit[0].isoformat(),
                "month": visit[0].isoformat()[:7],
                "due_before": before.isoformat(),
                "due_month": before.isoformat()[:7],
                "on_time": visit[0] <= before,
            }
        )
        last = visit
    due = next_due(
        ScheduleFacts(
            facts.child_id,
            frozen,
            level,
            last[0] if last else None,
            last[2] if last else None,
            opened,
        ),
        schedule,
    ).due
    open_cases = sorted(facts.cases)
    id_number = _text(data.get("id_number"), 40)
    name = _text(data.get("name"))
    child_row = {
        "child_id": facts.child_id,
        "village_code": village,
        "town_code": village[:9],
        "name": name,
        "initials": pinyin_initials(name),
        "gender": _text(data.get("gender"), 10),
        "birth_date": birth.isoformat() if birth else None,
        "eighteenth": eighteenth_birthday(birth).isoformat() if birth else None,
        "categories": f"|{'|'.join(categories)}|" if categories else "",
        "level": level,
        "level_on": assessments[-1][0].isoformat() if assessments else None,
        "last_visit": last[0].isoformat() if last else None,
        "next_due": due.isoformat() if active else None,
        "case_stage": open_cases[0][2] if open_cases else None,
        "urgent": any(c[3] for c in open_cases),
        "caring_mother": bool(data.get("caring_mother")),
        "active": active,
        "status": status,
        "id_key": id_key(id_number),
    }
    change_rows = [
        {
            "assessment_id": current[1],
            "child_id": facts.child_id,
            "village_code": village,
            "from_level": previous[2],
            "to_level": current[2],
            "on_date": current[0].isoformat(),
        }
        for previous, current in pairwise(assessments)
        if previous[2] != current[2]
    ]
    return child_row, visit_rows, change_rows


# ----- reading the merged records ---------------------------------------------------------

_R = db.records.c
_IDS: Any = bindparam("ids", expanding=True)
_CHILDREN = select(_R.record_id, _R.data).where(
    _R.record_id.in_(_IDS), _R.record_type == "child", _R.deleted.is_(False)
)
_LINKED = select(_R.record_id, _R.record_type, _R.child_id, _R.data).where(
    _R.child_id.in_(_IDS),
    _R.record_type.in_(("visit", "assessment", "case")),
    _R.deleted.is_(False),
)


def _add_linked(facts: _Facts, record_type: str, record_id: str, data: Any) -> None:
    """Add one visit, assessment or case (its merged data) to a child's facts."""
    if not isinstance(data, dict):
        return
    if record_type == "visit":
        on = _day(data.get("on"))
        if on is not None:
            facts.visits.append((on, record_id, _day(data.get("next_visit_on"))))
    elif record_type == "assessment":
        result = data.get("result")
        finished = _day(data.get("finished_on"))
        level = result.get("level") if isinstance(result, dict) else None
        if data.get("status") == "finished" and finished and level in SEVERITY:
            facts.assessments.append((finished, record_id, level))
    elif record_type == "case":
        stage = data.get("stage")
        if isinstance(stage, str) and stage != "closed":
            opened = _text(data.get("opened_on"), 10)
            facts.cases.append((opened, record_id, stage[:20], bool(data.get("mandatory_report"))))


def _facts(conn: Connection, child_ids: list[str]) -> dict[str, _Facts]:
    found: dict[str, _Facts] = {}
    for row in conn.execute(_CHILDREN, {"ids": child_ids}):
        data = json.loads(row.data)
        if isinstance(data, dict):
            found[row.record_id] = _Facts(row.record_id, data, [], [], [])
    if not found:
        return found
    for linked in conn.execute(_LINKED, {"ids": sorted(found)}):
        facts = found.get(linked.child_id)
        if facts is not None:
            _add_linked(facts, linked.record_type, linked.record_id, json.loads(linked.data))
    return found


# ----- the schedule in force --------------------------------------------------------------

_SCHEDULES: dict[tuple[int, str], VisitSchedule] = {}


def current_schedule(conn: Connection) -> VisitSchedule:
    """The schedule rules the district published last that pass the laptop's checks, else the
    bundled ones — the rule of app.services.definitions.DefinitionService.schedule."""
    from app.services.definitions import (
        SCHEDULE,
        SCHEDULE_NAME,
        PublishedDefinitionError,
        parse_published,
    )

    p = db.published.c
    rows = conn.execute(
        select(p.pub_seq, p.sha256, p.name, p.version, p.body)
        .where(p.kind == SCHEDULE, p.name == SCHEDULE_NAME)
        .order_by(p.pub_seq.desc())
    )
    for row in rows:
        key = (int(row.pub_seq), str(row.sha256))
        if key in _SCHEDULES:
            return _SCHEDULES[key]
        try:
            parsed = parse_published(SCHEDULE, row.name, row.version, json.loads(row.body))
        except (PublishedDefinitionError, ValueError):
            continue
        if isinstance(parsed, VisitSchedule):
            _SCHEDULES[key] = parsed
            return parsed
    key = (0, "bundled")
    if key not in _SCHEDULES:
        _SCHEDULES[key] = load_schedule()
    return _SCHEDULES[key]


# ----- keeping the tables up to date ------------------------------------------------------


def _chunks(ids: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    items = sorted(set(ids))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(
    conn: Connection, found: Iterable[_Facts], schedule: VisitSchedule
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Insert the rows of these children; returns their q_children and q_visits rows."""
    children: list[dict[str, Any]] = []
    visits: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for facts in found:
        child_row, visit_rows, change_rows = _rows(facts, schedule)
        children.append(child_row)
        visits.extend(visit_rows)
        changes.extend(change_rows)
    db.executemany(conn, _INSERT_CHILD, children)
    db.executemany(conn, _INSERT_VISIT, visits)
    db.executemany(conn, _INSERT_CHANGE, changes)
    return children, visits


_INSERT_CHILD = q_children.insert()
_INSERT_VISIT = q_visits.insert()
_INSERT_CHANGE = q_level_changes.insert()
_INSERT_MONTH = q_visit_months.insert()


def touched_children(conn: Connection, session: StoreSession) -> tuple[set[str], dict[str, _Facts]]:
    """The children whose rows the records about to be flushed change: the child records
    themselves, and the owners of visits, assessments and cases before and after the merge.
    Called before ``session.flush()``, while the database still holds the previous owners.

    Returns the children known before (read again from the records after the flush) and the
    facts of children new in this session, taken from its merged states: every record of a new
    child is in the session (nothing stored could point to it), so nothing is read again."""
    touched: set[str] = set()
    moved: list[str] = []
    for record_id in session.dirty:
        state, cols = session.states[record_id]
        if state.record_type == "child":
            touched.add(record_id)
        elif state.record_type in CHILD_LINKED:
            if cols["child_id"]:
                touched.add(cols["child_id"])
            if record_id not in session.new_records:
                moved.append(record_id)
    touched |= linked_owners(conn, moved)
    fresh: dict[str, _Facts] = {}
    for child_id in touched & session.new_records:
        state = session.states[child_id][0]
        if state.record_type == "child" and not state.deleted and isinstance(state.data, dict):
            fresh[child_id] = _Facts(child_id, state.data, [], [], [])
    if fresh:
        for record_id, (state, cols) in session.states.items():
            facts = fresh.get(cols["child_id"] or "")
            if facts is not None and state.record_type in CHILD_LINKED and not state.deleted:
                _add_linked(facts, state.record_type, record_id, state.data)
    return touched - set(fresh) - (touched & session.new_records), fresh


def linked_owners(conn: Connection, record_ids: Iterable[str]) -> set[str]:
    """The children that stored visits, assessments or cases belong to now (before a merge
    that may move them to another child)."""
    owners: set[str] = set()
    for chunk in _chunks(record_ids):
        for row in conn.execute(
            select(_R.child_id).where(_R.record_id.in_(chunk), _R.child_id.is_not(None))
        ):
            owners.add(row.child_id)
    return owners


def refresh(
    conn: Connection, child_ids: Iterable[str], fresh: dict[str, _Facts] | None = None
) -> None:
    """Derive again every row of these children (inside the caller's transaction), and write
    the rows of the new children in ``fresh`` (see :func:`touched_children`)."""
    ids = sorted({c for c in child_ids if c})
    if not ids and not fresh:
        return
    schedule = current_schedule(conn)
    v = q_visits.c
    pairs: set[tuple[str, str]] = set()
    villages: set[str] = set()
    written: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []
    for chunk in _chunks(ids):
        villages.update(
            r[0]
            for r in conn.execute(
                select(q_children.c.village_code).where(q_children.c.child_id.in_(chunk))
            )
        )
        for row in conn.execute(
            select(v.village_code, v.month, v.due_month).where(v.child_id.in_(chunk))
        ):
            pairs.add((row.village_code, row.month))
            pairs.add((row.village_code, row.due_month))
        conn.execute(delete(q_visits).where(v.child_id.in_(chunk)))
        conn.execute(delete(q_level_changes).where(q_level_changes.c.child_id.in_(chunk)))
        conn.execute(delete(q_children).where(q_children.c.child_id.in_(chunk)))
        written.append(_write(conn, _facts(conn, chunk).values(), schedule))
    if fresh:
        written.append(_write(conn, fresh.values(), schedule))
    for children, visits in written:
        villages.update(row["village_code"] for row in children)
        for visit in visits:
            pairs.add((visit["village_code"], visit["month"]))
            pairs.add((visit["village_code"], visit["due_month"]))
    _months(conn, pairs)
    _village_counts(conn, villages)


def _village_counts(conn: Connection, villages: set[str] | None) -> None:
    """Count again the children of these villages (all villages for None) by their facts."""
    c = q_children.c
    columns = [c.village_code, *(c[name] for name in _COUNTED)]
    counted = select(*columns, func.count()).where(c.active.is_(True)).group_by(*columns)
    target = ["village_code", *_COUNTED, "children"]
    if villages is None:
        conn.execute(q_village_counts.insert().from_select(target, counted))
        return
    for chunk in _chunks(villages, 200):
        conn.execute(delete(q_village_counts).where(q_village_counts.c.village_code.in_(chunk)))
        conn.execute(
            q_village_counts.insert().from_select(target, counted.where(c.village_code.in_(chunk)))
        )


def _months(conn: Connection, pairs: set[tuple[str, str]]) -> None:
    """Count again the visit figures of these (village, month) pairs."""
    v, m = q_visits.c, q_visit_months.c
    ordered = sorted(pairs)
    for start in range(0, len(ordered), 200):
        chunk = ordered[start : start + 200]
        conn.execute(delete(q_visit_months).where(tuple_(m.village_code, m.month).in_(chunk)))
        figures: dict[tuple[str, str], list[int]] = {p: [0, 0, 0] for p in chunk}
        villages = sorted({p[0] for p in chunk})
        months = sorted({p[1] for p in chunk})
        done = select(v.village_code, v.month, func.count(), func.sum(_int(v.on_time))).where(
            v.village_code.in_(villages), v.month.in_(months)
        )
        for row in conn.execute(done.group_by(v.village_code, v.month)):
            if (row[0], row[1]) in figures:
                figures[(row[0], row[1])][:2] = [int(row[2]), int(row[3] or 0)]
        due = select(v.village_code, v.due_month, func.count()).where(
            v.village_code.in_(villages), v.due_month.in_(months)
        )
        for row in conn.execute(due.group_by(v.village_code, v.due_month)):
            if (row[0], row[1]) in figures:
                figures[(row[0], row[1])][2] = int(row[2])
        rows = [
            {"village_code": p[0], "month": p[1], "done": f[0], "on_time": f[1], "due_met": f[2]}
            for p, f in figures.items()
            if any(f)
        ]
        db.executemany(conn, _INSERT_MONTH, rows)


def _int(column: Any) -> Any:
    return case((column, 1), else_=0)


def rebuild(conn: Connection) -> int:
    """Every row again from the merged records; returns the number of children."""
    for table in TABLES:
        conn.execute(delete(table))
    schedule = current_schedule(conn)
    ids = [
        row.record_id
        for row in conn.execute(
            select(_R.record_id).where(_R.record_type == "child", _R.deleted.is_(False))
        )
    ]
    for chunk in _chunks(ids, 2000):
        _write(conn, _facts(conn, chunk).values(), schedule)
    _village_counts(conn, None)
    v = q_visits.c
    figures: dict[tuple[str, str], list[int]] = {}
    for row in conn.execute(
        select(v.village_code, v.month, func.count(), func.sum(_int(v.on_time))).group_by(
            v.village_code, v.month
        )
    ):
        figures[(row[0], row[1])] = [int(row[2]), int(row[3] or 0), 0]
    for row in conn.execute(
        select(v.village_code, v.due_month, func.count()).group_by(v.village_code, v.due_month)
    ):
        figures.setdefault((row[0], row[1]), [0, 0, 0])[2] = int(row[2])
    db.executemany(
        conn,
        _INSERT_MONTH,
        [
            {"village_code": k[0], "month": k[1], "done": f[0], "on_time": f[1], "due_met": f[2]}
            for k, f in sorted(figures.items())
        ],
    )
    return len(ids)


def snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every query table, sorted (tests compare an updated and a rebuilt set)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in TABLES:
        rows = conn.execute(select(table)).all()
        out[table.name] = sorted(
            (tuple(_plain(x) for x in r) for r in rows), key=lambda r: json.dumps(r, default=str)
        )
    return out


def _plain(value: Any) -> Any:
    return bool(value) if isinstance(value, bool) else value
