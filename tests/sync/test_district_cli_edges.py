"""Edges of ``childdesk-district`` (issue 14), each run as the real command: a USB folder whose
first file is bad still imports the good ones; a port out of range or in use gets one line and
a documented exit code; village codes in other digits are refused; ``publish`` reads a bounded
amount. The import, enroll-code and out-of-range port runs are in the test process (issue 15:
``district_cli_in_process``); a port in use and ``publish`` under a memory limit are processes."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from sync.documents import build_batch_plaintext, encrypt_batch
from sync.keys import read_keystore
from sync.server import db
from sync.server.district import District
from sync.wire import new_id
from tests.sync.conftest import VILLAGE_A, revision_item
from tests.sync.test_district_cli import DISTRICT_ENV, PASSPHRASE, district_cli_in_process
from tests.sync.test_district_cli import initialised as initialised


def _district(data_dir: Path) -> District:
    engine = db.make_engine(f"sqlite:///{data_dir / 'district.db'}")
    db.migrate(engine)
    keys = read_keystore(data_dir / "district-keys.json", PASSPHRASE)
    return District(engine, keys.public, keys)


def _child(device: Any, n: int) -> dict[str, Any]:
    return revision_item(
        device,
        record_id=new_id(),
        record_type="child",
        data={"village_code": VILLAGE_A, "name": f"儿童{n}"},
        wall_ms=1_700_000_000_000 + n,
    )


def test_a_bad_file_first_on_the_stick_does_not_stop_the_good_ones(
    initialised: Path, tmp_path: Path, make_device: Any
) -> None:
    data_dir = initialised
    district = _district(data_dir)
    try:
        device = make_device(district, [VILLAGE_A], "usb")
        stick = tmp_path / "stick"
        stick.mkdir()
        # correctly signed and encrypted, with content the server's code did not expect
        poisoned = dict(_child(device, 0), data={"village_code": ["500119100001"]})
        plaintext = build_batch_plaintext(
            batch_id=new_id(),
            device_id=device.device_id,
            sequence=1,
            district_id=device.enrollment.district_id,
            cursor="",
            items=[poisoned],
            signer=device.keys.signing,
        )
        (stick / "0-poisoned.cdbatch").write_bytes(
            encrypt_batch(plaintext, device.enrollment.district)
        )
        (stick / "1-garbage.cdbatch").write_bytes(b"\x00garbage" * 100)
        good = [device.batch([_child(device, n)], sequence=10 + n) for n in range(3)]
        (stick / "2-truncated.cdbatch").write_bytes(good[0][: len(good[0]) // 2])
        (stick / "3-empty.cdenroll").write_bytes(b"")
        for n, data in enumerate(good):
            (stick / f"5-good-{n}.cdbatch").write_bytes(data)
        district.engine.dispose()

        result = district_cli_in_process(
            "import", str(stick), "--passphrase-stdin", data_dir=data_dir
        )
        output = result.stdout + result.stderr
        assert result.returncode == 1, output  # some files were refused
        assert "Traceback" not in output and "unexpected error" not in output
        for name in ("1-garbage.cdbatch", "2-truncated.cdbatch", "3-empty.cdenroll"):
            assert f"{name}: refused" in result.stdout, output
        assert "0-poisoned.cdbatch: " in result.stdout
        for n in range(3):
            assert f"5-good-{n}.cdbatch: imported: 1 accepted, 0 rejected" in result.stdout, output
        assert len(list(stick.glob("*.cdreceipt"))) >= 3
        with district.engine.connect() as conn:
            names = {
                row[0]
                for row in conn.execute(
                    text("SELECT data FROM revisions WHERE device_id = :d"),
                    {"d": device.device_id},
                )
            }
        assert sum("儿童" in n for n in names) == 3
    finally:
        district.engine.dispose()


def _serve(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("childdesk-district")
    return subprocess.run(
        [str(exe), "serve", "--passphrase-stdin", "--data-dir", str(data_dir), *args],
        input=PASSPHRASE + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**DISTRICT_ENV, **(env or {})},
    )


@pytest.mark.parametrize("port", ["99999", "0", "-1", "８７５０", "http"])
def test_a_port_out_of_range_is_one_line_and_exit_2(initialised: Path, port: str) -> None:
    result = district_cli_in_process(
        "serve", "--passphrase-stdin", "--port", port, "--workers", "1", data_dir=initialised
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "port" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_one_line_and_exit_2(initialised: Path, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        # -X importtime: the interpreter logs each import on standard error, apart from the
        # program's own lines
        result = _serve(
            initialised, "--port", port, "--workers", workers, env={"PYTHONPROFILEIMPORTTIME": "1"}
        )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [n for n in result.stderr.strip().splitlines() if not n.startswith("import time:")]
    assert len(lines) == 1 and "already in use" in lines[0], result.stderr
    # reported before the web app's modules are imported (issue 15: fastapi, ~0.25 CPU-s)
    imported = {n.rsplit("|", 1)[-1].strip() for n in result.stderr.splitlines()}
    assert "sync.server.workers" in imported
    assert "fastapi" not in imported and "sync.server.app" not in imported


@pytest.mark.parametrize(
    "village",
    [
        "５００１１９１０４２０１",  # full-width
        "٥٠٠١١٩١٠٤٢٠١",  # Arabic-Indic
        VILLAGE_A + "\n",
        "50011910420",
    ],
)
def test_enroll_code_takes_ascii_village_codes_only(initialised: Path, village: str) -> None:
    result = district_cli_in_process("enroll-code", "--village", village, data_dir=initialised)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "12-digit" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""  # no code was made
    district = _district(initialised)
    try:
        with district.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM enroll_codes")).scalar_one() == 0
    finally:
        district.engine.dispose()


def _limit_memory() -> None:  # the old code read /dev/zero until memory ran out
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))


@pytest.mark.parametrize("source", ["/dev/zero", "big.json"])
def test_publish_reads_a_bounded_amount(initialised: Path, tmp_path: Path, source: str) -> None:
    path = Path(source)
    if not path.is_absolute():
        path = tmp_path / source
        path.write_bytes(b'{"version": "9", "rules": [' + b" " * (1024 * 1024) + b"]}")
    exe = Path(sys.executable).with_name("childdesk-district")
    result = subprocess.run(
        [str(exe), "publish", "--kind", "schedule", str(path), "--data-dir", str(initialised)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
        preexec_fn=_limit_memory,
    )
    assert result.returncode == 1, result.stderr
    assert "larger than 1 MiB" in result.stderr and "Traceback" not in result.stderr
