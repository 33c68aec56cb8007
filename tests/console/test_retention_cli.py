"""The access log's retention as a setting of the server, as the operator types it:
``serve --access-log-days N`` prunes older rows when the server starts; ``access-log prune
--keep-days N`` (or ``--older-than-days N``) on demand. A retention that is not a whole number
of days or is under 183 days is refused with a message saying which — before the passphrase is
asked or the database opened — and so is a bad ``$CHILDDESK_ACCESS_LOG_DAYS`` (no longer
ignored with a warning). Real processes, except where only the arguments are read (refusals of
``--older-than-days`` and ``serve --access-log-days``, ``serve --help``, and all but the first
bad ``$CHILDDESK_ACCESS_LOG_DAYS``): those run the command's ``main`` in the test process
(site.district_cli_here, tests/conftest.py's run_main_in_process with the environment)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from sync.district_cli import main as district_cli_main
from sync.server import db
from sync.server.console import tables as t
from tests.conftest import run_main_in_process
from tests.console.conftest import _district_folder
from tests.console.site import district_cli_here, running_site
from tests.sync.test_district_cli import DISTRICT_ENV, district_cli

BAD = {
    "0": "0 is not a number of days to keep: the access log is kept at least 183 days",
    "-5": "-5 is not a number of days to keep: the access log is kept at least 183 days",
    "abc": "'abc' is not a whole number of days (at least 183",
    "100": "100 days is too short: the access log is kept at least 183 days (6 months",
}


@pytest.mark.parametrize("option", ["--keep-days", "--older-than-days"])
def test_prune_refuses_bad_retention(tmp_path: Path, option: str) -> None:
    data_dir = tmp_path / "no-district-yet"
    run = district_cli if option == "--keep-days" else district_cli_here
    for value, message in BAD.items():
        refused = run("access-log", "prune", option, value, data_dir=data_dir)
        assert refused.returncode == 2, refused.stderr
        assert message in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert not data_dir.exists()  # refused before anything was opened


def _serve(data_dir: Path, *options: str, env: dict[str, str] | None = None) -> Any:
    exe = Path(sys.executable).with_name("childdesk-district")
    return subprocess.run(
        [str(exe), "serve", "--passphrase-stdin", "--data-dir", str(data_dir), *options],
        input="",  # never read: refused before the passphrase
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**DISTRICT_ENV, **(env or {})},
    )


def test_serve_refuses_bad_retention(tmp_path: Path) -> None:
    data_dir = tmp_path / "district"
    for value, message in BAD.items():  # refused by the argument parser: in this process
        refused = district_cli_here(
            "serve", "--passphrase-stdin", "--access-log-days", value, data_dir=data_dir
        )
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr
    for n, (value, message) in enumerate(BAD.items()):  # the older way, the service's
        # environment: a real process reads it for the first value, main in this process (the
        # same reading of os.environ, exit code and error) for the others
        env = {"CHILDDESK_ACCESS_LOG_DAYS": value}
        refused = (
            _serve(data_dir, env=env)
            if n == 0
            else run_main_in_process(
                district_cli_main,
                ["serve", "--passphrase-stdin", "--data-dir", str(data_dir)],
                "childdesk-district",
                env={**DISTRICT_ENV, **env},
            )
        )
        assert refused.returncode == 2, refused.stderr
        assert f"CHILDDESK_ACCESS_LOG_DAYS: {message}" in refused.stderr, refused.stderr
    assert not data_dir.exists()
    assert "--access-log-days N" in district_cli_here("serve", "--help", data_dir=data_dir).stdout


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kept(data_dir: Path) -> set[str]:
    engine = db.make_engine(f"sqlite:///{data_dir / 'district.db'}")
    try:
        with engine.connect() as conn:
            return set(
                conn.execute(
                    select(t.access_log.c.target).where(t.access_log.c.target.like("old %"))
                ).scalars()
            )
    finally:
        engine.dispose()


def test_serve_prunes_to_its_setting(tmp_path_factory: pytest.TempPathFactory) -> None:
    data_dir = _district_folder(tmp_path_factory)
    engine = db.make_engine(f"sqlite:///{data_dir / 'district.db'}")
    try:
        with db.write_transaction(engine) as conn:
            for days in (1200, 400, 250, 190, 5):
                conn.execute(
                    insert(t.access_log).values(
                        at=_ago(days),
                        user_id=1,
                        action="register",
                        target=f"old {days}",
                        outcome="ok",
                        source="",
                    )
                )
    finally:
        engine.dispose()
    with running_site(data_dir, "--access-log-days", "300"):
        pass
    assert _kept(data_dir) == {"old 250", "old 190", "old 5"}
    with running_site(data_dir, "--access-log-days", "183"):
        pass
    assert _kept(data_dir) == {"old 5"}
    done = district_cli("access-log", "prune", "--keep-days", "183", data_dir=data_dir)
    assert done.returncode == 0 and "0 row(s) older than 183 days deleted" in done.stdout
