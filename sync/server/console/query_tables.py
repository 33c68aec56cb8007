"""The console's query tables: what the district console reads instead of the revision log.

One row per child (``q_children``: village, town, categories, current level, last visit, next
visit due, open case stage, caring mother, 18th birthday, pinyin initials, a key of the ID
number for duplicate checks), one row per visit (``q_visits``: its village, month and the due
date it answered), the level changes between consecutive finished assessments
(``q_level_changes``: 升级/降码), visit figures per village and month (``q_visit_months``),
children counted per village by their facts (``q_village_counts``) and by their next due date
(``q_due_days`` per village and day, ``q_due_months`` per village and month: the overview's
overdue-per-village and due-per-month read a few thousand rows instead of every child).

Every row is derived from the merged records (``records``), by :func:`refresh` for the children
that ingest marked pending (``q_pending``, one row per touched child, written in the ingest's own
transaction: :func:`mark_pending`), applied by :func:`catch_up` in a write transaction of its
own — when ingest is idle, when the oldest mark is older than a bound (sync/server/console/
catch_up.py) and before every console page reads (read-your-writes) — and by :func:`rebuild`
(``childdesk-district reindex``) from scratch; tests check both give the same rows. Why not in
the ingest's transaction: docs/performance.md, "Ingest cost of the query tables". The due
dates are the laptop's: :func:`app.domain.schedule.next_due` with the schedule rules the
district published last (else the bundled ones), exactly as a laptop picks them.

Not here: names of guardians, addresses, notes — the child's page reads the record itself.

Why one long file: the tables' schema, :func:`refresh` on ingest and :func:`rebuild` must
stay in step column for column — tests hold the two equal, and keeping them side by side is
what makes a change to one visible in the other (the row derivation is apart, in
:mod:`query_tables_derive`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.schedule import VisitSchedule
from sync.protocol_types import CHILD_LINKED
from sync.server import db
from sync.server.console.query_tables_derive import (
    CHANGE_COLUMNS,
    CHILD_COLUMNS,
    VISIT_COLUMNS,
    _Facts,
    _facts,
    _rows,
)
from sync.server.console.query_tables_derive import (
    LEVELS as LEVELS,
)
from sync.server.console.query_tables_derive import (
    SEVERITY as SEVERITY,
)
from sync.server.console.query_tables_derive import (
    current_schedule as current_schedule,
)
from sync.server.console.query_tables_derive import (
    id_key as id_key,
)
from sync.server.console.query_tables_derive import (
    pinyin_initials as pinyin_initials,
)
from sync.server.store import StoreSession

CHUNK = 500
_R = db.records.c

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
    # the overview's 降码 from red: a range of one colour's changes (migration 0006)
    Index("q_level_changes_from", "from_level", "on_date", "village_code", "child_id"),
)

q_visit_months = Table(
    "q_visit_months",
    db.metadata,
    Column("village_code", String(12), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("done", Integer, nullable=False),  # visits made in the month
    Column("on_time", Integer, nullable=False),  # of which by the due date
    Column("due_met", Integer, nullable=False),  # visits whose due date fell in the month
    # the overview's months for every village: an index-only range (migration 0006)
    Index("q_visit_months_month", "month", "village_code", "done", "on_time", "due_met"),
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

# Active children counted by their next due date. The overview's "overdue per village" adds
# the months before today's month (q_due_months) and the days of today's month before today
# (q_due_days); "due per month" reads q_due_months — rows bounded by villages × months (days)
# whatever the number of children.
q_due_days = Table(
    "q_due_days",
    db.metadata,
    Column("village_code", String(12), primary_key=True),
    Column("due", String(10), primary_key=True),
    Column("children", Integer, nullable=False),
    Index("q_due_days_due", "due", "village_code", "children"),
)

q_due_months = Table(
    "q_due_months",
    db.metadata,
    Column("village_code", String(12), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("children", Integer, nullable=False),
    Index("q_due_months_month", "month", "village_code", "children"),
)

# Children whose rows wait for :func:`catch_up` (migration 0007). Not among TABLES: it holds
# no derived rows, and a rebuild empties it.
q_pending = Table(
    "q_pending",
    db.metadata,
    Column("child_id", String(32), primary_key=True),
    Column("since", BigInteger, nullable=False),  # ms since the epoch, when first marked
    # SQLite: the rows kept in their primary key's tree (one tree written per mark, not a
    # table and an index)
    sqlite_with_rowid=False,
)

TABLES = (
    q_children,
    q_visits,
    q_level_changes,
    q_visit_months,
    q_village_counts,
    q_due_days,
    q_due_months,
)
DUE_TABLES = (q_due_days, q_due_months)
_COUNTED = ("categories", "level", "caring_mother", "case_stage", "urgent")


def create(conn: Connection) -> None:
    """The migration step (sync/server/db.py): the tables, then every row from the records."""
    db.metadata.create_all(conn, tables=list(TABLES))
    rebuild(conn)


def create_pending(conn: Connection) -> None:
    """The migration step adding ``q_pending`` (empty: the tables were up to date)."""
    db.metadata.create_all(conn, tables=[q_pending])


def create_due_counts(conn: Connection) -> None:
    """The migration step adding ``q_due_days`` and ``q_due_months`` (and two indexes for the
    overview) to a database whose other query tables exist; a database whose 0004 made them
    already gets them counted again."""
    db.metadata.create_all(conn, tables=list(DUE_TABLES))
    for index in (*q_level_changes.indexes, *q_visit_months.indexes):
        index.create(conn, checkfirst=True)
    for table in DUE_TABLES:
        conn.execute(delete(table))
    _due_counts(conn, None)


# ----- keeping the tables up to date ------------------------------------------------------


def _chunks(ids: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    items = sorted(set(ids))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(
    conn: Connection,
    found: Iterable[_Facts],
    schedule: VisitSchedule,
    dues: dict[tuple[Any, ...], Any] | None = None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Insert the rows of these children; returns their q_children and q_visits rows (tuples
    in CHILD_COLUMNS / VISIT_COLUMNS order). ``dues``: the next due dates computed so far in
    this pass (kept by the caller across chunks)."""
    children, visits, changes = _derive(found, schedule, {} if dues is None else dues)
    _insert(conn, q_children, CHILD_COLUMNS, children)
    _insert(conn, q_visits, VISIT_COLUMNS, visits)
    _insert(conn, q_level_changes, CHANGE_COLUMNS, changes)
    return children, visits


_Rows = list[tuple[Any, ...]]


def _derive(
    found: Iterable[_Facts], schedule: VisitSchedule, dues: dict[tuple[Any, ...], Any]
) -> tuple[_Rows, _Rows, _Rows]:
    """The q_children, q_visits and q_level_changes rows of these children."""
    children: _Rows = []
    visits: _Rows = []
    changes: _Rows = []
    for facts in found:
        child_row, visit_rows, change_rows = _rows(facts, schedule, dues)
        children.append(child_row)
        if visit_rows:
            visits.extend(visit_rows)
        if change_rows:
            changes.extend(change_rows)
    return children, visits, changes


def _changed(old: dict[Any, tuple[Any, ...]], new: _Rows) -> tuple[_Rows, _Rows]:
    """(stored rows to delete, derived rows to insert), by primary key (each row's first
    value): a row derived exactly as stored stays as it is."""
    kept = {row[0] for row in new if old.get(row[0]) == row}
    return (
        [row for key, row in old.items() if key not in kept],
        [row for row in new if row[0] not in kept],
    )


def _insert(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows: SQLite's executemany; on PostgreSQL one ``INSERT … SELECT FROM unnest``
    of a typed array per column (psycopg's executemany sends a statement per row, whose
    client-side CPU was most of the hook's there)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        db.executemany_rows(conn, _INSERTS[table.name], columns, rows)
        return
    sql = _UNNEST.get((table.name, columns))
    if sql is None:
        types = [table.c[name].type.compile(dialect=conn.dialect) for name in columns]
        arrays = ", ".join(f"%(c{i})s::{t}[]" for i, t in enumerate(types))
        names = ", ".join(columns)
        # names of this module's tables and columns; the values are bound
        sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
        _UNNEST[(table.name, columns)] = sql
    by_column = zip(*rows, strict=True)
    conn.exec_driver_sql(sql, {f"c{i}": list(values) for i, values in enumerate(by_column)})


_UNNEST: dict[tuple[str, tuple[str, ...]], str] = {}


_INSERTS = {table.name: table.insert() for table in (q_children, q_visits, q_level_changes)}
_INSERT_MONTH = q_visit_months.insert()


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


def touched_ids(conn: Connection, session: StoreSession) -> set[str]:
    """The children whose rows the records about to be flushed change (called before
    ``session.flush()``): the child records themselves, and the owners of visits, assessments
    and cases after the merge — and before it, read from the database only for stored records
    of those kinds (a new record has no former owner)."""
    touched: set[str] = set()
    moved: list[str] = []
    states = session.states
    new_records = session.new_records
    for record_id in session.dirty:
        state, cols = states[record_id]
        record_type = state.record_type
        if record_type == "child":
            touched.add(record_id)
        elif record_type in CHILD_LINKED:
            owner = cols["child_id"]
            if owner:
                touched.add(owner)
            if record_id not in new_records:
                moved.append(record_id)
    if moved:
        touched |= linked_owners(conn, moved)
    return touched


def mark_pending(conn: Connection, child_ids: Iterable[str]) -> None:
    """Mark these children's rows as waiting for :func:`catch_up`, in the caller's (ingest's)
    transaction: one insert-or-ignore per child (a child marked already keeps its first mark,
    whose age bounds the console's lag)."""
    ids = sorted({c for c in child_ids if c})
    if not ids:
        return
    since = int(time.time() * 1000)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "INSERT INTO q_pending (child_id, since) SELECT * FROM"
            " unnest(%(ids)s::varchar[], %(since)s::bigint[]) ON CONFLICT DO NOTHING",
            {"ids": ids, "since": [since] * len(ids)},
        )
    else:
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO q_pending (child_id, since) VALUES (?, ?)",
            [(child_id, since) for child_id in ids],
        )


CATCH_UP_GROUP = 5000  # children per catch-up transaction (the writer lock is let go between)


@dataclass(frozen=True)
class CatchUp:
    applied: int  # children whose rows were derived again
    remaining: int  # children still pending afterwards


def pending_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(q_pending)).scalar() or 0)


def pending_span(conn: Connection) -> tuple[int, int] | None:
    """When the oldest and the newest pending marks were made (ms since the epoch), or None:
    nothing pending. The newest tells whether any server process ingested lately."""
    row = conn.execute(select(func.min(q_pending.c.since), func.max(q_pending.c.since))).first()
    return None if row is None or row[0] is None else (int(row[0]), int(row[1]))


def catch_up_in(conn: Connection, limit: int = CATCH_UP_GROUP) -> int:
    """Apply up to ``limit`` pending children in the caller's write transaction: their rows
    derived again (:func:`refresh`) and their marks deleted in the same transaction — a crash
    loses nothing and nothing is applied twice. Returns how many were applied."""
    ids = [
        row[0]
        for row in conn.execute(
            select(q_pending.c.child_id).order_by(q_pending.c.child_id).limit(limit)
        )
    ]
    if not ids:
        return 0
    refresh(conn, ids)
    for chunk in _chunks(ids):
        conn.execute(delete(q_pending).where(q_pending.c.child_id.in_(chunk)))
    return len(ids)


def catch_up(
    target: Engine | Connection,
    limit: int | None = None,
    *,
    group: int = CATCH_UP_GROUP,
    should_stop: Callable[[], bool] | None = None,
) -> CatchUp:
    """Bring the query tables up to the records: apply the pending children (all, or at most
    ``limit``). With an engine, in groups of ``group`` children, each in a write transaction of
    its own under the writer lock ingest takes (``db.write_transaction``: SQLite's writer file
    lock and BEGIN IMMEDIATE; PostgreSQL's advisory lock) — so it never runs beside an ingest,
    and two callers at once (threads, server processes) apply each child once: the second
    finds the first's marks gone. ``should_stop`` is asked between groups. With a connection,
    in the caller's write transaction, in one go."""
    if isinstance(target, Connection):
        applied = catch_up_in(target, limit if limit is not None else 2**62)
        return CatchUp(applied, pending_count(target))
    engine = target
    applied = 0
    with engine.connect() as conn:
        waiting = pending_count(conn)  # read without the writer lock: usually nothing
    while waiting and (limit is None or applied < limit):
        size = group if limit is None else min(group, limit - applied)
        with db.write_transaction(engine) as conn:
            done = catch_up_in(conn, size)
        applied += done
        if done < size or (should_stop is not None and should_stop()):
            break
    with engine.connect() as conn:
        remaining = pending_count(conn) if waiting else 0
    return CatchUp(applied, remaining)


def refresh(conn: Connection, child_ids: Iterable[str]) -> None:
    """Derive again every row of these children (inside the caller's transaction: the
    catch-up's), compared with the rows stored for them."""
    ids = sorted({c for c in child_ids if c})
    if not ids:
        return
    schedule = current_schedule(conn)
    pairs: set[tuple[str, str]] = set()
    counts = _Counts()
    written: list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]] = []
    dues: dict[tuple[Any, ...], Any] = {}
    for chunk in _chunks(ids):
        # the stored rows of these children, compared with the rows derived again: only
        # what differs is deleted and inserted (a new visit to a child with many visits
        # adds one row; the others' due dates depend only on earlier visits)
        stored = [
            {row[0]: tuple(row) for row in conn.execute(read.where(owner.in_(chunk)))}
            for read, owner in _READ_STORED
        ]
        derived = _derive(_facts(conn, chunk).values(), schedule, dues)
        (gone_children, children), (gone_visits, visits), (gone_changes, changes) = (
            _changed(old, new) for old, new in zip(stored, derived, strict=True)
        )
        for old in gone_children:
            facts, active, due = _counted_key(old)
            counts.add(facts, active, due, -1)
        for visit in gone_visits:
            pairs.add((visit[_V_VILLAGE], visit[_V_MONTH]))
            pairs.add((visit[_V_VILLAGE], visit[_V_DUE_MONTH]))
        for table, gone in (
            (q_children, gone_children),
            (q_visits, gone_visits),
            (q_level_changes, gone_changes),
        ):
            key = next(iter(table.primary_key.columns))
            for start in range(0, len(gone), CHUNK):
                part = [row[0] for row in gone[start : start + CHUNK]]
                conn.execute(delete(table).where(key.in_(part)))
        _insert(conn, q_children, CHILD_COLUMNS, children)
        _insert(conn, q_visits, VISIT_COLUMNS, visits)
        _insert(conn, q_level_changes, CHANGE_COLUMNS, changes)
        written.append((children, visits))
    for children, visits in written:
        # many new rows share their counted facts: each distinct set counted once
        tally = Counter(map(_counted_key, children))
        for (key, active, due), n in tally.items():
            counts.add(key, active, due, n)
        for visit in visits:
            pairs.add((visit[_V_VILLAGE], visit[_V_MONTH]))
            pairs.add((visit[_V_VILLAGE], visit[_V_DUE_MONTH]))
    _months(conn, pairs)
    counts.apply(conn)


# the stored rows of some children, in the column order _rows derives them
_READ_STORED = [
    (select(*(table.c[name] for name in columns)), table.c.child_id)
    for table, columns in (
        (q_children, CHILD_COLUMNS),
        (q_visits, VISIT_COLUMNS),
        (q_level_changes, CHANGE_COLUMNS),
    )
]
# positions in the rows _rows returns
_COUNTED_OF_ROW = itemgetter(*(CHILD_COLUMNS.index(n) for n in ("village_code", *_COUNTED)))
_ACTIVE_DUE = itemgetter(CHILD_COLUMNS.index("active"), CHILD_COLUMNS.index("next_due"))


def _counted_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A new row's counted facts, whether it is in use, and its next due date."""
    return (_COUNTED_OF_ROW(row), *_ACTIVE_DUE(row))


_V_VILLAGE = VISIT_COLUMNS.index("village_code")
_V_MONTH = VISIT_COLUMNS.index("month")
_V_DUE_MONTH = VISIT_COLUMNS.index("due_month")


class _Counts:
    """The changes one refresh makes to the counted tables (``q_village_counts``,
    ``q_due_days``, ``q_due_months``): each replaced child's old row counted −1, its new row
    +1, then applied to the stored counts — the touched villages' children are not read
    again. Gives the rows :func:`_village_counts` and :func:`_due_counts` count from scratch."""

    def __init__(self) -> None:
        self.facts: dict[tuple[Any, ...], int] = {}
        self.days: dict[tuple[str, str], int] = {}
        self.months: dict[tuple[str, str], int] = {}

    def add(self, key: tuple[Any, ...], active: Any, due: str | None, step: int) -> None:
        if not active:
            return
        key = (key[0], key[1], key[2], bool(key[3]), key[4], bool(key[5]))
        self.facts[key] = self.facts.get(key, 0) + step
        if due is not None:
            village = key[0]
            self.days[(village, due)] = self.days.get((village, due), 0) + step
            month = (village, due[:7])
            self.months[month] = self.months.get(month, 0) + step

    def apply(self, conn: Connection) -> None:
        facts = {k: n for k, n in self.facts.items() if n}
        if facts:
            self._apply_facts(conn, facts)
        for table, column, deltas in (
            (q_due_days, "due", self.days),
            (q_due_months, "month", self.months),
        ):
            changed = {k: n for k, n in deltas.items() if n}
            if changed:
                _apply_keyed(conn, table, column, changed)

    @staticmethod
    def _apply_facts(conn: Connection, deltas: dict[tuple[Any, ...], int]) -> None:
        """A village's fact rows are few (a row per combination of facts): the touched
        villages' rows are read, changed here and written again."""
        villages = {k[0] for k in deltas}
        for chunk in _chunks(villages, 200):
            stored: dict[tuple[Any, ...], int] = {}
            for row in conn.execute(_READ_VILLAGE_COUNTS, {"villages": chunk}):
                key = (row[0], row[1], row[2], bool(row[3]), row[4], bool(row[5]))
                stored[key] = stored.get(key, 0) + int(row[6])
            in_chunk = set(chunk)
            for key, step in deltas.items():
                if key[0] in in_chunk:
                    stored[key] = stored.get(key, 0) + step
            conn.execute(_DELETE_VILLAGE_COUNTS, {"villages": chunk})
            db.executemany_rows(
                conn,
                _INSERT_VILLAGE_COUNT,
                ("village_code", *_COUNTED, "children"),
                [(*k, n) for k, n in stored.items() if n > 0],
            )


def _apply_keyed(
    conn: Connection,
    table: Table,
    column: str,
    deltas: dict[tuple[str, str], int],
) -> None:
    """Add these changes to the (village, day or month) rows they name — one upsert for all
    (``ON CONFLICT … children + excluded.children``, SQLite and PostgreSQL) — then drop the
    rows of the touched villages that fell to zero."""
    upsert = _UPSERTS[(conn.dialect.name, table.name)]
    db.executemany_rows(
        conn,
        upsert,
        ("village_code", column, "children"),
        [(*k, n) for k, n in sorted(deltas.items())],
    )
    if any(n < 0 for n in deltas.values()):
        villages = sorted({k[0] for k, n in deltas.items() if n < 0})
        for start in range(0, len(villages), 200):
            conn.execute(
                delete(table).where(
                    table.c.village_code.in_(villages[start : start + 200]),
                    table.c.children <= 0,
                )
            )


def _upsert(dialect: str, table: Table, column: str) -> Any:
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=["village_code", column],
        set_={"children": table.c.children + statement.excluded.children},
    )


_INSERT_VILLAGE_COUNT = q_village_counts.insert()
# built once (ingest runs them every group)
_VILLAGES: Any = bindparam("villages", expanding=True)
_READ_VILLAGE_COUNTS = select(
    q_village_counts.c.village_code,
    *(q_village_counts.c[name] for name in _COUNTED),
    q_village_counts.c.children,
).where(q_village_counts.c.village_code.in_(_VILLAGES))
_DELETE_VILLAGE_COUNTS = delete(q_village_counts).where(
    q_village_counts.c.village_code.in_(_VILLAGES)
)
_UPSERTS = {
    (dialect, table.name): _upsert(dialect, table, column)
    for dialect in ("sqlite", "postgresql")
    for table, column in ((q_due_days, "due"), (q_due_months, "month"))
}


def _due_counts(conn: Connection, villages: set[str] | None) -> None:
    """Count again the active children of these villages (all for None) by next due date."""
    c = q_children.c
    month = func.substr(c.next_due, 1, 7)
    active = and_(c.active.is_(True), c.next_due.is_not(None))
    by_day = select(c.village_code, c.next_due, func.count()).where(active)
    by_month = select(c.village_code, month, func.count()).where(active)
    day_target = ["village_code", "due", "children"]
    month_target = ["village_code", "month", "children"]
    if villages is None:
        conn.execute(
            q_due_days.insert().from_select(day_target, by_day.group_by(c.village_code, c.next_due))
        )
        conn.execute(
            q_due_months.insert().from_select(
                month_target, by_month.group_by(c.village_code, month)
            )
        )
        return
    for chunk in _chunks(villages, 200):
        conn.execute(delete(q_due_days).where(q_due_days.c.village_code.in_(chunk)))
        conn.execute(delete(q_due_months).where(q_due_months.c.village_code.in_(chunk)))
        in_chunk = c.village_code.in_(chunk)
        conn.execute(
            q_due_days.insert().from_select(
                day_target, by_day.where(in_chunk).group_by(c.village_code, c.next_due)
            )
        )
        conn.execute(
            q_due_months.insert().from_select(
                month_target, by_month.where(in_chunk).group_by(c.village_code, month)
            )
        )


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
    """Every row again from the merged records; returns the number of children. Nothing is
    pending afterwards (a database older than migration 0007 has no ``q_pending`` yet)."""
    for table in TABLES:
        conn.execute(delete(table))
    if inspect(conn).has_table(q_pending.name):
        conn.execute(delete(q_pending))
    schedule = current_schedule(conn)
    ids = [
        row.record_id
        for row in conn.execute(
            select(_R.record_id).where(_R.record_type == "child", _R.deleted.is_(False))
        )
    ]
    dues: dict[tuple[Any, ...], Any] = {}
    for chunk in _chunks(ids, 2000):
        _write(conn, _facts(conn, chunk).values(), schedule, dues)
    _village_counts(conn, None)
    _due_counts(conn, None)
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
