"""年度汇总 benchmark: the console's year-end summary of a town and of the district.

    python bench/summary.py [--children 30000] [--towns 4] [--villages 10] [--profile]

Fills a SQLite district database with bench/_city.py's generator (children, a year of
visits, assessments, cases), rebuilds the query tables, then times
``queries_summary.console_summary`` (the SQL count) for one town and for the whole district
(period: the year to TODAY) and prints one JSON object: summary_town_s, summary_district_s
(median of ``--samples`` runs) and the slowest run, the figures' due/done (so two runs can be
compared); ``--reference`` also times the Python count and says whether the figures are equal.
``--url`` fills (when empty) or reuses any database, e.g. PostgreSQL; ``--build-only`` fills it.
``--profile`` prints the cProfile top 25 (cumulative) of one district run to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _city import (  # noqa: E402
    TODAY,
    Generator,
    add_size_arguments,
    fill,
    reindex,
    vacuum_analyze,
    village_codes,
)
from sqlalchemy import Engine, select  # noqa: E402

from sync.server import db  # noqa: E402
from sync.server.console import query_tables  # noqa: E402
from sync.server.console.queries_summary import (  # noqa: E402
    console_summary,
    console_summary_python,
)
from sync.server.console.scope import Scope  # noqa: E402


def _has_children(engine: Engine) -> bool:
    from sqlalchemy import inspect

    if not inspect(engine).has_table("q_children"):
        return False
    with engine.connect() as conn:
        return conn.execute(select(query_tables.q_children.c.child_id).limit(1)).first() is not None


def main() -> None:
    parser = argparse.ArgumentParser()
    add_size_arguments(parser, children=30_000, towns=4, villages=10)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", metavar="DIR", help="keep (or reuse) the database in DIR")
    parser.add_argument(
        "--url", help="a database URL (e.g. PostgreSQL) to fill when empty, else reuse as it is"
    )
    parser.add_argument("--build-only", action="store_true", help="fill the database, no timing")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also time the Python count (console_summary_python) and check the figures equal",
    )
    parser.add_argument("--scopes", default="town,district", help="which scopes to time")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="childdesk-summary-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "district.db"
    engine = db.make_engine(args.url or f"sqlite:///{path}")
    reuse = path.exists() if not args.url else _has_children(engine)
    codes = village_codes(args.towns, args.villages)
    counts: dict[str, int] = {}
    try:
        if not reuse:
            db.migrate(engine)
            generator = Generator(engine, args.seed)
            fill(codes, args.children, generator.village)
            reindex(engine)
            counts = generator.counts
            vacuum_analyze(engine)
        if args.build_only:
            print(json.dumps({"database": engine.dialect.name, **counts}))
            return
        district = Scope("district", (), 1)
        town = Scope("town", (codes[0][:9],), 2)
        start = date(TODAY.year, 1, 1)
        out: dict[str, object] = {"database": engine.dialect.name, **counts, "villages": len(codes)}
        chosen = args.scopes.split(",")
        for label, scope in (("town", town), ("district", district)):
            if label not in chosen:
                continue
            samples = []
            figures = None
            for _ in range(args.samples):
                began = time.perf_counter()
                with engine.connect() as conn:
                    figures = console_summary(conn, scope, start, TODAY, TODAY)
                samples.append(time.perf_counter() - began)
            assert figures is not None
            s = figures.summary
            out[f"summary_{label}_s"] = round(statistics.median(samples), 3)
            out[f"summary_{label}_max_s"] = round(max(samples), 3)
            if args.reference:
                began = time.perf_counter()
                with engine.connect() as conn:
                    slow = console_summary_python(conn, scope, start, TODAY, TODAY)
                out[f"python_{label}_s"] = round(time.perf_counter() - began, 3)
                out[f"{label}_equal"] = slow.summary == s
            out[f"{label}_children_end"] = s.children_end
            out[f"{label}_due_done"] = [s.visits_due, s.visits_done, s.visits_overdue]
        if args.profile:
            profiler = cProfile.Profile()
            with engine.connect() as conn:
                profiler.runcall(console_summary, conn, district, start, TODAY, TODAY)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        print(json.dumps(out))
    finally:
        engine.dispose()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    random.seed(0)
    main()
