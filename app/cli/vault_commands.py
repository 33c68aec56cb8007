"""Vault commands: init, verify, passwd, recover. Passwords come from standard input only."""

from __future__ import annotations

import argparse

from app.cli.console import (
    EXIT_CANNOT_OPEN,
    EXIT_OK,
    EXIT_REFUSED,
    InputError,
    add_password_stdin,
    data_dir,
    fail,
    read_secret_lines,
    report_vault_error,
)
from storage.errors import VaultError
from storage.header import DatabaseMismatchError
from storage.vault import Vault
from storage.verify import verify_vault


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = subparsers.add_parser("init", help="create a vault for a child director")
    init.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the new password from the first line of standard input",
    )
    init.add_argument("--name", default="", help="the child director's name")
    init.add_argument(
        "--village", default="", metavar="CODE", help="12-digit village code (行政区划代码)"
    )
    init.set_defaults(handler=cmd_init)

    verify = subparsers.add_parser(
        "verify",
        help="check every record, attachment and the header",
        description="Exit 0: healthy. 1: damage found (listed by id). 2: could not open.",
    )
    add_password_stdin(verify)
    verify.set_defaults(handler=cmd_verify)

    passwd = subparsers.add_parser(
        "passwd", help="change the password (old and new password as two stdin lines)"
    )
    passwd.set_defaults(handler=cmd_passwd)

    recover = subparsers.add_parser(
        "recover",
        help="set a new password with the recovery code (code and new password as two stdin lines)",
    )
    recover.set_defaults(handler=cmd_recover)


def cmd_init(args: argparse.Namespace) -> int:
    from app.domain.child_file import VILLAGE_CODE_RE  # the questionnaire engine comes with it

    if args.village and not VILLAGE_CODE_RE.match(args.village):
        return fail(
            "--village must be the 12-digit village code (行政区划代码), "
            f"got {len(args.village)} characters",
            EXIT_REFUSED,
        )
    try:
        (password,) = read_secret_lines(1, "the new password")
        created = Vault.create(
            data_dir(args.data_dir), password, director_name=args.name, village_code=args.village
        )
    except InputError as err:
        return fail(str(err), EXIT_REFUSED)
    except VaultError as err:
        return report_vault_error(err)
    with created.vault as vault:
        print(f"Vault created in {vault.paths.root}")
    print("Recovery code (恢复码) — write it down or print it and keep it somewhere safe.")
    print("It is shown only this once; with it alone a new password can be set:")
    print()
    print(f"    {created.recovery_code}")
    print()
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        (password,) = read_secret_lines(1, "the password")
        vault = Vault.unlock(data_dir(args.data_dir), password)
    except InputError as err:
        return fail(str(err), EXIT_CANNOT_OPEN)
    except DatabaseMismatchError as err:
        # The header opened, the database is not the one it describes: that is damage found.
        print("DAMAGE FOUND in 1 item:")
        print(f"  database vault.db: {err}")
        return EXIT_REFUSED
    except VaultError as err:
        return fail(f"cannot open the vault: {err}", EXIT_CANNOT_OPEN)
    try:
        with vault:
            return _verify(vault)
    except VaultError as err:
        return fail(str(err), EXIT_CANNOT_OPEN)


def _verify(vault: Vault) -> int:
    report = verify_vault(vault)
    for note in report.repaired:
        print(f"repaired: {note}")
    print(
        f"checked {report.records_checked} records ({report.revisions_checked} revisions), "
        f"{report.attachments_checked} attachments"
    )
    if report.orphan_blobs:
        print(f"{len(report.orphan_blobs)} attachment files are not referenced (kept, harmless)")
    if report.healthy:
        print("vault is healthy")
        return EXIT_OK
    print(f"DAMAGE FOUND in {len(report.damaged)} items:")
    for item in report.damaged:
        print(f"  {item.kind} {item.item_id}: {item.detail}")
    return EXIT_REFUSED


def cmd_passwd(args: argparse.Namespace) -> int:
    try:
        old, new = read_secret_lines(2, "the current and the new password (two lines)")
        with Vault.unlock(data_dir(args.data_dir), old) as vault:
            vault.change_password(old, new)
    except InputError as err:
        return fail(str(err), EXIT_REFUSED)
    except VaultError as err:
        return report_vault_error(err)
    print("Password changed.")
    return EXIT_OK


def cmd_recover(args: argparse.Namespace) -> int:
    try:
        code, new = read_secret_lines(2, "the recovery code and the new password (two lines)")
        with Vault.recover(data_dir(args.data_dir), code, new):
            pass
    except InputError as err:
        return fail(str(err), EXIT_REFUSED)
    except VaultError as err:
        return report_vault_error(err)
    print("New password set. The recovery code stays valid; keep it safe.")
    return EXIT_OK
