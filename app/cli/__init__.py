"""The command line: ``childdesk <command>``. Each command group lives in its own module and
registers its subcommands in :data:`COMMAND_GROUPS`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from app import app_version
from app.cli import (
    backup_commands,
    domain_commands,
    print_commands,
    questionnaire_commands,
    register_commands,
    vault_commands,
)

# Each group adds its subcommands to the parser; each subcommand sets ``handler``.
COMMAND_GROUPS: tuple[
    Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...
] = (
    vault_commands.register,
    questionnaire_commands.register,
    domain_commands.register,
    print_commands.register,
    backup_commands.register,
    register_commands.register,
)


def build_parser() -> argparse.ArgumentParser:
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
    for register in COMMAND_GROUPS:
        register(subparsers)
    return parser


def run_command(args: argparse.Namespace) -> int:
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return 2
    return run_command(args)
