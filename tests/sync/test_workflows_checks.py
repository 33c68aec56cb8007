"""What the district checks in a workflow record or step a laptop signed (issue 17,
docs/sync-protocol.md §4a and §16): the fields it reads have their form, a laptop acts only as
the village director with a director's action, case conferences come only from the district."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sync.content_checks import DISTRICT_ONLY, MALFORMED, revision_problem

DEVICE = "0123456789abcdef"
CHILD = "c" * 32
SUBJECT = "d" * 32


def item(record_type: str, data: dict[str, Any], *, deleted: bool = False) -> dict[str, Any]:
    wall = time.time_ns() // 1_000_000
    return {
        "record_id": "e" * 32,
        "record_type": record_type,
        "revision": 1,
        "hlc": f"{wall:013d}-000000-{DEVICE}",
        "device_id": DEVICE,
        "author": "王",
        "deleted": deleted,
        "base_hlc": None,
        "data": data,
    }


STEP = {
    "subject_id": SUBJECT,
    "subject_type": "recognition_application",
    "child_id": CHILD,
    "action": "withdraw",
    "actor": "王",
    "role": "director",
    "at": "2026-11-02T01:00:00Z",
    "reason": "",
    "details": {},
}
REPORT = {
    "child_id": CHILD,
    "village_code": "500119104201",
    "seen": "x",
    "seen_at": "2026-11-02",
    "at_risk": "孩子",
    "immediate_danger": True,
    "told": {"police": True, "school": False, "hospital": False},
    "concern": "abuse",
    "source": "child_file",
    "filed_at": "2026-11-02T01:00:00Z",
}


def test_well_formed_records_pass() -> None:
    assert revision_problem(item("workflow_step", STEP)) is None
    assert revision_problem(item("mandatory_report", REPORT)) is None
    app = {"child_id": CHILD, "facts": {}, "materials": []}
    assert revision_problem(item("recognition_application", app)) is None
    # a tombstone needs no content
    assert revision_problem(item("mandatory_report", {}, deleted=True)) is None


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"role": "town"}, "role"),
        ({"role": "district", "action": "confirm"}, "role"),
        ({"action": "confirm"}, "action"),  # a district's action under the director's role
        ({"action": "explode"}, "action"),
        ({"subject_type": "child"}, "subject type"),
        ({"subject_id": "D" * 32}, "subject id"),
        ({"child_id": None}, "child id"),
        ({"at": "yesterday"}, "time"),
        ({"actor": "a\nb"}, "actor"),
        ({"reason": "x" * 5000}, "reason"),
        ({"details": []}, "details"),
    ],
)
def test_bad_steps_are_malformed(change: dict[str, Any], what: str) -> None:
    problem = revision_problem(item("workflow_step", {**STEP, **change}))
    assert problem is not None and problem[0] == MALFORMED and what in problem[1]


@pytest.mark.parametrize(
    "change",
    [
        {"immediate_danger": "yes"},
        {"told": {"police": "yes"}},
        {"told": "police"},
        {"village_code": "５００119104201"},
        {"seen": 5},
        {"child_id": "x"},
    ],
)
def test_bad_reports_are_malformed(change: dict[str, Any]) -> None:
    problem = revision_problem(item("mandatory_report", {**REPORT, **change}))
    assert problem is not None and problem[0] == MALFORMED


def test_applications_facts_and_materials_have_their_form() -> None:
    for bad in ({"facts": []}, {"materials": "police report"}, {"village_code": "1"}):
        data = {"child_id": CHILD, **bad}
        problem = revision_problem(item("recognition_application", data))
        assert problem is not None and problem[0] == MALFORMED


def test_case_conferences_come_only_from_the_district() -> None:
    problem = revision_problem(item("case_conference", {"child_id": CHILD}))
    assert problem is not None and problem[0] == DISTRICT_ONLY
