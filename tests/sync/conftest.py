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

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from storage.vault import Vault
from sync.documents import Enrollment, build_batch_plaintext, encrypt_batch
from sync.keys import KeyPair
from sync.server import db
from sync.server.district import District
from sync.wire import new_id
from tests.conftest import VaultCopies
from tests.sync import laptop_device as device_side

VILLAGE_A = "500119104201"
VILLAGE_B = "500119104202"
VILLAGE_C = "500119105301"


@pytest.fixture(scope="session")
def district_keys() -> KeyPair:
    return KeyPair.generate()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresServer:
    """A throw-away PostgreSQL cluster on loopback (run as the 'postgres' user when we are root:
    the server refuses to run as root)."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            message = "PostgreSQL server binaries not found (./setup.sh installs postgresql)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="childdesk-pg-"))
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.data = self.root / "data"
        self._run(str(bin_dir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self._run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=300 -c synchronous_commit=on",
            "start",
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        result = subprocess.run(
            [*self.as_user, *argv], capture_output=True, text=True, check=False, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stderr[-2000:]}")

    def cpu_seconds(self) -> float | None:
        """CPU the cluster has used so far: the postmaster, its ended processes and its live
        ones (connections, background workers) — not a child of the test process, so the
        suite's CPU log (tests/cpu_log.py) does not see it otherwise."""
        try:
            postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry.name) == postmaster:  # with its ended children's
                total += sum(int(f) for f in fields[11:15]) / ticks
            elif int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
            capture_output=True,
            check=False,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        yield server
    finally:
        _log_server_cpu(server)
        server.stop()


def _log_server_cpu(server: PostgresServer) -> None:
    """With CHILDDESK_TEST_CPU_LOG set (tests/cpu_log.py), the cluster's CPU as one more line
    of this process's log, under its own name (a line of its own in the report)."""
    from tests.cpu_log import ENV

    folder = os.environ.get(ENV)
    cpu = server.cpu_seconds() if folder else None
    if folder and cpu is not None:
        with (Path(folder) / f"{os.getpid()}.tsv").open("a", encoding="utf-8") as log:
            log.write(f"postgresql-server::session\t0\t{cpu:.3f}\t0\n")


def reset_postgres(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


# Everything in the public schema that a test could change besides rows: tables and other
# relations, columns, constraints, indexes, functions, triggers, row policies, and which
# migrations are recorded.
_SCHEMA_FINGERPRINT = """
SELECT 'rel', c.relname || ':' || c.relkind::text FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'col', table_name || '.' || column_name || ':' || ordinal_position || ':' || data_type
  || ':' || is_nullable || ':' || coalesce(column_default, '') || ':'
  || coalesce(character_maximum_length::text, '')
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'con', conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'idx', indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'fn', p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'trg', t.tgrelid::regclass::text || ':' || t.tgname FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT 'pol', polrelid::regclass::text || ':' || polname FROM pg_policy
UNION ALL
SELECT 'mig', name FROM district_migrations
ORDER BY 1, 2
"""


# Every sequence of the schema that has given a number (its table may be empty again) back
# at its start, as TRUNCATE … RESTART IDENTITY leaves a truncated table's own.
_RESTART_USED_SEQUENCES = """
SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
  FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL
"""


class _MigratedPostgres:
    """The session's PostgreSQL schema, migrated once and emptied between tests."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = db.make_engine(url)
        self.pristine: list[tuple[str, str]] | None = None

    def _fingerprint(self) -> list[tuple[str, str]] | None:
        try:
            with self.engine.connect() as conn:
                return [(str(k), str(v)) for k, v in conn.execute(text(_SCHEMA_FINGERPRINT))]
        except Exception:  # no district_migrations table: a schema some test dropped or left
            return None

    def fresh(self) -> None:
        """Leave the schema as a new migration would: every table empty, identities
        restarted, the migrations recorded.

        Only the tables that hold rows are emptied, with DELETE (children before parents),
        and only the sequences that gave a number are restarted. TRUNCATE of every table cost
        the server ~25 ms of CPU per test, and more for the schema check after it: TRUNCATE
        gives each table new files and catalog rows, so the next catalog query rebuilt its
        caches. A test's few rows are deleted in well under a millisecond."""
        if self.pristine is None or self._fingerprint() != self.pristine:
            reset_postgres(self.url)
            db.migrate(self.engine)
            self.pristine = self._fingerprint()
            return
        tables = [t.name for t in db.metadata.sorted_tables if t is not db.migrations_table]
        filled_query = " UNION ALL ".join(
            f"SELECT '{name}' FROM (SELECT 1 FROM {name} LIMIT 1) AS one" for name in tables
        )
        with self.engine.begin() as conn:
            filled = {str(name) for name in conn.execute(text(filled_query)).scalars()}
            for name in reversed(tables):  # metadata order: a table after those it refers to
                if name in filled:
                    conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text(_RESTART_USED_SEQUENCES))

    def dispose(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="session")
def _migrated_postgres(pg_server: PostgresServer) -> Iterator[_MigratedPostgres]:
    migrated = _MigratedPostgres(pg_server.url)
    yield migrated
    migrated.dispose()


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
