"""The suite's PostgreSQL: one throw-away cluster on loopback per test process (``pg_server``),
its schema migrated once and emptied between tests (``_migrated_postgres``; see
tests/sync/conftest.py's docstring and test_postgres_fixture.py).

The fixtures are registered once, by the root tests/conftest.py, for every folder: a fixture
imported into a folder's conftest is that folder's own, so tests/sync and tests/console each
started a cluster of their own in every worker that ran both (initdb, start, migrations)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from sync.server import db

PORT_ATTEMPTS = 3


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
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.data = self.root / "data"
        self._run(str(bin_dir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        # a free port can be taken before the server binds it (another worker's server or
        # client): the server then stops saying so, and another port is tried
        for attempt in range(PORT_ATTEMPTS):
            self.port = free_port()
            log = self.root / f"log-{attempt}"
            try:
                self._run(
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(log),
                    "-w",
                    "-o",
                    f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c max_connections=300 -c synchronous_commit=on",
                    "start",
                )
                break
            except RuntimeError as err:
                said = log.read_text(errors="replace") if log.exists() else ""
                if "already in use" not in said or attempt == PORT_ATTEMPTS - 1:
                    raise RuntimeError(f"{err}\n{said[-2000:]}") from None
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
