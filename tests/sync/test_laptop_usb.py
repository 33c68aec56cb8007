"""The USB path with a real folder standing in for the stick and the real ``childdesk-district``
commands at the office (run in the test process: test_district_cli.py runs them as processes):
enrollment by stick, export, import, responses back, the same stick
twice, a stick pulled mid-write (a truncated file), another device's response, a tampered one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.demo_caseload import fill_vault
from storage.vault import Vault
from sync.laptop.engine import LaptopSync
from sync.laptop.usb import removable_drives, write_verified
from tests.conftest import VaultCopies
from tests.sync.conftest import VILLAGE_A
from tests.sync.test_district_cli import district_cli_in_process, initialised  # noqa: F401 (fixture)
from tests.sync.test_district_core import TODAY


def revision_count(data_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(data_dir / "district.db") as conn:
        total = conn.execute("SELECT count(*) FROM revisions").fetchone()[0]
        distinct = conn.execute(
            "SELECT count(DISTINCT record_id || '@' || hlc) FROM revisions"
        ).fetchone()[0]
    assert total == distinct, "duplicates at the district"
    return int(total)


def office(stick: Path, data_dir: Path) -> str:
    result = district_cli_in_process("import", str(stick), "--passphrase-stdin", data_dir=data_dir)
    out = result.stdout + result.stderr
    again = district_cli_in_process(
        "export-responses", str(stick), "--passphrase-stdin", data_dir=data_dir
    )
    assert again.returncode == 0, again.stdout + again.stderr
    return out


def enroll_by_stick(data_dir: Path, vault: Vault, stick: Path) -> LaptopSync:
    code = district_cli_in_process("enroll-code", "--village", VILLAGE_A, data_dir=data_dir)
    laptop = LaptopSync(vault, author="王", max_revisions=30)
    laptop.enrollment_request_file(stick, code.stdout.strip().splitlines()[-1], label="一村")
    result = district_cli_in_process("import", str(stick), "--passphrase-stdin", data_dir=data_dir)
    assert result.returncode == 0, result.stdout
    _report, problems = laptop.import_folder(stick)
    assert problems == [] and laptop.status().enrolled
    return laptop


def test_usb_round_trip_twice_and_a_pulled_stick(
    initialised: Path,  # noqa: F811
    tmp_path: Path,
    vault_copies: VaultCopies,
) -> None:
    data_dir = initialised
    stick = tmp_path / "stick"
    stick.mkdir()
    vault = vault_copies.open(tmp_path / "laptop").vault
    try:
        laptop = enroll_by_stick(data_dir, vault, stick)
        fill_vault(vault, children=3, seed=6, village_code=VILLAGE_A, today=TODAY, author="王")
        pending = laptop.status().pending
        files = laptop.export_batches(stick)
        assert len(files) >= 2
        # only age files on the stick: no plaintext
        for f in stick.iterdir():
            if f.suffix == ".cdbatch":
                assert f.read_bytes().startswith(b"age-encryption.org/v1\n")
        # the stick is pulled while the last file was being written: it is cut short
        last = files[-1]
        last.write_bytes(last.read_bytes()[: len(last.read_bytes()) // 2])
        out = office(stick, data_dir)
        assert "refused" in out
        report, problems = laptop.import_folder(stick)
        assert problems == []
        assert report.receipts == len(files) - 1
        status = laptop.status()
        assert 0 < status.pending < pending and status.pending_batches == 1
        assert laptop.status().last_via == "usb"
        # back at the laptop: export again, the whole file this time
        again = laptop.export_batches(stick)
        assert [p.name for p in again] == [last.name]
        office(stick, data_dir)
        report, problems = laptop.import_folder(stick)
        assert problems == [] and report.receipts == 1
        assert laptop.status().pending == 0
        assert revision_count(data_dir) == pending
        # the same stick again, at the office and at the laptop: nothing changes
        office(stick, data_dir)
        before = vault.last_seq()
        report, problems = laptop.import_folder(stick)
        assert problems == [] and report.pulled == 0 and report.accepted == 0
        assert vault.last_seq() == before
        assert revision_count(data_dir) == pending
    finally:
        vault.lock()


def test_usb_responses_for_others_truncated_and_tampered(
    initialised: Path,  # noqa: F811
    tmp_path: Path,
    vault_copies: VaultCopies,
) -> None:
    data_dir = initialised
    stick = tmp_path / "stick"
    stick.mkdir()
    mine = vault_copies.open(tmp_path / "mine").vault
    colleague = vault_copies.open(tmp_path / "colleague").vault
    try:
        a = enroll_by_stick(data_dir, mine, stick)
        b = enroll_by_stick(data_dir, colleague, stick)
        child = colleague.put("child", {"village_code": VILLAGE_A, "name": "张"}, author="李")
        b.export_batches(stick)
        office(stick, data_dir)
        b.import_folder(stick)
        response = stick / f"{mine.device_id}.cdresponse"
        good = response.read_bytes()
        # a response for another device is ignored (not even opened)
        (stick / f"{colleague.device_id}.cdresponse").write_bytes(b"x" * 10)
        # truncated (the stick was pulled at the office): refused, nothing changes
        response.write_bytes(good[: len(good) // 2])
        before = mine.last_seq()
        report, problems = a.import_folder(stick)
        assert len(problems) == 1 and problems[0].startswith(response.name)
        assert mine.last_seq() == before
        # tampered: one byte changed
        tampered = bytearray(good)
        tampered[len(tampered) // 2] ^= 1
        response.write_bytes(bytes(tampered))
        report, problems = a.import_folder(stick)
        assert len(problems) == 1 and mine.last_seq() == before
        # the real one
        write_verified(response, good)
        report, problems = a.import_folder(stick)
        assert problems == [] and report.pulled >= 2
        assert mine.get(child.record_id).data["name"] == "张"
    finally:
        mine.lock()
        colleague.lock()


def test_removable_drives_are_found_under_mount_roots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media = tmp_path / "media"
    (media / "user" / "STICK").mkdir(parents=True)
    (media / "user" / "not-mounted").mkdir()
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p).name == "STICK")
    drives = removable_drives([media])
    assert [d.label for d in drives] == ["STICK"]
    assert removable_drives([tmp_path / "nothing"]) == []
