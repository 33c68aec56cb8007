"""The year summary's visits due/done (issue 16 speed): counted in one pass per child
(:func:`period_visit_counts`), they must equal the old computation — the monthly report run
month by month and summed — on the demo caseload, for several periods, days and villages."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from app.demo_caseload import LEVEL_WEIGHTS, _visit_dates, synthetic_child, synthetic_visit
from app.domain.child_file import Archive, ArchiveReason, FileStatus, Transfer
from app.domain.schedule import load_schedule
from app.services.assessments import Assessment
from app.services.monthly_report import CaseloadRecords, monthly_figures
from app.services.stored import Stored
from app.services.year_summary import Period, SummaryRecords, year_summary
from storage.vault import Vault
from tests.printing.conftest import TODAY, VILLAGE

PERIODS = (
    ("2026-01", "2026-12"),
    ("2025-12", "2026-11"),
    ("2026-11", "2026-11"),
    ("2026-06", "2026-09"),
    ("2025-01", "2026-12"),
    ("2026-10", "2026-10"),
)
DAYS = (TODAY, TODAY - timedelta(days=22), date(2026, 10, 31), date(2026, 12, 31))


def _old(
    caseload: CaseloadRecords, period: Period, today: date, village: str | None
) -> dict[str, int]:
    """The old computation: the monthly report of each month, summed."""
    out = dict.fromkeys(("due", "done", "on_time", "overdue", "pending"), 0)
    schedule = load_schedule()
    for month in period.months():
        if month.first_day > today:
            break
        m = monthly_figures(caseload, month, today=today, village_code=village, schedule=schedule)
        out["due"] += m.due_count
        out["done"] += m.done_count
        out["on_time"] += m.on_time_count
        out["overdue"] += m.overdue_count
        out["pending"] += m.pending_count
    return out


def _check(records: SummaryRecords, villages: tuple[str | None, ...]) -> int:
    compared = 0
    for start, end in PERIODS:
        period = Period.parse(start, end)
        for today in DAYS:
            if period.first_day > today:
                continue
            for village in villages:
                s = year_summary(records, period, today=today, village_code=village)
                new = {
                    "due": s.visits_due,
                    "done": s.visits_done,
                    "on_time": s.visits_on_time,
                    "overdue": s.visits_overdue,
                    "pending": s.visits_pending,
                }
                assert new == _old(records.caseload, period, today, village), (
                    start,
                    end,
                    today,
                    village,
                )
                compared += new["due"]
    return compared


def test_equal_to_the_monthly_reports_on_the_demo_vault(filled_vault: Vault) -> None:
    records = SummaryRecords.from_vault(filled_vault)
    assert _check(records, (VILLAGE, None, "500119999999")) > 0


def _synthetic(seed: int, villages: tuple[str, ...], per_village: int) -> SummaryRecords:
    """Demo children (app/demo_caseload) with a year of visits, some reassessed, some
    transferred, archived (年满18, duplicates), recognised, or opened late."""
    rng = random.Random(seed)
    schedule = load_schedule()
    children = {}
    visits = []
    assessments = []
    levels = list(LEVEL_WEIGHTS)
    n = 0
    for village in villages:
        for _ in range(per_village):
            n += 1
            cid = f"c{n:05d}"
            level = rng.choices(levels, [LEVEL_WEIGHTS[lv] for lv in levels])[0]
            child = synthetic_child(rng, village, TODAY, level)
            roll = rng.random()
            if roll < 0.08:
                child.status = FileStatus.TRANSFERRED
                child.transfer = Transfer(
                    to_village_code="500119104299", on=TODAY - timedelta(days=rng.randrange(0, 200))
                )
            elif roll < 0.14:
                child.archive = Archive(
                    on=TODAY - timedelta(days=rng.randrange(0, 300)),
                    reason=rng.choice([ArchiveReason.TURNED_18, ArchiveReason.DUPLICATE]),
                )
            elif roll < 0.2:
                child.opened_on = TODAY - timedelta(days=rng.randrange(0, 120))
            if rng.random() < 0.1:
                child.recognition_confirmed_on = TODAY - timedelta(days=rng.randrange(0, 200))
            children[cid] = child
            for index, (on, next_on) in enumerate(_visit_dates(rng, child, level, schedule, TODAY)):
                visit = synthetic_visit(rng, cid, on, next_on)
                if rng.random() < 0.3:
                    visit.next_visit_on = None
                visits.append(Stored(f"v{n:05d}-{index}", 0, "", f"{index:04d}", visit))
            opened = child.opened_on or TODAY
            for index, lv in enumerate(rng.sample(levels, rng.randrange(0, 3))):
                finished = opened + timedelta(days=rng.randrange(0, 400))
                a = Assessment.from_json(
                    {
                        "child_id": cid,
                        "definition_id": "demo",
                        "definition_version": 1,
                        "status": "finished",
                        "started_on": finished.isoformat(),
                        "finished_on": finished.isoformat(),
                        "result": {"level": lv, "assessed_on": finished.isoformat()},
                        "assessors": ["儿童主任"],
                    }
                )
                assessments.append(Stored(f"a{n:05d}-{index}", 0, "", "", a))
    return SummaryRecords(
        caseload=CaseloadRecords(children, visits, assessments, []),
        activities=[],
        plans={},
        typical_cases=[],
        reports_filed=[],
        steps=[],
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_equal_to_the_monthly_reports_on_synthetic_villages(seed: int) -> None:
    villages = ("500119104201", "500119104202")
    records = _synthetic(seed, villages, 60)
    assert _check(records, (*villages, None)) > 0
