"""``childdesk import`` / ``childdesk export`` on a real vault: the first dry run by the real
program (the installed console script), the rest in-process (the console script's ``main``, as
:func:`run_cli_in_process` runs it)."""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import date
from pathlib import Path

import openpyxl

from storage.vault import CreatedVault
from tests.conftest import PASSWORD, run_cli, run_cli_in_process
from tests.registers.workbooks import child_id, national_row, write_national

B1, B2 = date(2015, 3, 12), date(2016, 7, 1)


def rows() -> list[list[object]]:
    return [
        national_row(1, "陈雨桐", "女", B1, child_id(B1, 102), father="陈建国"),
        national_row(2, "刘子轩", "男", B2, child_id(B2, 111)),
    ]


def test_dry_run_then_import_then_import_again(
    created: CreatedVault, vault_dir: Path, tmp_path: Path
) -> None:
    created.vault.lock()
    path = write_national(tmp_path / "登记表.xlsx", rows())
    dry = run_cli(
        "import",
        str(path),
        "--dry-run",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=vault_dir,
    )
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["counts"]["create"] == 2 and report["written"] is None
    assert "陈雨桐" not in dry.stdout and child_id(B1, 102) not in dry.stdout  # no personal data
    done = run_cli_in_process(
        "import", str(path), "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["written"]["created"] == 2
    again = run_cli_in_process(
        "import", str(path), "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert json.loads(again.stdout)["counts"]["unchanged"] == 2

    out = tmp_path / "导出.xlsx"
    exported = run_cli_in_process(
        "export", str(out), "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert exported.returncode == 0, exported.stderr
    sheet = openpyxl.load_workbook(out).active
    assert sorted(c.value for c in sheet["B"][2:]) == ["刘子轩", "陈雨桐"]


def test_problems_refuse_the_whole_import_unless_skipped(
    created: CreatedVault, vault_dir: Path, tmp_path: Path
) -> None:
    created.vault.lock()
    bad = [*rows(), national_row(3, "王五", "男", B1, "5.00119E+17")]
    path = write_national(tmp_path / "r.xlsx", bad)
    refused = run_cli_in_process(
        "import", str(path), "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert refused.returncode == 1
    report = json.loads(refused.stdout)
    assert report["written"] is None
    (problem_row,) = [r for r in report["rows"] if r["action"] == "problem"]
    assert problem_row["problems"][0]["field"] == "id_number"
    skipped = run_cli_in_process(
        "import",
        str(path),
        "--skip-problem-rows",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=vault_dir,
    )
    assert skipped.returncode == 0, skipped.stderr
    assert json.loads(skipped.stdout)["written"]["created"] == 2


def test_bad_files_and_a_mapping_file(
    created: CreatedVault, vault_dir: Path, tmp_path: Path
) -> None:
    created.vault.lock()
    junk = tmp_path / "x.xlsx"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    done = run_cli_in_process(
        "import", str(junk), "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "not_spreadsheet"
    assert "not a spreadsheet" in done.stderr

    csv = tmp_path / "r.csv"
    csv.write_text(f"孩子,性别,号码\n陈雨桐,女,{child_id(B1, 102)}\n", encoding="gb18030")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"孩子": "name", "3": "id_number"}), encoding="utf-8")
    done = run_cli_in_process(
        "import",
        str(csv),
        "--mapping",
        str(mapping),
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=vault_dir,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["written"]["created"] == 1
    encrypted = tmp_path / "e.xlsx"
    two = PASSWORD + "\n导出密码\n"
    exported = run_cli_in_process(
        "export",
        str(encrypted),
        "--encrypt",
        "--layout",
        "flat",
        "--password-stdin",
        stdin=two,
        data_dir=vault_dir,
    )
    assert exported.returncode == 0, exported.stderr
    locked = run_cli_in_process(
        "import",
        str(encrypted),
        "--dry-run",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=vault_dir,
    )
    assert json.loads(locked.stdout)["error"]["code"] == "encrypted"
    opened = run_cli_in_process(
        "import",
        str(encrypted),
        "--dry-run",
        "--workbook-password",
        "--password-stdin",
        stdin=two,
        data_dir=vault_dir,
    )
    assert json.loads(opened.stdout)["counts"]["unchanged"] == 1, opened.stdout


def test_a_sheet_with_no_name_column_is_refused(
    created: CreatedVault, vault_dir: Path, tmp_path: Path
) -> None:
    created.vault.lock()
    csv = tmp_path / "r.csv"
    csv.write_text("甲,乙\n1,2\n", encoding="utf-8")
    done = run_cli_in_process(
        "import", str(csv), "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "no_name_column"


def test_an_export_onto_a_full_stick_keeps_the_file_that_was_there(
    created: CreatedVault, vault_dir: Path, tmp_path: Path, small_disk: Path
) -> None:
    """`childdesk export` writes whole or not at all: a stick that fills up half-way leaves the
    earlier export as it was and no partial file behind."""
    created.vault.lock()
    path = write_national(tmp_path / "登记表.xlsx", rows())
    done = run_cli_in_process(
        "import", str(path), "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert done.returncode == 0, done.stderr
    target = small_disk / "导出.xlsx"
    target.write_bytes(b"last month's export")
    filler = small_disk / "filler"
    with suppress(OSError), filler.open("wb") as out:  # fill the stick to the last byte
        while True:
            out.write(b"\0" * 4096)
            out.flush()
    exported = run_cli_in_process(
        "export", str(target), "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir
    )
    assert exported.returncode != 0
    assert "cannot write" in exported.stderr
    assert target.read_bytes() == b"last month's export"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "导出.xlsx"]
