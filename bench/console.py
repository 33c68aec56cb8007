"""District console benchmark: a city-scale district database and the console's queries.

    python bench/console.py [--children 300000] [--towns 40] [--villages 30] [--postgres]
    python bench/console.py --small          # a few hundred children (the smoke test)

bench/_city.py's generator reuses app/demo_caseload (synthetic children, a year of visits at
the schedule's pace, assessments with some 降码, cases for orange/red) and writes the merged
records straight into the district database's ``records`` (what ingest leaves there; ingest
itself is measured by bench/sync_load.py), plus one device and one director profile per
village. Then it times ``reindex`` (query_tables.rebuild) and the console's queries with a town
user and a district user, and prints one JSON object: reindex_s, overview_p95_ms (district) and
overview_town_p95_ms, register_filter_p95_ms (village + level + overdue), pinyin_search_p95_ms,
child_page_p95_ms, villages_p95_ms, export_s and export_peak_mb (the whole register as .xlsx,
peak traced Python memory), children_export_s and children_export_peak_mb (the 登记表 export of
the whole district: every child file decoded and written in the laptop's register layout;
children_decode_s is the reading and decoding alone), and the 活动 pages (a year of 12
activities per village with 3 small photos each, added on their own random stream):
activities_district_p95_ms and activities_town_p95_ms (the year's list), activity_page_p95_ms and
activity_photo_p95_ms. Assessments carry their result, not the questionnaire answers.
Targets on 2 cores with PostgreSQL: overview ≤ 500 ms, register and search ≤ 300 ms, child page
≤ 200 ms, export of 300,000 rows ≤ 60 s in ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _city import (  # noqa: E402
    TODAY,
    Generator,
    add_size_arguments,
    build_and_measure,
    insert_records,
    record_row,
    vacuum_analyze,
)
from sqlalchemy import Engine, insert, select  # noqa: E402

from app.domain.activity import Activity, ActivityKind  # noqa: E402
from sync.server import db  # noqa: E402
from sync.server.console import queries as q  # noqa: E402
from sync.server.console import queries_activities as qa  # noqa: E402
from sync.server.console import queries_child as qc  # noqa: E402
from sync.server.console import queries_export as qx  # noqa: E402
from sync.server.console import queries_overview as qo  # noqa: E402
from sync.server.console import query_tables  # noqa: E402
from sync.server.console.scope import Scope  # noqa: E402


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1)


def timed(samples: list[float], fn: Any, *args: Any) -> Any:
    start = time.perf_counter()
    result = fn(*args)
    samples.append(time.perf_counter() - start)
    return result


ACTIVITIES_PER_VILLAGE = 12  # a year's 关爱服务活动 (the demo's pace)
PHOTOS_PER_ACTIVITY = 3
PHOTO_BYTES = 2048  # small: the list and the page read records, not photos


def add_activities(engine: Engine, codes: list[str], seed: int) -> int:
    """A year of activities per village with their photos (attachment records held by the
    village, their bytes in ``blobs``), unless the database has some: what the 活动 pages read.
    Its own random stream, so the rest of the city is as before."""
    with engine.connect() as conn:
        if conn.execute(
            select(db.records.c.record_id).where(db.records.c.record_type == "activity").limit(1)
        ).first():
            return 0
    rng = random.Random(seed + 1)
    rows: list[tuple[Any, ...]] = []
    blobs: list[dict[str, Any]] = []
    seq = 10_000_000  # after the generator's own rows
    for code in codes:
        for number in range(ACTIVITIES_PER_VILLAGE):
            on = TODAY - timedelta(days=rng.randrange(0, 365))
            activity_id = f"{rng.getrandbits(128):032x}"
            data = Activity(on, ActivityKind.OTHER, f"关爱活动{number + 1}", code, others_count=8)
            seq += 1
            rows.append(record_row(seq, activity_id, "activity", None, code, data.to_json()))
            for photo in range(PHOTOS_PER_ACTIVITY):
                content = b"\xff\xd8\xff" + rng.randbytes(PHOTO_BYTES - 3)
                sha = hashlib.sha256(content).hexdigest()
                blobs.append(
                    {"sha256": sha, "size": len(content), "data": content, "device_id": "bench"}
                )
                attachment = {
                    "owner_id": activity_id,
                    "filename": f"现场{photo}.jpg",
                    "mime": "image/jpeg",
                    "size": len(content),
                    "sha256": sha,
                    "blob_id": f"{rng.getrandbits(128):032x}",
                }
                seq += 1
                rows.append(
                    record_row(
                        seq, f"{rng.getrandbits(128):032x}", "attachment", None, code, attachment
                    )
                )
    insert_records(engine, rows)
    with engine.begin() as conn:
        conn.execute(insert(db.blobs), blobs)
    return len(codes) * ACTIVITIES_PER_VILLAGE


def measure_activities(
    engine: Engine, codes: list[str], samples: int, rng: random.Random
) -> dict[str, Any]:
    """The 活动 pages: the year's list as the district and as a town, one activity's page and
    one of its photos (district user)."""
    district = Scope("district", (), 1)
    towns = sorted({c[:9] for c in codes})
    start, end = TODAY - timedelta(days=365), TODAY
    figures: dict[str, list[float]] = {k: [] for k in ("district", "town", "page", "photo")}
    with engine.connect() as conn:
        listed = qa.activity_list(conn, district, start, end)
        ids = [r.record_id for r in listed.rows]
        for _ in range(samples):
            town = Scope("town", (rng.choice(towns),), 2)
            timed(figures["district"], qa.activity_list, conn, district, start, end)
            timed(figures["town"], qa.activity_list, conn, town, start, end)
            page = timed(figures["page"], qa.activity_page, conn, district, rng.choice(ids))
            timed(
                figures["photo"],
                qa.activity_photo,
                conn,
                district,
                page.record_id,
                page.photos[0].sha256,
            )
    return {
        "activities_listed": len(listed.rows),
        "activities_district_p95_ms": p95(figures["district"]),
        "activities_town_p95_ms": p95(figures["town"]),
        "activity_page_p95_ms": p95(figures["page"]),
        "activity_photo_p95_ms": p95(figures["photo"]),
    }


def measure(engine: Engine, codes: list[str], samples: int, rng: random.Random) -> dict[str, Any]:
    added = add_activities(engine, codes, rng.randrange(1 << 30))
    activities = {"activities_added": added, **measure_activities(engine, codes, samples, rng)}
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
        everyone = q.RegisterFilter()
        register = _export(
            "export",
            work_dir / "register.xlsx",
            lambda path: qx.write_register(
                q.register_rows(conn, district, everyone, TODAY), path, work_dir
            ),
        )
        children = _children_export(conn, district, work_dir)
        qx.remove_work_dir(work_dir)
    return {
        "overview_p95_ms": p95(figures["overview"]),
        "overview_town_p95_ms": p95(figures["overview_town"]),
        "register_filter_p95_ms": p95(figures["register"]),
        "pinyin_search_p95_ms": p95(figures["search"]),
        "child_page_p95_ms": p95(figures["child"]),
        "villages_p95_ms": p95(figures["villages"]),
        **register,
        **children,
        **activities,
        "samples": samples,
    }


def _export(label: str, path: Path, write: Callable[[Path], int]) -> dict[str, Any]:
    """An export's rows, seconds, file size, and its peak traced Python memory when run again
    under tracemalloc (which slows Python down: timed without it)."""
    began = time.perf_counter()
    rows = write(path)
    seconds = time.perf_counter() - began
    size = path.stat().st_size
    tracemalloc.start()
    write(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        f"{label}_rows": rows,
        f"{label}_s": round(seconds, 2),
        f"{label}_peak_mb": round(peak / 2**20, 1),
        f"{label}_file_mb": round(size / 2**20, 1),
    }


def _children_export(conn: Any, district: Scope, work_dir: Path) -> dict[str, Any]:
    """The 登记表 export of the whole district (the child files decoded and written in the
    laptop's register layout), and the decoding alone."""
    everyone = q.RegisterFilter()
    began = time.perf_counter()
    decoded = sum(1 for _ in qx.child_files(conn, district, everyone, TODAY))
    decode_s = time.perf_counter() - began
    figures = _export(
        "children_export",
        work_dir / "children.xlsx",
        lambda path: qx.write_child_files(
            qx.child_files(conn, district, everyone, TODAY), path, work_dir
        ),
    )
    assert decoded == figures["children_export_rows"]
    return {**figures, "children_decode_s": round(decode_s, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    add_size_arguments(parser, children=300_000, towns=40, villages=30)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--postgres", action="store_true", help="start a temporary PostgreSQL")
    parser.add_argument("--small", action="store_true", help="4 towns × 3 villages, 240 children")
    parser.add_argument(
        "--measure-only", metavar="URL", help="time the queries of an existing bench database"
    )
    args = parser.parse_args()
    if args.measure_only:
        engine = db.make_engine(args.measure_only)
        with engine.connect() as conn:
            codes = sorted(r[0] for r in conn.execute(select(db.devices.c.villages)))
        codes = [json.loads(c)[0] for c in codes]
        vacuum_analyze(engine)
        figures = measure(engine, codes, args.samples, random.Random(args.seed))
        print(json.dumps({"database": engine.dialect.name, "villages": len(codes), **figures}))
        return
    if args.small:
        args.children, args.towns, args.villages, args.samples = 240, 4, 3, 8
    result = build_and_measure(
        args,
        "childdesk-console-bench-",
        lambda engine: Generator(engine, args.seed),
        lambda engine, codes: measure(engine, codes, args.samples, random.Random(args.seed)),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
