"""The command line imports only the module of the command it runs (app/cli/__init__.py): a
``childdesk verify`` does not pay for reportlab, the spreadsheet libraries, the questionnaire
engine or pypinyin, and it parses its arguments exactly as the whole parser does."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from app.cli import COMMAND_GROUPS, build_parser, command_of, only_own_options, parse_args

HEAVY = ("reportlab", "openpyxl", "xlsxwriter", "xlrd", "lark", "pypinyin", "zxcvbn", "PySide6")


def _commands_of(parser: argparse.ArgumentParser) -> list[str]:
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(subparsers.choices)


@pytest.mark.parametrize("group", list(COMMAND_GROUPS))
def test_each_group_registers_the_commands_the_table_names(group: str) -> None:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers(dest="command")
    importlib.import_module(f"app.cli.{group}").register(subparsers)
    assert list(subparsers.choices) == list(COMMAND_GROUPS[group])


def test_the_whole_parser_lists_every_command_in_order() -> None:
    assert _commands_of(build_parser()) == [c for cs in COMMAND_GROUPS.values() for c in cs]


@pytest.mark.parametrize(
    "argv, command",
    [
        (["verify", "--password-stdin"], "verify"),
        (["--data-dir", "print", "verify"], "verify"),  # a folder named like a command
        (["--data-dir=/x", "--demo", "print", "visit", "1"], "print"),
        (["--smoke-test"], None),
        (["--version", "verify"], None),
        (["-h"], None),
        (["--data", "x", "verify"], None),  # an abbreviation: the whole parser decides
        (["--", "verify"], None),
        (["verfy"], None),  # a typo: argparse lists every command
        ([], None),
    ],
)
def test_the_command_is_found_only_where_argparse_would_surely_read_it(
    argv: list[str], command: str | None
) -> None:
    assert command_of(argv) == command


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "--password-stdin"],
        ["--data-dir", "/tmp/v", "init", "--password-stdin", "--name", "王秀英"],
        ["questionnaire", "score", "@default", "a.json", "--today", "2026-11-02"],
        ["--data-dir=/d", "print", "monthly", "--month", "2026-11", "--out", "m.pdf"],
        ["--data-dir", "print", "children", "list", "--json", "--password-stdin"],
        ["import", "book.xlsx", "--dry-run", "--password-stdin"],
        ["restore"],  # its arguments missing: the same error exit
    ],
)
def test_a_command_parses_as_with_the_whole_parser(argv: list[str]) -> None:
    def parsed(parser: argparse.ArgumentParser) -> dict[str, object] | str:
        try:
            return vars(parser.parse_args(argv))
        except SystemExit as stop:
            return f"exit {stop.code}"

    assert parsed(build_parser(command_of(argv))) == parsed(build_parser())


def test_a_command_line_run_imports_only_what_its_command_needs() -> None:
    probe = (
        "import sys\n"
        "from ui.launcher import main\n"
        "from app.cli import parse_args\n"
        "parse_args(['verify', '--password-stdin'])\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
    assert parse_args(["verify", "--password-stdin"]).command == "verify"


def test_the_district_server_loads_the_pinyin_dictionary_only_to_derive_a_name() -> None:
    """Every ``childdesk-district`` command imports the District facade (and with it the query
    tables); the pinyin dictionary (~0.3 CPU-s) waits for the first name that needs initials,
    and then comes without the pypinyin package, whose ``__init__`` also loads the phrase
    dictionary and its segmenter (~0.2-0.7 CPU-s more) that initials never use."""
    probe = (
        "import sys\n"
        "import sync.district_cli, sync.server.district\n"
        "from sync.server.console import query_tables_derive as derive\n"
        "from resources import pinyin_table\n"
        "print('pypinyin' in {m.split('.')[0] for m in sys.modules}, not pinyin_table.loaded())\n"
        "print(derive.pinyin_initials('张小明'),\n"
        "      'pypinyin' in {m.split('.')[0] for m in sys.modules}, not pinyin_table.loaded())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    expected = ["False True", "zxm False False"]
    assert result.stdout.split("\n")[:2] == expected, result.stdout + result.stderr


@pytest.mark.parametrize(
    "argv, own",
    [
        ([], True),
        (["--demo"], True),
        (["--data-dir", "/tmp/v"], True),
        (["--data-dir=/tmp/v", "--smoke-test"], True),
        (["--data-dir"], False),  # its value missing: the whole parser's error
        (["--demo", "verify"], False),
        (["--version"], False),
        (["-h"], False),
        (["--dem"], False),  # an abbreviation: the whole parser decides
    ],
)
def test_the_desktop_app_parses_without_any_command_module(argv: list[str], own: bool) -> None:
    """Starting the desktop app (only the program's own options) registers no command group:
    importing every command module cost ~0.9 CPU-s at each start of the program."""
    assert only_own_options(argv) is own
    if own:
        assert vars(parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_starting_the_desktop_app_imports_no_command_module() -> None:
    probe = (
        "import sys\n"
        "from app.cli import parse_args\n"
        "parse_args(['--data-dir', '/tmp/v', '--demo'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('app.cli.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
