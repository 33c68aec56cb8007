"""``childdesk-district`` as the operator runs it (a real process, but for the second import and
the first device listing of the round trip): init, enroll-code, USB import (twice) and
export-responses, the standard age tool on an exported identity, devices, revoke, stats, and bad
input without a traceback — which ``district_cli_in_process``, the twin other tests use (issue
15), answers the same way."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.demo_caseload import fill_vault
from storage import outbox
from storage.crypto import TEST_FAST_KDF_ENV, TEST_MIN_ITERATIONS, TEST_MIN_MEMORY_KIB
from sync.keys import read_keystore
from sync.server import db
from sync.server.district import District
from tests.conftest import VaultCopies
from tests.sync import laptop_device as device_side
from tests.sync.conftest import VILLAGE_A
from tests.sync.test_district_core import TODAY

PASSPHRASE = "district-operator-passphrase-7"
# The district keystore's key derivation in tests: the test floor (8 MiB, 1 pass), which the
# programs accept only under the test switch (storage/crypto.py kdf_floor) — ~5 ms a derivation
# instead of ~0.2 s at the production floor, in every init, serve and command the suite runs.
FAST_KDF = json.dumps(
    {
        "name": "argon2id",
        "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
        "memory_kib": TEST_MIN_MEMORY_KIB,
        "iterations": TEST_MIN_ITERATIONS,
        "lanes": 4,
    }
)
# What a district program the tests start gets as its whole environment.
DISTRICT_ENV = {
    "PATH": "/usr/bin:/bin",
    "CHILDDESK_DISTRICT_KDF": FAST_KDF,
    TEST_FAST_KDF_ENV: "1",
}


def district_cli(
    *args: str,
    data_dir: Path,
    stdin: str = PASSPHRASE + "\n",
    db_url: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``childdesk-district`` as a process, with :data:`DISTRICT_ENV` (plus ``env``)."""
    exe = Path(sys.executable).with_name("childdesk-district")
    argv = [str(exe), *args, "--data-dir", str(data_dir)]
    if db_url:
        argv += ["--db", db_url]
    return subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**DISTRICT_ENV, **(env or {})},
    )


# The environment ``district_cli`` gives the program: these are set (or removed) for an
# in-process run too, the rest of the test process's environment holds nothing it reads.
_DISTRICT_ENV: dict[str, str | None] = {
    "CHILDDESK_DISTRICT_KDF": FAST_KDF,
    TEST_FAST_KDF_ENV: "1",
    "CHILDDESK_DISTRICT_DB": None,
    "CHILDDESK_DISTRICT_DATA_DIR": None,
}


def district_cli_in_process(
    *args: str,
    data_dir: Path,
    stdin: str = PASSPHRASE + "\n",
    db_url: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """What :func:`district_cli` gives, without starting a process: ``sync.district_cli.main``
    in this process (issue 15: each real run pays ~1 CPU-s of interpreter start and imports),
    for tests where the separate process is not the point; the real runs stay in this module.

    As the process would (the pattern of tests/conftest.py's ``run_cli_in_process``):
    ``stdin`` read through a UTF-8 text stream; standard output and error UTF-8 byte streams
    read back as text; the exit code ``main``'s or a ``SystemExit``'s (argparse); the
    environment as ``district_cli`` sets it; ``main``'s own logging set-up writes to the
    captured standard error (the test run's handlers set aside meanwhile, its root level put
    back after); warnings under a new process's default filters; a run left no handler on the
    program's loggers; a hang past ``timeout`` ends the test process with every thread's
    traceback."""
    from sync.district_cli import main
    from tests.conftest import run_main_in_process

    argv = [*args, "--data-dir", str(data_dir)]
    if db_url:
        argv += ["--db", db_url]
    return run_main_in_process(
        main, argv, "childdesk-district", stdin=stdin, env=_DISTRICT_ENV, timeout=timeout
    )


_INITIALISED: list[Path] = []  # the folder ``init`` made in this test session


@pytest.fixture
def initialised(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A district folder as ``childdesk-district init`` leaves it: init runs once per test
    session and each test gets a copy (the same keys, as the session's ``district_keys``).
    Init runs in the test process (issue 15); the round trip below runs it as a process."""
    if not _INITIALISED:
        made = tmp_path_factory.mktemp("district-init") / "district"
        result = district_cli_in_process(
            "init", "--passphrase-stdin", data_dir=made, stdin=f"{PASSPHRASE}\n"
        )
        assert result.returncode == 0, result.stderr
        assert "age1" in result.stdout
        _INITIALISED.append(made)
    data_dir = tmp_path / "district"
    shutil.copytree(_INITIALISED[0], data_dir)
    return data_dir


def test_usb_round_trip_with_the_standard_age_tool(
    tmp_path: Path, vault_copies: VaultCopies
) -> None:
    data_dir = tmp_path / "district"
    result = district_cli("init", "--passphrase-stdin", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "age1" in result.stdout and (data_dir / "district-keys.json").exists()
    result = district_cli(
        "enroll-code", "--village", VILLAGE_A, "--expires", "7d", data_dir=data_dir
    )
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip().splitlines()[-1]
    stick = tmp_path / "stick"
    stick.mkdir()
    vault = vault_copies.open(tmp_path / "laptop").vault
    try:
        # enrollment by USB
        request = device_side.enrollment_request(vault, code, label="一村")
        (stick / f"{vault.device_id}.cdenroll").write_bytes(request)
        result = district_cli("import", str(stick), "--passphrase-stdin", data_dir=data_dir)
        assert result.returncode == 0, result.stdout + result.stderr
        answer = (stick / f"{vault.device_id}.cdenrolled").read_bytes()
        pinned = device_side.accept_enrollment(vault, answer, request=request)
        keys = device_side.device_keys(vault)
        assert keys is not None
        # batches on the stick
        fill_vault(vault, children=3, seed=9, village_code=VILLAGE_A, today=TODAY, author="王")
        batches = device_side.build_batches(vault, max_revisions=30)
        for built in batches:
            (stick / f"{vault.device_id}-{built.sequence}.cdbatch").write_bytes(built.data)
        # the emergency path: the standard age tool opens a batch with the exported identity
        identity = tmp_path / "district.agekey"
        result = district_cli(
            "keys",
            "export-identity",
            "--out",
            str(identity),
            "--passphrase-stdin",
            data_dir=data_dir,
        )
        assert result.returncode == 0, result.stderr
        age = shutil.which("age")
        assert age, "the age tool is not installed (./setup.sh installs it)"
        opened = subprocess.run(
            [age, "-d", "-i", str(identity), str(stick / f"{vault.device_id}-1.cdbatch")],
            capture_output=True,
            check=True,
            timeout=60,
        )
        body = json.loads(opened.stdout.split(b"\n", 1)[0])
        assert body["type"] == "childdesk-batch" and body["device_id"] == vault.device_id
        # no plaintext on the stick: the batch files carry no personal data in clear
        for path in stick.glob("*.cdbatch"):
            assert "演示数据".encode() not in path.read_bytes()
        # import at the district office, twice
        first = district_cli("import", str(stick), "--passphrase-stdin", data_dir=data_dir)
        assert first.returncode == 0, first.stdout + first.stderr
        receipts = {p.name: p.read_bytes() for p in stick.glob("*.cdreceipt")}
        assert len(receipts) == len(batches)
        dump = _db_dump(data_dir)
        second = district_cli_in_process(  # in the test process (issue 15), as other tests
            "import", str(stick), "--passphrase-stdin", data_dir=data_dir
        )
        assert second.returncode == 0
        assert "already imported" in second.stdout
        assert {p.name: p.read_bytes() for p in stick.glob("*.cdreceipt")} == receipts
        assert _db_dump(data_dir) == dump  # importing the same stick twice changes nothing
        # responses back to the laptop: receipts inside mark everything sent
        result = district_cli(
            "export-responses", str(stick), "--passphrase-stdin", data_dir=data_dir
        )
        assert result.returncode == 0, result.stderr
        response = (stick / f"{vault.device_id}.cdresponse").read_bytes()
        changes = device_side.read_response(vault, response, keys, pinned)
        assert len(changes.receipts) == len(batches)
        assert outbox.pending_count(vault) == 0
        # figures and devices
        stats = json.loads(district_cli("stats", "--json", data_dir=data_dir).stdout)
        assert stats["villages"][VILLAGE_A]["children"] == 3
        assert stats["devices"][0]["last_contact"]
        listing = district_cli_in_process("devices", data_dir=data_dir)
        assert vault.device_id in listing.stdout and "active" in listing.stdout
        revoked = district_cli("revoke", vault.device_id, "--passphrase-stdin", data_dir=data_dir)
        assert revoked.returncode == 0, revoked.stderr
        # -X importtime: the listing did not import the questionnaire engine (issue 15: every
        # district command paid ~0.1 CPU-s for it through the query tables' child_file import)
        listed = district_cli("devices", data_dir=data_dir, env={"PYTHONPROFILEIMPORTTIME": "1"})
        assert "revoked" in listed.stdout
        imported = [line.rsplit("|", 1)[-1].strip() for line in listed.stderr.splitlines()]
        assert "sync.server.district" in imported
        assert not [name for name in imported if name.startswith("app.questionnaire")]
    finally:
        vault.lock()


def _db_dump(data_dir: Path) -> list[Any]:
    engine = db.make_engine(f"sqlite:///{data_dir / 'district.db'}")
    keys_path = data_dir / "district-keys.json"
    district = District(engine, read_keystore(keys_path, PASSPHRASE).public)
    try:
        counts = district.counts()
        devices = district.devices()
        with engine.connect() as conn:
            from sqlalchemy import select

            batches = conn.execute(select(db.batches)).all()
        return [counts, devices, [tuple(b) for b in batches]]
    finally:
        engine.dispose()


def test_operator_mistakes_get_one_line_and_no_traceback(initialised: Path, tmp_path: Path) -> None:
    data_dir = initialised
    cases = [
        (
            ("keys", "export-identity", "--out", str(tmp_path / "x"), "--passphrase-stdin"),
            "wrong passphrase\n",
            2,
            "wrong operator passphrase",
        ),
        (("enroll-code", "--village", "12345"), "", 1, "12-digit"),
        (("enroll-code", "--village", VILLAGE_A, "--expires", "soon"), "", 1, "duration"),
        (
            ("import", str(tmp_path / "missing"), "--passphrase-stdin"),
            PASSPHRASE + "\n",
            1,
            "not a folder",
        ),
        (
            ("revoke", "0123456789abcdef", "--passphrase-stdin"),
            PASSPHRASE + "\n",
            1,
            "not enrolled",
        ),
        (("init", "--passphrase-stdin"), PASSPHRASE + "\n", 1, "already exist"),
        (("devices",), "", 2, "database"),
    ]
    for args, stdin, code, words in cases:
        db_url = "postgresql+psycopg://nobody@127.0.0.1:1/none" if args == ("devices",) else None
        result = district_cli(*args, data_dir=data_dir, stdin=stdin, db_url=db_url)
        assert result.returncode == code, (args, result.stderr)
        assert words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        # the in-process twin the other tests use answers as the real program does
        twin = district_cli_in_process(*args, data_dir=data_dir, stdin=stdin, db_url=db_url)
        assert (twin.returncode, twin.stdout, twin.stderr) == (
            result.returncode,
            result.stdout,
            result.stderr,
        ), args
    nothing = district_cli("devices", data_dir=tmp_path / "empty")
    assert nothing.returncode == 1 and "init" in nothing.stderr
    bad_files = tmp_path / "badstick"
    bad_files.mkdir()
    (bad_files / "x.cdbatch").write_bytes(b"garbage")
    result = district_cli("import", str(bad_files), "--passphrase-stdin", data_dir=data_dir)
    assert result.returncode == 1 and "x.cdbatch: refused" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
