"""District console benchmark: a city-scale district database and the console's queries.

    python bench/console.py [--children 300000] [--towns 40] [--villages 30] [--postgres]
    python bench/console.py --small          # a few hundred children (the smoke test)

The generator reuses app/demo_caseload (synthetic children, a year of visits at the schedule's
pace, assessments with some 降码, cases for orange/red) and writes the merged records straight
into the district database's ``records`` (what ingest leaves there; ingest itself is measured
by bench/sync_load.py), plus one device and one director profile per village. Then it times
``reindex`` (query_tables.rebuild) and the console's queries with a town user and a district
user, and prints one JSON object: reindex_s, overview_p95_ms (district) and
overview_town_p95_ms, register_filter_p95_ms (village + level + overdue), pinyin_search_p95_ms,
child_page_p95_ms, villages_p95_ms, export_s and export_peak_mb (the whole register as .xlsx,
peak traced Python memory), children_export_s and children_export_peak_mb (the 登记表 export
of the whole district: every child file decoded and written in the laptop's register layout;
children_decode_s is the reading and decoding alone). Assessments carry their result, not the
questionnaire answers.
Targets on 2 cores with PostgreSQL: overview ≤ 500 ms, register and search ≤ 300 ms, child page
≤ 200 ms, export of 300,000 rows ≤ 60 s in ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, select  # noqa: E402

from app.demo_caseload import (  # noqa: E402
    LEVEL_WEIGHTS,
    _case,
    _visit_dates,
    synthetic_child,
    synthetic_visit,
)
from app.domain.schedule import load_schedule  # noqa: E402
from sync.server import db  # noqa: E402
from sync.server.console import queries as q  # noqa: E402
from sync.server.console import queries_child as qc  # noqa: E402
from sync.server.console import queries_export as qx  # noqa: E402
from sync.server.console import queries_overview as qo  # noqa: E402
from sync.server.console import query_tables  # noqa: E402
from sync.server.console.scope import Scope  # noqa: E402
from sync.wire import canonical_json  # noqa: E402

TODAY = date(2026, 11, 1)
COUNTY = "500119"
_RECORD_COLUMNS = (
    "record_id",
    "record_type",
    "child_id",
    "village_code",
    "transfer_to",
    "scope_seq",
    "head_hlc",
    "deleted",
    "data",
    "fields",
    "updated_seq",
)
_INSERT_RECORD = db.records.insert()


def village_codes(towns: int, villages: int) -> list[str]:
    return [f"{COUNTY}{101 + t:03d}{201 + v:03d}" for t in range(towns) for v in range(villages)]


class Generator:
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
        hlc = f"{1_780_000_000_000 + self.seq:013d}-000000-bench00000000000"
        return (
            record_id,
            record_type,
            child_id,
            village,
            None,
            self.seq,
            hlc,
            False,
            canonical_json(data).decode(),
            "",
            self.seq,
        )

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
            db.executemany_rows(conn, _INSERT_RECORD, _RECORD_COLUMNS, rows)
            conn.execute(insert(db.devices), [device])


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1)


def timed(samples: list[float], fn: Any, *args: Any) -> Any:
    start = time.perf_counter()
    result = fn(*args)
    samples.append(time.perf_counter() - start)
    return result


def measure(engine: Engine, codes: list[str], samples: int, rng: random.Random) -> dict[str, Any]:
    district = Scope("district", (), 1)
    towns = sorted({c[:9] for c in codes})
    start, end = TODAY - timedelta(days=365), TODAY
    figures: dict[str, list[float]] = {
        k: [] for k in ("overview", "overview_town", "register", "search", "child", "villages")
    }
    with engine.connect() as conn:
        child_ids = [r[0] for r in conn.execute(select(query_tables.q_children.c.child_id))]
        initials = [
            r[0][:2]
            for r in conn.execute(select(query_tables.q_children.c.initials).limit(2000))
            if len(r[0]) >= 2
        ]
        for i in range(samples):
            town = Scope("town", (rng.choice(towns),), 2)
            timed(figures["overview"], qo.overview, conn, district, start, end, TODAY)
            timed(figures["overview_town"], qo.overview, conn, town, start, end, TODAY)
            village = rng.choice([c for c in codes if c.startswith(town.towns[0])])
            flt = q.parse_register_filter(
                {
                    "village": village,
                    "level": rng.choice(["yellow", "orange", "red"]),
                    "overdue": "1",
                }
            )
            timed(figures["register"], q.register, conn, town, flt, TODAY)
            who = district if i % 2 else town
            search = q.parse_register_filter({"q": rng.choice(initials)})
            timed(figures["search"], q.register, conn, who, search, TODAY)
            timed(figures["child"], qc.child_page, conn, district, rng.choice(child_ids))
            timed(figures["villages"], qc.villages, conn, town, TODAY)
        work_dir = qx.new_work_dir(qx.work_root(engine))
        path = work_dir / "register.xlsx"
        began = time.perf_counter()
        everyone = q.RegisterFilter()
        rows = qx.write_register(q.register_rows(conn, district, everyone, TODAY), path, work_dir)
        export_s = time.perf_counter() - began
        size = path.stat().st_size
        # again, traced (tracemalloc slows Python down: timed above without it)
        tracemalloc.start()
        qx.write_register(q.register_rows(conn, district, everyone, TODAY), path, work_dir)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        children = _children_export(conn, district, work_dir)
        qx.remove_work_dir(work_dir)
    return {
        "overview_p95_ms": p95(figures["overview"]),
        "overview_town_p95_ms": p95(figures["overview_town"]),
        "register_filter_p95_ms": p95(figures["register"]),
        "pinyin_search_p95_ms": p95(figures["search"]),
        "child_page_p95_ms": p95(figures["child"]),
        "villages_p95_ms": p95(figures["villages"]),
        "export_rows": rows,
        "export_s": round(export_s, 2),
        "export_peak_mb": round(peak / 2**20, 1),
        "export_file_mb": round(size / 2**20, 1),
        **children,
        "samples": samples,
    }


def _children_export(conn: Any, district: Scope, work_dir: Path) -> dict[str, Any]:
    """The 登记表 export of the whole district (the child files decoded and written in the
    laptop's register layout): untraced, the decoding alone, then traced for the peak."""
    path = work_dir / "children.xlsx"
    everyone = q.RegisterFilter()
    began = time.perf_counter()
    decoded = sum(1 for _ in qx.child_files(conn, district, everyone, TODAY))
    decode_s = time.perf_counter() - began
    began = time.perf_counter()
    rows = qx.write_child_files(qx.child_files(conn, district, everyone, TODAY), path, work_dir)
    export_s = time.perf_counter() - began
    size = path.stat().st_size
    tracemalloc.start()
    qx.write_child_files(qx.child_files(conn, district, everyone, TODAY), path, work_dir)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert decoded == rows
    return {
        "children_export_rows": rows,
        "children_export_s": round(export_s, 2),
        "children_decode_s": round(decode_s, 2),
        "children_export_peak_mb": round(peak / 2**20, 1),
        "children_export_file_mb": round(size / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=300_000)
    parser.add_argument("--towns", type=int, default=40)
    parser.add_argument("--villages", type=int, default=30, help="per town")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--postgres", action="store_true", help="start a temporary PostgreSQL")
    parser.add_argument("--small", action="store_true", help="4 towns × 3 villages, 240 children")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--measure-only", metavar="URL", help="time the queries of an existing bench database"
    )
    args = parser.parse_args()
    if args.measure_only:
        engine = db.make_engine(args.measure_only)
        with engine.connect() as conn:
            codes = sorted(r[0] for r in conn.execute(select(db.devices.c.villages)))
        codes = [json.loads(c)[0] for c in codes]
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE"
                )
        figures = measure(engine, codes, args.samples, random.Random(args.seed))
        print(json.dumps({"database": engine.dialect.name, "villages": len(codes), **figures}))
        return
    if args.small:
        args.children, args.towns, args.villages, args.samples = 240, 4, 3, 8
    work = Path(tempfile.mkdtemp(prefix="childdesk-console-bench-"))
    pg = None
    if args.postgres:
        from tests.sync.conftest import PostgresServer

        pg = PostgresServer()
        url = pg.url
    else:
        url = f"sqlite:///{work / 'district.db'}"
    try:
        engine = db.make_engine(url)
        db.migrate(engine)
        codes = village_codes(args.towns, args.villages)
        generator = Generator(engine, args.seed)
        began = time.perf_counter()
        per_village, extra = divmod(args.children, len(codes))
        for index, code in enumerate(codes):
            generator.village(code, per_village + (1 if index < extra else 0))
        generate_s = time.perf_counter() - began
        began = time.perf_counter()
        with db.write_transaction(engine) as conn:
            query_tables.rebuild(conn)
        reindex_s = time.perf_counter() - began
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        figures = measure(engine, codes, args.samples, random.Random(args.seed))
        engine.dispose()
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)  # the database (hundreds of MB at full size)
    result = {
        "database": "postgresql" if pg else "sqlite",
        **generator.counts,
        "towns": args.towns,
        "villages": len(codes),
        "generate_s": round(generate_s, 1),
        "reindex_s": round(reindex_s, 1),
        **figures,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
