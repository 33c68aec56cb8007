"""Archiving at 18 tied to the hand-over (issue 19, seed 000 三): a file is archived with reason
年满18 only when the youth is 18 and the transition plan records the hand-over — the rule in
app/domain (plain Python), and through the services, whichever way the archive is asked for."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain.child_file import ArchiveReason, ChildFile, Gender
from app.domain.problems import DomainValidationError
from app.domain.transition_plan import (
    Intention,
    TransitionPlan,
    archive_at_18_problems,
    handed_over_note,
)
from app.services.children import ChildService
from app.services.transition_plans import TransitionPlanService
from storage.vault import Vault

TODAY = date(2026, 11, 22)
VILLAGE = "500119104201"
PLAN = TransitionPlan("c" * 32, date(2026, 6, 1), Intention.WORK)


def test_the_rule_in_the_domain() -> None:
    eighteen_today = date(2008, 11, 22)
    referred = replace(PLAN, referred_on=date(2026, 9, 1), referral_outcome="推荐招聘会")
    handed = replace(referred, handed_over_on=date(2026, 11, 20))
    assert archive_at_18_problems(handed, birth_date=eighteen_today, today=TODAY) == []
    # a day short of 18: refused even with the hand-over
    young = archive_at_18_problems(handed, birth_date=date(2008, 11, 23), today=TODAY)
    assert [p.message_zh for p in young] == ["未满18周岁，不能以“年满18周岁”归档。"]
    # 29 February: 18 on 1 March of a common year
    leap = date(2008, 2, 29)
    assert archive_at_18_problems(handed, birth_date=leap, today=date(2026, 2, 28))
    assert not archive_at_18_problems(handed, birth_date=leap, today=date(2026, 3, 1))
    # 18, but no plan / referred only: the hand-over first
    none = archive_at_18_problems(None, birth_date=eighteen_today, today=TODAY)
    assert len(none) == 1 and "还没有转衔计划" in none[0].message_zh
    waiting = archive_at_18_problems(referred, birth_date=eighteen_today, today=TODAY)
    assert len(waiting) == 1 and "交接" in waiting[0].message_zh
    assert handed_over_note(handed) == "已于2026-11-20完成交接（转介人力社保）"


def _youth(children: ChildService, born: date) -> str:
    return children.create(
        ChildFile(
            name="周强",
            gender=Gender.MALE,
            birth_date=born,
            village_code=VILLAGE,
            opened_on=date(2026, 1, 5),
        )
    ).record_id


def test_the_rule_through_the_services(vault: Vault) -> None:
    children = ChildService(vault, author="王", today=lambda: TODAY)
    plans = TransitionPlanService(vault, author="王", today=lambda: TODAY)
    adult = _youth(children, date(2008, 10, 1))
    # no plan: both ways refuse
    with pytest.raises(DomainValidationError) as refused:
        children.archive(adult, ArchiveReason.TURNED_18)
    assert "转衔计划" in refused.value.problems[0].message_zh
    with pytest.raises(DomainValidationError):
        plans.archive_at_18(adult, children)
    # referred, not handed over: still refused
    first = plans.save(
        TransitionPlan(adult, date(2026, 9, 1), Intention.WORK, referred_on=date(2026, 9, 2))
    )
    with pytest.raises(DomainValidationError):
        children.archive(adult, ArchiveReason.TURNED_18)
    assert not children.get(adult).value.archived
    # other reasons are not held back by the plan
    other = _youth(children, date(2008, 10, 2))
    assert children.archive(other, ArchiveReason.MOVED_OUT).value.archived
    # the hand-over recorded: archived with reason 年满18 and a note saying when
    plans.save(
        replace(first.value, handed_over_on=date(2026, 11, 20)), base_revision=first.revision
    )
    archived = plans.archive_at_18(adult, children).value.archive
    assert archived is not None and archived.reason == ArchiveReason.TURNED_18
    assert archived.on == TODAY and archived.note == "已于2026-11-20完成交接（转介人力社保）"
    # not yet 18 with a plan handed over (a plan starts at 16): refused
    seventeen = _youth(children, date(2009, 5, 1))
    plans.save(
        TransitionPlan(
            seventeen,
            date(2026, 9, 1),
            referred_on=date(2026, 9, 2),
            handed_over_on=date(2026, 10, 1),
        )
    )
    with pytest.raises(DomainValidationError) as young:
        children.archive(seventeen, ArchiveReason.TURNED_18)
    assert "未满18周岁" in young.value.problems[0].message_zh
