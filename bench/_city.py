"""The city-scale district database the console benchmarks share (bench/console.py,
bench/console_export.py, bench/summary.py): the villages' codes, the generator that writes
app/demo_caseload's synthetic records straight into the district database's ``records`` (what
ingest leaves there; ingest itself is measured by bench/sync_load.py), a migrated database in a
temporary folder or a throw-away PostgreSQL, and the query tables rebuilt (``reindex``).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, insert

from app.demo_caseload import LEVEL_WEIGHTS, _case, _visit_dates, synthetic_child, synthetic_visit
from app.domain.schedule import load_schedule
from sync.server import db
from sync.server.console import query_tables
from sync.wire import canonical_json

TODAY = date(2026, 11, 1)
COUNTY = "500119"
RECORD_COLUMNS = tuple(c.name for c in db.records.columns)  # a merged record, in order
_INSERT_RECORD = db.records.insert()


def village_codes(towns: int, villages: int) -> list[str]:
    return [f"{COUNTY}{101 + t:03d}{201 + v:03d}" for t in range(towns) for v in range(villages)]


def record_row(
    seq: int,
    record_id: str,
    record_type: str,
    child_id: str | None,
    village: str | None,
    data: Any,
) -> tuple[Any, ...]:
    """A merged record's row (:data:`RECORD_COLUMNS`), the ``seq``-th written."""
    hlc = f"{1_780_000_000_000 + seq:013d}-000000-bench00000000000"
    return (
        record_id,
        record_type,
        child_id,
        village,
        None,
        seq,
        hlc,
        False,
        canonical_json(data).decode(),
        "",
        seq,
    )


def insert_records(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    with engine.begin() as conn:
        db.executemany_rows(conn, _INSERT_RECORD, RECORD_COLUMNS, rows)


def add_size_arguments(
    parser: argparse.ArgumentParser, *, children: int, towns: int, villages: int
) -> None:
    """--children, --towns, --villages (per town) and --seed, with these defaults."""
    parser.add_argument("--children", type=int, default=children)
    parser.add_argument("--towns", type=int, default=towns)
    parser.add_argument("--villages", type=int, default=villages, help="per town")
    parser.add_argument("--seed", type=int, default=1)


def fill(codes: list[str], children: int, village: Callable[[str, int], None]) -> float:
    """``village(code, n)`` for every village, ``children`` spread evenly; the seconds taken."""
    began = time.perf_counter()
    per_village, extra = divmod(children, len(codes))
    for index, code in enumerate(codes):
        village(code, per_village + (1 if index < extra else 0))
    return time.perf_counter() - began


def reindex(engine: Engine) -> float:
    """The query tables rebuilt (the seconds taken), then PostgreSQL's statistics gathered."""
    began = time.perf_counter()
    with db.write_transaction(engine) as conn:
        query_tables.rebuild(conn)
    seconds = time.perf_counter() - began
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return seconds


def vacuum_analyze(engine: Engine) -> None:
    """PostgreSQL: VACUUM ANALYZE (an existing database measured again); nothing on SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


class Writer(Protocol):
    """Writes a village's records (:meth:`village`) and counts what it wrote."""

    counts: dict[str, int]

    def village(self, code: str, children: int) -> None: ...


def build_and_measure(
    args: argparse.Namespace,
    prefix: str,
    writer: Callable[[Engine], Writer],
    measure: Callable[[Engine, list[str]], dict[str, Any]],
) -> dict[str, Any]:
    """A city database of ``args``' size (``--postgres``: on PostgreSQL) filled by ``writer``,
    reindexed, measured by ``measure(engine, village codes)``, then removed: the figures, after
    the database's kind, the counts written, generate_s and reindex_s."""
    with city_database(args.postgres, prefix) as engine:
        codes = village_codes(args.towns, args.villages)
        filler = writer(engine)
        print(f"generating {args.children} children …", file=sys.stderr, flush=True)
        generate_s = fill(codes, args.children, filler.village)
        reindex_s = reindex(engine)
        print(f"generated {generate_s:.0f} s, reindexed {reindex_s:.0f} s", file=sys.stderr)
        return {
            "database": engine.dialect.name,
            **filler.counts,
            "towns": args.towns,
            "villages": len(codes),
            "generate_s": round(generate_s, 1),
            "reindex_s": round(reindex_s, 1),
            **measure(engine, codes),
        }


@contextmanager
def city_database(postgres: bool, prefix: str) -> Iterator[Engine]:
    """A migrated, empty district database — SQLite in a temporary folder, or with
    ``postgres`` a throw-away PostgreSQL cluster — removed afterwards (hundreds of MB at full
    size)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    pg = None
    try:
        if postgres:
            from tests.sync.conftest import PostgresServer

            pg = PostgresServer()
            url = pg.url
        else:
            url = f"sqlite:///{work / 'district.db'}"
        engine = db.make_engine(url)
        try:
            db.migrate(engine)
            yield engine
        finally:
            engine.dispose()
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)


class Generator:
    """Writes a village's merged records: its director profile, ``synthetic_child`` files, each
    child's finished assessments (some 降码), a year of visits at the schedule's pace, cases for
    orange/red, and one enrolled device."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.schedule = load_schedule()
        self.seq = 0
        self.counts = {"children": 0, "visits": 0, "assessments": 0, "cases": 0}
        self.ids: list[str] = []  # ID numbers already used (a few are filed twice)

    def _id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _row(
        self, record_id: str, record_type: str, child_id: str | None, village: str | None, data: Any
    ) -> tuple[Any, ...]:
        self.seq += 1
        return record_row(self.seq, record_id, record_type, child_id, village, data)

    def village(self, code: str, children: int) -> None:
        rng = self.rng
        rows: list[tuple[Any, ...]] = [
            self._row(
                self._id(),
                "director_profile",
                None,
                code,
                {"name": "儿童主任", "village_code": code},
            )
        ]
        levels = list(LEVEL_WEIGHTS)
        weights = [LEVEL_WEIGHTS[lv] for lv in levels]
        for _ in range(children):
            level = rng.choices(levels, weights)[0]
            child = synthetic_child(rng, code, TODAY, level)
            data = child.to_json()
            if self.ids and rng.random() < 0.005:
                data["id_number"] = rng.choice(self.ids)  # filed in two villages
            elif data.get("id_number"):
                self.ids.append(data["id_number"])
            child_id = self._id()
            rows.append(self._row(child_id, "child", child_id, code, data))
            sequence = [level]
            worse = {"green": "yellow", "yellow": "orange", "orange": "red"}.get(level)
            if worse and rng.random() < 0.25:
                sequence.insert(0, worse)
            opened = child.opened_on or TODAY
            span = max(1, (TODAY - opened).days)
            for index, lv in enumerate(sequence):
                finished = opened + timedelta(days=span * (index + 1) // (len(sequence) + 1))
                assessment = {
                    "child_id": child_id,
                    # what a laptop's assessment carries (the year-end summary's Python count
                    # reads it as Assessment.from_json does)
                    "definition_id": "guardianship",
                    "definition_version": "1",
                    "status": "finished",
                    "started_on": finished.isoformat(),
                    "finished_on": finished.isoformat(),
                    "result": {"level": lv, "assessed_on": finished.isoformat()},
                    "assessors": ["儿童主任", "镇儿童督导员"],
                }
                rows.append(self._row(self._id(), "assessment", child_id, None, assessment))
            for on, next_on in _visit_dates(rng, child, level, self.schedule, TODAY):
                visit = synthetic_visit(rng, child_id, on, next_on).to_json()
                rows.append(self._row(self._id(), "visit", child_id, None, visit))
                self.counts["visits"] += 1
            if level in ("orange", "red") and rng.random() < 0.7:
                case = _case(rng, child_id, level, TODAY).to_json()
                rows.append(self._row(self._id(), "case", child_id, None, case))
                self.counts["cases"] += 1
            self.counts["children"] += 1
            self.counts["assessments"] += len(sequence)
        last = (TODAY - timedelta(days=rng.randrange(0, 60))).isoformat() + "T08:00:00Z"
        device = {
            "device_id": f"{rng.getrandbits(64):016x}",
            "label": f"{code[-3:]}村笔记本",
            "villages": json.dumps([code]),
            "signing_public": b"\0" * 32,
            "age_recipient": "",
            "request_sha256": "0" * 64,
            "enrollment": b"",
            "enrolled_at": "2026-01-01T00:00:00Z",
            "revoked_at": None,
            "last_contact": last,
            "last_sequence": 0,
            "reported_cursor": "",
        }
        with self.engine.begin() as conn:
            db.executemany_rows(conn, _INSERT_RECORD, RECORD_COLUMNS, rows)
            conn.execute(insert(db.devices), [device])
