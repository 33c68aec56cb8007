"""Schedule rules as data and the case state machine's gates."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.case import (
    ALLOWED_TRANSITIONS,
    Case,
    CaseKind,
    CaseStage,
    FollowUp,
    Plan,
    PlanAction,
)
from app.domain.schedule import (
    ScheduleDefinitionError,
    ScheduleFacts,
    due_lists,
    load_schedule,
    next_due,
)
from resources import resource_path

SCHEDULE = load_schedule()
TODAY = date(2026, 11, 22)


def facts(
    categories: frozenset[str] | set[str] = frozenset(), level: str | None = None, **kw: object
) -> ScheduleFacts:
    values: dict[str, object] = {
        "child_id": "c",
        "categories": frozenset(categories),
        "level": level,
        "last_visit": date(2026, 11, 1),
        "requested_next": None,
        "opened_on": date(2025, 1, 1),
    }
    values.update(kw)
    return ScheduleFacts(**values)  # type: ignore[arg-type]


def test_de_facto_unsupported_children_are_visited_at_least_monthly() -> None:
    # The seed: 事实无人抚养儿童 每月不少于1次 — whatever the level.
    for level in (None, "green", "yellow"):
        info = next_due(facts({"de_facto_unsupported"}, level), SCHEDULE)
        assert info.due <= date(2026, 12, 1)
        assert any("每月" in r for r in info.reasons_zh)


def test_monthly_rule_also_means_every_calendar_month() -> None:
    # Visited on 31 January: February still needs its visit (not 2 March).
    info = next_due(facts({"de_facto_unsupported"}, last_visit=date(2027, 1, 31)), SCHEDULE)
    assert info.due == date(2027, 2, 28)


def test_red_and_orange_are_visited_more_often_than_green() -> None:
    intervals = {
        level: (next_due(facts(level=level), SCHEDULE).due - date(2026, 11, 1)).days
        for level in ("green", "yellow", "orange", "red")
    }
    assert intervals["red"] < intervals["orange"] < intervals["yellow"] < intervals["green"]


def test_shortest_matching_rule_wins_and_requested_date_is_honoured() -> None:
    both = next_due(facts({"left_behind"}, "green"), SCHEDULE)
    assert both.due == date(2026, 11, 1) + timedelta(days=60)  # 留守 60 < green 90
    sooner = next_due(facts(level="green", requested_next=date(2026, 11, 10)), SCHEDULE)
    assert sooner.due == date(2026, 11, 10)
    later = next_due(facts(level="red", requested_next=date(2027, 3, 1)), SCHEDULE)
    assert later.due == date(2026, 11, 8)  # the rule is not stretched by a later request


def test_never_visited_is_due_soon_after_opening() -> None:
    info = next_due(facts(last_visit=None, opened_on=date(2026, 11, 20)), SCHEDULE)
    assert info.due == date(2026, 11, 27)


def test_due_lists_split_overdue_and_due_soon() -> None:
    children = [
        facts(level="red", child_id="late", last_visit=date(2026, 10, 1)),
        facts(level="green", child_id="soon", last_visit=date(2026, 8, 26)),  # due 11-24
        facts(level="green", child_id="fine", last_visit=date(2026, 11, 20)),
        facts(level="orange", child_id="later", last_visit=date(2026, 11, 1)),  # due 11-16
    ]
    lists = due_lists(children, SCHEDULE, TODAY)
    assert [i.child_id for i in lists.overdue] == ["late", "later"]
    assert [i.child_id for i in lists.due_soon] == ["soon"]


def test_bad_schedule_definition_is_refused(tmp_path: Path) -> None:
    data = json.loads(resource_path("schedule", "visit_schedule.json").read_text(encoding="utf-8"))
    data["rules"][0]["levels"] = ["purple"]
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ScheduleDefinitionError, match="unknown level"):
        load_schedule(bad)


# ----- cases ---------------------------------------------------------------------------------


def new_case() -> Case:
    return Case("child", CaseKind.ABSENCE, date(2026, 10, 1))


def gate(case: Case, target: CaseStage) -> set[str]:
    return {p.field for p in case.gate_problems(target)}


def test_only_the_loop_transitions_are_allowed() -> None:
    for source in CaseStage:
        for target in CaseStage:
            case = replace(new_case(), stage=source)
            problems = gate(case, target)
            if target not in ALLOWED_TRANSITIONS[source]:
                assert problems == {"stage"}, (source, target)


def test_no_intervention_without_a_complete_plan() -> None:
    case = replace(new_case(), stage=CaseStage.ASSESSED)
    assert gate(case, CaseStage.INTERVENING) == {"plan.goals", "plan.actions"}
    case.plan = Plan(goals=["落实兜底监护"], actions=[PlanAction("结对爱心妈妈", "", None)])
    problems = case.gate_problems(CaseStage.INTERVENING)
    assert [p.field for p in problems] == ["plan.actions[0]"]
    assert "谁负责" in problems[0].message_zh and "完成时间" in problems[0].message_zh
    case.plan.actions[0] = PlanAction("结对爱心妈妈", "村儿童主任", date(2026, 11, 30))
    assert gate(case, CaseStage.INTERVENING) == set()


def test_no_closure_without_follow_up_and_reason() -> None:
    case = replace(new_case(), stage=CaseStage.FOLLOWING_UP)
    assert gate(case, CaseStage.CLOSED) == {"follow_ups", "closure_reason"}
    case.follow_ups.append(FollowUp(date(2026, 11, 1), "已落实"))
    assert gate(case, CaseStage.CLOSED) == {"closure_reason"}
    case.closure_reason = "目标达成"
    assert gate(case, CaseStage.CLOSED) == set()


def test_assessing_and_reopening_need_their_facts() -> None:
    assert gate(new_case(), CaseStage.ASSESSED) == {"assessment"}
    closed = replace(new_case(), stage=CaseStage.CLOSED, assessment_notes="已评估")
    assert gate(closed, CaseStage.ASSESSED) == {"reopen_reason"}
    closed.reopen_reason = "发现新的风险线索"
    assert gate(closed, CaseStage.ASSESSED) == set()
