"""Laptop-side sync benchmark (loopback only): the district server (uvicorn, SQLite) in this
process on a free port, real vaults, the real sync engine.

    python bench/device_sync.py [--children 200] [--revisions 1000]

Prints one JSON object:
- ``export_1000_revisions_ms``: build the batches for ``--revisions`` unsent revisions and write
  them to a folder (the USB export path: age encryption, atomic write, read back); target
  ≤ 1,000 ms.
- ``first_sync_200_children_ms``: a demo vault of ``--children`` children with their visits,
  assessments and cases (about a year of work) to an empty server — send, receipts, pull;
  target ≤ 10,000 ms. Plus ``lost`` and ``duplicates`` counted on the server afterwards.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.demo_caseload import fill_vault  # noqa: E402
from storage.vault import Vault  # noqa: E402
from sync.keys import KeyPair  # noqa: E402
from sync.laptop.engine import LaptopSync  # noqa: E402
from sync.server import db  # noqa: E402
from sync.server.district import District  # noqa: E402

VILLAGE = "500119104201"
PASSWORD = "benchmark-river-lantern-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--revisions", type=int, default=1000)
    args = parser.parse_args()

    import uvicorn

    from sync.server.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        keys = KeyPair.generate()
        engine = db.make_engine(f"sqlite:///{root / 'district.db'}")
        db.migrate(engine)
        district = District(engine, keys.public, keys)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(district), host="127.0.0.1", port=port, log_level="error")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        today = date(2026, 11, 1)

        def laptop(name: str) -> LaptopSync:
            vault = Vault.create(
                root / name, PASSWORD, director_name="王", village_code=VILLAGE, kdf_target_ms=0
            ).vault
            sync = LaptopSync(vault, author="王")
            sync.enroll_network(url, district.create_enroll_code([VILLAGE], 3600), label="bench")
            return sync

        # export: exactly --revisions unsent revisions
        exporter = laptop("export")
        for i in range(args.revisions - exporter.status().pending):
            exporter.vault.put("child", {"village_code": VILLAGE, "name": f"儿童{i}"}, author="王")
        stick = root / "stick"
        stick.mkdir()
        started = time.perf_counter()
        files = exporter.export_batches(stick)
        export_ms = (time.perf_counter() - started) * 1000
        exported = sum(len(b.revisions) for b in exporter.pending_batches())

        first = laptop("first")
        fill_vault(
            first.vault,
            children=args.children,
            seed=1,
            village_code=VILLAGE,
            today=today,
            author="王",
        )
        pending = first.status().pending
        started = time.perf_counter()
        report = first.sync_now()
        sync_ms = (time.perf_counter() - started) * 1000
        counts = district.counts()
        server.should_exit = True
        thread.join(timeout=20)
        for s in (exporter, first):
            s.vault.lock()
    print(
        json.dumps(
            {
                "export_revisions": exported,
                "export_files": len(files),
                "export_1000_revisions_ms": round(export_ms, 1),
                "children": args.children,
                "first_sync_revisions": pending,
                "first_sync_200_children_ms": round(sync_ms, 1),
                "accepted": report.accepted,
                "lost": pending - report.accepted,
                "duplicates": counts["revisions"] - counts["distinct_revisions"],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
