"""A calendar year the district enters in the console reaches the laptops (issue 17): saving it
(sync/server/workflows/settings.py, what the console's settings page calls) also publishes it as
a definition of kind ``calendar``; a real laptop installs it on its next sync — over the network
against the real server on loopback, and by USB stick through the real ``childdesk-district``
process — and its working-day deadlines then follow the district's holidays instead of the
Monday–Friday approximation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.demo_caseload import fill_vault
from app.domain.working_days import YearCalendar
from app.services.definitions import (
    CALENDAR,
    CALENDAR_NAME,
    check_published,
    kind_zh,
)
from app.services.workflows import WorkflowService
from storage import definitions_store
from storage.vault import Vault
from sync.laptop.engine import LaptopSync
from sync.server import db
from sync.server.console.scope import Scope
from sync.server.district import District
from sync.server.workflows import Workflows
from tests.conftest import VaultCopies
from tests.sync.conftest import VILLAGE_A, ServerThread
from tests.sync.test_district_cli import initialised  # noqa: F401 (fixture)
from tests.sync.test_district_core import TODAY
from tests.sync.test_laptop_usb import enroll_by_stick, office
from tests.sync.test_workflows_usb import workflows_at

DISTRICT = Scope("district", (), 1)
LATE_DECEMBER = datetime(2026, 12, 24, 2, tzinfo=UTC)  # 10 working days end in January 2027
NEW_YEAR = YearCalendar(2027, frozenset([date(2027, 1, 1)]), frozenset())
CORRECTED = YearCalendar(
    2027, frozenset([date(2027, 1, 1), date(2027, 1, 4)]), frozenset([date(2027, 1, 9)])
)


def no_sleep(_s: float) -> None:
    return None


def submitted_in_late_december(vault: Vault, moment: datetime = LATE_DECEMBER) -> str:
    fill_vault(vault, children=2, seed=8, village_code=VILLAGE_A, today=TODAY, author="王")
    child_id = str(vault.load("child").revisions[0].record_id)
    app_id = WorkflowService(vault, author="王").create_application(child_id)
    WorkflowService(vault, author="王", now=lambda: moment).submit_application(
        app_id, guardian_signed=True
    )
    return app_id


def laptop_deadline(vault: Vault, app_id: str) -> Any:
    """What the laptop shows, from a fresh service (as after the next start)."""
    deadline = WorkflowService(vault, author="王").application_status(app_id).deadline
    assert deadline is not None
    return deadline


def published_calendars(engine: Any) -> list[tuple[str, dict[str, Any]]]:
    p = db.published.c
    with engine.connect() as conn:
        return [
            (row.version, json.loads(row.body))
            for row in conn.execute(
                select(p.version, p.body).where(p.kind == CALENDAR).order_by(p.pub_seq)
            )
        ]


def test_checks_for_a_published_calendar_year() -> None:
    body = NEW_YEAR.to_data()
    assert check_published(CALENDAR, CALENDAR_NAME, "2027.1", body) is None
    assert check_published(CALENDAR, CALENDAR_NAME, "2027", body) is None
    assert check_published(CALENDAR, CALENDAR_NAME, "2028.1", body) is not None  # wrong year
    assert check_published(CALENDAR, "visit_schedule", "2027.1", body) is not None
    outside = {**body, "holidays": ["2026-10-01"]}  # a day of another year
    assert check_published(CALENDAR, CALENDAR_NAME, "2027.1", outside) is not None
    both = {**body, "workdays": ["2027-01-01"]}  # a holiday and a working day at once
    assert check_published(CALENDAR, CALENDAR_NAME, "2027.1", both) is not None
    assert check_published(CALENDAR, CALENDAR_NAME, "2027.1", {"year": "2027"}) is not None
    assert kind_zh(CALENDAR) == "工作日历"


def test_a_saved_calendar_year_reaches_the_laptop_over_the_network(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    vault = vaults("a")
    laptop = LaptopSync(vault, author="王", sleep=no_sleep)
    laptop.enroll_network(
        server.url, sqlite_district.create_enroll_code([VILLAGE_A], 3600), label="一村"
    )
    app_id = submitted_in_late_december(vault)
    assert laptop.sync_now().rejected == 0
    before = laptop_deadline(vault, app_id)
    assert before.approximate and before.due == date(2027, 1, 7)  # Monday–Friday only

    flows = Workflows(sqlite_district.engine, sqlite_district.district_id)
    flows.save_calendar_year(DISTRICT, NEW_YEAR, actor="区民政局")
    flows.save_calendar_year(DISTRICT, NEW_YEAR, actor="区民政局")  # the same again: once
    assert published_calendars(sqlite_district.engine) == [("2027.1", NEW_YEAR.to_data())]
    # the console's clock already counts with it
    [row] = flows.applications(DISTRICT, today=date(2026, 12, 28))
    assert row.due == date(2027, 1, 8)

    report = laptop.sync_now()
    assert report.definitions_installed == 1 and report.definitions_refused == 0
    [installed] = definitions_store.installed(vault, CALENDAR)
    assert installed.name == CALENDAR_NAME and installed.version == "2027.1"
    after = laptop_deadline(vault, app_id)
    assert not after.approximate and after.due == date(2027, 1, 8)  # 1 January is a holiday

    # a corrected year is published under the next number and replaces the first on the laptop
    flows.save_calendar_year(DISTRICT, CORRECTED, actor="区民政局")
    assert [v for v, _b in published_calendars(sqlite_district.engine)] == ["2027.1", "2027.2"]
    assert laptop.sync_now().definitions_installed == 1
    corrected = laptop_deadline(vault, app_id)
    # 1 and 4 January off, Saturday 9 January a working day (调休)
    assert not corrected.approximate and corrected.due == date(2027, 1, 9)
    assert laptop.sync_now().definitions_installed == 0  # nothing new


def test_late_december_2027_with_the_districts_2027_and_2028(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    """Submitted on Thursday 23 December 2027: ten working days run into 2028. The district's
    word for both years (here a holiday on 31 December 2027 and on 3 January 2028) is what the
    laptop counts with once both are published; before, Monday–Friday."""
    vault = vaults("a")
    laptop = LaptopSync(vault, author="王", sleep=no_sleep)
    laptop.enroll_network(
        server.url, sqlite_district.create_enroll_code([VILLAGE_A], 3600), label="一村"
    )
    app_id = submitted_in_late_december(vault, datetime(2027, 12, 23, 2, tzinfo=UTC))
    before = laptop_deadline(vault, app_id)
    assert before.approximate and before.due == date(2028, 1, 6)
    flows = Workflows(sqlite_district.engine, sqlite_district.district_id)
    flows.save_calendar_year(
        DISTRICT,
        YearCalendar(2027, frozenset([date(2027, 1, 1), date(2027, 12, 31)]), frozenset()),
        actor="区民政局",
    )
    assert laptop.sync_now().definitions_installed == 1
    half = laptop_deadline(vault, app_id)  # 2028 still unknown: said so
    assert half.approximate and half.due == date(2028, 1, 7)
    flows.save_calendar_year(
        DISTRICT, YearCalendar(2028, frozenset([date(2028, 1, 3)]), frozenset()), actor="区"
    )
    assert laptop.sync_now().definitions_installed == 1
    after = laptop_deadline(vault, app_id)
    assert not after.approximate and after.due == date(2028, 1, 10)


def test_a_saved_calendar_year_reaches_the_laptop_by_usb(
    initialised: Path,  # noqa: F811
    tmp_path: Path,
    vault_copies: VaultCopies,
) -> None:
    data_dir = initialised
    stick = tmp_path / "stick"
    stick.mkdir()
    vault = vault_copies.open(tmp_path / "laptop").vault
    try:
        laptop = enroll_by_stick(data_dir, vault, stick)
        app_id = submitted_in_late_december(vault)
        laptop.export_batches(stick)
        office(stick, data_dir)
        report, problems = laptop.import_folder(stick)
        assert problems == [] and report.rejected == 0
        assert laptop_deadline(vault, app_id).approximate

        flows = workflows_at(data_dir)
        try:
            flows.save_calendar_year(DISTRICT, NEW_YEAR, actor="区民政局")
        finally:
            flows.engine.dispose()
        office(stick, data_dir)  # the next visit to the office: a new response on the stick
        report, problems = laptop.import_folder(stick)
        assert problems == [] and report.definitions_installed == 1
        after = laptop_deadline(vault, app_id)
        assert not after.approximate and after.due == date(2027, 1, 8)
    finally:
        vault.lock()


def test_a_bad_calendar_year_is_refused_by_the_laptop(
    server: ServerThread, sqlite_district: District, vaults: Any
) -> None:
    """Published anyway with a bad body (a hand-edited database): the laptop refuses it and
    keeps counting Monday–Friday."""
    vault = vaults("a")
    laptop = LaptopSync(vault, author="王", sleep=no_sleep)
    laptop.enroll_network(
        server.url, sqlite_district.create_enroll_code([VILLAGE_A], 3600), label="一村"
    )
    app_id = submitted_in_late_december(vault)
    sqlite_district.publish(
        CALENDAR, CALENDAR_NAME, "2027.1", {"year": 2027, "holidays": ["2026-01-01"]}
    )
    report = laptop.sync_now()
    assert report.definitions_refused == 1 and report.definitions_installed == 0
    assert laptop_deadline(vault, app_id).approximate
