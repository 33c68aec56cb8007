"""District server fixtures: keys, a database per test (SQLite, and PostgreSQL on a real server
this suite starts itself), enrolled devices with real vaults, and helpers to build batches.

For speed: PostgreSQL is started once per session; a test that gets a ``district`` (which
migrates its database at once anyway) starts from the migrated schema with every table
emptied and its sequences restarted (``_MigratedPostgres.fresh``; test_postgres_fixture.py)
instead of a dropped and re-migrated schema, unless the
previous test changed the schema itself (then it is dropped as before); a test that asks for
``db_url`` alone still gets an empty schema. On SQLite, a ``district`` (and ``sqlite_district``)
starts from a copy of a database file migrated once per session; ``db_url`` alone is a path
with no file yet. Laptop vaults are copies of session templates (tests/conftest.py)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storage.vault import Vault
from sync.documents import Enrollment, build_batch_plaintext, encrypt_batch
from sync.keys import KeyPair
from sync.server import db
from sync.server.district import District
from sync.wire import new_id
from tests.conftest import VaultCopies
from tests.postgres_cluster import (  # helpers only: the fixtures are the root conftest's
    PostgresServer,
    _MigratedPostgres,
    free_port,
    reset_postgres,
)
from tests.sync import laptop_device as device_side

VILLAGE_A = "500119104201"
VILLAGE_B = "500119104202"
VILLAGE_C = "500119105301"


@pytest.fixture(scope="session")
def district_keys() -> KeyPair:
    return KeyPair.generate()


_SQLITE_TEMPLATE: list[Path] = []  # the session's migrated district database file


def migrated_sqlite_url(request: pytest.FixtureRequest, folder: Path) -> str:
    """A copy, in ``folder``, of a district database file as a new migration leaves it (made
    once per session): a test's district starts from it instead of migrating its own."""
    if not _SQLITE_TEMPLATE:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        made = factory.mktemp("district-template") / "district.db"
        engine = db.make_engine(f"sqlite:///{made}")
        db.migrate(engine)
        engine.dispose()
        conn = sqlite3.connect(made)  # everything in the main file: a plain copy is whole
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{made}{suffix}").unlink(missing_ok=True)
        _SQLITE_TEMPLATE.append(made)
    target = folder / "district.db"
    shutil.copyfile(_SQLITE_TEMPLATE[0], target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        if "district" in request.fixturenames:  # migrated right away by the district fixture
            return migrated_sqlite_url(request, tmp_path)
        return f"sqlite:///{tmp_path / 'district.db'}"
    if "district" in request.fixturenames:  # migrated right away by the district fixture
        migrated: _MigratedPostgres = request.getfixturevalue("_migrated_postgres")
        migrated.fresh()
        return migrated.url
    server: PostgresServer = request.getfixturevalue("pg_server")
    reset_postgres(server.url)
    return server.url


def make_district(url: str, keys: KeyPair) -> District:
    engine = db.make_engine(url)
    db.migrate(engine)
    return District(engine, keys.public, keys)


@pytest.fixture
def district(db_url: str, district_keys: KeyPair) -> Iterator[District]:
    d = make_district(db_url, district_keys)
    yield d
    d.engine.dispose()


@pytest.fixture
def sqlite_district(
    request: pytest.FixtureRequest, tmp_path: Path, district_keys: KeyPair
) -> Iterator[District]:
    d = make_district(migrated_sqlite_url(request, tmp_path), district_keys)
    yield d
    d.engine.dispose()


@dataclass
class Device:
    vault: Vault
    keys: KeyPair
    enrollment: Enrollment
    sequence: int = 0

    @property
    def device_id(self) -> str:
        return self.vault.device_id

    def batch(
        self,
        items: list[dict[str, Any]],
        *,
        batch_id: str | None = None,
        sequence: int | None = None,
        signer: KeyPair | None = None,
        district_id: str | None = None,
    ) -> bytes:
        """A batch file from raw items (for tests that need exact control)."""
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence + 1000
        plaintext = build_batch_plaintext(
            batch_id=batch_id or new_id(),
            device_id=self.device_id,
            sequence=sequence,
            district_id=district_id or self.enrollment.district_id,
            cursor="",
            items=items,
            signer=(signer or self.keys).signing,
        )
        return encrypt_batch(plaintext, self.enrollment.district)


def enroll(district: District, vault: Vault, villages: list[str]) -> Device:
    code = district.create_enroll_code(villages, 3600)
    request = device_side.enrollment_request(vault, code, label="test", author="test")
    answer = district.enroll(request, source="test")
    enrollment = device_side.accept_enrollment(vault, answer, request=request, author="test")
    keys = device_side.device_keys(vault)
    assert keys is not None
    return Device(vault, keys, enrollment)


@pytest.fixture
def make_device(tmp_path: Path, vault_copies: VaultCopies) -> Iterator[Any]:
    vaults: list[Vault] = []

    def factory(district: District, villages: list[str], name: str = "v") -> Device:
        folder = tmp_path / f"vault-{name}-{len(vaults)}"
        created = vault_copies.open(folder, village_code=villages[0])
        vaults.append(created.vault)
        return enroll(district, created.vault, villages)

    yield factory
    for v in vaults:
        if not v.is_locked:
            v.lock()


def hlc(wall_ms: int, counter: int, device_id: str) -> str:
    return f"{wall_ms:013d}-{counter:06d}-{device_id}"


def revision_item(
    device: Device,
    *,
    record_id: str,
    record_type: str,
    data: dict[str, Any],
    wall_ms: int,
    revision: int = 1,
    base_hlc: str | None = None,
    deleted: bool = False,
    device_id: str | None = None,
) -> dict[str, Any]:
    dev = device_id or device.device_id
    return {
        "kind": "revision",
        "record_id": record_id,
        "record_type": record_type,
        "revision": revision,
        "hlc": hlc(wall_ms, 0, dev),
        "device_id": dev,
        "author": "测试",
        "deleted": deleted,
        "base_hlc": base_hlc,
        "data": data,
    }


class ServerThread:
    """The real HTTP app under uvicorn on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, district: District, port: int | None = None) -> None:
        import uvicorn

        from sync.server.app import create_app

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(district), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def server(sqlite_district: District) -> Iterator[ServerThread]:
    """The real HTTP server on loopback over the SQLite district."""
    running = ServerThread(sqlite_district)
    yield running
    running.stop()


@pytest.fixture
def vaults(tmp_path: Path, vault_copies: VaultCopies) -> Iterator[Any]:
    """Make laptop vaults by name; each is locked at the end of the test."""
    opened: list[Vault] = []

    def make(name: str, village: str = VILLAGE_A) -> Vault:
        v = vault_copies.open(tmp_path / name, village_code=village).vault
        opened.append(v)
        return v

    yield make
    for v in opened:
        if not v.is_locked:
            v.lock()


@contextmanager
def impostor_server() -> Iterator[str]:
    """Something that is not the district (a misconfigured proxy, an impostor) on loopback:
    it answers every request 403 "device_revoked" without the district's signed notice."""
    import http.server

    class Impostor(http.server.BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"error": "device_revoked", "message": "revoked"}'
            self.send_response(403)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _refuse

        def log_message(self, *_args: Any) -> None:
            pass

    impostor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Impostor)
    thread = threading.Thread(target=impostor.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{impostor.server_address[1]}"
    finally:
        impostor.shutdown()
        impostor.server_close()
