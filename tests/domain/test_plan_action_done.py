"""A case plan's action can be marked done (措施完成): done_on in the JSON (older records read as
not done, unknown keys ignored), the rule for open actions due by a date (待办 uses it), and the
gate on the done date (not in the future, not before the case was opened) — in the domain and
through the case service on a real vault."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.case import Case, CaseKind, Plan, PlanAction
from app.domain.child_file import ChildFile, Gender
from app.domain.problems import DomainValidationError
from app.services.cases import CaseService
from app.services.children import ChildService
from storage.vault import Vault

TODAY = date(2026, 11, 22)
OPENED = date(2026, 10, 1)


def a_plan(*actions: PlanAction) -> Plan:
    return Plan(goals=["落实兜底监护"], actions=list(actions))


def test_json_round_trip_with_and_without_done_on() -> None:
    plan = a_plan(
        PlanAction("申请临时救助", "镇社会事务办", date(2026, 10, 20), date(2026, 10, 18)),
        PlanAction("联系爱心妈妈", "村儿童主任", date(2026, 12, 1)),
    )
    data = plan.to_json()
    assert data["actions"][0]["done_on"] == "2026-10-18"
    assert data["actions"][1]["done_on"] is None
    assert Plan.from_json(data) == plan
    case = Case("c1", CaseKind.ABSENCE, OPENED, plan=plan)
    assert Case.from_json(case.to_json()).plan == plan


def test_older_records_without_done_on_read_as_not_done() -> None:
    older = {
        "goals": ["g"],
        "actions": [{"what": "送教上门", "who": "学校", "by_when": "2026-10-05"}],
    }
    action = Plan.from_json(older).actions[0]
    assert action.done_on is None and not action.done
    assert action.by_when == date(2026, 10, 5)


def test_unknown_keys_in_an_action_are_ignored() -> None:
    """The reader picks its keys by name, as the previous one did: a newer record (here with a
    key this version does not know) still reads."""
    newer = {
        "goals": ["g"],
        "actions": [
            {
                "what": "送教上门",
                "who": "学校",
                "by_when": "2026-10-05",
                "done_on": "2026-10-04",
                "checked_by": "镇督导员",
            }
        ],
    }
    action = Plan.from_json(newer).actions[0]
    assert (action.what, action.done_on) == ("送教上门", date(2026, 10, 4))


def test_open_actions_due_leaves_out_done_and_later_ones_and_sorts() -> None:
    late = PlanAction("b", "x", date(2026, 11, 1))
    earlier = PlanAction("a", "x", date(2026, 10, 20))
    done = PlanAction("c", "x", date(2026, 10, 10), date(2026, 10, 9))
    undated = PlanAction("d", "x", None)
    later = PlanAction("e", "x", date(2026, 12, 30))
    on_horizon = PlanAction("f", "x", date(2026, 12, 6))
    plan = a_plan(late, done, undated, later, earlier, on_horizon)
    assert plan.open_actions_due(date(2026, 12, 6)) == [earlier, late, on_horizon]
    assert plan.open_actions_due(TODAY) == [earlier, late]
    all_done = a_plan(PlanAction("a", "x", date(2026, 10, 20), date(2026, 10, 20)))
    assert all_done.open_actions_due(TODAY) == []


def test_done_date_gate() -> None:
    plan = a_plan(
        PlanAction("今天完成", "x", date(2026, 11, 1), TODAY),
        PlanAction("开案当天", "x", date(2026, 11, 1), OPENED),
        PlanAction("将来", "x", date(2026, 11, 1), date(2026, 11, 23)),
        PlanAction("开案之前", "x", date(2026, 11, 1), date(2026, 9, 30)),
        PlanAction("未完成", "x", date(2026, 11, 1)),
    )
    problems = plan.done_problems(OPENED, TODAY)
    assert [(p.field, p.message_zh) for p in problems] == [
        ("plan.actions[2].done_on", "第 3 项措施的完成日期不能晚于今天。"),
        ("plan.actions[3].done_on", "第 4 项措施的完成日期不能早于开案日期（2026-10-01）。"),
    ]
    assert all(p.blocking for p in problems)


def test_the_service_refuses_a_done_date_outside_the_case(vault: Vault) -> None:
    children = ChildService(vault, author="王秀英", today=lambda: TODAY)
    child = ChildFile("陈雨桐", Gender.FEMALE, date(2014, 6, 1), "500119104201")
    child_id = children.create(child).record_id
    cases = CaseService(vault, author="王秀英", today=lambda: TODAY)
    record_id = cases.open(child_id, CaseKind.ABSENCE, "祖母住院，无人照料").record_id
    future = a_plan(
        PlanAction("申请临时救助", "镇社会事务办", date(2026, 12, 1), date(2026, 12, 1))
    )
    with pytest.raises(DomainValidationError) as refused:
        cases.update_plan(record_id, future)
    assert refused.value.message_zh == "第 1 项措施的完成日期不能晚于今天。"
    before = a_plan(
        PlanAction("申请临时救助", "镇社会事务办", date(2026, 12, 1), date(2026, 11, 21))
    )
    with pytest.raises(DomainValidationError):
        cases.update_plan(record_id, before)  # opened today: yesterday is before it
    assert cases.get(record_id).revision == 1  # nothing stored
    done = a_plan(PlanAction("申请临时救助", "镇社会事务办", date(2026, 12, 1), TODAY))
    stored = cases.update_plan(record_id, done)
    assert cases.get(record_id).value.plan.actions[0].done_on == TODAY
    assert stored.revision == 2
