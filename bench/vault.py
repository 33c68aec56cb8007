"""Vault benchmark: prints one JSON object.

Builds a vault with 10,000 child records (~1 KiB of JSON each) and 50,000 visits, then measures
key derivation, loading every child (compared with the same rows stored as plain JSON in plain
SQLite, read and parsed in the same run), saving one record, and attachment throughput.
Targets (issue: foundation and the encrypted vault): load_ratio_vs_plain <= 3.0,
save_p50_ms <= 30, attachment_mb_per_s >= 50.

    python bench/vault.py [--children N] [--visits N] [--out FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.demo_caseload import synthetic_child, synthetic_visit
from storage.crypto import derive_key
from storage.database import connect
from storage.gc_pause import gc_paused
from storage.keyslots import SLOT_PASSWORD
from storage.vault import Vault

PASSWORD = "benchmark-phrase-2026"
TODAY = date(2026, 11, 22)
TARGETS = {
    "load_ratio_vs_plain": ("<=", 3.0),
    "save_p50_ms": ("<=", 30.0),
    "attachment_mb_per_s": (">=", 50.0),
}


def child_of_about_1kib(rng: random.Random) -> dict[str, Any]:
    level = rng.choice(["green", "yellow", "orange", "red"])
    child = synthetic_child(rng, "500119104201", TODAY, level).to_json()
    size = len(json.dumps(child, ensure_ascii=False).encode())
    child["health"] = "身体健康，按时接种疫苗。" * max(0, (1024 - size) // 36)
    return child


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--visits", type=int, default=50_000)
    parser.add_argument("--attachment-mb", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(1)

    with tempfile.TemporaryDirectory(prefix="childdesk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        created = Vault.create(tmp / "vault", PASSWORD)  # calibrated for ~0.5 s on this machine
        vault = created.vault
        slot = vault.header.slot(SLOT_PASSWORD)
        assert slot is not None
        start = time.perf_counter()
        derive_key(PASSWORD.encode(), slot.kdf)
        kdf_ms = (time.perf_counter() - start) * 1000

        children = [child_of_about_1kib(rng) for _ in range(args.children)]
        child_json_bytes = statistics.mean(
            len(json.dumps(c, ensure_ascii=False).encode()) for c in children[:200]
        )
        start = time.perf_counter()
        ids: list[str] = []
        for batch in range(0, len(children), 1000):
            with vault.transaction():
                ids += [
                    vault.put("child", c, author="bench").record_id
                    for c in children[batch : batch + 1000]
                ]
        visits_done = 0
        while visits_done < args.visits:
            with vault.transaction():
                for _ in range(min(1000, args.visits - visits_done)):
                    vault.put(
                        "visit",
                        synthetic_visit(rng, rng.choice(ids), day := visit_on(rng), day).to_json(),
                        author="bench",
                    )
                    visits_done += 1
        build_s = time.perf_counter() - start

        # The same rows as plain JSON in plain SQLite, with the same pragmas.
        plain = connect(tmp / "plain.db")
        plain.execute(
            "CREATE TABLE rows (record_id TEXT, record_type TEXT, is_head INTEGER, body TEXT)"
        )
        plain.execute("CREATE INDEX heads ON rows (record_type) WHERE is_head = 1")
        plain.execute("BEGIN")
        plain.executemany(
            "INSERT INTO rows VALUES (?, 'child', 1, ?)",
            [(i, json.dumps(c, ensure_ascii=False)) for i, c in zip(ids, children, strict=True)],
        )
        plain.execute("COMMIT")

        vault_times, plain_times = [], []
        for _ in range(args.repeat):
            gc.collect()  # both sides start from the same collector state
            start = time.perf_counter()
            loaded = vault.load("child").revisions
            vault_times.append(time.perf_counter() - start)
            assert len(loaded) == args.children
            gc.collect()
            start = time.perf_counter()
            rows = plain.execute(
                "SELECT record_id, body FROM rows WHERE record_type = 'child' AND is_head = 1"
            ).fetchall()
            with gc_paused():  # the same bulk-decoding care as the vault's load
                parsed = [json.loads(body) for _rid, body in rows]
            plain_times.append(time.perf_counter() - start)
            assert len(parsed) == args.children
        plain.close()

        save_times = []
        for i in range(200):
            data = children[i]
            start = time.perf_counter()
            vault.put("child", data, author="bench", record_id=ids[i])
            save_times.append(time.perf_counter() - start)

        source = tmp / "scan.bin"
        with source.open("wb") as fh:
            for _ in range(args.attachment_mb):
                fh.write(os.urandom(1024 * 1024))
        start = time.perf_counter()
        with source.open("rb") as src:
            rec = vault.add_attachment(
                src,
                owner_id=ids[0],
                filename="scan.bin",
                mime="application/octet-stream",
                author="bench",
            )
        write_s = time.perf_counter() - start
        start = time.perf_counter()
        read_bytes = sum(len(chunk) for chunk in vault.read_attachment(rec.record_id))
        read_s = time.perf_counter() - start
        vault.lock()
        db_mb = (tmp / "vault" / "vault.db").stat().st_size / 1e6

    load_ms = median_ms(vault_times)
    plain_ms = median_ms(plain_times)
    result: dict[str, Any] = {
        "children": args.children,
        "visits": args.visits,
        "child_json_bytes": round(child_json_bytes),
        "build_s": round(build_s, 2),
        "vault_db_mb": round(db_mb, 1),
        "kdf_ms": round(kdf_ms, 1),
        "kdf_memory_mib": slot.kdf.memory_kib // 1024,
        "kdf_iterations": slot.kdf.iterations,
        "load_children_ms": load_ms,
        "load_plain_ms": plain_ms,
        "load_ratio_vs_plain": round(load_ms / plain_ms, 2),
        "save_p50_ms": median_ms(save_times),
        "save_p95_ms": round(sorted(save_times)[int(len(save_times) * 0.95)] * 1000, 3),
        "attachment_mb_per_s": round(args.attachment_mb * 1.048576 / write_s, 1),
        "attachment_read_mb_per_s": round(read_bytes / 1e6 / read_s, 1),
    }
    result["meets_targets"] = all(
        (result[k] <= v) if op == "<=" else (result[k] >= v) for k, (op, v) in TARGETS.items()
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


def visit_on(rng: random.Random) -> date:
    return TODAY - timedelta(days=rng.randrange(0, 720))


if __name__ == "__main__":
    main()
