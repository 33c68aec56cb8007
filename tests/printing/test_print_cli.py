"""`childdesk print …`: PDFs written, clear one-line errors (exit 1 refused input, 2 cannot
open or write), never a traceback, never a partial file. In-process (the console script's
``main``, as :func:`run_cli_in_process` runs it), and a blank questionnaire printed by the real
``childdesk`` console script (its exit code and PDF from a real run)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.demo_caseload import fill_vault
from storage.vault import Vault
from tests.conftest import (
    DIRECTOR,
    PASSWORD,
    VaultCopies,
    VaultTemplates,
    run_cli,
    run_cli_in_process,
)
from tests.printing.helpers import flat, page_count, pdf_text

STDIN = PASSWORD + "\n"


@pytest.fixture(scope="module")
def cli_vault(
    tmp_path_factory: pytest.TempPathFactory, vault_templates: VaultTemplates
) -> Iterator[Path]:
    """A vault filled with 25 demo children (a copy of a template made once per test run)."""
    folder = tmp_path_factory.mktemp("cli") / "vault"
    today = date.today()

    def fill(vault: Vault) -> None:
        fill_vault(
            vault, children=25, seed=11, village_code="500119104201", today=today, author=DIRECTOR
        )

    copies = VaultCopies(vault_templates)
    copies.open(folder, fill=(f"print-cli-demo-25-seed-11-{today}", fill)).vault.lock()
    yield folder


def _ids(folder: Path, command: str) -> list[dict[str, object]]:
    result = run_cli_in_process(
        command, "list", "--json", "--password-stdin", stdin=STDIN, data_dir=folder
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return data["visits"] if command == "visits" else data["children"]  # type: ignore[no-any-return]


def _clean_failure(result: object, code: int, words: str, max_lines: int = 2) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    assert words in result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    assert result.stderr.count("\n") <= max_lines  # type: ignore[attr-defined]


def test_print_visit_and_child(cli_vault: Path, tmp_path: Path) -> None:
    visit = _ids(cli_vault, "visits")[0]
    out = tmp_path / "走访记录.pdf"
    result = run_cli_in_process(
        "print",
        "visit",
        str(visit["id"]),
        "--out",
        str(out),
        "--password-stdin",
        stdin=STDIN,
        data_dir=cli_vault,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout
    text = flat(pdf_text(out.read_bytes()))
    assert "入户走访记录表" in text
    on = date.fromisoformat(str(visit["on"]))
    assert f"{on.year}年{on.month}月{on.day}日" in text
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temp file left behind

    child = next(c for c in _ids(cli_vault, "children") if c["level"])
    out = tmp_path / "child.pdf"
    result = run_cli_in_process(
        "print",
        "child",
        str(child["id"]),
        "--out",
        str(out),
        "--password-stdin",
        stdin=STDIN,
        data_dir=cli_vault,
    )
    assert result.returncode == 0, result.stderr
    text = flat(pdf_text(out.read_bytes()))
    assert str(child["name"]) in text and "儿童档案表" in text


def test_print_assessment(cli_vault: Path, tmp_path: Path) -> None:
    with Vault.unlock(cli_vault, PASSWORD) as vault:
        assessment = vault.load("assessment").revisions[0]
        name = vault.get(assessment.data["child_id"]).data["name"]
    out = tmp_path / "report.pdf"
    result = run_cli_in_process(
        "print",
        "assessment",
        assessment.record_id,
        "--out",
        str(out),
        "--password-stdin",
        stdin=STDIN,
        data_dir=cli_vault,
    )
    assert result.returncode == 0, result.stderr
    text = flat(pdf_text(out.read_bytes()))
    assert name in text and "监护能力评估报告" in text


def test_print_monthly(cli_vault: Path, tmp_path: Path) -> None:
    today = date.today()
    month = f"{today.year:04d}-{today.month:02d}"
    out = tmp_path / "monthly.pdf"
    result = run_cli_in_process(
        "print",
        "monthly",
        "--month",
        month,
        "--out",
        str(out),
        "--password-stdin",
        stdin=STDIN,
        data_dir=cli_vault,
    )
    assert result.returncode == 0, result.stderr
    pdf = out.read_bytes()
    pages = page_count(pdf)
    assert f"第{pages}页共{pages}页" in flat(pdf_text(pdf, pages))
    assert f"{today.year}年{today.month}月" in flat(pdf_text(pdf, 1))


def test_print_blank_questionnaire_needs_no_vault(tmp_path: Path) -> None:
    out = tmp_path / "blank.pdf"
    result = run_cli("print", "blank-questionnaire", "--out", str(out), data_dir=tmp_path / "none")
    assert result.returncode == 0, result.stderr
    assert "困境儿童家庭监护能力评估表" in flat(pdf_text(out.read_bytes()))
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "childdesk-questionnaire/1"}', encoding="utf-8")
    result = run_cli_in_process(
        "print", "blank-questionnaire", "--definition", str(bad), "--out", str(tmp_path / "x.pdf")
    )
    _clean_failure(result, 1, "cannot use the definition", max_lines=10)  # every problem listed
    assert not (tmp_path / "x.pdf").exists()


def test_refused_input(cli_vault: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    child_id = str(_ids(cli_vault, "children")[0]["id"])
    cases = [
        (["print", "visit", "f" * 32], 1, "no visit record with id"),
        (["print", "visit", child_id], 1, "is a child record, not a visit record"),
        (["print", "assessment", child_id], 1, "not a assessment record"),
        (["print", "monthly", "--month", "2026-13"], 1, "not a month in the form YYYY-MM"),
        (["print", "monthly", "--month", "nov"], 1, "not a month in the form YYYY-MM"),
        (["print", "monthly", "--month", "2999-01"], 1, "has not begun yet"),
        (["print", "monthly", "--month", "2026-01", "--village", "12"], 1, "12-digit"),
    ]
    for args, code, words in cases:
        result = run_cli_in_process(
            *args, "--out", str(out), "--password-stdin", stdin=STDIN, data_dir=cli_vault
        )
        _clean_failure(result, code, words)
        assert not out.exists()


def test_cannot_open_or_write(cli_vault: Path, tmp_path: Path) -> None:
    visit_id = str(_ids(cli_vault, "visits")[0]["id"])
    missing_folder = tmp_path / "no-such-folder" / "out.pdf"
    result = run_cli_in_process(
        "print",
        "visit",
        visit_id,
        "--out",
        str(missing_folder),
        "--password-stdin",
        stdin=STDIN,
        data_dir=cli_vault,
    )
    _clean_failure(result, 2, "does not exist")
    result = run_cli_in_process(
        "print",
        "visit",
        visit_id,
        "--out",
        str(tmp_path),
        "--password-stdin",
        stdin=STDIN,
        data_dir=cli_vault,
    )
    _clean_failure(result, 2, "it is a folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run_cli_in_process(
            "print", "blank-questionnaire", "--out", str(locked / "x.pdf"), data_dir=cli_vault
        )
        if result.returncode == 0:  # root ignores folder permissions
            assert (locked / "x.pdf").exists()
        else:
            _clean_failure(result, 2, "cannot write")
            assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)
    result = run_cli_in_process(
        "print",
        "visit",
        visit_id,
        "--out",
        str(tmp_path / "v.pdf"),
        "--password-stdin",
        stdin="wrong password\n",
        data_dir=cli_vault,
    )
    _clean_failure(result, 2, "cannot open the vault")
    assert not (tmp_path / "v.pdf").exists()


def test_a_failed_write_leaves_nothing(cli_vault: Path, small_disk: Path) -> None:
    # Fill the small disk so the PDF cannot be written in full.
    filler = small_disk / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError:
            pass
    out = small_disk / "blank.pdf"
    result = run_cli_in_process(
        "print", "blank-questionnaire", "--out", str(out), data_dir=cli_vault
    )
    _clean_failure(result, 2, "cannot write")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
