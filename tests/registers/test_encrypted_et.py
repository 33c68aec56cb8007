"""WPS .et and password-protected Excel 97 files (tests/registers/encrypted_xls.py makes a
real RC4-encrypted .xls from the checked-in fixture): refused with a clear Chinese message
and no traceback, opened with the right password, the same through the command line.

python-calamine is not used by the reader (app/registers/reader.py says why: installer
size); a WPS .et is an OLE2/BIFF8 file like .xls, told apart by content, not name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import msoffcrypto
import pytest

from app.registers.reader import RegisterReadError, open_register
from storage.vault import CreatedVault
from tests.conftest import PASSWORD, run_cli_in_process
from tests.registers.encrypted_xls import FIXTURE, encrypted_xls

WORKBOOK_PASSWORD = "汉场坝2026"


@pytest.mark.parametrize("suffix", [".xls", ".et"])
def test_an_encrypted_excel_97_or_wps_file(tmp_path: Path, suffix: str) -> None:
    path = encrypted_xls(tmp_path / f"台账{suffix}", WORKBOOK_PASSWORD)
    office = msoffcrypto.OfficeFile(path.open("rb"))
    assert office.format == "xls97" and office.is_encrypted()  # a real encrypted OLE file
    with pytest.raises(RegisterReadError) as refused:
        open_register(path)
    assert refused.value.code == "encrypted"
    assert refused.value.message_zh == (
        "文件有密码保护：请输入打开密码，或先在WPS/Excel中去掉密码再导入。"
    )
    with pytest.raises(RegisterReadError) as wrong:
        open_register(path, password="不对")
    assert wrong.value.code == "wrong_password" and "密码不对" in wrong.value.message_zh
    plain = open_register(FIXTURE).read_sheet(0)
    opened = open_register(path, password=WORKBOOK_PASSWORD).read_sheet(0)
    assert opened.headers == plain.headers
    assert [r.cells for r in opened.rows] == [r.cells for r in plain.rows]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no decrypted copy


def test_a_wps_et_file_is_read_by_its_content(tmp_path: Path) -> None:
    renamed = tmp_path / "登记表.et"
    shutil.copy(FIXTURE, renamed)
    book = open_register(renamed)
    assert book.kind == "xls" and book.read_sheet(0).header_depth == 2


def test_the_command_line_says_so_without_a_traceback(
    created: CreatedVault, vault_dir: Path, tmp_path: Path
) -> None:
    created.vault.lock()
    path = encrypted_xls(tmp_path / "台账.et", WORKBOOK_PASSWORD)
    locked = run_cli_in_process(
        "import",
        str(path),
        "--dry-run",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=vault_dir,
    )
    assert locked.returncode == 1
    assert json.loads(locked.stdout)["error"]["code"] == "encrypted"
    assert "Traceback" not in locked.stderr
    opened = run_cli_in_process(
        "import",
        str(path),
        "--dry-run",
        "--workbook-password",
        "--password-stdin",
        stdin=f"{PASSWORD}\n{WORKBOOK_PASSWORD}\n",
        data_dir=vault_dir,
    )
    assert opened.returncode in (0, 1), opened.stderr
    report = json.loads(opened.stdout)
    assert "error" not in report or report["error"] is None, report
    assert len(report["rows"]) == 2
