"""Deriving the console's query-table rows from merged records (query_tables.py): the facts
of one child (its file, visits, finished assessments, open cases), its rows, and the visit
schedule in force — the laptop's rules (app.domain.schedule, app.services.definitions)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection, bindparam, select

from app.domain.schedule import ScheduleFacts, VisitSchedule, load_schedule, next_due
from resources import pinyin_table
from sync.server import db

LEVELS = ("green", "yellow", "orange", "red")
SEVERITY = {level: index for index, level in enumerate(LEVELS)}


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
            typed = pinyin_table.toneless_readings(ch)
            first = typed[0][:1] if typed else ""
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


def _birth(value: Any) -> tuple[str | None, str | None]:
    """A birth date as stored and the 18th birthday (None, None for no valid date); a few
    thousand distinct dates in a district, each derived once per process."""
    if not isinstance(value, str):
        return None, None
    found = _BIRTHS.get(value)
    if found is None:
        # here, not with the module: child_file imports the questionnaire engine (through
        # app.questionnaire's __init__, ~0.1-0.2 CPU-s), which most district commands never use
        from app.domain.child_file import eighteenth_birthday

        birth = _day(value)
        found = (
            (birth.isoformat(), eighteenth_birthday(birth).isoformat()) if birth else (None, None)
        )
        if len(_BIRTHS) < 100_000:
            _BIRTHS[value] = found
    return found


_BIRTHS: dict[str, tuple[str | None, str | None]] = {}


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
    facts: _Facts, schedule: VisitSchedule, dues: dict[tuple[Any, ...], date] | None = None
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One child's rows as tuples in the tables' column order (:data:`CHILD_COLUMNS`,
    :data:`VISIT_COLUMNS`, :data:`CHANGE_COLUMNS`). ``dues``: next due dates already computed
    in this pass, by their schedule facts (many children share them; see :func:`_due`)."""
    data = facts.data
    get = data.get
    child_id = facts.child_id
    village = _text(get("village_code"), 12)
    listed = get("categories")
    categories = (
        sorted({c[:40] for c in listed if isinstance(c, str) and "|" not in c})
        if isinstance(listed, list)
        else []
    )
    born, eighteenth = _birth(get("birth_date"))
    opened = _day(get("opened_on")) or date.min
    # the laptop's rule: a confirmed 事实无人抚养 recognition keys the monthly visit
    recognized = _day(get("recognition_confirmed_on"))
    status = _text(get("status"), 20) or "active"
    active = status == "active" and not get("archive")
    frozen = frozenset(categories)
    if dues is None:
        dues = {}
    visit_rows: list[tuple[Any, ...]] = []
    change_rows: list[tuple[Any, ...]] = []
    level = level_on = last_on = last_next = None
    if facts.assessments:
        assessments = sorted(facts.assessments)
        level, level_on = assessments[-1][2], assessments[-1][0].isoformat()
        change_rows = [
            (current[1], child_id, village, previous[2], current[2], current[0].isoformat())
            for previous, current in pairwise(assessments)
            if previous[2] != current[2]
        ]
    else:
        assessments = []
    if facts.visits:
        for on, visit_id, requested in sorted(facts.visits):
            before = _due(
                dues,
                schedule,
                child_id,
                (frozen, _level_at(assessments, on), last_on, last_next, opened, recognized),
            )
            on_text, before_text = on.isoformat(), before.isoformat()
            visit_rows.append(
                (
                    visit_id,
                    child_id,
                    village,
                    on_text,
                    on_text[:7],
                    before_text,
                    before_text[:7],
                    on <= before,
                )
            )
            last_on, last_next = on, requested
    due = (
        _due(dues, schedule, child_id, (frozen, level, last_on, last_next, opened, recognized))
        if active
        else None
    )
    case_stage, urgent = None, False
    if facts.cases:
        open_cases = sorted(facts.cases)
        case_stage, urgent = open_cases[0][2], any(c[3] for c in open_cases)
    name = _text(get("name"))
    child_row = (
        child_id,
        village,
        village[:9],
        name,
        pinyin_initials(name),
        _text(get("gender"), 10),
        born,
        eighteenth,
        f"|{'|'.join(categories)}|" if categories else "",
        level,
        level_on,
        last_on.isoformat() if last_on else None,
        due.isoformat() if due else None,
        case_stage,
        urgent,
        bool(get("caring_mother")),
        active,
        status,
        id_key(_text(get("id_number"), 40)),
    )
    return child_row, visit_rows, change_rows


def _due(
    dues: dict[tuple[Any, ...], date],
    schedule: VisitSchedule,
    child_id: str,
    key: tuple[frozenset[str], str | None, date | None, date | None, date, date | None],
) -> date:
    """``next_due(...).due`` for these schedule facts (categories, level, last visit, its
    requested next visit, opened on, recognized on): computed once per pass for each set of
    facts — the date depends on nothing else (not on the child)."""
    due = dues.get(key)
    if due is None:
        due = dues[key] = next_due(ScheduleFacts(child_id, *key), schedule).due
    return due


# the column order of the rows :func:`_rows` returns (query_tables.py's tables)
CHILD_COLUMNS = (
    "child_id",
    "village_code",
    "town_code",
    "name",
    "initials",
    "gender",
    "birth_date",
    "eighteenth",
    "categories",
    "level",
    "level_on",
    "last_visit",
    "next_due",
    "case_stage",
    "urgent",
    "caring_mother",
    "active",
    "status",
    "id_key",
)
VISIT_COLUMNS = (
    "visit_id",
    "child_id",
    "village_code",
    "on_date",
    "month",
    "due_before",
    "due_month",
    "on_time",
)
CHANGE_COLUMNS = ("assessment_id", "child_id", "village_code", "from_level", "to_level", "on_date")


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
_SCHEDULE_KEYS: Any = None


def current_schedule(conn: Connection) -> VisitSchedule:
    """The schedule rules the district published last that pass the laptop's checks, else the
    bundled ones — the rule of app.services.definitions.DefinitionService.schedule."""
    from app.services.definitions import (
        SCHEDULE,
        SCHEDULE_NAME,
        PublishedDefinitionError,
        parse_published,
    )

    global _SCHEDULE_KEYS
    p = db.published.c
    # the keys first (one small row per publication, every ingest group asks: the statement is
    # built once); a body is read only for a publication not parsed in this process yet. The
    # query stays: another process (the CLI's publish, the other server workers) may publish.
    if _SCHEDULE_KEYS is None:
        _SCHEDULE_KEYS = (
            select(p.pub_seq, p.sha256)
            .where(p.kind == SCHEDULE, p.name == SCHEDULE_NAME)
            .order_by(p.pub_seq.desc())
        )
    keys = conn.execute(_SCHEDULE_KEYS).all()
    for pub_seq, sha256 in keys:
        key = (int(pub_seq), str(sha256))
        if key in _SCHEDULES:
            return _SCHEDULES[key]
        row = conn.execute(select(p.name, p.version, p.body).where(p.pub_seq == pub_seq)).one()
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
