"""Printing commands: write a printed record as a PDF file.

    childdesk print visit ID --out FILE --password-stdin
    childdesk print child ID --out FILE --password-stdin
    childdesk print assessment ID --out FILE --password-stdin
    childdesk print blank-questionnaire [--definition FILE] --out FILE
    childdesk print monthly --month YYYY-MM [--village CODE] --out FILE --password-stdin

The PDF is rendered in memory and written to FILE through a temporary file in the same
folder (a new file with a random name, created exclusively, never through a link) that replaces
FILE only when complete, so a failed write leaves nothing half-written. FILE must be a regular
file or not exist yet: a device, pipe or link there is refused and left alone.
Exit codes: 0 written, 1 refused input (unknown id, wrong kind of record, bad month or
definition), 2 cannot open the vault or cannot write FILE.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from app.cli.console import (
    EXIT_CANNOT_OPEN,
    EXIT_OK,
    EXIT_REFUSED,
    add_password_stdin,
    fail,
    with_unlocked_vault,
)
from app.printing import (
    Letterhead,
    PrintInputError,
    assessment_report_pdf,
    blank_questionnaire_pdf,
    child_sheet_pdf,
    monthly_report_pdf,
    visit_record_pdf,
)
from app.questionnaire import DefinitionError, load_default_definition, load_definition
from app.services.definitions import DefinitionService
from app.services.monthly_report import MonthError, ReportMonth
from storage.atomic_file import NotARegularFileError, check_replaceable, write_atomic
from storage.vault import Vault


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "print",
        help="write a printed record (PDF) to a file",
        description="Render a printed record (入户走访记录表, 儿童档案表, 监护能力评估报告, "
        "空白评估表, 月度工作报表) and write it as a PDF file.",
    )
    actions = parser.add_subparsers(dest="print_action", metavar="DOCUMENT", required=True)

    for name, what, handler in (
        ("visit", "入户走访记录表 of one visit", cmd_visit),
        ("child", "儿童档案表 (child file sheet) of one child", cmd_child),
        ("assessment", "监护能力评估报告 of one finished assessment", cmd_assessment),
    ):
        sub = actions.add_parser(name, help=what, description=f"Write the {what} as a PDF.")
        sub.add_argument("record_id", metavar="ID", help="the record's id")
        _add_out(sub)
        add_password_stdin(sub)
        sub.set_defaults(handler=handler)

    blank = actions.add_parser(
        "blank-questionnaire",
        help="空白评估表: the questionnaire as a paper form to fill by hand",
        description="Write the questionnaire as a paper form (boxes to tick, lines to write "
        "on), generated from the definition. Needs no vault.",
    )
    blank.add_argument(
        "--definition", metavar="FILE", help="questionnaire definition (default: the bundled one)"
    )
    _add_out(blank)
    blank.set_defaults(handler=cmd_blank)

    monthly = actions.add_parser(
        "monthly",
        help="月度工作报表 for one month and one village",
        description="Write the monthly report (visits due / done / overdue, levels, cases, "
        "mandatory reports, children turning 18) for one month.",
    )
    monthly.add_argument("--month", required=True, metavar="YYYY-MM", help="e.g. 2026-11")
    monthly.add_argument(
        "--village", metavar="CODE", help="12-digit village code (default: the director's)"
    )
    _add_out(monthly)
    add_password_stdin(monthly)
    monthly.set_defaults(handler=cmd_monthly)


def _add_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE", help="the PDF file to write")


def _check_out(out: str) -> str | None:
    """Why FILE cannot be written, before any work is done (None when it looks writable)."""
    path = Path(out)
    if path.is_dir():
        return f"cannot write {out}: it is a folder"
    try:
        check_replaceable(path)
    except NotARegularFileError as err:
        return f"cannot write {out}: {err.strerror}"
    folder = path.parent
    if not folder.is_dir():
        return f"cannot write {out}: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"cannot write {out}: no permission to write in {folder}"
    return None


def _write(out: str, pdf: bytes) -> int:
    try:
        write_atomic(Path(out), pdf)
    except OSError as err:
        return fail(f"cannot write {out}: {err.strerror or err}", EXIT_CANNOT_OPEN)
    print(f"wrote {out} ({len(pdf):,} bytes)")
    return EXIT_OK


def _print_from_vault(args: argparse.Namespace, render: Callable[[Vault], bytes]) -> int:
    problem = _check_out(args.out)
    if problem:
        return fail(problem, EXIT_CANNOT_OPEN)

    def work(vault: Vault) -> int:
        try:
            pdf = render(vault)
        except PrintInputError as err:
            return fail(err.message_en, EXIT_REFUSED)
        except MonthError as err:
            return fail(str(err), EXIT_REFUSED)
        return _write(args.out, pdf)

    return with_unlocked_vault(args, work)


def cmd_visit(args: argparse.Namespace) -> int:
    return _print_from_vault(
        args, lambda vault: visit_record_pdf(vault, args.record_id, printed_on=date.today())
    )


def cmd_child(args: argparse.Namespace) -> int:
    return _print_from_vault(
        args,
        lambda vault: child_sheet_pdf(
            vault,
            args.record_id,
            printed_on=date.today(),
            schedule=DefinitionService(vault).schedule(),  # the district's newest rules
        ),
    )


def cmd_assessment(args: argparse.Namespace) -> int:
    return _print_from_vault(
        args,
        lambda vault: assessment_report_pdf(
            vault,
            args.record_id,
            printed_on=date.today(),
            definitions=DefinitionService(vault).questionnaires(),  # every version known here
            schedule=DefinitionService(vault).schedule(),  # the advised visit frequency
        ),
    )


def cmd_monthly(args: argparse.Namespace) -> int:
    try:
        month = ReportMonth.parse(args.month)
    except MonthError as err:
        return fail(str(err), EXIT_REFUSED)
    village = args.village
    if village is not None and not (len(village) == 12 and village.isdigit()):
        return fail(f"--village must be a 12-digit village code, got {village!r}", EXIT_REFUSED)
    today = date.today()
    if month.first_day > today:
        return fail(f"{month} has not begun yet (today is {today.isoformat()})", EXIT_REFUSED)
    return _print_from_vault(
        args,
        lambda vault: monthly_report_pdf(
            vault,
            month,
            today=today,
            village_code=village,
            schedule=DefinitionService(vault).schedule(),  # the district's newest rules
        ),
    )


def cmd_blank(args: argparse.Namespace) -> int:
    problem = _check_out(args.out)
    if problem:
        return fail(problem, EXIT_CANNOT_OPEN)
    try:
        definition = (
            load_definition(args.definition) if args.definition else load_default_definition()
        )
    except DefinitionError as err:
        return fail(f"cannot use the definition: {err}", EXIT_REFUSED)
    pdf = blank_questionnaire_pdf(
        definition, letterhead=Letterhead("", "", ""), printed_on=date.today()
    )
    return _write(args.out, pdf)
