"""The command line: ``childdesk <command>``. Each command group lives in its own module and
registers its subcommands; :data:`COMMAND_GROUPS` names the module of each command.

A run imports only the module of the command it runs (``childdesk verify`` does not import
reportlab, the spreadsheet libraries or the questionnaire engine): every command-line run pays
for its imports, and the test suite starts the program hundreds of times. Help, ``--version``,
an unknown command and anything unusual before the command build the whole parser, so what
argparse prints is the same as ever."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from app import app_version

# The module (in app.cli) that registers each command, in the order --help lists them.
COMMAND_GROUPS: dict[str, tuple[str, ...]] = {
    "vault_commands": ("init", "verify", "passwd", "recover"),
    "questionnaire_commands": ("questionnaire",),
    "domain_commands": ("demo", "children", "visits", "due"),
    "print_commands": ("print",),
    "backup_commands": ("backup", "restore"),
    "register_commands": ("import", "export"),
}
_GROUP_OF = {command: group for group, commands in COMMAND_GROUPS.items() for command in commands}

# The program's own options before the command: those that take a value, and flags.
_OPTIONS_WITH_VALUE = frozenset({"--data-dir"})
_FLAGS = frozenset({"--demo", "--smoke-test"})


def _register(group: str) -> Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]:
    module = importlib.import_module(f"app.cli.{group}")
    register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]
    register = module.register
    return register


def command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, when argparse would certainly read it so: after only the
    program's own options, spelled in full. None otherwise (help, --version, no command, an
    abbreviated option, a typo), for which the whole parser is built."""
    index = 0
    while index < len(argv):
        token = argv[index]
        if token in _OPTIONS_WITH_VALUE:
            index += 2
        elif token in _FLAGS or ("=" in token and token.split("=", 1)[0] in _OPTIONS_WITH_VALUE):
            index += 1
        elif token.startswith("-"):
            return None
        else:
            return token if token in _GROUP_OF else None
    return None


def build_parser(
    command: str | None = None, *, groups: Sequence[str] | None = None
) -> argparse.ArgumentParser:
    """The parser; with ``command`` (one :func:`command_of` found), only that command's group
    is registered (and imported); ``groups`` names the groups to register instead."""
    parser = argparse.ArgumentParser(
        prog="childdesk",
        description="儿童主任工作台 (Child Director Desk). Without a command: the desktop app.",
        # The sync commands live in sync/laptop/cli.py (the launcher routes them there).
        epilog="Sync with the district (同步): childdesk enroll, sync, export-batch, "
        "import-response, sync-status, recovery-request, recovery-apply — each with --help.",
    )
    parser.add_argument("--version", action="version", version=f"childdesk {app_version()}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="vault folder (default: the per-user data folder, or $CHILDDESK_DATA_DIR)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open a temporary vault filled with synthetic data (演示数据); no password set-up",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="check that this copy works (Qt offscreen, a temporary vault, a PDF); prints OK",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    if groups is None:
        group = _GROUP_OF.get(command) if command is not None else None
        groups = [group] if group is not None else list(COMMAND_GROUPS)
    for group in groups:
        _register(group)(subparsers)
    return parser


def run_command(args: argparse.Namespace) -> int:
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


def only_own_options(argv: Sequence[str]) -> bool:
    """Whether ``argv`` is only the program's own options, spelled in full (the desktop app:
    no command, no help) — then no command group needs registering."""
    index = 0
    while index < len(argv):
        token = argv[index]
        if token in _OPTIONS_WITH_VALUE and index + 1 < len(argv):
            index += 2
        elif token in _FLAGS or ("=" in token and token.split("=", 1)[0] in _OPTIONS_WITH_VALUE):
            index += 1
        else:
            return False
    return True


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """``build_parser().parse_args(argv)``, importing only the module of the command run (none
    for the desktop app: every command module imported cost ~0.9 CPU-s at each start)."""
    if only_own_options(argv):
        return build_parser(groups=()).parse_args(argv)
    return build_parser(command_of(argv)).parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        build_parser().print_help()
        return 2
    return run_command(args)
