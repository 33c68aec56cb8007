"""The caseload commands on a real vault: in-process (the console script's ``main``, as
:func:`run_cli_in_process` runs it), and ``children list`` once as the real ``childdesk``
console script (its exit code and JSON from a real run)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import run_cli, run_cli_in_process

PASSWORD = "green-hills-far-away"


@pytest.fixture(scope="module")
def demo_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    vault_dir = tmp_path_factory.mktemp("cli") / "v"
    init = run_cli_in_process(
        "init",
        "--password-stdin",
        "--name",
        "王秀英",
        "--village",
        "500119104201",
        stdin=PASSWORD + "\n",
        data_dir=vault_dir,
    )
    assert init.returncode == 0, init.stderr
    demo = run_cli_in_process(
        "demo",
        "--children",
        "40",
        "--seed",
        "5",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=vault_dir,
    )
    assert demo.returncode == 0, demo.stderr
    assert "added 40 demo children" in demo.stdout
    return vault_dir


def _json(vault_dir: Path, *args: str, real: bool = False) -> dict:  # type: ignore[type-arg]
    run = run_cli if real else run_cli_in_process
    result = run(*args, "--json", "--password-stdin", stdin=PASSWORD + "\n", data_dir=vault_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_children_list(demo_vault: Path) -> None:
    children = _json(demo_vault, "children", "list", real=True)["children"]
    assert len(children) == 40
    first = children[0]
    assert {
        "id",
        "name",
        "age",
        "categories",
        "level",
        "last_visit",
        "next_due",
        "overdue",
        "case_stage",
        "flags",
    } <= set(first)
    assert all(c["id_number"] is None or c["id_number"].startswith("500199") for c in children)
    assert {c["level"] for c in children} <= {"green", "yellow", "orange", "red"}


def test_visits_list_for_one_child(demo_vault: Path) -> None:
    child = _json(demo_vault, "children", "list")["children"][0]
    visits = _json(demo_vault, "visits", "list", "--child", child["id"])["visits"]
    assert visits and all(v["child_id"] == child["id"] for v in visits)
    dates = [v["on"] for v in visits]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == child["last_visit"]
    everything = _json(demo_vault, "visits", "list")["visits"]
    assert len(everything) > len(visits)


def test_due_lists(demo_vault: Path) -> None:
    due = _json(demo_vault, "due")
    assert due["today"] == date.today().isoformat()
    children = {c["id"]: c for c in _json(demo_vault, "children", "list")["children"]}
    overdue_ids = {row["id"] for row in due["overdue"]}
    assert overdue_ids == {
        i for i, c in children.items() if c["overdue"] and c["status"] == "active"
    }
    assert all(row["days_overdue"] > 0 and row["reasons"] for row in due["overdue"])
    assert all(row["days_overdue"] == 0 for row in due["due_soon"])


def test_bad_input(tmp_path: Path, demo_vault: Path) -> None:
    wrong = run_cli_in_process(
        "due", "--json", "--password-stdin", stdin="wrong-password\n", data_dir=demo_vault
    )
    assert wrong.returncode == 2 and "wrong password" in wrong.stderr
    missing = run_cli_in_process(
        "children",
        "list",
        "--json",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        data_dir=tmp_path / "none",
    )
    assert missing.returncode == 2 and "no vault" in missing.stderr
    too_many = run_cli_in_process(
        "demo", "--children", "0", "--password-stdin", stdin=PASSWORD + "\n", data_dir=demo_vault
    )
    assert too_many.returncode == 1 and "between 1 and" in too_many.stderr
    for result in (wrong, missing, too_many):
        assert "Traceback" not in result.stderr
