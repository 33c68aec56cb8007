"""``childdesk-district``: the district server's administration (docs/district-server.md).

Errors a user can cause print one English line and exit 1 (refused input) or 2 (could not
start: no keys, wrong passphrase, database unreachable); never a traceback, never personal data.

The shared parts (:class:`CliError`, :class:`Context`) are in sync/server/cli_base.py and the
data commands (import, export, stats, history, publish, reindex) in sync/server/cli_data.py;
this module keeps the set-up, serving and device commands, the parser and ``main``.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from storage.crypto import KdfParams, calibrate_kdf
from storage.gc_pause import imports_paused, program_starts
from sync.errors import SyncError
from sync.keys import KeyPair, write_keystore
from sync.server.cli_base import (
    DB_NAME,
    DURATION_RE,
    KEYSTORE_NAME,
    MAX_DEFINITION_BYTES,
    MIN_PASSPHRASE,
    UNITS,
    CliError,
    Context,
    _read_passphrase,
    default_data_dir,
    log,
    parse_duration,
)
from sync.server.cli_data import (
    _import_file,
    _reindex,
    _write_if_changed,
    cmd_export_identity,
    cmd_export_responses,
    cmd_history,
    cmd_import,
    cmd_publish,
    cmd_reindex,
    cmd_stats,
)

__all__ = [
    "DB_NAME",
    "DURATION_RE",
    "KEYSTORE_NAME",
    "MAX_DEFINITION_BYTES",
    "MIN_PASSPHRASE",
    "UNITS",
    "CliError",
    "Context",
    "_import_file",
    "_read_passphrase",
    "_reindex",
    "_write_if_changed",
    "default_data_dir",
    "log",
    "main",
    "parse_duration",
]


# ----- commands --------------------------------------------------------------------------


def cmd_init(ctx: Context) -> int:
    if ctx.keystore.exists():
        raise CliError(f"district keys already exist in {ctx.data_dir}; nothing was changed")
    passphrase = _read_passphrase(ctx.args, confirm=True)
    if len(passphrase) < MIN_PASSPHRASE:
        raise CliError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    ctx.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys = KeyPair.generate()
    kdf = (
        KdfParams.from_json(json.loads(os.environ["CHILDDESK_DISTRICT_KDF"]))
        if os.environ.get("CHILDDESK_DISTRICT_KDF")
        else calibrate_kdf()
    )
    write_keystore(ctx.keystore, keys, passphrase, kdf=kdf)
    ctx.district(with_keys=False)  # creates and migrates the database
    print(f"district keys written to {ctx.keystore}")
    print(f"age recipient: {keys.public.age_recipient}")
    print(f"district id: {keys.key_id}")
    return 0


def cmd_serve(ctx: Context) -> int:
    from sync.server import workers
    from sync.server.connections import ConnectionSettings, parse_networks

    args = ctx.args
    count = workers.default_workers() if args.workers is None else args.workers
    if count < 1:
        raise CliError("--workers must be at least 1")
    if count > 1 and not workers.can_fork():
        raise CliError("several workers need a system with fork (Linux); use --workers 1")
    try:
        trusted = parse_networks(args.trusted_proxy or ())
    except ValueError:
        raise CliError("--trusted-proxy takes an IP address or network, e.g. 127.0.0.1") from None
    access_log_days = args.access_log_days
    if access_log_days is None:  # the older way: the service's environment
        from sync.server.console.accounts import AccountError
        from sync.server.console.log_retention import retention_from_env

        try:
            access_log_days = retention_from_env()
        except AccountError as err:
            raise CliError(err.message_en, 2) from None
    settings = ConnectionSettings(
        max_connections=args.max_connections,
        per_source=args.max_connections_per_source,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        keep_alive_timeout=args.keep_alive_timeout,
        trusted_proxies=trusted,
    )
    try:
        sock = workers.bind(args.host, args.port)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise CliError(
                f"port {args.port} on {args.host} is already in use "
                "(is another childdesk-district still running?)",
                2,
            ) from None
        reason = err.strerror or type(err).__name__
        raise CliError(f"cannot listen on {args.host} port {args.port} ({reason})", 2) from None
    try:
        district = ctx.district(with_keys=True)  # the passphrase is asked here, once
    except BaseException:
        sock.close()
        raise
    district.engine.dispose()  # each worker opens its own connections
    # the web app's modules (fastapi: ~0.25 CPU-s) once the port is ours: a port in use is
    # reported without them
    with imports_paused():
        from sync.server import db
        from sync.server.app import create_app
        from sync.server.console.passwords import TEST_FAST_HASH_ENV, fast_hash_for_tests
        from sync.server.district import District

        if count > 1:  # imported once here: the forked workers inherit the modules (web.py)
            from sync.server.console.web import console_routers

            console_routers()
    if fast_hash_for_tests():  # never in a real district: its log says so
        log.warning("%s=1: weak console password hashes (test runs only)", TEST_FAST_HASH_ENV)

    def make_app() -> Any:
        engine = db.make_engine(ctx.db_url)
        with imports_paused():  # the routes and their models: start-up as well
            return create_app(
                District(engine, district.public, district.keys, district.limits),
                trusted_proxies=trusted,
                console_insecure_cookie=args.console_insecure_cookie,
                access_log_days=access_log_days,
            )

    plural = "worker" if count == 1 else "workers"
    print(
        f"childdesk-district {district.district_id} on http://{args.host}:{args.port}"
        f" ({count} {plural})"
    )
    sys.stdout.flush()
    return workers.serve(
        make_app,
        workers=count,
        sock=sock,
        log_level="warning",
        access_log=False,
        **settings.uvicorn_options(),
    )


def cmd_enroll_code(ctx: Context) -> int:
    district = ctx.district(with_keys=False)
    seconds = parse_duration(ctx.args.expires)
    code = district.create_enroll_code(ctx.args.village, seconds)
    print(f"villages: {', '.join(sorted(set(ctx.args.village)))}; expires in {ctx.args.expires}")
    print(code)
    return 0


def cmd_devices(ctx: Context) -> int:
    devices = ctx.district(with_keys=False).devices()
    if ctx.args.json:
        print(json.dumps(devices, ensure_ascii=False, indent=1))
        return 0
    if not devices:
        print("no devices enrolled")
    for d in devices:
        state = f"revoked {d['revoked_at']}" if d["revoked_at"] else "active"
        print(
            f"{d['device_id']}  {state}  villages {','.join(d['villages'])}  "
            f"batches {d['batches']}  last contact {d['last_contact'] or 'never'}  {d['label']}"
        )
    return 0


def cmd_revoke(ctx: Context) -> int:
    district = ctx.district(with_keys=True)
    if district.revoke(ctx.args.device):
        print(f"device {ctx.args.device} revoked")
    else:
        print(f"device {ctx.args.device} was already revoked")
    return 0


# ----- parser ----------------------------------------------------------------------------


def _port(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def _positive_int(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _seconds(text: str) -> float:
    if not re.fullmatch(r"[0-9]{1,5}(\.[0-9]{1,3})?", text) or float(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return float(text)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="folder of the keys and the default SQLite database")
    common.add_argument("--db", help="database URL (default: SQLite in the data folder)")
    common.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read the operator passphrase from the first line of standard input",
    )
    parser = argparse.ArgumentParser(
        prog="childdesk-district", description="District server of 儿童主任工作台 (sync)."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", parents=[common], help="create the district keys and database")
    serve = sub.add_parser("serve", parents=[common], help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8750, help="1-65535 (default 8750)")
    serve.add_argument("--max-batch-mb", type=float, default=None)
    serve.add_argument(
        "--max-connections", type=_positive_int, default=1000, help="per worker (default 1000)"
    )
    serve.add_argument(
        "--max-connections-per-source",
        type=_positive_int,
        default=32,
        help="open connections from one address, per worker (default 32; trusted proxies exempt)",
    )
    serve.add_argument(
        "--header-timeout",
        type=_seconds,
        default=10.0,
        help="seconds a connection has to send a request's headers (default 10)",
    )
    serve.add_argument(
        "--body-timeout",
        type=_seconds,
        default=60.0,
        help="seconds a request body may stall (default 60)",
    )
    serve.add_argument(
        "--keep-alive-timeout",
        type=_positive_int,
        default=5,
        help="seconds an idle connection is kept open after a response (default 5)",
    )
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDRESS",
        help="a reverse proxy's address or network whose X-Forwarded-For is believed "
        "(repeatable; e.g. 127.0.0.1 behind nginx on the same host)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes (default: the number of cores, at most 4)",
    )
    from sync.server.console import cli_users
    from sync.server.console.log_retention import MIN_RETENTION_DAYS, RETENTION_DAYS, RETENTION_ENV

    serve.add_argument(
        "--access-log-days",
        type=cli_users.retention_days,
        default=None,
        metavar="N",
        help=f"the console's access log: rows older than N days are deleted when the server "
        f"starts (at least {MIN_RETENTION_DAYS}; default ${RETENTION_ENV} if set, else "
        f"{RETENTION_DAYS}: 3 years)",
    )
    serve.add_argument(
        "--console-insecure-cookie",
        action="store_true",
        help="development only: console cookie without Secure, for plain http on loopback "
        "(behind the TLS proxy never use it)",
    )
    cli_users.add_parser(sub, common)
    code = sub.add_parser("enroll-code", parents=[common], help="make a one-time enrollment code")
    code.add_argument("--village", action="append", required=True, help="12-digit village code")
    code.add_argument("--expires", default="7d", help="e.g. 12h, 7d (default 7d)")
    devices = sub.add_parser("devices", parents=[common], help="list enrolled devices")
    devices.add_argument("--json", action="store_true")
    revoke = sub.add_parser("revoke", parents=[common], help="revoke a device")
    revoke.add_argument("device")
    imp = sub.add_parser("import", parents=[common], help="import batches from a USB folder")
    imp.add_argument("dir")
    exp = sub.add_parser(
        "export-responses", parents=[common], help="write response files to a USB folder"
    )
    exp.add_argument("dir")
    exp.add_argument("--device", action="append", help="only this device (repeatable)")
    keys = sub.add_parser("keys", help="key management")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    export = keys_sub.add_parser(
        "export-identity", parents=[common], help="write the age identity for the age tool"
    )
    export.add_argument("--out", required=True)
    stats = sub.add_parser("stats", parents=[common], help="figures per village and device")
    stats.add_argument("--json", action="store_true")
    history = sub.add_parser("history", parents=[common], help="a record's revisions, conflicts")
    history.add_argument("record")
    publish = sub.add_parser(
        "publish", parents=[common], help="publish a questionnaire or schedule rules to devices"
    )
    publish.add_argument("--kind", choices=("questionnaire", "schedule"), required=True)
    publish.add_argument(
        "--version", help='publish as this version (replaces the file\'s own "version")'
    )
    publish.add_argument("file")
    sub.add_parser("reindex", parents=[common], help="rebuild the console's query tables")
    grant = sub.add_parser(
        "recovery-grant", parents=[common], help="answer a laptop's recovery request (escrow)"
    )
    grant.add_argument("file")
    grant.add_argument("--check-code", help="the code the director reads out (else asked)")
    return parser


def cmd_user(ctx: Context) -> int:
    from sync.server.console import cli_users

    return cli_users.run(ctx, CliError)


def cmd_recovery_grant(ctx: Context) -> int:
    from sync.server.recovery_grant import grant

    return grant(ctx.args, ctx.district(with_keys=True), CliError)


COMMANDS = {
    "init": cmd_init,
    "serve": cmd_serve,
    "enroll-code": cmd_enroll_code,
    "devices": cmd_devices,
    "revoke": cmd_revoke,
    "import": cmd_import,
    "export-responses": cmd_export_responses,
    "stats": cmd_stats,
    "reindex": cmd_reindex,
    "history": cmd_history,
    "publish": cmd_publish,
    "recovery-grant": cmd_recovery_grant,
    "user": cmd_user,
    "access-log": cmd_user,  # console/cli_users.py
}


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if argv is None:  # the program itself (the console script), not main([...]) in a test
        program_starts()
    with imports_paused():  # the commands' modules (SQLAlchemy) load with the parser
        parser = build_parser()
    args = parser.parse_args(argv)
    handler = cmd_export_identity if args.command == "keys" else COMMANDS[args.command]
    try:
        return handler(Context(args))
    except CliError as err:
        print(f"childdesk-district: {err}", file=sys.stderr)
        return err.exit_code
    except SyncError as err:
        exit_code = 2 if err.code in ("wrong_passphrase", "database_too_new") else 1
        print(f"childdesk-district: {err.message}", file=sys.stderr)
        return exit_code
    except KeyboardInterrupt:
        print("childdesk-district: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        print(f"childdesk-district: {err.strerror or type(err).__name__}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - the last line of defence: no traceback, no data
        print(f"childdesk-district: unexpected error ({type(err).__name__})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
