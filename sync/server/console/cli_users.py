"""``childdesk-district user add|list|disable|enable|reset-password``: console accounts, and
``childdesk-district access-log prune [--keep-days N]``: the access log's retention (the
server's own setting is ``serve --access-log-days N``: :func:`retention_days` checks both).

No operator passphrase is needed (accounts live in the database, not under the district keys).
A new or reset account gets a one-time initial password, printed once, changed at first sign-in.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sync.server.console.scope import ROLES


def retention_days(text: str) -> int:
    """argparse type of ``--keep-days`` and ``serve --access-log-days``: a whole number of days,
    at least 183; anything else is refused with the reason (exit 2, before any database or
    passphrase)."""
    from sync.server.console.accounts import AccountError
    from sync.server.console.log_retention import parse_days

    try:
        return parse_days(text)
    except AccountError as err:
        raise argparse.ArgumentTypeError(err.message_en) from None


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    user = sub.add_parser("user", help="console accounts (district, town, partner)")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", parents=[common], help="create an account")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument(
        "--town",
        action="append",
        default=[],
        metavar="CODE",
        help="9-digit town code (first 9 digits of a village code); repeatable; town role only",
    )
    listing = user_sub.add_parser("list", parents=[common], help="list accounts")
    listing.add_argument("--json", action="store_true")
    for name, text in (("disable", "disable an account"), ("enable", "enable it again")):
        cmd = user_sub.add_parser(name, parents=[common], help=text)
        cmd.add_argument("name")
    reset = user_sub.add_parser(
        "reset-password", parents=[common], help="a new one-time password (ends its sessions)"
    )
    reset.add_argument("name")
    reset.add_argument(
        "--reset-totp", action="store_true", help="also drop the second factor (lost phone)"
    )
    from sync.server.console.log_retention import MIN_RETENTION_DAYS, RETENTION_DAYS

    access = sub.add_parser("access-log", help="the console's access log")
    access_sub = access.add_subparsers(dest="access_command", required=True)
    prune = access_sub.add_parser(
        "prune", parents=[common], help="delete access-log rows older than the retention"
    )
    prune.add_argument(
        "--keep-days",
        "--older-than-days",
        dest="keep_days",
        type=retention_days,
        default=RETENTION_DAYS,
        metavar="N",
        help=f"keep the last N days, delete older rows (default {RETENTION_DAYS}, at least "
        f"{MIN_RETENTION_DAYS})",
    )


def run(ctx: Any, error: type[Exception]) -> int:
    """Run ``ctx.args.user_command``; refusals raise ``error`` (the CLI's CliError)."""
    from sync.server.console.accounts import AccountError

    args = ctx.args
    if args.command == "access-log":
        return _prune(ctx, error)
    engine = ctx.district(with_keys=False).engine
    from sync.server.console import accounts

    try:
        if args.user_command == "add":
            user, password = accounts.add_user(engine, args.name, args.role, args.town)
            print(f"user {user.name} ({user.role}) created")
            print(f"initial password (shown once, changed at first sign-in): {password}")
            return 0
        if args.user_command == "list":
            return _list(engine, as_json=args.json)
        if args.user_command in ("disable", "enable"):
            user = accounts.set_disabled(engine, args.name, args.user_command == "disable")
            print(f"user {user.name} {'disabled' if user.disabled else 'enabled'}")
            return 0
        user, password = accounts.reset_password(engine, args.name, reset_totp=args.reset_totp)
        print(f"user {user.name}: password reset, sessions ended")
        print(f"initial password (shown once, changed at first sign-in): {password}")
        return 0
    except AccountError as err:
        raise error(err.message_en) from None


def _prune(ctx: Any, error: type[Exception]) -> int:
    from sync.server.console.accounts import AccountError
    from sync.server.console.log_retention import check_retention, prune_access_log

    days = ctx.args.keep_days
    try:
        check_retention(days)  # before the database is opened
        removed = prune_access_log(ctx.district(with_keys=False).engine, days)
    except AccountError as err:
        raise error(err.message_en) from None
    print(f"access log: {removed} row(s) older than {days} days deleted")
    return 0


def _list(engine: Any, *, as_json: bool) -> int:
    from sync.server.console import accounts

    users = accounts.list_users(engine)
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "name": u.name,
                        "role": u.role,
                        "towns": list(u.towns),
                        "roster": u.roster.as_json() if u.roster else None,
                        "totp": u.totp_enabled,
                        "must_change": u.must_change,
                        "disabled": u.disabled,
                        "created_at": u.created_at,
                    }
                    for u in users
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if not users:
        print("no console accounts; add one with: childdesk-district user add NAME --role district")
        return 0
    for u in users:
        state = "disabled" if u.disabled else ("must change password" if u.must_change else "ok")
        totp = "totp" if u.totp_enabled else "no totp"
        towns = ",".join(u.towns) or "-"
        if u.role == "partner":
            roster = u.roster
            towns = "roster: " + (
                "none"
                if roster is None
                else ("district" if roster.whole_district else ",".join(roster.towns))
                + (f" ({','.join(roster.categories)})" if roster.categories else "")
            )
        print(f"{u.name}\t{u.role}\t{towns}\t{totp}\t{state}")
    return 0
