"""Shared helpers for command-line commands: secrets from standard input, error reporting."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from storage.errors import VaultError, WeakPasswordError
from storage.paths import resolve_data_dir
from storage.vault import Vault

EXIT_OK = 0
EXIT_REFUSED = 1  # bad input (weak password, damage found by verify)
EXIT_CANNOT_OPEN = 2  # wrong password, no vault, unreadable or unwritable files


class InputError(Exception):
    """Standard input did not carry what the command needs."""


def read_secret_lines(count: int, what: str) -> list[str]:
    """Read ``count`` lines from standard input; secrets never come from argv or the env."""
    lines = []
    for index in range(count):
        not_utf8 = InputError(
            f"{what} on standard input is not valid UTF-8 text (line {index + 1}); "
            "type it again, or check the terminal's or file's character encoding"
        )
        try:
            line = sys.stdin.readline()
            # With the C/POSIX locale stdin decodes with surrogateescape: bytes that are not
            # UTF-8 arrive as lone surrogates, which no password can be made of.
            line.encode("utf-8")
        except UnicodeError:
            raise not_utf8 from None
        if not line:
            raise InputError(f"expected {what} on standard input (line {index + 1} is missing)")
        lines.append(line.rstrip("\r\n"))
    return lines


def data_dir(explicit: str | None) -> Path:
    return resolve_data_dir(explicit)


def fail(message: str, code: int) -> int:
    print(f"childdesk: {message}", file=sys.stderr)
    return code


def report_vault_error(err: VaultError) -> int:
    if isinstance(err, WeakPasswordError):
        lines = "\n".join(f"  - {reason}" for reason in err.reasons_en)
        return fail(
            f"password refused:\n{lines}\n  Tip: a longer phrase is easier to remember "
            "and harder to guess.",
            EXIT_REFUSED,
        )
    return fail(str(err), EXIT_CANNOT_OPEN)


def add_password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from the first line of standard input",
    )


def with_unlocked_vault(args: argparse.Namespace, work: Callable[[Vault], int]) -> int:
    """Unlock with the password on stdin, run ``work``, lock again; failures exit 2."""
    try:
        (password,) = read_secret_lines(1, "the password")
        vault = Vault.unlock(data_dir(args.data_dir), password)
    except InputError as err:
        return fail(str(err), EXIT_CANNOT_OPEN)
    except VaultError as err:
        return fail(f"cannot open the vault: {err}", EXIT_CANNOT_OPEN)
    try:
        with vault:
            return work(vault)
    except VaultError as err:
        return fail(str(err), EXIT_CANNOT_OPEN)
