"""Backup commands: a checked, encrypted copy of the vault on a USB stick, and restoring it.

    childdesk backup --to PATH --password-stdin        PATH: a folder (a dated name is chosen)
                                                       or a file ending in .cdbackup
    childdesk restore --from FILE --password-stdin [--replace]

The password is the vault's (backup) or the backup's (restore), on the first line of standard
input. ``restore`` refuses to replace a vault already in the data folder unless ``--replace`` is
given; the vault that was there is then renamed aside (its folder name printed), never deleted.
Exit codes: 0 done, 1 refused (damaged backup, a vault already there without --replace),
2 cannot open the vault or the backup's password is wrong, or the file cannot be written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.console import (
    EXIT_CANNOT_OPEN,
    EXIT_OK,
    EXIT_REFUSED,
    InputError,
    add_password_stdin,
    data_dir,
    fail,
    read_secret_lines,
    with_unlocked_vault,
)
from storage.backup import (
    BackupDamagedError,
    BackupError,
    BackupTooNewError,
    RestoreConflictError,
    restore_backup,
    write_backup,
)
from storage.errors import VaultError
from storage.vault import Vault


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="write an encrypted, checked backup of the vault (e.g. to a USB stick)",
        description="Copy the vault's encrypted files to one .cdbackup file, then read it back "
        "and check it. The backup opens with the password the vault has now.",
    )
    backup.add_argument(
        "--to", required=True, metavar="PATH", help="a folder (e.g. the stick) or a .cdbackup file"
    )
    add_password_stdin(backup)
    backup.set_defaults(handler=cmd_backup)

    restore = subparsers.add_parser(
        "restore",
        help="restore the vault from a .cdbackup file (the backup's password on stdin)",
        description="Check the backup, open it with its password, and put it in the data folder. "
        "A vault already there is replaced only with --replace, and kept aside (renamed).",
    )
    restore.add_argument("--from", dest="source", required=True, metavar="FILE")
    restore.add_argument(
        "--replace",
        action="store_true",
        help="replace the vault already in the data folder (it is renamed aside, not deleted)",
    )
    add_password_stdin(restore)
    restore.set_defaults(handler=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    def work(vault: Vault) -> int:
        try:
            info = write_backup(vault, Path(args.to))
        except BackupError as err:
            return fail(str(err), EXIT_CANNOT_OPEN)
        print(
            f"backup written and checked: {info.path} "
            f"({info.revisions} revisions, {info.attachments} attachments, {info.size} bytes)"
        )
        return EXIT_OK

    return with_unlocked_vault(args, work)


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        (password,) = read_secret_lines(1, "the backup's password")
    except InputError as err:
        return fail(str(err), EXIT_CANNOT_OPEN)
    try:
        result = restore_backup(
            Path(args.source), data_dir(args.data_dir), password, replace=args.replace
        )
    except RestoreConflictError as err:
        return fail(str(err), EXIT_REFUSED)
    except (BackupDamagedError, BackupTooNewError) as err:
        return fail(f"{err}; nothing was changed", EXIT_REFUSED)
    except VaultError as err:
        return fail(f"{err}; nothing was changed", EXIT_CANNOT_OPEN)
    with result.vault:
        print(f"restored from {result.backup.path} ({result.backup.revisions} revisions)")
    if result.set_aside is not None:
        print(f"the vault that was in the data folder is kept at {result.set_aside}")
    return EXIT_OK
