"""End to end (issue 17): a director applies for 事实无人抚养儿童 recognition from the child's file,
the desk's sync controller sends it to a real ``childdesk-district serve`` on loopback, the
town verifies and the district confirms in the console (HTTP forms, CSRF, TOTP sign-in), and the
next sync brings the confirmation: the child's file shows the category with the date, and 待办
shows the monthly visit due a month from that date (not overdue from the last visit before it).
The same through the command line: ``childdesk sync`` (its main, in the test process) applies a
confirmation it pulls."""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QCheckBox, QPushButton
from pytestqt.qtbot import QtBot

from app.domain import recognition_application as ra
from app.domain.categories import ChildCategory, GuardianRelation
from app.domain.child_file import ChildFile, Gender, Guardian
from app.domain.guardian_situation import GuardianSituation
from app.domain.visit import Visit, VisitForm
from storage.vault import Vault
from sync.keys import read_public_keys
from sync.laptop.state import SyncReport
from sync.server.district import District
from tests.conftest import PASSWORD, VaultCopies, run_cli_in_process
from tests.console.conftest import _district_folder
from tests.console.site import Site, csrf_of, running_site
from tests.sync.conftest import VILLAGE_A
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.sync_controller import SyncController
from ui.sync_texts import report_extras
from ui.tasks import InlineRunner
from ui.views.child_file_dialog import ChildFileDialog
from ui.views.child_file_dialog.workflows_tab import APPLICATION
from ui.views.recognition_application_dialog import RecognitionApplicationDialog
from ui.views.todo_lists import DUE_SOON, OVERDUE
from ui.views.todo_page import TodoPage


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(_district_folder(tmp_path_factory)) as running:
        yield running


@pytest.fixture(scope="module")
def console(site: Site) -> dict[str, httpx.Client]:
    town = site.add("镇督导-认定", "town", (VILLAGE_A[:9],))
    district = site.add("区民政局-认定", "district")
    clients = {"town": site.sign_in(town), "district": site.sign_in(district)}
    yield clients  # type: ignore[misc]
    for client in clients.values():
        client.close()


def decide(client: httpx.Client, application_id: str, action: str) -> None:
    """The console's form on the application's page, as a browser posts it."""
    path = f"/console/applications/{application_id}"
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    version = page.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        path, data={"csrf": csrf_of(page.text), "version": version, "action": action}
    )
    assert answer.status_code == 303, answer.text[:500]


def new_child(desk: DeskServices, name: str, visited: date) -> str:
    child_id = desk.children.create(
        ChildFile(
            name=name,
            gender=Gender.FEMALE,
            birth_date=date(2015, 4, 9),
            village_code=VILLAGE_A,
            guardians=[
                Guardian(
                    GuardianRelation.FATHER,
                    situations=[GuardianSituation.IMPRISONED],
                    facts={"restriction_months": 60},
                ),
                Guardian(GuardianRelation.MOTHER, situations=[GuardianSituation.LOST_CONTACT]),
            ],
        )
    ).record_id
    desk.visits.record(Visit(child_id=child_id, on=visited, form=VisitForm.HOME))
    return child_id


def monthly_due(confirmed: date) -> date:
    """A month from the confirmation, and within the calendar month after it."""
    year, month = (
        (confirmed.year + 1, 1)
        if confirmed.month == 12
        else (
            confirmed.year,
            confirmed.month + 1,
        )
    )
    end_of_next = date(year, month, calendar.monthrange(year, month)[1])
    return min(confirmed + timedelta(days=30), end_of_next)


def test_a_confirmation_reaches_the_child_file_and_the_due_list(
    qtbot: QtBot,
    site: Site,
    console: dict[str, httpx.Client],
    vault_copies: VaultCopies,
    tmp_path: Path,
) -> None:
    facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
    vault = vault_copies.open(tmp_path / "laptop", village_code=VILLAGE_A).vault
    runner = InlineRunner()
    clock = {"today": date.today()}
    desk = DeskServices.for_vault(vault, runner, today=lambda: clock["today"])
    visited = date.today() - timedelta(days=80)
    child_id = new_child(desk, "赵小雨", visited)
    engine = desk.laptop_sync()
    engine.enroll_network(
        site.serve.url, facade.create_enroll_code([VILLAGE_A], 3600), label="甲村"
    )
    controller = SyncController(engine, runner, net=InlineRunner())
    finished: list[tuple[SyncReport | None, str]] = []
    controller.finished.connect(lambda report, message: finished.append((report, message)))

    # the director applies from the child's file: a draft from the helper, signed, submitted
    child_file = ChildFileDialog(desk, child_id)
    qtbot.addWidget(child_file)
    child_file.workflows_tab.application_button.click()
    window = child_file.workflow_dialog
    assert isinstance(window, RecognitionApplicationDialog)
    window.findChild(QPushButton, "create_application").click()
    application_id = window.application_id
    assert application_id is not None
    window.findChild(QCheckBox, "guardian_signed").setChecked(True)
    window.findChild(QPushButton, "submit_application").click()
    window.close()
    [row] = child_file.workflows_tab.items(APPLICATION)
    assert row.text(1) == ra.STATE_ZH[ra.SUBMITTED]
    controller.sync_now()
    report, message = finished[-1]
    assert message == "" and report is not None and report.accepted > 0

    decide(console["town"], application_id, "pass")
    decide(console["district"], application_id, "confirm")
    controller.sync_now()
    report, message = finished[-1]
    assert message == "" and report is not None and report.recognitions_applied == 1
    assert "区民政局确认 1 名事实无人抚养儿童" in "，".join(report_extras(report))

    [(_data, status)] = desk.workflows.applications(child_id)
    assert status.state == ra.CONFIRMED and status.confirmed_on is not None
    confirmed = date.fromisoformat(status.confirmed_on)
    child_file.reload()
    assert f"事实无人抚养儿童（{confirmed.isoformat()} 认定）" in child_file.header.text()
    assert not child_file.workflows_tab.application_button.isEnabled()  # no second one
    banner = child_file.workflows_tab.recognition
    assert not banner.isHidden() and confirmed.isoformat() in banner.text()
    assert child_file.form.categories[ChildCategory.DE_FACTO_UNSUPPORTED].isChecked()
    [row] = child_file.workflows_tab.items(APPLICATION)
    assert row.text(1) == "已认定" and f"{confirmed.isoformat()} 区民政局复核确认" in row.text(3)
    stored = desk.children.get(child_id).value
    assert stored.recognition_confirmed_on == confirmed

    # 待办 a few days before the month is up: due from the confirmation, not overdue
    due = monthly_due(confirmed)
    clock["today"] = due - timedelta(days=3)
    store = CaseloadStore(vault, runner)
    page = TodoPage(desk, store)
    qtbot.addWidget(page)
    store.load()
    [entry] = [e for e in page.entries(DUE_SOON) if e.child_id == child_id]
    assert f"应于 {due.isoformat()} 走访" in entry.detail
    assert f"从 {confirmed.isoformat()} 认定之日起算" in entry.detail
    assert child_id not in [e.child_id for e in page.entries(OVERDUE)]
    child_file.close()
    vault.lock()


def test_the_command_line_sync_applies_a_confirmation(
    site: Site,
    console: dict[str, httpx.Client],
    vault_copies: VaultCopies,
    tmp_path: Path,
) -> None:
    facade = District(site.engine, read_public_keys(site.data_dir / "district-keys.json"), None)
    folder = tmp_path / "laptop"
    # another template than the first test's (a device id the server has not enrolled)
    vault = vault_copies.open(folder, village_code=VILLAGE_A, director_name="钱主任").vault
    desk = DeskServices.for_vault(vault, InlineRunner())
    child_id = new_child(desk, "钱小山", date.today() - timedelta(days=40))
    engine = desk.laptop_sync()
    engine.enroll_network(
        site.serve.url, facade.create_enroll_code([VILLAGE_A], 3600), label="甲村"
    )
    application_id = desk.workflows.create_application(child_id)
    desk.workflows.submit_application(application_id, guardian_signed=True)
    vault.lock()
    # childdesk's main in this process (tests/sync/test_laptop_cli.py runs `childdesk sync` as
    # a process): what it sends and applies is the point here, not its start-up
    sent = run_cli_in_process("sync", "--password-stdin", data_dir=folder, stdin=PASSWORD + "\n")
    assert sent.returncode == 0, sent.stderr
    decide(console["town"], application_id, "pass")
    decide(console["district"], application_id, "confirm")
    pulled = run_cli_in_process("sync", "--password-stdin", data_dir=folder, stdin=PASSWORD + "\n")
    assert pulled.returncode == 0, pulled.stderr
    result: dict[str, Any] = json.loads(pulled.stdout)
    assert result["recognitions_applied"] == 1
    vault = Vault.unlock(folder, PASSWORD)
    try:
        child = vault.get(child_id).data
        assert ChildCategory.DE_FACTO_UNSUPPORTED.value in child["categories"]
        assert child["recognition_confirmed_on"]
    finally:
        vault.lock()
