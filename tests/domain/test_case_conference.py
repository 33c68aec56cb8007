"""个案会商 record and its follow-ups (issue 17)."""

from __future__ import annotations

from datetime import date

from app.domain import case_conference as cc
from app.domain.workflow import Refused, Role, Transition

DATA = {
    "child_id": "c" * 32,
    "case_id": "d" * 32,
    "held_on": "2026-11-20",
    "departments": ["民政", "公安", "学校"],
    "people": ["区民政局 张科长", "派出所 李警官"],
    "findings": "父亲服刑，祖母年迈",
    "decisions": "申请事实无人抚养认定；学校每周了解情况",
    "actions": [
        {"id": "1", "what": "协助申请认定", "who": "村儿童主任", "due": "2026-11-30"},
        {"id": "2", "what": "每周谈心", "who": "学校", "due": "2026-12-31"},
    ],
    "next_review": "2026-12-20",
}


def t(action: str, role: Role, order: str, reason: str = "", **details: object) -> Transition:
    return Transition(action, "某人", role, "2026-11-21T01:00:00Z", reason, details, order=order)


def test_valid_conference_and_bad_department() -> None:
    assert cc.conference_problems(DATA) == []
    bad = dict(DATA, departments=["民政", "街道办"], actions=[{"id": "1", "what": "", "who": "x"}])
    problems = cc.conference_problems(bad)
    assert any("部门只能" in p for p in problems)
    assert any("做什么" in p for p in problems) and any("期限" in p for p in problems)


def test_follow_ups_from_the_laptop_and_the_district() -> None:
    steps = [
        t(cc.ACTION_PROGRESS, Role.DIRECTOR, "1", "材料已收齐", action_id="1"),
        t(cc.ACTION_DONE, Role.DIRECTOR, "2", "已提交申请", action_id="1"),
        t(cc.ACTION_DONE, Role.DISTRICT, "3", "重复", action_id="1"),
        t(cc.ACTION_DONE, Role.DIRECTOR, "4", "无此项", action_id="9"),
        t(cc.REVIEW, Role.DISTRICT, "5", next_review="2027-01-20"),
    ]
    s = cc.status("x", DATA, steps)
    assert [a.state for a in s.actions] == ["done", "open"]
    assert s.actions[0].notes == ("材料已收齐", "已提交申请")
    assert [v[1] for v in s.folded.void] == [Refused.CLOSED, Refused.DETAIL_MISSING]
    assert s.next_review == "2027-01-20"
    assert s.actions[1].overdue(date(2027, 1, 2)) and not s.actions[0].overdue(date(2027, 1, 2))


def test_only_the_district_cancels_and_closes() -> None:
    s = cc.status("x", DATA, [t(cc.ACTION_CANCEL, Role.DIRECTOR, "1", "不做了", action_id="2")])
    assert s.folded.void[0][1] == Refused.ROLE
    s = cc.status("x", DATA, [t(cc.CLOSE, Role.DISTRICT, "1", "已稳定")])
    assert s.state == cc.CLOSED
    s = cc.status(
        "x",
        DATA,
        [
            t(cc.CLOSE, Role.DISTRICT, "1", "已稳定"),
            t(cc.ACTION_DONE, Role.DIRECTOR, "2", "x", action_id="2"),
        ],
    )
    assert s.folded.void[0][1] == Refused.CLOSED
