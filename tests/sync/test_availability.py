"""Availability of the district server (issue 14): enrollment throttling that one attacker cannot
turn against a district, X-Forwarded-For believed only from configured proxies, connection
limits (idle sockets, slowloris, one source holding many connections), workers that die with a
SIGKILLed parent, and a client that hangs up mid-upload not logged as an internal error.

Every server here is the real ``childdesk-district serve`` process on loopback; other loopback
addresses (127.0.0.2, …) play other clients."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, text

from sync.documents import build_enrollment_request
from sync.errors import EnrollmentRefusedError, TooManyAttemptsError
from sync.keys import KeyPair
from sync.laptop.client import ssl_context
from sync.server import db
from sync.server.console.passwords import TEST_FAST_HASH_ENV
from sync.server.district import CODE_ALPHABET, District
from tests.sync.conftest import VILLAGE_A, free_port
from tests.sync.test_district_cli import DISTRICT_ENV, PASSPHRASE, district_cli_in_process
from tests.sync.test_district_cli import initialised as initialised

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, /proc")


def _request(code: str) -> bytes:
    """An enrollment request from a new device (its own keys and id)."""
    return build_enrollment_request(
        code=code, device_id=secrets.token_hex(8), keys=KeyPair.generate(), label="t"
    )


def code_key(code: str) -> str:
    """A code's first group, as the server counts failures under it."""
    return code.replace("-", "").upper()[:4]


def _wrong_code(prefix: str = "") -> str:
    raw = prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(20 - len(prefix)))
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


# ----- enrollment throttling, in the core (SQLite and PostgreSQL) --------------------------


def test_failures_from_many_addresses_never_refuse_a_valid_code(district: District) -> None:
    """120 wrong codes from 40 addresses (3 each, under the per-source limit): the old global
    limit (100 an hour) refused every later enrollment, a valid one from a fresh address too."""
    for n in range(120):
        with pytest.raises(EnrollmentRefusedError):
            district.enroll(_request(_wrong_code()), source=f"10.1.{n % 40}.1")
    good = district.create_enroll_code([VILLAGE_A], 3600)
    district.enroll(_request(good), source="10.9.9.9")
    # the table is pruned: only the last hour's failures are kept
    with district.engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM enroll_failures")).scalar_one()
    assert kept == 120


def test_failures_are_counted_per_code_and_per_source(district: District) -> None:
    attacked = district.create_enroll_code([VILLAGE_A], 3600)
    spared = district.create_enroll_code([VILLAGE_A], 3600)
    while code_key(spared) == code_key(attacked):
        spared = district.create_enroll_code([VILLAGE_A], 3600)
    # Ten wrong guesses at one code (its first group known), from ten addresses
    for n in range(10):
        with pytest.raises(EnrollmentRefusedError):
            district.enroll(_request(_wrong_code(code_key(attacked))), source=f"10.2.0.{n}")
    # that code is held back, even from a fresh address …
    with pytest.raises(TooManyAttemptsError, match="new code"):
        district.enroll(_request(attacked), source="10.3.0.1")
    # … every other code of the district still works
    district.enroll(_request(spared), source="10.3.0.2")
    # one address with five failures is held back, whatever code it sends
    for _ in range(5):
        with pytest.raises(EnrollmentRefusedError):
            district.enroll(_request(_wrong_code()), source="10.4.0.1")
    third = district.create_enroll_code([VILLAGE_A], 3600)
    with pytest.raises(TooManyAttemptsError, match="address"):
        district.enroll(_request(third), source="10.4.0.1")
    district.enroll(_request(third), source="10.4.0.2")


def test_migration_adds_the_per_code_column_to_an_existing_database(
    db_url: str, district_keys: KeyPair
) -> None:
    engine = db.make_engine(db_url)
    try:
        db.migrate(engine)
        # a database as version 0001 left it: no code_key column, no 0002 step
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX enroll_failures_code"))
            conn.execute(text("DROP INDEX enroll_failures_source"))
            conn.execute(text("ALTER TABLE enroll_failures DROP COLUMN code_key"))
            conn.execute(
                text("DELETE FROM district_migrations WHERE name = '0002_enroll_failures_per_code'")
            )
            conn.execute(text("INSERT INTO enroll_failures (source, at) VALUES ('x', 1)"))
        assert db.migrate(engine) == ["0002_enroll_failures_per_code"]
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("enroll_failures")}
        assert "code_key" in columns
        district = District(engine, district_keys.public, district_keys)
        with pytest.raises(EnrollmentRefusedError):
            district.enroll(_request(_wrong_code()), source="10.5.0.1")
        assert db.migrate(engine) == []
    finally:
        engine.dispose()


# ----- the real server --------------------------------------------------------------------


# The servers here speak plain http: one TLS context for every test client, instead of a CA
# bundle loaded per client: the one the laptop's own clients share (sync/laptop/client.py).
TLS_CONTEXT = ssl_context()


@dataclass
class Serving:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _wait(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


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


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


PORT_ATTEMPTS = 3


def _up_or_ended(running: Serving, probe: httpx.Client) -> bool:
    if running.process.poll() is not None:
        return True
    try:
        return probe.get(f"{running.url}/health").status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serving(
    data_dir: Path,
    *options: str,
    workers: int = 1,
    port: int | None = None,
    fast_password_hash: bool = True,
    env: Mapping[str, str] | None = None,
) -> Iterator[Serving]:
    """``childdesk-district serve`` as a real process; its log (stderr) goes to a file. Console
    passwords are hashed with the test-only cheap parameters unless ``fast_password_hash`` is
    false (sync/server/console/passwords.py, TEST_FAST_HASH_ENV); ``env`` adds to the
    district environment the suite gives its programs."""
    env = {**DISTRICT_ENV, **(env or {})}
    if fast_password_hash:
        env[TEST_FAST_HASH_ENV] = "1"
    exe = Path(sys.executable).with_name("childdesk-district")
    # One client for the polling: each new httpx client loads the CA bundle (~40 ms of CPU).
    probe = httpx.Client(timeout=2, verify=TLS_CONTEXT)
    process: subprocess.Popen[bytes] | None = None
    try:
        # a free port can be taken between free_port() and the server's bind (another worker's
        # server or client): then the server says so and exits, and another port is tried
        for attempt in range(PORT_ATTEMPTS):
            chosen = port or free_port()
            log = data_dir.parent / f"serve-{chosen}-{time.monotonic_ns()}.log"
            with log.open("wb") as log_file:
                process = subprocess.Popen(
                    [
                        *(str(exe), "serve", "--workers", str(workers), "--port", str(chosen)),
                        *("--passphrase-stdin", "--data-dir", str(data_dir), *options),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=log_file,
                    env=env,
                )
            assert process.stdin is not None
            process.stdin.write(f"{PASSPHRASE}\n".encode())
            process.stdin.close()
            running = Serving(process, f"http://127.0.0.1:{chosen}", chosen, log)

            _wait(partial(_up_or_ended, running, probe), "the server did not start")
            if process.poll() is None:
                break
            taken = "already in use" in running.log_text()
            assert taken and port is None and attempt < PORT_ATTEMPTS - 1, running.log_text()
        probe.close()
        yield running
    finally:
        probe.close()
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def _client(source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source, verify=TLS_CONTEXT)
    return httpx.Client(transport=transport, timeout=10)


def _enroll_code(data_dir: Path) -> str:
    """A code made by ``childdesk-district enroll-code`` — in the test process (issue 15: the
    command runs as a real process in test_district_cli.py; here it is only the setup)."""
    result = district_cli_in_process("enroll-code", "--village", VILLAGE_A, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(initialised: Path) -> None:
    data_dir = initialised
    codes = [_enroll_code(data_dir) for _ in range(3)]
    with serving(data_dir, "--trusted-proxy", "127.0.0.1") as server:
        enroll = f"{server.url}/api/v1/enroll"
        with _client("127.0.0.1") as proxy:
            # Behind the proxy: one laptop's five wrong codes hold back that laptop only
            for _ in range(5):
                answer = proxy.post(
                    enroll,
                    content=_request(_wrong_code()),
                    headers={"X-Forwarded-For": "198.51.100.7"},
                )
                assert answer.status_code == 403, answer.text
            held = proxy.post(
                enroll, content=_request(codes[0]), headers={"X-Forwarded-For": "198.51.100.7"}
            )
            assert held.status_code == 429 and held.json()["error"] == "too_many_attempts"
            other = proxy.post(
                enroll, content=_request(codes[0]), headers={"X-Forwarded-For": "198.51.100.8"}
            )
            assert other.status_code == 200, other.text
            # what a client writes left of the proxy's own entry is not believed
            for _ in range(5):
                forged = f"203.0.113.{secrets.randbelow(250)}, 198.51.100.9"
                answer = proxy.post(
                    enroll, content=_request(_wrong_code()), headers={"X-Forwarded-For": forged}
                )
                assert answer.status_code == 403
            held = proxy.post(
                enroll,
                content=_request(codes[1]),
                headers={"X-Forwarded-For": "203.0.113.251, 198.51.100.9"},
            )
            assert held.status_code == 429
        # A client that is not the proxy cannot choose its address with the header
        with _client("127.0.0.2") as direct:
            for n in range(5):
                answer = direct.post(
                    enroll,
                    content=_request(_wrong_code()),
                    headers={"X-Forwarded-For": f"192.0.2.{n}"},
                )
                assert answer.status_code == 403
            held = direct.post(
                enroll, content=_request(codes[1]), headers={"X-Forwarded-For": "192.0.2.200"}
            )
            assert held.status_code == 429
        with _client("127.0.0.3") as fresh:
            assert fresh.post(enroll, content=_request(codes[1])).status_code == 200


def _idle_sockets(source: str, count: int, port: int) -> list[socket.socket]:
    opened = []
    for _ in range(count):
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        opened.append(s)
    return opened


def _closed_by_server(s: socket.socket, timeout: float) -> bool:
    """Whether the server closes the connection within ``timeout`` (what it still sends
    before closing, e.g. the rest of a response, is read and ignored)."""
    deadline = time.monotonic() + timeout
    while True:
        s.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            if s.recv(65536) == b"":
                return True
        except TimeoutError:
            return False
        except OSError:
            return True  # reset
        if time.monotonic() >= deadline:
            return False


def test_idle_and_slow_connections_do_not_starve_real_requests(initialised: Path) -> None:
    options = (
        *("--max-connections", "100", "--max-connections-per-source", "20"),
        *("--header-timeout", "2", "--keep-alive-timeout", "1"),
    )
    opened: list[socket.socket] = []
    with serving(initialised, *options) as server:
        try:
            # 300 idle sockets from one address: it keeps 20, the rest are closed at once
            flood = _idle_sockets("127.0.0.2", 300, server.port)
            opened += flood
            started = time.monotonic()
            with _client("127.0.0.9") as normal:
                assert normal.get(f"{server.url}/api/v1/info").status_code == 200
            assert time.monotonic() - started < 3
            closed = sum(_closed_by_server(s, 0.2) for s in flood[-50:])
            assert closed == 50
            # 150 idle sockets from 15 addresses (10 each, under the per-source cap) exceed
            # --max-connections 100: the ones idle longest give way to a real request
            for n in range(15):
                opened += _idle_sockets(f"127.0.1.{n + 1}", 10, server.port)
            started = time.monotonic()
            with _client("127.0.0.10") as normal:
                for _ in range(5):
                    assert normal.get(f"{server.url}/api/v1/info").status_code == 200
            assert time.monotonic() - started < 3
            # a slowloris client trickling header lines is closed after the header timeout
            slow = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            opened.append(slow)
            slow.sendall(b"GET /health HTTP/1.1\r\nHost: district\r\n")
            started = time.monotonic()
            closed_after = None
            for n in range(40):  # at most 20 s
                time.sleep(0.5)
                try:
                    slow.sendall(f"X-Slow-{n}: a\r\n".encode())
                except OSError:
                    closed_after = time.monotonic() - started
                    break
                if _closed_by_server(slow, 0.01):
                    closed_after = time.monotonic() - started
                    break
            assert closed_after is not None and closed_after < 5, closed_after
            # every idle socket of the floods is gone after the header timeout too
            assert all(_closed_by_server(s, 3) for s in opened[:300:10])
            # a keep-alive connection idle after its response is closed as well
            kept = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            opened.append(kept)
            kept.sendall(b"GET /health HTTP/1.1\r\nHost: district\r\n\r\n")
            assert b" 200 " in kept.recv(4096)
            assert _closed_by_server(kept, 4)
            with _client("127.0.0.11") as normal:
                assert normal.get(f"{server.url}/health").status_code == 200
        finally:
            for s in opened:
                s.close()
        assert "Traceback" not in server.log_text()


def test_workers_die_with_a_killed_parent_and_the_port_is_free_again(initialised: Path) -> None:
    workers: set[int] = set()
    try:
        with serving(initialised, workers=2) as server:
            _wait(lambda: len(_children(server.process.pid)) == 2, "two workers")
            workers = _children(server.process.pid)
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
            started = time.monotonic()
            _wait(lambda: not any(_alive(pid) for pid in workers), "orphan workers", timeout=10)
            assert time.monotonic() - started < 5
            port = server.port
    finally:
        for pid in workers:  # never leave orphans behind, even when the test fails
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    with serving(initialised, workers=2, port=port) as again:
        assert httpx.get(f"{again.url}/api/v1/info", timeout=10).status_code == 200


def test_a_client_hanging_up_mid_upload_is_not_an_internal_error(initialised: Path) -> None:
    with serving(initialised) as server:
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(
                b"POST /api/v1/batches HTTP/1.1\r\nHost: district\r\n"
                b"Content-Type: application/octet-stream\r\nContent-Length: 200000\r\n\r\n"
                + b"x"
                * 5000
            )
            time.sleep(0.3)
            s.close()
        time.sleep(0.5)
        assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises it
    log = server.log_text()
    assert "internal" not in log.lower(), log
    assert "Traceback" not in log and "ERROR" not in log, log


def test_a_stalled_upload_is_dropped_after_the_body_timeout(initialised: Path) -> None:
    with serving(initialised, "--body-timeout", "1") as server:
        stalled = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        try:
            stalled.sendall(
                b"POST /api/v1/batches HTTP/1.1\r\nHost: district\r\n"
                b"Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n"
                + b"x"
                * 1000
            )
            started = time.monotonic()
            assert _closed_by_server(stalled, 10)
            assert time.monotonic() - started < 4
        finally:
            stalled.close()
        assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
    log = server.log_text()
    assert "internal" not in log.lower() and "Traceback" not in log, log


def test_a_port_taken_before_the_server_binds_it_is_passed_over(
    initialised: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serving`` (the suite's server) tries another port when the free one it chose was
    taken in the meantime — the server says so and exits (a flake seen under load)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        offered = iter([taken])
        real = free_port
        monkeypatch.setattr(sys.modules[__name__], "free_port", lambda: next(offered, 0) or real())
        with serving(initialised) as server:
            assert server.port != taken
            assert httpx.get(f"{server.url}/api/v1/info", timeout=10).status_code == 200
