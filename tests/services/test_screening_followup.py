"""Issue 19's loose ends on the laptop, in a real vault: open referrals are 待办 lines (how long
open; urgent while the screening found self-harm and no report answers it), a report filed from
a screening says 心理状况筛查 as its source, and the child's 历史 lists screenings and the
referral's steps as it lists assessments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from app.domain import mandatory_report as mr
from app.domain.problems import DomainValidationError
from app.domain.referral import SCREENING_TYPE
from app.questionnaire.loader import load_screening_definition
from app.services.child_history import REFERRAL, SCREENING, child_timeline
from app.services.screening import ReferralService, ScreeningService
from app.services.workflows import REFERRAL_KIND, WorkflowService
from storage.vault import Vault
from tests.services.test_screening import SIGNS, TODAY, children_of, screen

REFER = dict.fromkeys(SIGNS[:3], "often")  # 建议转介, no self-harm


def services(vault: Vault, today: date = TODAY) -> tuple[ScreeningService, WorkflowService]:
    screenings = ScreeningService(
        vault, [load_screening_definition()], author="王", today=lambda: today
    )
    return screenings, WorkflowService(vault, author="王", today=lambda: today)


def file_from(flows: WorkflowService, child_id: str, screening_id: str) -> str:
    draft = flows.report_draft(assessment_id=screening_id)
    return flows.file_report(
        child_id,
        seen=draft["seen"],
        seen_at=TODAY.isoformat(),
        concern=draft["concern"],
        at_risk="儿童本人",
        immediate_danger=False,
        told=draft["told"],
        source="assessment",  # what the report form sends for any result (ui/…dialog.py)
        source_id=screening_id,
    )


def test_open_referrals_are_todo_lines_saying_how_long(vault: Vault) -> None:
    kids = children_of(vault)
    made_on = TODAY - timedelta(days=12)
    screenings, _ = services(vault, made_on)
    waiting = screen(screenings, kids[0], **REFER)
    referred = screen(screenings, kids[1], **REFER)
    evaluated = screen(screenings, kids[2], **REFER)
    declined = screen(screenings, kids[3], **REFER)
    screen(screenings, kids[4], **dict.fromkeys(SIGNS[:4], "sometimes"))  # 建议关注: none
    referrals = ReferralService(vault, author="王", today=lambda: TODAY)
    by_screening = {r.value.screening_id: r for r in referrals.list_all()}
    assert set(by_screening) == {waiting, referred, evaluated, declined}
    referrals.record_referred(
        by_screening[referred].record_id, "区精神卫生中心", TODAY - timedelta(days=5)
    )
    referrals.record_referred(
        by_screening[evaluated].record_id, "区精神卫生中心", TODAY - timedelta(days=5)
    )
    referrals.record_evaluated(by_screening[evaluated].record_id, TODAY, "建议定期随访")
    current = referrals.get(by_screening[declined].record_id)
    referrals.save(
        replace(current.value, declined_reason="监护人暂不同意"),
        record_id=current.record_id,
        base_revision=current.revision,
    )

    flows = WorkflowService(vault, author="王", today=lambda: TODAY)
    lines = [i for i in flows.todo() if i.kind == REFERRAL_KIND]
    assert sorted(i.record_id for i in lines) == sorted(
        [by_screening[waiting].record_id, by_screening[referred].record_id]
    )  # the evaluated and the declined ones are closed
    shown = {i.record_id: i for i in lines}
    pending = shown[by_screening[waiting].record_id]
    assert pending.child_id == kids[0][0] and not pending.urgent
    assert pending.short_zh == "待转介（12 天）"
    assert f"{made_on.isoformat()} 登记转介，已 12 天" in pending.text_zh
    assert "还没有转介到专业机构" in pending.text_zh
    sent = shown[by_screening[referred].record_id]
    assert sent.short_zh == "已转介待评估（12 天）" and not sent.urgent
    assert "已转介到区精神卫生中心" in sent.text_zh and "还没有登记评估结果" in sent.text_zh


def test_a_self_harm_referral_is_urgent_until_a_report_is_filed(vault: Vault) -> None:
    kids = children_of(vault)
    screenings, flows = services(vault)
    harm = screen(screenings, kids[1], sh_self_harm="act")
    (referral,) = [i for i in flows.todo() if i.kind == REFERRAL_KIND]
    assert referral.urgent and referral.short_zh == "自伤风险未报告（0 天）"
    assert referral.text_zh.startswith("筛查发现自伤风险，尚未填写强制报告")
    (asks,) = [i for i in flows.todo() if i.record_id == harm]
    assert asks.urgent and asks.text_zh.startswith("心理状况筛查结果要求强制报告")

    report_id = file_from(flows, kids[1][0], harm)
    (referral,) = [i for i in flows.todo() if i.kind == REFERRAL_KIND]
    assert not referral.urgent and referral.short_zh == "待转介（0 天）"
    assert not [i for i in flows.todo() if i.record_id == harm]
    # the report says where it came from: the screening, not 监护能力评估
    (data, _status) = flows.reports(kids[1][0])[0]
    assert data["source"] == "screening" and data["source_id"] == harm
    assert mr.SOURCES[data["source"]] == "心理状况筛查"
    assert vault.get(report_id).record_type == mr.RECORD_TYPE


def test_the_report_draft_and_the_named_report_know_a_screening(vault: Vault) -> None:
    kids = children_of(vault)
    screenings, flows = services(vault)
    harm = screen(screenings, kids[2], sh_self_harm="talk")
    assert flows.report_draft(assessment_id=harm)["source"] == "screening"
    assessment = next(r for r in vault.load("assessment").revisions)
    assert flows.report_draft(assessment_id=assessment.record_id)["source"] == "assessment"
    # a report naming the screening (source "screening") answers it even when filed earlier
    # in the day than the screening's finish date would need
    flows.file_report(
        kids[2][0],
        seen="孩子说想伤害自己",
        seen_at=TODAY.isoformat(),
        concern="other",
        at_risk="儿童本人",
        immediate_danger=True,
        told=dict.fromkeys(mr.TOLD, False),
        source="screening",
        source_id=harm,
    )
    assert harm not in flows.assessments_needing_report()
    # a screening source must name the child's own record
    other = screen(screenings, kids[3], sh_self_harm="talk")
    with pytest.raises(DomainValidationError, match="不是这个儿童的"):
        flows.file_report(
            kids[2][0],
            seen="x",
            seen_at="y",
            concern="other",
            at_risk="z",
            immediate_danger=False,
            told=dict.fromkeys(mr.TOLD, False),
            source="screening",
            source_id=other,
        )


def test_the_history_lists_screenings_and_referral_steps(vault: Vault) -> None:
    kids = children_of(vault)
    child_id = kids[0][0]
    screenings, _ = services(vault, TODAY - timedelta(days=20))
    screen(screenings, kids[0])  # 未见异常
    later, _ = services(vault, TODAY - timedelta(days=10))
    screen(later, kids[0], **REFER)
    referrals = ReferralService(vault, author="李", today=lambda: TODAY)
    (referral,) = referrals.list_all(child_id)
    referrals.record_referred(referral.record_id, "区精神卫生中心", TODAY - timedelta(days=8))
    referrals.record_evaluated(referral.record_id, TODAY - timedelta(days=1), "建议定期随访")

    timeline = child_timeline(vault, child_id)
    texts = [e.text_zh for e in timeline if e.kind in (SCREENING, REFERRAL)]
    first, second = (TODAY - timedelta(days=20)).isoformat(), (TODAY - timedelta(days=10))
    assert texts == [  # newest first
        f"转介：专业机构已评估（{(TODAY - timedelta(days=1)).isoformat()}），结果：建议定期随访",
        f"转介：转介到区精神卫生中心（{(TODAY - timedelta(days=8)).isoformat()}）",
        f"转介：登记了转介（心理状况筛查建议转介，{second.isoformat()}）",
        f"完成了心理状况筛查（{second.isoformat()}），结果：建议转介",
        f"开始了心理状况筛查（{second.isoformat()}）",
        f"完成了心理状况筛查（{first}），结果：未见异常",
        f"开始了心理状况筛查（{first}）",
    ]
    steps = [e for e in timeline if e.kind == REFERRAL]
    assert [e.author for e in steps] == ["李", "李", "王"]
    # another child's screenings stay out of this child's 历史
    assert not [e for e in child_timeline(vault, kids[1][0]) if e.kind in (SCREENING, REFERRAL)]


def test_the_history_says_self_harm_and_a_declined_referral(vault: Vault) -> None:
    kids = children_of(vault)
    screenings, _ = services(vault)
    harm = screen(screenings, kids[0], sh_self_harm="act")
    assert vault.get(harm).record_type == SCREENING_TYPE
    referrals = ReferralService(vault, author="王", today=lambda: TODAY)
    (referral,) = referrals.list_all(kids[0][0])
    referrals.save(
        replace(referral.value, declined_reason="监护人暂不同意", notes="下月再谈"),
        record_id=referral.record_id,
        base_revision=referral.revision,
    )
    texts = [e.text_zh for e in child_timeline(vault, kids[0][0])]
    assert "转介：未转介（原因：监护人暂不同意）；修改了 备注" in texts
    assert any(t.endswith("结果：建议转介，发现自伤风险，要求强制报告") for t in texts)
