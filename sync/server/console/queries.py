"""The console's figures and register, read from the query tables (query_tables.py) within a
user's :class:`Scope` — plain Python, no web imports.

Scope is enforced here: every statement that reads children, visits or level changes carries
``scope.village_clause(...)``, and a single child or village asked for by code is checked with
``scope.allows_village`` (:class:`OutOfScopeError`, which the route answers with 403 and logs).
Filters come from query strings: :func:`parse_register_filter` keeps what it understands and
drops the rest, so no malformed filter reaches SQL or raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, case, func, or_, select

from sync.server.console.query_tables import (
    LEVELS,
    id_key,
    q_children,
)
from sync.server.console.scope import Scope

C = q_children.c
CASE_STAGES = ("identified", "assessed", "intervening", "following_up")
CATEGORIES = (
    "orphan_institutional",
    "orphan_community",
    "de_facto_unsupported",
    "autism",
    "disability",
    "low_income",
    "extreme_poverty",
    "left_behind",
    "migrant",
    "serious_illness",
    "other_hardship",
)
AGE_BANDS: dict[str, tuple[int, int]] = {
    "0-2": (0, 2),
    "3-5": (3, 5),
    "6-11": (6, 11),
    "12-15": (12, 15),
    "16-17": (16, 17),
    "18+": (18, 200),
}
SORTS = ("next_due", "name", "village", "level", "last_visit", "birth_date", "eighteenth")
PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
STALE_DEVICE_DAYS = 30
ID_NUMBER = re.compile(r"\A[0-9]{17}[0-9Xx]\Z")
VILLAGE_CODE = re.compile(r"\A[0-9]{12}\Z")
LETTERS = re.compile(r"\A[A-Za-z]{1,20}\Z")


def scoped(scope: Scope, column: Any) -> ColumnElement[bool]:
    """``scope.village_clause(column)``, plus (for a town user) the same villages as a range
    of codes, which an index can use where ``LIKE 'prefix%'`` cannot (SQLite, and PostgreSQL
    outside the C collation). Codes are digits only, so the range holds exactly the prefix."""
    clause = scope.village_clause(column)
    if scope.role != "town" or not scope.towns:
        return clause
    ranges = [column.between(f"{town}000", f"{town}999") for town in scope.towns]
    return and_(clause, or_(*ranges))


class OutOfScopeError(Exception):
    """A record or village outside the user's scope (the route answers 403 and logs)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class NotFoundError(Exception):
    """No such child or village (the route answers 404)."""


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable


def years_before(day: date, years: int) -> date:
    return add_months(day, -12 * years)


def months_between(start: date, end: date) -> list[str]:
    months: list[str] = []
    current = date(start.year, start.month, 1)
    while current <= end and len(months) < 120:
        months.append(current.isoformat()[:7])
        current = add_months(current, 1)
    return months


# ----- the register -----------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterFilter:
    town: str = ""
    village: str = ""
    category: str = ""
    level: str = ""  # a colour, or "none" (not assessed)
    overdue: bool | None = None
    case_stage: str = ""  # a stage, "any" (an open case) or "none"
    caring_mother: bool | None = None
    age_band: str = ""
    duplicates: bool = False
    q: str = ""
    sort: str = "next_due"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT

    def as_params(self) -> dict[str, str]:
        """The filter as query parameters (for links and the access log), defaults left out."""
        out: dict[str, str] = {}
        for key, value in self.__dict__.items():
            if value == getattr(DEFAULT_FILTER, key):
                continue
            name = "desc" if key == "descending" else key
            out[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        return out


DEFAULT_FILTER = RegisterFilter()


def _flag(value: str | None) -> bool | None:
    return {"1": True, "yes": True, "true": True, "0": False, "no": False, "false": False}.get(
        (value or "").strip().lower()
    )


def _number(value: str | None, default: int, low: int, high: int) -> int:
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return default
    return max(low, min(high, int(text[:12])))


def parse_register_filter(params: Mapping[str, str]) -> RegisterFilter:
    """The filter from query parameters; anything malformed is dropped, never an error."""

    def get(key: str) -> str:
        value = params.get(key)
        return value.strip()[:100] if isinstance(value, str) else ""

    town, village = get("town"), get("village")
    level, stage, sort = get("level"), get("case_stage"), get("sort")
    q = "".join(ch for ch in get("q") if ch.isprintable())[:40]
    return RegisterFilter(
        town=town if re.fullmatch(r"[0-9]{9}", town) else "",
        village=village if re.fullmatch(r"[0-9]{12}", village) else "",
        category=get("category") if get("category") in CATEGORIES else "",
        level=level if level in (*LEVELS, "none") else "",
        overdue=_flag(get("overdue")),
        case_stage=stage if stage in (*CASE_STAGES, "any", "none") else "",
        caring_mother=_flag(get("caring_mother")),
        age_band=get("age_band") if get("age_band") in AGE_BANDS else "",
        duplicates=bool(_flag(get("duplicates"))),
        q=q,
        sort=sort if sort in SORTS else "next_due",
        descending=bool(_flag(get("desc"))),
        page=_number(params.get("page"), 1, 1, 10**9),
        per_page=_number(params.get("per_page"), PER_PAGE_DEFAULT, 10, PER_PAGE_MAX),
    )


# What a partner's register may filter and sort by: its roster's own columns only (a filter on
# overdue visits, cases, age or duplicates would tell what the roster does not hold).
PARTNER_SORTS = ("name", "village", "level")


def for_scope(scope: Scope, flt: RegisterFilter) -> RegisterFilter:
    """The filter as this user may apply it: for a partner, only the roster's columns (name
    or pinyin search, never an ID number), the rest back to their defaults."""
    if scope.role != "partner":
        return flt
    return replace(
        flt,
        overdue=None,
        case_stage="",
        age_band="",
        duplicates=False,
        q="" if ID_NUMBER.match(flt.q) else flt.q,
        sort=flt.sort if flt.sort in PARTNER_SORTS else "name",
    )


def _conditions(scope: Scope, flt: RegisterFilter, today: date) -> list[ColumnElement[bool]]:
    flt = for_scope(scope, flt)
    visible = (
        scope.roster_clause(C.village_code, C.categories)
        if scope.role == "partner"
        else scoped(scope, C.village_code)
    )
    where: list[ColumnElement[bool]] = [visible, C.active.is_(True)]
    if flt.town:
        where.append(C.town_code == flt.town)
    if flt.village:
        where.append(C.village_code == flt.village)
    if flt.category:
        where.append(C.categories.contains(f"|{flt.category}|", autoescape=True))
    if flt.level == "none":
        where.append(C.level.is_(None))
    elif flt.level:
        where.append(C.level == flt.level)
    if flt.overdue is True:
        where.append(C.next_due < today.isoformat())
    elif flt.overdue is False:
        where.append(C.next_due >= today.isoformat())
    if flt.case_stage == "any":
        where.append(C.case_stage.is_not(None))
    elif flt.case_stage == "none":
        where.append(C.case_stage.is_(None))
    elif flt.case_stage:
        where.append(C.case_stage == flt.case_stage)
    if flt.caring_mother is not None:
        where.append(C.caring_mother.is_(flt.caring_mother))
    if flt.age_band:
        low, high = AGE_BANDS[flt.age_band]
        # age in [low, high]: born after (today - (high+1) years), on or before today - low
        where.append(C.birth_date <= years_before(today, low).isoformat())
        if high < 200:
            where.append(C.birth_date > years_before(today, high + 1).isoformat())
    if flt.duplicates:
        dup = (
            select(C.id_key)
            .where(C.id_key.is_not(None))
            .group_by(C.id_key)
            .having(func.count(func.distinct(C.village_code)) > 1)
        )
        where.append(C.id_key.in_(dup))
    q = flt.q
    if q:
        if ID_NUMBER.match(q):
            where.append(C.id_key == id_key(q))
        elif LETTERS.match(q):
            prefix = q.lower()
            where.append(C.initials.startswith(prefix, autoescape=True))
            if prefix[-1] != "z":  # also as a range, which the initials index can use
                upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                where.extend((C.initials >= prefix, C.initials < upper))
        else:
            where.append(C.name.contains(q, autoescape=True))
    return where


def _order(flt: RegisterFilter) -> list[Any]:
    severity = case({lv: i for i, lv in enumerate(LEVELS)}, value=C.level, else_=-1)
    column: Any = {
        "next_due": C.next_due,
        "name": C.initials,
        "village": C.village_code,
        "level": severity,
        "last_visit": C.last_visit,
        "birth_date": C.birth_date,
        "eighteenth": C.eighteenth,
    }[flt.sort]
    first = column.desc() if flt.descending else column.asc()
    return [first, C.child_id]


@dataclass(frozen=True)
class RegisterRow:
    child_id: str
    name: str
    gender: str
    birth_date: str | None
    village_code: str
    town_code: str
    categories: tuple[str, ...]
    level: str | None
    last_visit: str | None
    next_due: str | None
    days_overdue: int  # 0 when not overdue
    case_stage: str | None
    urgent: bool
    caring_mother: bool
    eighteenth: str | None
    duplicate: bool = False  # the same ID number in another village's file


@dataclass(frozen=True)
class RegisterPage:
    rows: list[RegisterRow]
    total: int
    page: int
    pages: int
    filter: RegisterFilter


_COLUMNS = (
    C.child_id,
    C.name,
    C.gender,
    C.birth_date,
    C.village_code,
    C.town_code,
    C.categories,
    C.level,
    C.last_visit,
    C.next_due,
    C.case_stage,
    C.urgent,
    C.caring_mother,
    C.eighteenth,
    C.id_key,
)


# A partner's rows are read with these columns only: name, village, categories, level and
# caring-mother status (never the ID number, birth date, visits, cases or assessments).
_PARTNER_COLUMNS = (
    C.child_id,
    C.name,
    C.village_code,
    C.town_code,
    C.categories,
    C.level,
    C.caring_mother,
)


def _partner_row(r: Any) -> RegisterRow:
    return RegisterRow(
        child_id=r.child_id,
        name=r.name,
        gender="",
        birth_date=None,
        village_code=r.village_code,
        town_code=r.town_code,
        categories=tuple(c for c in (r.categories or "").strip("|").split("|") if c),
        level=r.level,
        last_visit=None,
        next_due=None,
        days_overdue=0,
        case_stage=None,
        urgent=False,
        caring_mother=bool(r.caring_mother),
        eighteenth=None,
    )


def _row(r: Any, today: date, duplicates: set[str]) -> RegisterRow:
    overdue = 0
    if r.next_due and r.next_due < today.isoformat():
        overdue = (today - date.fromisoformat(r.next_due)).days
    return RegisterRow(
        r.child_id,
        r.name,
        r.gender,
        r.birth_date,
        r.village_code,
        r.town_code,
        tuple(c for c in (r.categories or "").strip("|").split("|") if c),
        r.level,
        r.last_visit,
        r.next_due,
        overdue,
        r.case_stage,
        bool(r.urgent),
        bool(r.caring_mother),
        r.eighteenth,
        bool(r.id_key and r.id_key in duplicates),
    )


def register_select(scope: Scope, flt: RegisterFilter, today: date) -> Select[Any]:
    columns = _PARTNER_COLUMNS if scope.role == "partner" else _COLUMNS
    where = _conditions(scope, flt, today)
    return select(*columns).where(*where).order_by(*_order(for_scope(scope, flt)))


def duplicate_keys(conn: Connection, keys: list[str]) -> set[str]:
    """The ID keys among ``keys`` found in files of more than one village (district-wide: the
    flag says only that another file exists, nothing of it)."""
    if not keys:
        return set()
    return {
        row[0]
        for row in conn.execute(
            select(C.id_key)
            .where(C.id_key.in_(sorted(set(keys))))
            .group_by(C.id_key)
            .having(func.count(func.distinct(C.village_code)) > 1)
        )
    }


def register(conn: Connection, scope: Scope, flt: RegisterFilter, today: date) -> RegisterPage:
    """One page of the register; a page number past the end shows the last page. A partner
    gets its roster's rows with only the roster's columns (:func:`for_scope`)."""
    flt = for_scope(scope, flt)
    total = int(
        conn.execute(
            select(func.count()).select_from(q_children).where(*_conditions(scope, flt, today))
        ).scalar_one()
    )
    pages = max(1, -(-total // flt.per_page))
    page = min(max(1, flt.page), pages)
    rows = conn.execute(
        register_select(scope, flt, today).limit(flt.per_page).offset((page - 1) * flt.per_page)
    ).all()
    if scope.role == "partner":
        out = [_partner_row(r) for r in rows]
    else:
        dups = duplicate_keys(conn, [r.id_key for r in rows if r.id_key])
        out = [_row(r, today, dups) for r in rows]
    return RegisterPage(out, total, page, pages, replace(flt, page=page))


def register_rows(
    conn: Connection, scope: Scope, flt: RegisterFilter, today: date, chunk: int = 2000
) -> Iterator[RegisterRow]:
    """Every row of the filtered register, in order, read in chunks (for the export)."""
    result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
        register_select(scope, flt, today)
    )
    for part in result.partitions(chunk):
        if scope.role == "partner":
            yield from (_partner_row(r) for r in part)
            continue
        dups = duplicate_keys(conn, [r.id_key for r in part if r.id_key])
        for r in part:
            yield _row(r, today, dups)


def in_scope_or_raise(scope: Scope, village_code: str | None, what: str) -> None:
    if not scope.allows_village(village_code):
        raise OutOfScopeError(what)
