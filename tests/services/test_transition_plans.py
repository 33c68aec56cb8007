"""Ageing out (issue 19): the transition plan from 16 — intention, training, referral to 人力社保
(date, outcome), subsidies, hand-over — one per child, its checks and its status."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from app.demo_caseload import fill_vault
from app.domain.child_file import eighteenth_birthday
from app.domain.problems import DomainValidationError
from app.domain.transition_plan import (
    PLAN_STATUS_LABELS_ZH,
    TRANSITION_PLAN_TYPE,
    Intention,
    PlanStatus,
    TransitionPlan,
)
from app.services.children import ChildService
from app.services.transition_plans import TransitionPlanService
from storage.vault import Vault

TODAY = date(2026, 11, 22)
VILLAGE = "500119104201"


def test_checks_and_status() -> None:
    born = date(2010, 11, 22)  # 16 today
    plan = TransitionPlan("a" * 32, TODAY, Intention.WORK, training_wanted="电工")
    assert plan.problems_found(birth_date=born, today=TODAY) == []
    assert plan.status == PlanStatus.STARTED
    too_young = plan.problems_found(birth_date=born + timedelta(days=1), today=TODAY)
    assert [p.field for p in too_young] == ["made_on"] and "16" in too_young[0].message_zh
    # 29 February birth: 16 on 1 March in a common year
    leap = date(2008, 2, 29)
    assert replace(plan, made_on=date(2024, 2, 28)).problems_found(birth_date=leap, today=TODAY)
    assert not replace(plan, made_on=date(2024, 2, 29)).problems_found(birth_date=leap, today=TODAY)
    outcome_only = replace(plan, referral_outcome="已推荐参加招聘会")
    assert [p.field for p in outcome_only.problems_found(birth_date=born, today=TODAY)] == [
        "referred_on"
    ]
    handed = replace(plan, handed_over_on=TODAY)
    assert "handed_over_on" in [
        p.field for p in handed.problems_found(birth_date=born, today=TODAY)
    ]
    referred = replace(plan, referred_on=TODAY, referral_outcome="推荐区就业服务中心")
    assert referred.status == PlanStatus.REFERRED
    assert replace(referred, handed_over_on=TODAY).status == PlanStatus.HANDED_OVER
    assert TransitionPlan.from_json(referred.to_json()) == referred
    assert set(PLAN_STATUS_LABELS_ZH) == set(PlanStatus)


def test_one_plan_per_child_saved_over(vault: Vault) -> None:
    fill_vault(vault, children=30, seed=5, village_code=VILLAGE, today=TODAY, author="王")
    children = ChildService(vault, author="王").list_all()[0]
    older = next(c for c in children if c.value.age_on(TODAY) >= 16)
    younger = next(c for c in children if c.value.age_on(TODAY) < 16)
    service = TransitionPlanService(vault, author="王", today=lambda: TODAY)
    assert service.for_child(older.record_id) is None
    plan = TransitionPlan(older.record_id, TODAY, Intention.TRAINING, subsidies=["职业培训补贴"])
    first = service.save(plan)
    assert service.statuses() == {older.record_id: PlanStatus.STARTED}
    plan.referred_on = TODAY
    plan.referral_outcome = "已登记区人力社保局就业服务"
    second = service.save(plan, base_revision=first.revision)
    assert second.record_id == first.record_id and second.revision == first.revision + 1
    assert len(vault.load(TRANSITION_PLAN_TYPE).revisions) == 1
    assert service.statuses()[older.record_id] == PlanStatus.REFERRED
    found = service.for_child(older.record_id)
    assert found is not None and found.value.subsidies == ["职业培训补贴"]
    with pytest.raises(DomainValidationError):
        service.save(TransitionPlan(younger.record_id, TODAY))
    assert eighteenth_birthday(older.value.birth_date) > older.value.birth_date
