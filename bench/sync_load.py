"""Sync load benchmark (loopback only): N simulated devices upload one batch of R revisions
each, concurrently, to a district server running as its own process.

    python bench/sync_load.py [--devices 200] [--revisions 100] [--postgres] [--compare [N]]

Prints one JSON object: revisions_per_s, p95_batch_ms, lost, duplicates (both counted on the
server's database afterwards), and the setup. The server runs as `childdesk-district serve` with
its default number of worker processes unless --workers is given. Targets: SQLite ≥ 1,000 rev/s
and p95 ≤ 2,000 ms; PostgreSQL ≥ 3,000 rev/s.

``--compare N`` measures what the console's query tables cost ingest (issue 16: at most 10 %):
N rounds, each the same load twice on fresh databases — once with the normal server and once
with a baseline server whose districts are built with ``District(..., query_tables=False)``
(the same program otherwise; this file launches it as ``--serve-baseline``) — alternating
which goes first, and prints both series, their medians and the drop in per cent. Ingest only
marks the touched children pending; the query tables are brought up afterwards by
``query_tables.catch_up`` (in the server: once ingest is idle). So that moved work is not
mistaken for removed work, each run with the tables also gives the catch-up of the load's
pending children: ``query_tables_catch_up_s`` (in-process: the call itself; HTTP: from the end
of the load until nothing is pending, including the server's 2 s idle wait) and
``query_tables_catch_up_cpu_s`` (the thread's, or the server processes' CPU meanwhile). With
``--in-process`` each run also gives ``hook_cpu_ms_per_1000_revisions``: the thread CPU spent
in the ingest's hook itself (``touched_ids`` + ``mark_pending``).

Why one long file: a benchmark runs standalone (``python bench/sync_load.py``); the load
generator, the baseline server it launches as ``--serve-baseline`` and the comparison belong to
one run and one command line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.crypto import KdfParams  # noqa: E402
from sync.documents import (  # noqa: E402
    build_batch_plaintext,
    build_enrollment_request,
    encrypt_batch,
    read_receipt,
)
from sync.keys import KeyPair, write_keystore  # noqa: E402
from sync.server import db  # noqa: E402
from sync.server.district import District  # noqa: E402
from sync.server.workers import default_workers  # noqa: E402

PASSPHRASE = "benchmark-operator-passphrase"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_data(rng: secrets.SystemRandom, village: str, i: int) -> dict[str, Any]:
    return {
        "name": f"演示儿童{i}",
        "gender": rng.choice(["male", "female"]),
        "birth_date": f"201{rng.randint(0, 9)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        "village_code": village,
        "address": f"{rng.randint(1, 8)}组{rng.randint(1, 99)}号",
        "school": "镇中心小学",
        "categories": ["left_behind"],
        "guardians": [{"relation": "grandmother", "name": "演示祖母", "phone": "13800000000"}],
        "notes": "演示数据 " + "情况良好，按时上学。" * 10,
        "demo": "演示数据",
    }


def prepare(
    district: District, devices: int, revisions: int, existing: int = 0
) -> list[tuple[str, bytes, Any]]:
    """One batch of ``revisions`` new children per device, each device its own village; with
    ``existing``, each village first gets that many children stored (ingested here, untimed,
    by another device of the village) — the measured batches then add to populated villages,
    as in a district in use."""
    if existing:
        for _device_id, data, _keys in prepare(district, devices, existing):
            district.ingest(data, via="network")
        district.catch_up()  # stored and in the query tables before the measured load
    rng = secrets.SystemRandom()
    prepared = []
    wall = int(time.time() * 1000)
    for d in range(devices):
        village = f"500119{d:06d}"
        keys = KeyPair.generate()
        device_id = secrets.token_hex(8)
        code = district.create_enroll_code([village], 3600)
        request = build_enrollment_request(code=code, device_id=device_id, keys=keys)
        district.enroll(request, source=f"bench-{d}")
        items = []
        for r in range(revisions):
            items.append(
                {
                    "kind": "revision",
                    "record_id": secrets.token_hex(16),
                    "record_type": "child",
                    "revision": 1,
                    "hlc": f"{wall + r:013d}-000000-{device_id}",
                    "device_id": device_id,
                    "author": "演示",
                    "deleted": False,
                    "base_hlc": None,
                    "data": child_data(rng, village, r),
                }
            )
        plaintext = build_batch_plaintext(
            batch_id=secrets.token_hex(16),
            device_id=device_id,
            sequence=1,
            district_id=district.district_id,
            cursor="",
            items=items,
            signer=keys.signing,
        )
        prepared.append((device_id, encrypt_batch(plaintext, district.public), keys))
    return prepared


async def post(host: str, port: int, path: str, body: bytes) -> int:
    """One HTTP/1.1 POST on its own connection; returns the status code.

    The simulated devices share the machine with the server, so the load generator is kept
    lean (a real device runs its client on its own laptop): a plain asyncio connection
    instead of a full client library, which would take a third of the two cores here.
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("ascii")
            + body
        )
        await writer.drain()
        status_line = await reader.readline()
        headers = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)  # the signed receipt
        return int(status_line.split()[1])
    finally:
        writer.close()


async def upload(url: str, prepared: list[tuple[str, bytes, Any]]) -> tuple[list[float], int]:
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    failures = 0

    async def one(data: bytes) -> None:
        nonlocal failures
        start = time.perf_counter()
        for _attempt in range(3):  # a client retries a failed send with the same bytes
            try:
                status = await post(host, int(port), "/api/v1/batches", data)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                continue
            if status == 200:
                latencies.append((time.perf_counter() - start) * 1000)
                return
        failures += 1

    await asyncio.gather(*(one(data) for _d, data, _k in prepared))
    return latencies, failures


def serve_baseline(argv: list[str]) -> int:
    """``childdesk-district`` with every district built without the query-table hook
    (``serve`` imports ``District`` from its module when it runs: replaced there)."""
    import sync.server.district as district_module
    from sync import district_cli

    class Baseline(District):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("query_tables", False)
            super().__init__(*args, **kwargs)

    district_module.District = Baseline  # type: ignore[misc]
    return district_cli.main(argv)


def main() -> None:
    if sys.argv[1:2] == ["--serve-baseline"]:
        raise SystemExit(serve_baseline(sys.argv[2:]))
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--revisions", type=int, default=100)
    parser.add_argument(
        "--existing",
        type=int,
        default=0,
        help="children already stored in each village before the measured load (untimed)",
    )
    parser.add_argument("--postgres", action="store_true", help="start a temporary PostgreSQL")
    parser.add_argument(
        "--workers", type=int, default=None, help="server processes (default: the server's)"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="District.ingest from threads in this process instead of the HTTP server",
    )
    parser.add_argument(
        "--compare",
        type=int,
        nargs="?",
        const=3,
        default=0,
        metavar="ROUNDS",
        help="with vs without the console's query tables, ROUNDS times each (default 3)",
    )
    args = parser.parse_args()
    if not args.compare:
        print(json.dumps(run(args, query_tables=True)))
        return
    runs: dict[str, list[dict[str, Any]]] = {"with_query_tables": [], "without": []}
    if args.in_process:  # imports, dictionaries and caches loaded before anything is timed
        warm = argparse.Namespace(**{**vars(args), "devices": 5})
        run(warm, query_tables=True)
        run(warm, query_tables=False)
    for r in range(args.compare):
        order = [True, False] if r % 2 == 0 else [False, True]
        for with_tables in order:
            result = run(args, query_tables=with_tables)
            if not with_tables and result["query_table_children"]:
                raise SystemExit("the baseline server updated the query tables")
            runs["with_query_tables" if with_tables else "without"].append(result)
            print(json.dumps(result), file=sys.stderr)

    def median(key: str, which: str) -> float:
        values = sorted(x[key] for x in runs[which])
        return float(values[len(values) // 2])

    with_rate = median("revisions_per_s", "with_query_tables")
    without_rate = median("revisions_per_s", "without")
    with_cpu = median("server_cpu_ms_per_1000_revisions", "with_query_tables")
    without_cpu = median("server_cpu_ms_per_1000_revisions", "without")
    print(
        json.dumps(
            {
                "database": runs["without"][0]["database"],
                "devices": args.devices,
                "revisions_per_batch": args.revisions,
                "existing_children_per_village": args.existing,
                "rounds": args.compare,
                "revisions_per_s_with_query_tables": [
                    x["revisions_per_s"] for x in runs["with_query_tables"]
                ],
                "revisions_per_s_without": [x["revisions_per_s"] for x in runs["without"]],
                "p95_batch_ms_with_query_tables": [
                    x["p95_batch_ms"] for x in runs["with_query_tables"]
                ],
                "p95_batch_ms_without": [x["p95_batch_ms"] for x in runs["without"]],
                "server_cpu_ms_per_1000_revisions_with_query_tables": [
                    x["server_cpu_ms_per_1000_revisions"] for x in runs["with_query_tables"]
                ],
                "server_cpu_ms_per_1000_revisions_without": [
                    x["server_cpu_ms_per_1000_revisions"] for x in runs["without"]
                ],
                "hook_cpu_ms_per_1000_revisions": [
                    x["hook_cpu_ms_per_1000_revisions"] for x in runs["with_query_tables"]
                ],
                # the work moved out of ingest, done after the load (not removed)
                "query_tables_catch_up_s": [
                    x["query_tables_catch_up_s"] for x in runs["with_query_tables"]
                ],
                "query_tables_catch_up_cpu_s": [
                    x["query_tables_catch_up_cpu_s"] for x in runs["with_query_tables"]
                ],
                "catch_up_cpu_ms_per_1000_revisions": [
                    x["catch_up_cpu_ms_per_1000_revisions"] for x in runs["with_query_tables"]
                ],
                "median_server_cpu_ms_per_1000_revisions_with_query_tables": with_cpu,
                "median_server_cpu_ms_per_1000_revisions_without": without_cpu,
                "server_cpu_increase_percent": round(100 * (with_cpu / without_cpu - 1), 1),
                "median_revisions_per_s_with_query_tables": with_rate,
                "median_revisions_per_s_without": without_rate,
                "throughput_drop_percent": round(100 * (1 - with_rate / without_rate), 1),
                "lost": sum(x["lost"] for r in runs.values() for x in r),
                "duplicates": sum(x["duplicates"] for r in runs.values() for x in r),
                "failed_batches": sum(x["failed_batches"] for r in runs.values() for x in r),
            }
        )
    )


def run(args: argparse.Namespace, *, query_tables: bool) -> dict[str, Any]:
    """One load on a fresh database; the server with or without the query-table hook."""
    work = Path(tempfile.mkdtemp(prefix="childdesk-sync-bench-"))
    pg = None
    if args.postgres:
        from tests.sync.conftest import PostgresServer

        pg = PostgresServer()
        db_url = pg.url
    else:
        db_url = f"sqlite:///{work / 'district.db'}"
    keys = KeyPair.generate()
    floor = KdfParams(os.urandom(16), 65536, 3)
    write_keystore(work / "district-keys.json", keys, PASSPHRASE, kdf=floor)
    engine = db.make_engine(db_url)
    db.migrate(engine)
    district = District(engine, keys.public, keys)
    prepared = prepare(district, args.devices, args.revisions, args.existing)
    seeded = args.devices * args.existing

    hook_cpu = None
    catch_up: tuple[float, float] | None = None
    if args.in_process:
        with HookTimer() as hook:
            latencies, failures, elapsed, server_cpu = ingest_in_process(
                District(engine, keys.public, keys, query_tables=query_tables), prepared
            )
        hook_cpu = hook.seconds
        if query_tables:  # the pending children applied now, as the idle server would
            began, began_cpu = time.perf_counter(), time.thread_time()
            district.catch_up()
            catch_up = (time.perf_counter() - began, time.thread_time() - began_cpu)
    else:
        latencies, failures, elapsed, server_cpu, catch_up = serve_and_upload(
            args, work, db_url, prepared, query_tables=query_tables, engine=engine
        )

    expected = args.devices * args.revisions
    counts = district.counts()
    counts["distinct_revisions"] -= seeded  # the measured load's only
    counts["revisions"] -= seeded
    with engine.connect() as conn:
        from sqlalchemy import select

        receipts = [bytes(r[0]) for r in conn.execute(select(db.batches.c.receipt))]
    accepted = sum(
        len(read_receipt(r, keys.public, device_id=_device(r)).accepted) for r in receipts
    )
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan")
    result = {
        "database": "postgresql" if pg else "sqlite",
        "query_tables": query_tables,
        "in_process": bool(args.in_process),
        "devices": args.devices,
        "server_workers": args.workers or default_workers(),
        "revisions_per_batch": args.revisions,
        "existing_children_per_village": args.existing,
        "revisions_per_s": round(counts["distinct_revisions"] / elapsed, 1),
        "p95_batch_ms": round(p95, 1),
        "p50_batch_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "elapsed_s": round(elapsed, 2),
        # CPU seconds the server's processes spent on the upload: unlike the rate, hardly
        # affected by what else the machine runs
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_1000_revisions": round(
            1000 * server_cpu / max(1, counts["distinct_revisions"]) * 1000, 1
        ),
        # in-process: the thread CPU of the query-table hook itself (0 for the baseline)
        "hook_cpu_ms_per_1000_revisions": (
            round(1000 * hook_cpu / max(1, counts["distinct_revisions"]) * 1000, 1)
            if hook_cpu is not None
            else None
        ),
        # after the load: the query tables brought up to the records (moved, not removed)
        "query_tables_catch_up_s": round(catch_up[0], 2) if catch_up else None,
        "query_tables_catch_up_cpu_s": round(catch_up[1], 2) if catch_up else None,
        "catch_up_cpu_ms_per_1000_revisions": (
            round(1000 * catch_up[1] / max(1, counts["distinct_revisions"]) * 1000, 1)
            if catch_up
            else None
        ),
        "lost": expected - counts["distinct_revisions"],
        "duplicates": counts["revisions"] - counts["distinct_revisions"],
        "failed_batches": failures,
        "accepted_in_receipts": accepted - seeded,
    }
    from sqlalchemy import func, select

    from sync.server.console.query_tables import q_children

    with engine.connect() as conn:  # the hook's work: every child, or none for the baseline
        result["query_table_children"] = (
            conn.execute(select(func.count()).select_from(q_children)).scalar_one() - seeded
        )
    engine.dispose()
    if pg:
        pg.stop()
    shutil.rmtree(work, ignore_errors=True)
    return result


def serve_and_upload(
    args: argparse.Namespace,
    work: Path,
    db_url: str,
    prepared: list[tuple[str, bytes, Any]],
    *,
    query_tables: bool,
    engine: Any,
) -> tuple[list[float], int, float, float, tuple[float, float] | None]:
    """Start the server as its own process tree and upload every batch at once; returns the
    latencies, the failed batches, the elapsed seconds, the server's CPU seconds and (with the
    query tables) the seconds and server CPU until the server has caught up by itself."""
    port = free_port()
    exe = Path(sys.executable).with_name("childdesk-district")
    command = [str(exe)] if query_tables else [sys.executable, __file__, "--serve-baseline"]
    log_file = (work / "server.log").open("wb")
    server = subprocess.Popen(
        [
            *command,
            "serve",
            "--data-dir",
            str(work),
            "--db",
            db_url,
            "--port",
            str(port),
            "--passphrase-stdin",
            # every simulated device connects from 127.0.0.1; real ones come from their own
            # addresses (the default cap of 32 per address would refuse most of the load)
            "--max-connections-per-source",
            str(max(32, 2 * len(prepared))),
            *(["--workers", str(args.workers)] if args.workers else []),
        ],
        stdin=subprocess.PIPE,
        # a file, not a pipe nobody reads: a full pipe (64 KB of access and batch log lines)
        # blocks the server mid-load and batches time out
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    assert server.stdin is not None
    server.stdin.write(f"{PASSPHRASE}\n".encode())
    server.stdin.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                log_file.flush()
                tail = (work / "server.log").read_text(errors="replace")[-2000:]
                raise SystemExit(f"the server did not start:\n{tail}")
            time.sleep(0.1)
        cpu_before = tree_cpu_s(server.pid)
        start = time.perf_counter()
        latencies, failures = asyncio.run(upload(url, prepared))
        elapsed = time.perf_counter() - start
        server_cpu = tree_cpu_s(server.pid) - cpu_before
        catch_up = None
        if query_tables:  # the server's background catch-up, once ingest is idle
            from sync.server.console.query_tables import pending_count

            began = time.perf_counter()
            while True:
                with engine.connect() as conn:
                    if not pending_count(conn):
                        break
                if time.perf_counter() - began > 600:
                    raise SystemExit("the server did not catch up within 10 minutes")
                time.sleep(0.05)
            catch_up = (
                time.perf_counter() - began,
                tree_cpu_s(server.pid) - cpu_before - server_cpu,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log_file.close()
        if failures:  # what the server said about them
            lines = (work / "server.log").read_text(errors="replace").splitlines()
            problems = [x for x in lines if "200 OK" not in x and "accepted" not in x]
            print("\n".join(problems[-15:]), file=sys.stderr)
    return latencies, failures, elapsed, server_cpu, catch_up


def ingest_in_process(
    district: District, prepared: list[tuple[str, bytes, Any]]
) -> tuple[list[float], int, float, float]:
    """``District.ingest`` from 8 threads (the group commit forms groups as in the server), no
    HTTP: the same latencies and counts, and this process's CPU seconds."""
    from concurrent.futures import ThreadPoolExecutor

    def one(data: bytes) -> float:
        began = time.perf_counter()
        district.ingest(data, via="network")
        return (time.perf_counter() - began) * 1000

    cpu_before = time.process_time()
    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        latencies = list(pool.map(one, [data for _d, data, _k in prepared]))
    return latencies, 0, time.perf_counter() - start, time.process_time() - cpu_before


class HookTimer:
    """The thread CPU spent in the ingest's query-table hook (``touched_ids`` +
    ``mark_pending``, as ingest calls them through their module) while in use; in-process runs
    only."""

    def __init__(self) -> None:
        from sync.server.console import query_tables

        self.module = query_tables
        self.seconds = 0.0
        self.saved: dict[str, Any] = {}

    def __enter__(self) -> HookTimer:
        for name in ("touched_ids", "mark_pending"):
            original = self.saved[name] = getattr(self.module, name)
            setattr(self.module, name, self._timed(original))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self.saved.items():
            setattr(self.module, name, original)

    def _timed(self, original: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.thread_time() - began  # one writer at a time

        return timed


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children (Linux /proc; the server's
    pre-forked workers are its children)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's id
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _device(receipt: bytes) -> str:
    return str(json.loads(receipt.split(b"\n", 1)[0])["device_id"])


if __name__ == "__main__":
    main()
