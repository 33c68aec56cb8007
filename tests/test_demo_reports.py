"""The demo files the mandatory reports a director would have (app/demo_reports.py): the 待办 of
the 200-child demo the desk opens shows a few urgent lines, not one per assessment that demands
a report (53 before), and still one of each kind; its reports are in every state, each filed on
or after its assessment's day, the district's steps stored as pulled (never sent back)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from app.demo_caseload import fill_vault
from app.domain import mandatory_report as mr
from app.domain.referral import SCREENING_TYPE
from app.domain.workflow import STEP_TYPE
from app.domain.working_days import china_date
from app.services.workflows import ASSESSMENT_KIND, REFERRAL_KIND, WorkflowService
from storage import outbox
from tests.conftest import VaultCopies

TODAY = date(2026, 11, 22)
VILLAGE = "500119104201"


def test_the_demo_shows_a_few_urgent_lines_of_every_kind(
    tmp_path: Path, vault_copies: VaultCopies
) -> None:
    vault = vault_copies.open(tmp_path / "v").vault
    made = fill_vault(
        vault,
        children=200,  # as the desk's demo (ui/gui.py DEMO_CHILDREN)
        seed=2026,
        village_code=VILLAGE,
        today=TODAY,
        author="演示主任",
        programme=True,
    )
    flows = WorkflowService(vault, author="演示主任", today=lambda: TODAY)
    items = flows.todo()
    urgent = [i for i in items if i.urgent]
    assert 3 <= len(urgent) <= 8, Counter(i.short_zh for i in urgent)
    kinds = Counter(
        (i.kind, vault.get(i.record_id).record_type if i.kind == ASSESSMENT_KIND else "")
        for i in urgent
    )
    assert kinds[(ASSESSMENT_KIND, "assessment")] >= 1  # 评估结果要求强制报告
    assert kinds[(ASSESSMENT_KIND, SCREENING_TYPE)] >= 1  # the self-harm screening
    assert kinds[(mr.RECORD_TYPE, "")] >= 1  # a report not synced yet
    assert any(i.kind == REFERRAL_KIND for i in items)

    reports = flows.reports()
    assert made.programme["reports"] == len(reports) >= 40
    states = Counter(status.state for _data, status in reports)
    assert states[mr.FILED] == 1 and states[mr.ACKNOWLEDGED] >= 1
    assert states[mr.IN_PROGRESS] >= 1 and states[mr.CLOSED] == made.programme["reports_closed"]
    assert states[mr.CLOSED] > len(reports) // 2
    for data, status in reports:
        assert mr.report_problems(data) == []
        assessment = vault.get(str(data["source_id"]))
        assert data["source"] == "assessment" and assessment.record_type == "assessment"
        assert str(china_date(data["filed_at"])) >= str(assessment.data["finished_on"])
        assert datetime.fromisoformat(data["filed_at"]) <= datetime.now(UTC)
        if status.state == mr.CLOSED:
            assert status.outcome and status.assignee
    # what would go to the district: the one report not synced yet, no district step
    unsent = [e.revision for e in outbox.unsent(vault)]
    assert [r.record_type for r in unsent].count(mr.RECORD_TYPE) == 1
    assert not [r for r in unsent if r.record_type == STEP_TYPE]
