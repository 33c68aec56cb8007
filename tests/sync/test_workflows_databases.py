"""The district's workflow functions on both databases (SQLite and PostgreSQL), with batches
built by the laptop's real builder from a real vault: the inbox and the clock, two users acting
at the same moment from two threads (exactly one wins, the other is told), and the district's
steps in the device's changes feed."""

from __future__ import annotations

import threading
from typing import Any

from app.demo_caseload import fill_vault
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.domain.workflow import Refused
from app.services.workflows import WorkflowService
from sync.server.console.routes_overview import today as china_today  # the district's day (UTC+8)
from sync.server.console.scope import Scope
from sync.server.district import District
from sync.server.workflows import WorkflowError, Workflows
from tests.sync.conftest import VILLAGE_A
from tests.sync.laptop_device import apply_receipt, build_batches, read_response
from tests.sync.test_district_core import TODAY

TOWN_A = Scope("town", (VILLAGE_A[:9],), 11)
DISTRICT = Scope("district", (), 1)


def test_workflows_on_both_databases(district: District, make_device: Any) -> None:
    device = make_device(district, [VILLAGE_A])
    vault = device.vault
    fill_vault(vault, children=2, seed=9, village_code=VILLAGE_A, today=TODAY, author="王")
    child_id = str(vault.load("child").revisions[0].record_id)
    service = WorkflowService(vault, author="王秀英", today=lambda: TODAY)
    report_id = service.file_report(
        child_id,
        source="child_file",
        seen="邻居反映孩子常被锁在家中",
        seen_at="2026-11-03",
        at_risk="孩子本人",
        immediate_danger=True,
        told={"police": True, "school": False, "hospital": False},
        concern="improper",
    )
    app_id = service.create_application(child_id)
    service.submit_application(app_id, guardian_signed=True)
    for built in build_batches(vault):
        result = district.ingest(built.data, via="test")
        assert result.rejected == 0
        apply_receipt(vault, result.receipt)
    assert service.report_status(report_id).state == mr.DELIVERED

    flows = Workflows(district.engine, district.district_id)
    [row] = flows.report_inbox(TOWN_A)
    assert row.report_id == report_id and row.state == mr.DELIVERED

    # two town users press 签收 at the same moment
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def press(name: str) -> None:
        start.wait()
        try:
            flows.acknowledge(TOWN_A, report_id, actor=name, expected_version=0)
            outcomes.append("ok")
        except WorkflowError as err:
            outcomes.append(str(err.code))

    threads = [threading.Thread(target=press, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == sorted(["ok", str(Refused.STALE)])
    row = flows.report(TOWN_A, report_id)
    assert row.state == mr.ACKNOWLEDGED and row.version == 1
    assert [s.action for s in row.steps].count(mr.ACKNOWLEDGE) == 1

    [app] = flows.applications(TOWN_A, today=china_today())
    assert app.application_id == app_id and app.due is not None
    flows.verify(TOWN_A, app_id, actor="甲", expected_version=0, outcome="pass")
    flows.decide(DISTRICT, app_id, actor="区", expected_version=1, confirm=True)

    changes = read_response(
        vault, district.changes(device.device_id, ""), device.keys, device.enrollment
    )
    steps = [r for r in changes.revisions if r["record_type"] == "workflow_step"]
    assert {s["data"]["action"] for s in steps} == {"acknowledge", "verify", "confirm"}
    assert all(s["device_id"] == district.district_id for s in steps)
    assert flows.application(DISTRICT, app_id).state == ra.CONFIRMED
