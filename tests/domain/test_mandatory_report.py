"""强制报告 state machine (issue 17)."""

from __future__ import annotations

import pytest

from app.domain import mandatory_report as mr
from app.domain.workflow import Refused, Role, Transition, TransitionRefused


def t(action: str, role: Role, order: str, reason: str = "", **details: object) -> Transition:
    return Transition(
        action, "某人", role, f"2026-11-0{order}T01:00:00Z", reason, details, order=order
    )


def test_full_path_filed_to_closed() -> None:
    steps = [
        t(mr.ACKNOWLEDGE, Role.TOWN, "1"),
        t(mr.ASSIGN, Role.TOWN, "2", assignee_kind="rescue_center", assignee="区未保中心"),
        t(mr.RECORD_ACTION, Role.DISTRICT, "3", "已上门核实"),
        t(mr.CLOSE, Role.DISTRICT, "4", "已安置，监护人接受指导"),
    ]
    assert mr.status("r", [], delivered_at=None).state == mr.FILED
    assert mr.status("r", [], delivered_at="2026-11-01T00:00:00Z").state_zh == "已送达"
    s = mr.status("r", steps, delivered_at="2026-11-01T00:00:00Z")
    assert s.state == mr.CLOSED and s.state_zh == "已办结"
    assert s.outcome == "已安置，监护人接受指导"
    assert s.assignee == "未成年人救助保护中心：区未保中心"
    assert s.acknowledged_at == "2026-11-01T01:00:00Z"
    assert not s.folded.void


def test_not_delivered_cannot_be_acknowledged() -> None:
    s = mr.status("r", [t(mr.ACKNOWLEDGE, Role.TOWN, "1")], delivered_at=None)
    assert s.state == mr.FILED
    assert s.folded.void[0][1] == Refused.NOT_FROM_STATE


@pytest.mark.parametrize(
    ("state", "transition", "code"),
    [
        (mr.DELIVERED, t(mr.ACKNOWLEDGE, Role.DIRECTOR, "1"), Refused.ROLE),
        (mr.DELIVERED, t(mr.CLOSE, Role.DISTRICT, "1", "x"), Refused.NOT_FROM_STATE),
        (mr.ACKNOWLEDGED, t(mr.CLOSE, Role.TOWN, "1"), Refused.REASON_REQUIRED),
        (
            mr.ACKNOWLEDGED,
            t(mr.ASSIGN, Role.TOWN, "1", assignee_kind="town"),
            Refused.DETAIL_MISSING,
        ),
        (mr.CLOSED, t(mr.ADD_INFO, Role.DIRECTOR, "1", "又来了"), Refused.CLOSED),
        (mr.DELIVERED, t("delete", Role.DISTRICT, "1"), Refused.UNKNOWN_ACTION),
        (mr.FILED, t(mr.DELIVER, Role.DIRECTOR, "1"), Refused.ROLE),
    ],
)
def test_impossible_transitions_are_refused_with_a_code(
    state: str, transition: Transition, code: Refused
) -> None:
    assert mr.MACHINE.refusal(state, transition) == code
    with pytest.raises(TransitionRefused) as err:
        mr.MACHINE.check(state, transition)
    assert err.value.code == code and err.value.message_zh


def test_director_adds_information_while_open() -> None:
    s = mr.status("r", [t(mr.ADD_INFO, Role.DIRECTOR, "1", "孩子今天没去上学")], delivered_at=None)
    assert s.state == mr.FILED and len(s.folded.effective) == 1


def test_concurrent_acknowledgements_one_takes_effect() -> None:
    steps = [t(mr.ACKNOWLEDGE, Role.TOWN, "2"), t(mr.ACKNOWLEDGE, Role.DISTRICT, "1")]
    s = mr.status("r", steps, delivered_at="2026-11-01T00:00:00Z")
    assert s.state == mr.ACKNOWLEDGED
    assert [x.order for x in s.folded.effective] == ["", "1"]
    assert s.folded.void[0][0].order == "2"


def test_allowed_actions_per_role() -> None:
    assert mr.MACHINE.allowed(mr.DELIVERED, Role.TOWN) == [mr.ACKNOWLEDGE]
    assert mr.MACHINE.allowed(mr.DELIVERED, Role.DIRECTOR) == [mr.ADD_INFO]


def test_report_problems() -> None:
    good = {
        "child_id": "a" * 32,
        "seen": "孩子身上有伤",
        "seen_at": "2026-11-02 下午",
        "at_risk": "孩子本人",
        "immediate_danger": True,
        "source": "child_file",
        "concern": "abuse",
        "told": {"police": True, "school": False, "hospital": False},
    }
    assert mr.report_problems(good) == []
    bad = dict(good, immediate_danger=None, told={"police": True})
    assert len(mr.report_problems(bad)) == 2
