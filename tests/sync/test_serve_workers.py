"""``childdesk-district serve --workers 2`` as a real process tree: concurrent uploads through
both workers are stored once each (SQLite and PostgreSQL), a killed worker is replaced, and
SIGTERM stops everything; the console's modules are imported once, before the fork."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync.documents import read_receipt
from sync.keys import read_keystore, read_public_keys
from sync.server import db
from sync.server.district import District
from sync.wire import new_id
from tests.sync.conftest import VILLAGE_A, free_port, revision_item
from tests.sync.test_availability import TLS_CONTEXT
from tests.sync.test_district_cli import DISTRICT_ENV, PASSPHRASE
from tests.sync.test_district_cli import initialised as initialised

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, /proc")


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _wait(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_two_workers_store_every_batch_once_and_survive_a_killed_worker(
    initialised: Path,
    db_url: str,
    make_device: Any,
) -> None:
    data_dir = initialised
    keys = read_keystore(data_dir / "district-keys.json", PASSPHRASE)
    assert read_public_keys(data_dir / "district-keys.json") == keys.public
    engine = db.make_engine(db_url)
    db.migrate(engine)
    district = District(engine, keys.public, keys)
    devices = [make_device(district, [VILLAGE_A], f"w{i}") for i in range(4)]
    batches = [
        dev.batch(
            [
                revision_item(
                    dev,
                    record_id=new_id(),
                    record_type="child",
                    data={"village_code": VILLAGE_A, "name": f"儿童{n}"},
                    wall_ms=1_000 + n,
                )
                for n in range(20)
            ]
        )
        for dev in devices
        for _ in range(5)
    ]
    port = free_port()
    exe = Path(sys.executable).with_name("childdesk-district")
    log = data_dir.parent / "serve.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [
                *(str(exe), "serve", "--workers", "2", "--port", str(port)),
                *("--passphrase-stdin", "--data-dir", str(data_dir), "--db", db_url),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            # every process of the tree logs each module it imports (-X importtime)
            env={**DISTRICT_ENV, "PYTHONPROFILEIMPORTTIME": "1"},
        )
    assert server.stdin is not None
    server.stdin.write(f"{PASSPHRASE}\n".encode())
    server.stdin.close()
    url = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"{url}/health", timeout=2, verify=TLS_CONTEXT).status_code == 200
            except httpx.HTTPError:
                return server.poll() is not None

        _wait(healthy, "the server did not start")
        assert server.poll() is None, log.read_text(errors="replace")[-5000:]
        _wait(lambda: len(_children(server.pid)) == 2, "two workers")
        first_workers = _children(server.pid)

        def upload(data: bytes) -> int:
            # a new client (new connections) per upload, without a CA bundle loaded for each
            with httpx.Client(timeout=60, verify=TLS_CONTEXT) as client:
                return client.post(f"{url}/api/v1/batches", content=data).status_code

        with ThreadPoolExecutor(10) as pool:
            assert list(pool.map(upload, batches)) == [200] * len(batches)
        counts = district.counts()
        assert counts["revisions"] == counts["distinct_revisions"] == 400

        victim = sorted(first_workers)[0]
        os.kill(victim, signal.SIGKILL)
        _wait(
            lambda: len(_children(server.pid)) == 2 and victim not in _children(server.pid),
            "the killed worker was not replaced",
        )
        with ThreadPoolExecutor(10) as pool:  # replays, through both workers: nothing new
            statuses = list(pool.map(upload, batches))
        assert statuses == [200] * len(batches)
        assert district.counts()["revisions"] == 400
        receipt = httpx.post(f"{url}/api/v1/batches", content=batches[0], timeout=60).content
        read_receipt(receipt, keys.public, device_id=devices[0].device_id)

        workers = _children(server.pid)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        for pid in workers:
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
        # The console's pages (and their template engine) were imported once, by the parent
        # before it forked: not again by each of the three workers it started (issue 15: ~0.3
        # CPU-s a worker). -X importtime logs a module once in each process that imports it.
        imported = [line.rsplit("|", 1)[-1].strip() for line in log.read_text().splitlines()]
        console = [n for n in imported if n.startswith(("sync.server.console.", "jinja2"))]
        assert "sync.server.console.web" in console
        assert sorted(console) == sorted(set(console)), sorted(console)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
        engine.dispose()
