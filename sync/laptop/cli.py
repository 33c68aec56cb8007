"""``childdesk`` sync commands (issue 8). Secrets come on standard input with
``--password-stdin``, one per line: the vault password first, then the enrollment code
(``enroll``) or the new password (``recovery-apply``, which needs no vault password).

    childdesk enroll --server URL --password-stdin        # password, code
    childdesk enroll --request-file DIR --password-stdin  # password, code
    childdesk enroll --response-file FILE --password-stdin
    childdesk sync [--server URL] --password-stdin
    childdesk export-batch --to DIR --password-stdin
    childdesk import-response PATH --password-stdin       # a folder (stick) or a .cdresponse
    childdesk sync-status [--json] --password-stdin
    childdesk recovery-request --to DIR
    childdesk recovery-apply FILE --password-stdin        # the new password

Exit codes: 0 done, 1 refused (the reason on one line), 2 could not open the vault or reach
the server. Output carries ids and counts only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.console import (
    EXIT_CANNOT_OPEN,
    EXIT_OK,
    EXIT_REFUSED,
    InputError,
    data_dir,
    fail,
    read_secret_lines,
    with_unlocked_vault,
)
from storage.errors import VaultError
from storage.vault import Vault
from sync.errors import SyncError

if TYPE_CHECKING:  # the engine (httpx, age) is imported only when a sync command runs
    from sync.laptop.engine import LaptopSync
    from sync.laptop.state import SyncReport

COMMANDS = (
    "enroll",
    "sync",
    "export-batch",
    "import-response",
    "sync-status",
    "recovery-request",
    "recovery-apply",
)


def wants(argv: Sequence[str]) -> bool:
    """Is this command line one of ours? (the first word that is not a global option)"""
    args = list(argv)
    i = 0
    while i < len(args):
        if args[i] == "--data-dir":
            i += 2
            continue
        if args[i].startswith("-"):
            i += 1
            continue
        return args[i] in COMMANDS
    return False


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS)
    common.add_argument("--password-stdin", action="store_true")
    parser = argparse.ArgumentParser(prog="childdesk")
    parser.add_argument("--data-dir", metavar="DIR", default=None)
    sub = parser.add_subparsers(dest="command", required=True)
    enroll = sub.add_parser("enroll", parents=[common], help="enroll with the district")
    way = enroll.add_mutually_exclusive_group(required=True)
    way.add_argument("--server", metavar="URL")
    way.add_argument("--request-file", metavar="DIR", help="write the request to a stick")
    way.add_argument("--response-file", metavar="FILE", help="read the district's answer")
    sync = sub.add_parser("sync", parents=[common], help="send and receive over the network")
    sync.add_argument("--server", metavar="URL")
    export = sub.add_parser("export-batch", parents=[common], help="write batches to a stick")
    export.add_argument("--to", metavar="DIR", required=True)
    imp = sub.add_parser("import-response", parents=[common], help="read a stick's answers")
    imp.add_argument("path")
    status = sub.add_parser("sync-status", parents=[common], help="pending, last sync, lists")
    status.add_argument("--json", action="store_true")
    req = sub.add_parser("recovery-request", parents=[common], help="district-escrow request")
    req.add_argument("--to", metavar="DIR", required=True)
    apply = sub.add_parser("recovery-apply", parents=[common], help="apply the district's grant")
    apply.add_argument("file")
    return parser


def _report_json(report: SyncReport) -> str:
    return json.dumps(asdict(report), ensure_ascii=False)


def _with_engine(args: argparse.Namespace, work: Callable[[LaptopSync], int]) -> int:
    if not args.password_stdin:
        return fail("--password-stdin is required (secrets never come from the command line)", 2)

    from sync.laptop.engine import LaptopSync
    from sync.laptop.errors import TransientError

    def run(vault: Vault) -> int:
        author = str(vault.profile().get("name") or "")
        try:
            return work(LaptopSync(vault, author=author))
        except TransientError as err:
            return fail(f"cannot reach the district server: {err}", EXIT_CANNOT_OPEN)
        except SyncError as err:
            return fail(f"refused ({err.code}): {err.message}", EXIT_REFUSED)
        except OSError as err:
            return fail(f"cannot read or write: {err.strerror or type(err).__name__}", 2)

    return with_unlocked_vault(args, run)


def cmd_enroll(args: argparse.Namespace) -> int:
    def work(engine: LaptopSync) -> int:
        label = str(engine.vault.profile().get("village_code") or "")
        if args.response_file:
            pinned = engine.accept_enrollment_file(Path(args.response_file))
        else:
            (code,) = read_secret_lines(1, "the enrollment code")
            if args.request_file:
                path = engine.enrollment_request_file(Path(args.request_file), code, label=label)
                print(
                    f"{path.name} written; import it at the district, then run "
                    "`childdesk enroll --response-file FILE`"
                )
                return EXIT_OK
            pinned = engine.enroll_network(args.server, code, label=label)
        print(f"enrolled; district id {pinned.district_id}; villages {', '.join(pinned.villages)}")
        return EXIT_OK

    try:
        return _with_engine(args, work)
    except InputError as err:
        return fail(str(err), EXIT_REFUSED)


def cmd_sync(args: argparse.Namespace) -> int:
    def work(engine: LaptopSync) -> int:
        if args.server:
            engine.set_server_url(args.server)
        report = engine.sync_now()
        print(_report_json(report))
        if report.revoked:
            return fail("this device has been revoked; contact the district", EXIT_REFUSED)
        return EXIT_OK

    return _with_engine(args, work)


def cmd_export(args: argparse.Namespace) -> int:
    def work(engine: LaptopSync) -> int:
        files = engine.export_batches(Path(args.to))
        for f in files:
            print(f.name)
        print(f"{len(files)} batch files written and verified; the stick can be removed")
        return EXIT_OK

    return _with_engine(args, work)


def cmd_import(args: argparse.Namespace) -> int:
    def work(engine: LaptopSync) -> int:
        path = Path(args.path)
        if path.is_dir():
            report, problems = engine.import_folder(path)
        else:
            from sync.laptop.state import SyncReport

            report, problems = SyncReport(via="usb"), []
            engine.apply_changes(path.read_bytes(), report)
            if not report.revoked:
                engine.apply_decisions(report)
        print(_report_json(report))
        for problem in problems:
            print(f"not imported: {problem}", file=sys.stderr)
        return EXIT_REFUSED if problems else EXIT_OK

    return _with_engine(args, work)


def cmd_status(args: argparse.Namespace) -> int:
    def work(engine: LaptopSync) -> int:
        status = engine.status()
        data = asdict(status)
        data["quarantine"] = [
            {"record_id": q.record_id, "record_type": q.record_type, "reason": q.reason}
            for q in engine.quarantine()
        ]
        data["conflicts"] = [
            {"record_id": c.record_id, "field": c.field, "kept": c.kept} for c in engine.conflicts()
        ]
        if args.json:
            print(json.dumps(data, ensure_ascii=False, indent=1))
        else:
            for key in (
                "enrolled",
                "pending",
                "pending_batches",
                "quarantined",
                "open_conflicts",
                "last_sync",
                "last_via",
                "revoked",
            ):
                print(f"{key}: {data[key]}")
        return EXIT_OK

    return _with_engine(args, work)


def cmd_recovery_request(args: argparse.Namespace) -> int:
    from sync import recovery

    try:
        request = recovery.write_request(data_dir(args.data_dir), Path(args.to))
    except SyncError as err:
        return fail(f"no recovery request written: {err.message}", EXIT_REFUSED)
    except OSError as err:
        # A full, write-protected or pulled stick: any earlier request stays valid.
        reason = err.strerror or type(err).__name__
        return fail(f"cannot write the recovery request to {args.to}: {reason}", 2)
    print(f"{request.path.name} written")
    print(f"check code (read it to the district by phone): {request.check_code}")
    return EXIT_OK


def cmd_recovery_apply(args: argparse.Namespace) -> int:
    from sync import recovery

    if not args.password_stdin:
        return fail("--password-stdin is required", 2)
    try:
        (new_password,) = read_secret_lines(1, "the new password")
        vault = recovery.apply_grant(
            data_dir(args.data_dir), Path(args.file).read_bytes(), new_password
        )
    except InputError as err:
        return fail(str(err), EXIT_REFUSED)
    except SyncError as err:
        return fail(f"the grant was refused: {err.message}", EXIT_REFUSED)
    except VaultError as err:
        return fail(str(err), EXIT_REFUSED)
    except OSError as err:
        return fail(f"cannot read the grant: {err.strerror or type(err).__name__}", 2)
    vault.lock()
    print("vault recovered; the new password is set")
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "enroll": cmd_enroll,
    "sync": cmd_sync,
    "export-batch": cmd_export,
    "import-response": cmd_import,
    "sync-status": cmd_status,
    "recovery-request": cmd_recovery_request,
    "recovery-apply": cmd_recovery_apply,
}


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    return HANDLERS[args.command](args)
