"""``childdesk-district``'s commands that do not serve import nothing of the web server (FastAPI,
uvicorn, Starlette, the templates, the QR codes), of printing, of the laptop's HTTP client or
pypinyin: the same check as tests/cli/test_cli_imports.py makes for the desktop program. And
the pinyin table read without the pypinyin package is pypinyin's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.sync.test_district_cli import DISTRICT_ENV, PASSPHRASE
from tests.sync.test_district_cli import initialised as initialised

HEAVY = (
    "fastapi",
    "uvicorn",
    "starlette",
    "jinja2",
    "segno",
    "multipart",
    "reportlab",
    "httpx",
    "pypinyin",
    "PySide6",
)
COMMANDS = (
    ["user", "list"],
    ["access-log", "prune"],
    ["devices"],
    ["stats"],
    ["enroll-code", "--village", "110101001001"],
    ["history", "no-such-record"],
)


def test_the_commands_that_do_not_serve_import_no_web_server(initialised: Path) -> None:
    probe = (
        "import contextlib, io, sys\n"
        "from sync.district_cli import main\n"
        f"for argv in {COMMANDS!r}:\n"
        "    sys.stdin = io.StringIO(sys.argv[1] + '\\n')\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        f"        code = main([*argv, '--data-dir', {str(initialised)!r}, '--passphrase-stdin'])\n"
        f"    heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "    print(' '.join(argv[:1]), code, heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, PASSPHRASE],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=DISTRICT_ENV,
    )
    lines = result.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [argv[0] for argv in COMMANDS]
    for line, argv in zip(lines, COMMANDS, strict=True):
        exit_code = "1" if argv[0] == "history" else "0"  # no such record: refused, not broken
        assert line == f"{argv[0]} {exit_code} []", result.stdout + result.stderr


def test_the_pinyin_table_read_without_the_package_is_pypinyins() -> None:
    from pypinyin.pinyin_dict import pinyin_dict

    from resources.pinyin_table import read_table

    table = read_table()
    assert table is not pinyin_dict  # read from the data file, not the imported module
    assert table == pinyin_dict and len(table) > 20_000
