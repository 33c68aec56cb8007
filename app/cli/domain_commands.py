"""Commands over the caseload: demo, children list, visits list, due."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from app.cli.console import EXIT_OK, EXIT_REFUSED, add_password_stdin, fail, with_unlocked_vault
from app.demo_caseload import fill_vault
from app.domain.schedule import next_due
from app.services.caseload import Caseload
from app.services.definitions import DefinitionService
from app.services.visits import VisitService
from storage.vault import Vault

DEFAULT_VILLAGE = "500119104201"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser("demo", help="fill a vault with synthetic children (演示数据)")
    demo.add_argument("--children", type=int, required=True, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    add_password_stdin(demo)
    demo.set_defaults(handler=cmd_demo)

    children = subparsers.add_parser("children", help="child files")
    children_sub = children.add_subparsers(dest="children_command", metavar="ACTION")
    children_sub.required = True
    listing = children_sub.add_parser("list", help="list child files")
    listing.add_argument("--json", action="store_true", required=True, help="print JSON")
    add_password_stdin(listing)
    listing.set_defaults(handler=cmd_children_list)

    visits = subparsers.add_parser("visits", help="visit records")
    visits_sub = visits.add_subparsers(dest="visits_command", metavar="ACTION")
    visits_sub.required = True
    vlist = visits_sub.add_parser("list", help="list visit records, newest first")
    vlist.add_argument("--child", metavar="ID", help="only this child's visits")
    vlist.add_argument("--json", action="store_true", required=True, help="print JSON")
    add_password_stdin(vlist)
    vlist.set_defaults(handler=cmd_visits_list)

    due = subparsers.add_parser("due", help="children whose visit is overdue or due soon")
    due.add_argument("--json", action="store_true", required=True, help="print JSON")
    add_password_stdin(due)
    due.set_defaults(handler=cmd_due)


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


def cmd_demo(args: argparse.Namespace) -> int:
    if not 1 <= args.children <= 100_000:
        return fail("--children must be between 1 and 100000", EXIT_REFUSED)

    def work(vault: Vault) -> int:
        profile = vault.profile()
        village = str(profile.get("village_code") or DEFAULT_VILLAGE)
        summary = fill_vault(
            vault,
            children=args.children,
            seed=args.seed,
            village_code=village,
            today=date.today(),
            author=str(profile.get("name") or "演示主任"),
        )
        print(
            f"added {summary.children} demo children (演示数据) in village {village}: "
            f"{summary.visits} visits, {summary.assessments} assessments, {summary.cases} cases; "
            "levels " + ", ".join(f"{k} {v}" for k, v in summary.levels.items())
        )
        return EXIT_OK

    return with_unlocked_vault(args, work)


def cmd_children_list(args: argparse.Namespace) -> int:
    def work(vault: Vault) -> int:
        today = date.today()
        caseload = Caseload.open(vault)
        schedule = DefinitionService(vault).schedule()  # the district's newest rules
        rows = []
        for summary in sorted(caseload.summaries.values(), key=lambda s: s.name):
            child = summary.child
            due = next_due(summary.schedule_facts, schedule).due if summary.active else None
            rows.append(
                {
                    "id": summary.child_id,
                    "name": child.name,
                    "gender": child.gender.value,
                    "birth_date": child.birth_date.isoformat(),
                    "age": child.age_on(today),
                    "id_number": child.id_number or None,
                    "categories": [c.value for c in child.categories],
                    "level": summary.level,
                    "last_visit": summary.last_visit.isoformat() if summary.last_visit else None,
                    "next_due": due.isoformat() if due else None,
                    "overdue": bool(due and due < today),
                    "case_stage": summary.open_case_stage,
                    "status": child.status.value,
                    "flags": [f for f in (child.transition_flag(today),) if f]
                    + (["no_id_number"] if not child.id_number else [])
                    + (["urgent"] if summary.urgent else []),
                }
            )
        _print_json({"children": rows, "damaged_ids": caseload.damaged_ids})
        return EXIT_OK

    return with_unlocked_vault(args, work)


def cmd_visits_list(args: argparse.Namespace) -> int:
    def work(vault: Vault) -> int:
        visits = VisitService(vault, author="").list_all(child_id=args.child)
        _print_json(
            {
                "visits": [
                    {"id": s.record_id, "author": s.author, **s.value.to_json()} for s in visits
                ]
            }
        )
        return EXIT_OK

    return with_unlocked_vault(args, work)


def cmd_due(args: argparse.Namespace) -> int:
    def work(vault: Vault) -> int:
        today = date.today()
        caseload = Caseload.open(vault)
        lists = caseload.due(DefinitionService(vault).schedule(), today)

        def row(info: Any) -> dict[str, Any]:
            summary = caseload.summaries[info.child_id]
            return {
                "id": info.child_id,
                "name": summary.name,
                "level": summary.level,
                "due": info.due.isoformat(),
                "days_overdue": max(0, info.days_overdue(today)),
                "last_visit": summary.last_visit.isoformat() if summary.last_visit else None,
                "reasons": list(info.reasons_zh),
            }

        _print_json(
            {
                "today": today.isoformat(),
                "overdue": [row(i) for i in lists.overdue],
                "due_soon": [row(i) for i in lists.due_soon],
                "turning_18": [
                    {
                        "id": s.child_id,
                        "name": s.name,
                        "flag": flag,
                        "birth_date": s.birth_date.isoformat(),
                    }
                    for s, flag in caseload.transitions(today)
                ],
            }
        )
        return EXIT_OK

    return with_unlocked_vault(args, work)
