"""The demo shows the programme of issue 19: activities of every kind over the past year and one
planned, a transition plan for every youth of 16 or more (hand-overs archived with reason 年满18,
as the rule wants), and a typical case — and the year-end summary counts them."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from app.demo_caseload import fill_vault
from app.domain.activity import Activity
from app.domain.ages import calendar_age
from app.domain.child_file import ArchiveReason, ChildFile
from app.domain.transition_plan import TransitionPlan, archive_at_18_problems
from app.printing.page import Letterhead
from app.printing.year_summary import render_year_summary
from app.services.typical_cases import identifying_of
from app.services.year_summary import Period, SummaryRecords, year_summary
from tests.conftest import VaultCopies
from tests.printing.helpers import flat, pdf_text

TODAY = date(2026, 11, 22)
VILLAGE = "500119104201"


def test_the_demo_programme(tmp_path: Path, vault_copies: VaultCopies) -> None:
    vault = vault_copies.open(tmp_path / "v").vault
    made = fill_vault(
        vault,
        children=120,
        seed=2026,
        village_code=VILLAGE,
        today=TODAY,
        author="演示主任",
        programme=True,
    )
    activities = [Activity.from_json(r.data) for r in vault.load("activity").revisions]
    assert made.programme["activities"] == len(activities) == 13
    assert all(a.demo == "演示数据" and not a.problems_found(today=TODAY) for a in activities)
    assert len(Counter(a.kind for a in activities)) == 6  # every kind
    planned = [a for a in activities if a.on > TODAY]
    assert len(planned) == 1 and planned[0].invited and not planned[0].attended

    children = {r.record_id: ChildFile.from_json(r.data) for r in vault.load("child").revisions}
    plans = {
        p.child_id: p
        for p in (TransitionPlan.from_json(r.data) for r in vault.load("transition_plan").revisions)
    }
    sixteen = {cid for cid, c in children.items() if calendar_age(c.birth_date, TODAY) >= 16}
    assert sixteen and set(plans) == sixteen
    for child_id, plan in plans.items():
        child = children[child_id]
        assert not plan.problems_found(birth_date=child.birth_date, today=TODAY)
        if child.archive is not None:  # archived at 18 only after the hand-over
            assert child.archive.reason == ArchiveReason.TURNED_18
            assert not archive_at_18_problems(plan, birth_date=child.birth_date, today=TODAY)
    assert made.programme["archived_18"] == sum(1 for c in children.values() if c.archive)

    records = SummaryRecords.from_vault(vault)
    summary = year_summary(records, Period.year(2026), today=TODAY, village_code=VILLAGE)
    held = [a for a in activities if date(2026, 1, 1) <= a.on <= TODAY]
    assert summary.activities.activities == len(held) >= 10
    assert summary.activities.children_reached > 20
    assert summary.archived_18 == made.programme["archived_18"] >= 1
    assert summary.archived_18_handed_over == summary.archived_18
    (case,) = summary.typical_cases
    pdf = render_year_summary(
        summary,
        records.caseload.children,
        letterhead=Letterhead("南川区", "罗云镇", "石岗村", VILLAGE),
        printed_on=TODAY,
    )
    text = flat(pdf_text(pdf))
    assert "多方联动守护某某" in text
    child = children[case.value.child_id]
    for datum in identifying_of(child).data():
        assert datum not in text, datum
