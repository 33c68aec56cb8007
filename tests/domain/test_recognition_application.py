"""事实无人抚养儿童认定申请 state machine and its 查验 clock (issue 17)."""

from __future__ import annotations

from datetime import date

from app.domain import recognition_application as ra
from app.domain.workflow import Refused, Role, Transition
from app.domain.working_days import Calendar

CAL = Calendar()


def t(
    action: str, role: Role, order: str, reason: str = "", at: str = "", **details: object
) -> Transition:
    return Transition(
        action, "某人", role, at or "2026-03-02T02:00:00Z", reason, details, order=order
    )


SIGNED = {"guardian_signed": True}


def test_draft_to_confirmed_with_the_town_clock() -> None:
    steps = [
        t(ra.SUBMIT, Role.DIRECTOR, "1", **SIGNED),
        t(ra.VERIFY, Role.TOWN, "2"),
        t(ra.CONFIRM, Role.DISTRICT, "3", at="2026-03-10T03:00:00Z"),
    ]
    s = ra.status("a", steps[:1], CAL)
    assert s.state == ra.SUBMITTED and s.submitted_on == date(2026, 3, 2)
    assert s.deadline is not None and s.deadline.due == date(2026, 3, 16)
    assert s.working_days_left(date(2026, 3, 13), CAL) == 1
    assert s.working_days_left(date(2026, 3, 18), CAL) == -2
    done = ra.status("a", steps, CAL)
    assert done.state == ra.CONFIRMED and done.confirmed_on == "2026-03-10"
    assert done.deadline is None and done.working_days_left(date(2026, 3, 18), CAL) is None


def test_submit_needs_the_guardians_signature() -> None:
    s = ra.status("a", [t(ra.SUBMIT, Role.DIRECTOR, "1")], CAL)
    assert s.state == ra.DRAFT and s.folded.void[0][1] == Refused.DETAIL_MISSING


def test_returned_then_submitted_again_restarts_the_clock() -> None:
    steps = [
        t(ra.SUBMIT, Role.DIRECTOR, "1", **SIGNED),
        t(ra.RETURN, Role.TOWN, "2", "缺少派出所出具的失联证明"),
        t(ra.SUBMIT, Role.DIRECTOR, "3", at="2026-03-09T01:00:00Z", **SIGNED),
    ]
    s = ra.status("a", steps, CAL)
    assert s.state == ra.SUBMITTED and s.submitted_on == date(2026, 3, 9)
    assert s.reason == "缺少派出所出具的失联证明"


def test_refusals_need_a_reason_and_show_it() -> None:
    base = [t(ra.SUBMIT, Role.DIRECTOR, "1", **SIGNED), t(ra.VERIFY, Role.TOWN, "2")]
    s = ra.status("a", [*base, t(ra.REFUSE, Role.DISTRICT, "3")], CAL)
    assert s.state == ra.VERIFIED and s.folded.void[0][1] == Refused.REASON_REQUIRED
    s = ra.status("a", [*base, t(ra.REFUSE, Role.DISTRICT, "3", "母亲已联系上")], CAL)
    assert s.state == ra.REFUSED and s.reason == "母亲已联系上"
    assert "低保" in ra.FALLBACK_ZH


def test_roles() -> None:
    sub = [t(ra.SUBMIT, Role.DIRECTOR, "1", **SIGNED)]
    s = ra.status("a", [*sub, t(ra.CONFIRM, Role.DISTRICT, "2")], CAL)
    assert s.folded.void[0][1] == Refused.NOT_FROM_STATE  # not verified yet
    s = ra.status("a", [*sub, t(ra.VERIFY, Role.DIRECTOR, "2")], CAL)
    assert s.folded.void[0][1] == Refused.ROLE
    s = ra.status("a", [*sub, t(ra.VERIFY, Role.TOWN, "2"), t(ra.CONFIRM, Role.TOWN, "3")], CAL)
    assert s.state == ra.VERIFIED and s.folded.void[0][1] == Refused.ROLE


def test_a_decision_after_a_withdrawal_is_void_as_withdrawn() -> None:
    steps = [
        t(ra.SUBMIT, Role.DIRECTOR, "1", **SIGNED),
        t(ra.VERIFY, Role.TOWN, "2"),
        t(ra.WITHDRAW, Role.DIRECTOR, "3"),  # offline, before the decision was seen
        t(ra.CONFIRM, Role.DISTRICT, "4"),
    ]
    s = ra.status("a", steps, CAL)
    assert s.state == ra.WITHDRAWN
    assert [(v[0].action, v[1]) for v in s.void_decisions] == [(ra.CONFIRM, Refused.WITHDRAWN)]


def test_a_withdrawal_after_the_decision_is_void() -> None:
    steps = [
        t(ra.SUBMIT, Role.DIRECTOR, "1", **SIGNED),
        t(ra.VERIFY, Role.TOWN, "2"),
        t(ra.CONFIRM, Role.DISTRICT, "3"),
        t(ra.WITHDRAW, Role.DIRECTOR, "4"),
    ]
    s = ra.status("a", steps, CAL)
    assert s.state == ra.CONFIRMED and s.folded.void[0][1] == Refused.CLOSED


def test_deadline_over_the_year_end_is_approximate_without_2027() -> None:
    s = ra.status("a", [t(ra.SUBMIT, Role.DIRECTOR, "1", at="2026-12-24T02:00:00Z", **SIGNED)], CAL)
    assert s.deadline is not None and s.deadline.approximate and s.deadline.due == date(2027, 1, 7)


def test_application_problems() -> None:
    assert (
        ra.application_problems(
            {"child_id": "a" * 32, "facts": {"father": "失联"}, "materials": []}
        )
        == []
    )
    assert len(ra.application_problems({})) == 3
