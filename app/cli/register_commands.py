"""``childdesk import`` and ``childdesk export``: registers (台账) as spreadsheets.

``childdesk import FILE [--sheet N] [--mapping FILE] [--dry-run] [--confirm-matches]
[--skip-problem-rows] [--workbook-password] --password-stdin`` reads the vault password from
the first line of standard input (and the workbook's password from the second with
``--workbook-password``), checks every row, and prints a JSON report: the sheets, the columns
and the field each was mapped to (a ``--mapping`` file has the same ``columns`` form), the
counts (create / update / unchanged / confirm / problem / skip) and each row that is not
unchanged with its problems. The report names rows by number only: no names or ID numbers.
Nothing is written with ``--dry-run``, nor when any row has a problem unless
``--skip-problem-rows`` leaves those rows out. Rows matched by name + birth date only are left
alone unless ``--confirm-matches``.

``childdesk export FILE [--layout register|flat] [--encrypt] --password-stdin`` writes the child
files in the vault's lists (not archived) to an .xlsx; ``--encrypt`` takes the file's password
from the second line of standard input.

Exit codes: 0 done (or dry run), 1 refused (bad file, problems, bad mapping), 2 vault not opened.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.console import (
    EXIT_OK,
    EXIT_REFUSED,
    InputError,
    add_password_stdin,
    fail,
    read_secret_lines,
    with_unlocked_vault,
)
from app.domain.problems import DomainValidationError
from app.registers.headers import FIELD_BY_KEY, auto_mapping, normalize_header
from app.registers.plan import Action
from app.registers.reader import RegisterReadError, SheetData, Workbook, open_register
from app.registers.service import RegisterImport
from app.registers.xlsx_export import atomic_export, export_children
from app.services.children import ChildService
from app.services.stale import StaleRevisionError
from storage.vault import Vault


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = subparsers.add_parser(
        "import", help="import children from a register spreadsheet (.xlsx/.xls/.et/.csv)"
    )
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--sheet", type=int, metavar="N", help="sheet number, from 1")
    imp.add_argument("--mapping", metavar="FILE", help="JSON column mapping (see the report)")
    imp.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    imp.add_argument(
        "--confirm-matches",
        action="store_true",
        help="also update files matched by name + birth date only",
    )
    imp.add_argument(
        "--skip-problem-rows",
        action="store_true",
        help="import the other rows when some rows have problems",
    )
    imp.add_argument(
        "--workbook-password",
        action="store_true",
        help="the workbook's password is on the second line of standard input",
    )
    add_password_stdin(imp)
    imp.set_defaults(handler=cmd_import)

    exp = subparsers.add_parser("export", help="export the child files to an .xlsx register")
    exp.add_argument("file", metavar="FILE")
    exp.add_argument("--layout", choices=("register", "flat"), default="register")
    exp.add_argument(
        "--encrypt",
        action="store_true",
        help="password-protect the file; its password is the second line of standard input",
    )
    add_password_stdin(exp)
    exp.set_defaults(handler=cmd_export)


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


def _refuse(code: str, message_zh: str, message_en: str) -> int:
    _print_json({"error": {"code": code, "message_zh": message_zh, "message_en": message_en}})
    return fail(message_en, EXIT_REFUSED)


def read_mapping_file(path: Path, headers: list[str]) -> list[str | None]:
    """``{"columns": [{"column": 3, "field": "id_number"}, …]}`` (the report's form) or
    ``{"公民身份证号码": "id_number", "5": null}`` (by header text or column number)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    mapping = auto_mapping(headers)
    pairs: list[tuple[str, Any]]
    if isinstance(data, dict) and isinstance(data.get("columns"), list):
        pairs = [(str(c["column"]), c.get("field")) for c in data["columns"]]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise ValueError("the mapping file must hold a JSON object")
    normalized = [normalize_header(h) for h in headers]
    for key, field in pairs:
        if field is not None and field not in FIELD_BY_KEY:
            raise ValueError(f"unknown field {field!r}; known: {', '.join(FIELD_BY_KEY)}")
        if key.isdigit():
            index = int(key) - 1
        elif normalize_header(key) in normalized:
            index = normalized.index(normalize_header(key))
        else:
            raise ValueError(f"no column {key!r} in the sheet")
        if not 0 <= index < len(mapping):
            raise ValueError(f"no column {key} in the sheet")
        mapping[index] = field
    return mapping


def _choose_sheet(book: Workbook, number: int | None) -> tuple[int, SheetData]:
    """``--sheet N``, else the first sheet with a recognised header, else the first with text."""
    if number is not None:
        return number - 1, book.read_sheet(number - 1)
    fallback: tuple[int, SheetData] | None = None
    first_error: RegisterReadError | None = None
    for index in range(len(book.sheet_names)):
        try:
            sheet = book.read_sheet(index)
        except RegisterReadError as err:
            if err.code != "empty_sheet":
                raise
            first_error = first_error or err
            continue
        if sheet.header_found:
            return index, sheet
        fallback = fallback or (index, sheet)
    if fallback is not None:
        return fallback
    assert first_error is not None
    raise first_error


def cmd_import(args: argparse.Namespace) -> int:
    def work(vault: Vault) -> int:
        workbook_password = None
        if args.workbook_password:
            try:
                (workbook_password,) = read_secret_lines(1, "the workbook password")
            except InputError as err:
                return fail(str(err), EXIT_REFUSED)
        try:
            book = open_register(Path(args.file), password=workbook_password)
            index, sheet = _choose_sheet(book, args.sheet)
        except RegisterReadError as err:
            return _refuse(err.code, err.message_zh, err.message_en)
        try:
            mapping = (
                read_mapping_file(Path(args.mapping), sheet.headers)
                if args.mapping
                else auto_mapping(sheet.headers)
            )
        except (OSError, ValueError, KeyError, TypeError) as err:
            return _refuse("bad_mapping", "列对应文件有误。", f"bad mapping file: {err}")
        if "name" not in mapping:
            return _refuse(
                "no_name_column",
                "没有找到“姓名”这一列：请确认选对了工作表，或用 --mapping 指定哪一列是姓名。",
                "no column is mapped to the name (姓名): check the sheet, or give --mapping",
            )
        importer = RegisterImport(vault, author=str(vault.profile().get("name") or ""))
        plan = importer.plan(sheet, mapping)
        report: dict[str, Any] = {
            "file_kind": book.kind,
            "sheets": book.sheet_names,
            "sheet_number": index + 1,
            "header_row": sheet.header_row,
            "dry_run": bool(args.dry_run),
            **plan.to_json(),
        }
        problems = plan.count(Action.PROBLEM)
        if args.dry_run:
            report["written"] = None
            _print_json(report)
            return EXIT_OK
        if problems and not args.skip_problem_rows:
            report["written"] = None
            _print_json(report)
            return fail(
                f"{problems} rows have problems: nothing was imported (fix them, or use "
                "--skip-problem-rows to import the other rows)",
                EXIT_REFUSED,
            )
        confirmed = (
            [r.row for r in plan.rows if r.action == Action.CONFIRM] if args.confirm_matches else []
        )
        try:
            result = importer.commit(plan, confirmed=confirmed)
        except (StaleRevisionError, DomainValidationError) as err:
            return _refuse(
                "changed",
                "导入期间档案有了改动，没有导入任何内容，请重试。",
                f"nothing written: {err}",
            )
        report["written"] = result.to_json()
        _print_json(report)
        return EXIT_OK

    return with_unlocked_vault(args, work)


def cmd_export(args: argparse.Namespace) -> int:
    def work(vault: Vault) -> int:
        password = None
        if args.encrypt:
            try:
                (password,) = read_secret_lines(1, "the export file's password")
            except InputError as err:
                return fail(str(err), EXIT_REFUSED)
            if not password:
                return fail("the export file's password is empty", EXIT_REFUSED)
        stored, _damaged = ChildService(vault, author="").list_all()
        children = sorted(
            (s.value for s in stored if not s.value.archived), key=lambda c: (c.name, c.birth_date)
        )
        target = Path(args.file)
        try:
            with atomic_export(target) as out:  # whole or not at all (a full stick)
                count = export_children(out, children, layout=args.layout, password=password)
        except OSError as err:
            return fail(f"cannot write {target}: {err.strerror}", EXIT_REFUSED)
        _print_json({"file": str(target), "children": count, "encrypted": bool(password)})
        return EXIT_OK

    return with_unlocked_vault(args, work)
