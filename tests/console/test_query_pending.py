"""The console's query tables off the ingest's critical path (issue 16): ingest and
corrections only mark the touched children pending (``q_pending``); ``query_tables.catch_up``
applies them in a transaction of its own — equal to a rebuild afterwards, nothing lost when the
server dies in between, each child applied once when two catch up at once (PostgreSQL) — and the
console catches up by itself: before every page (read-your-writes, with a notice when more is
pending than a page applies) and in the background of a serving server once ingest is idle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.demo_caseload import fill_vault
from sync.keys import read_public_keys
from sync.laptop.engine import LaptopSync
from sync.server import db
from sync.server.console import query_tables as qt
from sync.server.district import District
from tests.conftest import VaultCopies
from tests.console.conftest import _district_folder
from tests.console.site import Site
from tests.console.test_query_tables import TODAY, caught_up, ingest_all, rebuilt, snapshot
from tests.sync.conftest import (
    VILLAGE_A,
    VILLAGE_C,
    free_port,
)
from tests.sync.test_availability import TLS_CONTEXT, Serving, _wait
from tests.sync.test_district_cli import DISTRICT_ENV, PASSPHRASE

NOTICE = "数据更新中：另有 {} 名儿童的变更正在汇总"


def pending(engine: Any) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(select(qt.q_pending.c.child_id))}


def children_rows(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(qt.q_children)).scalar_one())


def test_ingest_marks_children_pending_and_catch_up_applies_them(
    district: District, make_device: Any
) -> None:
    a = make_device(district, [VILLAGE_A], "a")
    c = make_device(district, [VILLAGE_C], "c")
    fill_vault(a.vault, children=6, seed=5, village_code=VILLAGE_A, today=TODAY, author="王")
    fill_vault(c.vault, children=4, seed=6, village_code=VILLAGE_C, today=TODAY, author="李")
    ingest_all(district, a, max_revisions=9)
    ingest_all(district, c, max_revisions=9)
    ids = {r.record_id for d in (a, c) for r in d.vault.load("child").revisions}
    assert pending(district.engine) == ids  # marked in the ingest's transactions...
    assert children_rows(district.engine) == 0  # ...and nothing derived there

    # applied in groups of 3 children, each in a write transaction of its own
    done = qt.catch_up(district.engine, group=3)
    assert (done.applied, done.remaining) == (10, 0)
    assert pending(district.engine) == set()
    assert children_rows(district.engine) == 10
    assert snapshot(district) == rebuilt(district)

    # a correction (the district's own revision) marks its child too: a visit moves the due date
    child = a.vault.load("child").revisions[0]
    with district.engine.connect() as conn:
        due_before = conn.execute(
            select(qt.q_children.c.next_due).where(qt.q_children.c.child_id == child.record_id)
        ).scalar_one()
    district.write_revision(
        record_type="visit",
        data={"child_id": child.record_id, "on": TODAY.isoformat(), "next_visit_on": "2026-11-08"},
        author="区民政局",
    )
    assert pending(district.engine) == {child.record_id}
    assert qt.catch_up(district.engine, limit=1).applied == 1
    with district.engine.connect() as conn:
        due_after = conn.execute(
            select(qt.q_children.c.next_due).where(qt.q_children.c.child_id == child.record_id)
        ).scalar_one()
    assert due_after == "2026-11-08" != due_before
    assert snapshot(district) == rebuilt(district)

    # a rebuild (reindex) leaves nothing pending
    vault = a.vault
    other = vault.load("child").revisions[1]
    vault.put("child", {**other.data, "status": "archived"}, author="王", record_id=other.record_id)
    ingest_all(district, a)
    assert pending(district.engine) == {other.record_id}
    rebuilt(district)
    assert pending(district.engine) == set()
    assert qt.catch_up(district.engine).applied == 0


def test_two_catch_ups_at_once_apply_each_child_once(district: District, make_device: Any) -> None:
    """Two callers (threads here; server processes alike: both go through the writer lock)
    starting together, in groups of two: every child applied exactly once between them, and
    the counted tables equal a rebuild (a child applied twice would be counted twice)."""
    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=12, seed=7, village_code=VILLAGE_A, today=TODAY, author="王")
    ingest_all(district, a)
    assert len(pending(district.engine)) == 12
    start = threading.Barrier(2)
    applied: list[int] = []

    def one() -> None:
        start.wait()
        applied.append(qt.catch_up(district.engine, group=2).applied)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(applied) == 12 and len(applied) == 2
    assert pending(district.engine) == set()
    assert snapshot(district) == rebuilt(district)


# ----- a real server on loopback -------------------------------------------------------------


@contextmanager
def serve(data_dir: Path, port: int | None = None, **env: str) -> Iterator[Serving]:
    """``childdesk-district serve`` as a real process with these settings in its environment
    (tests/sync/test_availability.serving sets no others)."""
    port = port or free_port()
    log = data_dir.parent / f"serve-{port}-{time.monotonic_ns()}.log"
    exe = Path(sys.executable).with_name("childdesk-district")
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [
                *(str(exe), "serve", "--workers", "1", "--port", str(port)),
                *("--passphrase-stdin", "--data-dir", str(data_dir), "--console-insecure-cookie"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            env={**DISTRICT_ENV, **env},
        )
    assert process.stdin is not None
    process.stdin.write(f"{PASSPHRASE}\n".encode())
    process.stdin.close()
    running = Serving(process, f"http://127.0.0.1:{port}", port, log)

    def healthy() -> bool:
        import httpx

        assert process.poll() is None, running.log_text()
        try:
            return (
                httpx.get(f"{running.url}/health", timeout=2, verify=TLS_CONTEXT).status_code == 200
            )
        except httpx.HTTPError:
            return False

    try:
        _wait(healthy, "the server did not start", timeout=60)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


# the background catch-up kept out of the way: only the pages catch up
NO_BACKGROUND = {"CHILDDESK_CATCH_UP_IDLE_S": "3600", "CHILDDESK_CATCH_UP_MAX_LAG_S": "3600"}


@pytest.fixture
def laptops(vault_templates: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    copies = VaultCopies(vault_templates)  # type: ignore[arg-type]
    folder = tmp_path_factory.mktemp("laptops")

    def make(site_url: str, facade: District, name: str, village: str, n: int) -> LaptopSync:
        vault = copies.open(folder / name, village_code=village).vault
        fill_vault(vault, children=n, seed=n + 3, village_code=village, today=TODAY, author="王")
        laptop = LaptopSync(vault, author="王", sleep=lambda _s: None)
        laptop.enroll_network(site_url, facade.create_enroll_code([village], 3600), label=name)
        return laptop

    yield make
    copies.lock_all()


def test_pages_catch_up_before_reading_and_say_when_more_is_pending(
    tmp_path_factory: pytest.TempPathFactory, laptops: Any
) -> None:
    """With the background catch-up held back and a page applying at most 2 children: right
    after a sync over HTTP the register shows the new children without any call of ours; when
    more are pending than a page applies, the page says how many are still being summed."""
    data_dir = _district_folder(tmp_path_factory)
    with serve(data_dir, CHILDDESK_CONSOLE_CATCH_UP_CHILDREN="2", **NO_BACKGROUND) as running:
        site = Site(running, data_dir, db.make_engine(f"sqlite:///{data_dir / 'district.db'}"))
        try:
            facade = District(site.engine, read_public_keys(data_dir / "district-keys.json"), None)
            client = site.sign_in(site.add("区民政局-汇总", "district"))
            small = laptops(running.url, facade, "small", VILLAGE_C, 2)
            assert small.sync_now().rejected == 0
            ids = {r.record_id for r in small.vault.load("child").revisions}
            assert pending(site.engine) == ids  # the sync left them pending
            register = client.get("/console/children?per_page=200").text
            assert all(child_id in register for child_id in ids)
            assert "数据更新中" not in register
            assert pending(site.engine) == set()

            big = laptops(running.url, facade, "big", VILLAGE_A, 5)
            assert big.sync_now().rejected == 0
            assert len(pending(site.engine)) == 5
            for left in (3, 1):
                page = client.get("/console/overview")
                assert page.status_code == 200
                assert NOTICE.format(left) in page.text
            register = client.get("/console/children?per_page=200").text
            assert "数据更新中" not in register
            assert all(r.record_id in register for r in big.vault.load("child").revisions)
            assert pending(site.engine) == set()
            assert children_rows(site.engine) == 7
        finally:
            site.engine.dispose()


def test_a_serving_server_catches_up_by_itself_and_after_being_killed(
    tmp_path_factory: pytest.TempPathFactory, laptops: Any
) -> None:
    """The server killed (SIGKILL) after the sync's commit and before any catch-up loses
    nothing: the marks are in the database, and the server started again applies them once
    ingest has been idle for a while — no page asked for, no command run. The tables then
    equal a rebuild."""
    data_dir = _district_folder(tmp_path_factory)
    engine = db.make_engine(f"sqlite:///{data_dir / 'district.db'}")
    facade = District(engine, read_public_keys(data_dir / "district-keys.json"), None)
    try:
        with serve(data_dir, **NO_BACKGROUND) as running:
            laptop = laptops(running.url, facade, "a", VILLAGE_A, 6)
            assert laptop.sync_now().rejected == 0  # the receipts: committed
            os.kill(running.process.pid, signal.SIGKILL)
            running.process.wait(timeout=30)
        ids = {r.record_id for r in laptop.vault.load("child").revisions}
        assert pending(engine) == ids
        assert children_rows(engine) == 0

        # started again on the same address (the laptop's server)
        with serve(data_dir, running.port, CHILDDESK_CATCH_UP_IDLE_S="0.5") as running:
            _wait(lambda: not pending(engine), "the restarted server did not catch up", 90)
            assert children_rows(engine) == 6
            # and a later sync is applied by the idle catch-up as well
            child = laptop.vault.load("child").revisions[0]
            laptop.vault.put(
                "visit",
                {"child_id": child.record_id, "on": TODAY.isoformat(), "next_visit_on": None},
                author="王",
            )
            assert laptop.sync_now().rejected == 0
            _wait(lambda: not pending(engine), "the idle catch-up did not run", 90)
            facade_snapshot = snapshot(facade)
            assert facade_snapshot == rebuilt(facade)
            assert "console catch-up failed" not in running.log_text()
    finally:
        engine.dispose()


def test_caught_up_helper_is_the_pages_path(district: District, make_device: Any) -> None:
    """The tests' ``caught_up`` is the pages' own catch-up (catch_up_for_reading): with a cap
    below what is pending it reports the rest, as the page's notice does."""
    from sync.server.console.catch_up import catch_up_for_reading

    a = make_device(district, [VILLAGE_A], "a")
    fill_vault(a.vault, children=5, seed=2, village_code=VILLAGE_A, today=TODAY, author="王")
    ingest_all(district, a)
    assert catch_up_for_reading(district.engine, 2) == 3
    assert catch_up_for_reading(district.engine, 2) == 1
    caught_up(district)
    assert catch_up_for_reading(district.engine, 2) == 0
    assert children_rows(district.engine) == 5
