"""``childdesk-district user …`` as the operator runs it: a real process in the first test (the
printed password, the exit codes, the hash in the database); the refusals, a second account of
one name and the roster in the list run the command's ``main`` in the test process
(site.district_cli_here: the same arguments, exit code, output and errors)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from sync.server import db
from sync.server.console import accounts, rosters
from tests.console.conftest import _district_folder
from tests.console.site import district_cli_here
from tests.sync.test_district_cli import district_cli


@pytest.fixture
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _district_folder(tmp_path_factory)


def _password(stdout: str) -> str:
    found = re.search(r"initial password \(shown once, changed at first sign-in\): (\S+)", stdout)
    assert found, stdout
    return found.group(1)


def test_user_add_list_disable_reset(folder: Path) -> None:
    added = district_cli("user", "add", "王主任", "--role", "district", data_dir=folder, stdin="")
    assert added.returncode == 0, added.stderr
    first = _password(added.stdout)
    town = district_cli(
        "user",
        "add",
        "李督导",
        "--role",
        "town",
        "--town",
        "500119101",
        "--town",
        "500119102",
        data_dir=folder,
        stdin="",
    )
    assert town.returncode == 0, town.stderr
    listed = district_cli("user", "list", "--json", data_dir=folder, stdin="")
    users = {u["name"]: u for u in json.loads(listed.stdout)}
    assert users["李督导"]["towns"] == ["500119101", "500119102"]
    assert users["王主任"]["must_change"] is True and users["王主任"]["totp"] is False
    # The printed password is the one that works; no password is stored in plain text.
    engine = db.make_engine(f"sqlite:///{folder / 'district.db'}")
    try:
        assert accounts.check_password(engine, "王主任", first, "cli-test").name == "王主任"
        # (Read in another process: opening the file here would drop SQLite's POSIX locks.)
        for needle, found in ((first, 1), ("$argon2id$", 0)):
            grep = subprocess.run(["grep", "-qF", needle, str(folder / "district.db")], check=False)
            assert grep.returncode == found
        assert district_cli("user", "disable", "李督导", data_dir=folder, stdin="").returncode == 0
        off = accounts.find_user(engine, "李督导")
        assert off is not None and off.disabled
        reset = district_cli("user", "reset-password", "王主任", data_dir=folder, stdin="")
        assert reset.returncode == 0
        second = _password(reset.stdout)
        assert second != first
        assert accounts.check_password(engine, "王主任", second, "cli-test").must_change
    finally:
        engine.dispose()
    text = district_cli("user", "list", data_dir=folder, stdin="").stdout
    assert "李督导\ttown\t500119101,500119102\tno totp\tdisabled" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("add", "x", "--role", "town"), "needs --town"),
        (("add", "x", "--role", "town", "--town", "50011910"), "not a town code"),
        (("add", "x", "--role", "town", "--town", "500119101001"), "not a town code"),
        (("add", "x", "--role", "town", "--town", "５００１１９１０１"), "not a town code"),
        (("add", "x", "--role", "partner", "--town", "500119101"), "only town accounts"),
        (("disable", "nobody"), "no user named"),
        (("reset-password", "nobody"), "no user named"),
    ],
)
def test_operator_mistakes_get_one_line(folder: Path, argv: tuple[str, ...], message: str) -> None:
    result = district_cli_here("user", *argv, data_dir=folder, stdin="")
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_second_account_of_the_same_name_is_refused(folder: Path) -> None:
    assert (
        district_cli_here(
            "user", "add", "同名", "--role", "partner", data_dir=folder, stdin=""
        ).returncode
        == 0
    )
    again = district_cli_here("user", "add", "同名", "--role", "partner", data_dir=folder, stdin="")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_user_list_shows_a_partners_roster(folder: Path) -> None:
    added = district_cli_here(
        "user", "add", "妇联-名单", "--role", "partner", data_dir=folder, stdin=""
    )
    assert added.returncode == 0, added.stderr
    text = district_cli_here("user", "list", data_dir=folder, stdin="").stdout
    assert "妇联-名单\tpartner\troster: none\t" in text
    engine = db.make_engine(f"sqlite:///{folder / 'district.db'}")
    try:
        partner = accounts.find_user(engine, "妇联-名单")
        assert partner is not None
        roster = rosters.check_roster(["500119101"], False, ["left_behind"])
        rosters.set_roster(engine, partner.user_id, roster)
    finally:
        engine.dispose()
    text = district_cli_here("user", "list", data_dir=folder, stdin="").stdout
    assert "妇联-名单\tpartner\troster: 500119101 (left_behind)\t" in text
    listed = district_cli_here("user", "list", "--json", data_dir=folder, stdin="")
    users = {u["name"]: u for u in json.loads(listed.stdout)}
    assert users["妇联-名单"]["roster"] == {
        "towns": ["500119101"],
        "whole_district": False,
        "categories": ["left_behind"],
    }
