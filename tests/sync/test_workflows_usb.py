"""The cross-level workflows over USB only (issue 17): a laptop that never reaches the server
files a report and an application; at the office the real ``childdesk-district`` process
imports the stick, a town user and the district act (sync/server/workflows.py, as the console
pages will), export-responses writes the answer; back at the laptop the stick brings the
decisions — weeks later, nothing depends on being online at the same moment."""

from __future__ import annotations

import json
from pathlib import Path

from app.demo_caseload import fill_vault
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.services.workflows import WorkflowService
from sync.server import db
from sync.server.console.routes_overview import today as china_today  # the district's day (UTC+8)
from sync.server.console.scope import Scope
from sync.server.workflows import Workflows
from tests.conftest import VaultCopies
from tests.sync.conftest import VILLAGE_A
from tests.sync.test_district_cli import initialised  # noqa: F401 (fixture)
from tests.sync.test_district_core import TODAY
from tests.sync.test_laptop_usb import enroll_by_stick, office

TOWN_A = Scope("town", (VILLAGE_A[:9],), 11)
DISTRICT = Scope("district", (), 1)


def workflows_at(data_dir: Path) -> Workflows:
    keys = json.loads((data_dir / "district-keys.json").read_text(encoding="utf-8"))
    engine = db.make_engine(f"sqlite:///{data_dir / 'district.db'}")
    return Workflows(engine, str(keys["district_id"]))


def test_report_and_application_by_stick(
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
        fill_vault(vault, children=2, seed=8, village_code=VILLAGE_A, today=TODAY, author="王")
        child_id = str(vault.load("child").revisions[0].record_id)
        service = WorkflowService(vault, author="王秀英", today=lambda: TODAY)
        report_id = service.file_report(
            child_id,
            source="child_file",
            seen="孩子独自在家多日，无人照料",
            seen_at="2026-11-03",
            at_risk="孩子本人",
            immediate_danger=False,
            told={"police": False, "school": True, "hospital": False},
            concern="absence",
        )
        app_id = service.create_application(child_id)
        service.submit_application(app_id, guardian_signed=True)
        laptop.export_batches(stick)
        office(stick, data_dir)  # import; the first response goes back with the receipts
        report, problems = laptop.import_folder(stick)
        assert problems == [] and report.rejected == 0
        assert service.report_status(report_id).state == mr.DELIVERED

        flows = workflows_at(data_dir)
        try:
            [row] = flows.report_inbox(TOWN_A)
            flows.acknowledge(TOWN_A, report_id, actor="镇督导员甲", expected_version=row.version)
            flows.close_report(
                TOWN_A, report_id, actor="镇督导员甲", expected_version=1, outcome="已落实委托照护"
            )
            [app] = flows.applications(TOWN_A, today=china_today())
            assert app.application_id == app_id and app.state == ra.SUBMITTED
            flows.verify(TOWN_A, app_id, actor="镇督导员甲", expected_version=0, outcome="pass")
            flows.decide(
                DISTRICT,
                app_id,
                actor="区民政局",
                expected_version=1,
                confirm=False,
                reason="母亲已取得联系并返乡照顾",
            )
        finally:
            flows.engine.dispose()
        office(stick, data_dir)  # the next visit to the office: responses with the decisions
        report, problems = laptop.import_folder(stick)
        assert problems == [] and report.pulled >= 4
        status = service.report_status(report_id)
        assert status.state == mr.CLOSED and status.outcome == "已落实委托照护"
        application = service.application_status(app_id)
        assert application.state == ra.REFUSED
        assert application.reason == "母亲已取得联系并返乡照顾"
        refused = [i for i in service.todo() if i.record_id == app_id]
        assert refused and "低保" in refused[0].text_zh
        # the same stick again changes nothing
        before = vault.last_seq()
        report, problems = laptop.import_folder(stick)
        assert problems == [] and report.pulled == 0 and vault.last_seq() == before
    finally:
        vault.lock()
