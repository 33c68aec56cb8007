"""SQLite writers (sync/server/sqlite_writers.py): the WAL is copied back by the background
checkpointer (commits never do it), so it stays bounded; writers in two processes exclude each
other through the file lock and nothing is lost."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sync.server import db, sqlite_writers


def _write_blobs(url: str, prefix: str, count: int, size: int) -> None:
    engine = db.make_engine(url)
    for i in range(count):
        with db.write_transaction(engine) as conn:
            conn.execute(
                db.blobs.insert().values(
                    sha256=f"{prefix}{i:08d}".ljust(64, "0"),
                    size=size,
                    data=os.urandom(size),
                    device_id="0123456789abcdef",
                )
            )
    engine.dispose()


def test_the_wal_is_checkpointed_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writers, "CHECKPOINT_BYTES", 1024 * 1024)
    database = tmp_path / "district.db"
    url = f"sqlite:///{database}"
    engine = db.make_engine(url)
    db.migrate(engine)
    wal = Path(f"{database}-wal")
    largest = 0
    for i in range(40):  # 20 MB in all: without checkpoints the WAL would hold all of it
        with db.write_transaction(engine) as conn:
            conn.execute(
                db.blobs.insert().values(
                    sha256=f"{i:064d}",
                    size=512 * 1024,
                    data=os.urandom(512 * 1024),
                    device_id="0123456789abcdef",
                )
            )
        time.sleep(0.05)  # the checkpointer runs beside the writer
        largest = max(largest, wal.stat().st_size)
    assert largest < 8 * 1024 * 1024, largest
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.blobs)).scalar_one() == 40
    threads = [t for t in threading.enumerate() if t.name == "sqlite-checkpoint"]
    assert threads, "a checkpointer thread runs in this process"
    engine.dispose()


def test_two_processes_write_through_the_file_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'district.db'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_write_blobs, args=(url, prefix, 60, 4096)) for prefix in "ab"
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.blobs)).scalar_one() == 120
    assert Path(f"{tmp_path / 'district.db'}-writer.lock").exists()
    engine.dispose()
