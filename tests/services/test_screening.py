"""Psychological screening (心理状况筛查, issue 19) in a real vault: screenings stored as their
own records (never the child's colour), a 建议转介 result making a referral the director follows
up, self-harm findings on the urgent path (the 待办 asks for a mandatory report), the period's
figures, and both records syncing to a colleague's laptop through the real district server."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from app.demo_caseload import fill_vault
from app.domain.problems import DomainValidationError
from app.domain.referral import (
    REFERRAL_STATUS_ZH,
    SCREENING_TYPE,
    Referral,
    ReferralStatus,
    ScreeningFigures,
)
from app.questionnaire import AnswerError
from app.questionnaire.loader import load_default_definition, load_screening_definition
from app.services.assessments import AssessmentService
from app.services.children import ChildService
from app.services.definitions import DefinitionService
from app.services.screening import ReferralService, ScreeningService, screening_definition
from app.services.workflows import WorkflowService
from storage.vault import Vault

TODAY = date(2026, 11, 22)
SIGNS = (
    "sl_sleep",
    "sl_appetite",
    "sl_body",
    "mo_low",
    "mo_irritable",
    "mo_worry",
    "be_withdrawn",
    "be_interest",
    "be_aggressive",
    "be_school_refusal",
    "be_school_drop",
)


def answers(birth: date, **changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "child_birth_date": birth.isoformat(),
        "sources": ["observation"],
        **dict.fromkeys(SIGNS, "never"),
        "sh_self_harm": "none",
        "sh_runaway": "no",
        "life_events": ["none"],
    }
    if birth.replace(year=birth.year + 6) > TODAY:
        del found["be_school_refusal"], found["be_school_drop"]
    found.update(changes)
    return found


def children_of(vault: Vault, village: str = "500119104201") -> list[tuple[str, date]]:
    fill_vault(vault, children=8, seed=7, village_code=village, today=TODAY, author="王")
    return [
        (s.record_id, s.value.birth_date) for s in ChildService(vault, author="王").list_all()[0]
    ]


def screen(service: ScreeningService, child: tuple[str, date], **changes: Any) -> str:
    started = service.start(child[0], load_screening_definition(), ["王"])
    service.save_draft(started.record_id, answers(child[1], **changes))
    service.finish(started.record_id)
    return started.record_id


def test_screenings_are_their_own_records_and_refer_makes_one_referral(vault: Vault) -> None:
    kids = children_of(vault)
    screenings = ScreeningService(
        vault, [load_screening_definition()], author="王", today=lambda: TODAY
    )
    referrals = ReferralService(vault, author="王", today=lambda: TODAY)
    assessments = AssessmentService(
        vault, [load_default_definition()], author="王", today=lambda: TODAY
    )
    before = {cid: assessments.current_level(cid) for cid, _ in kids}
    calm = screen(screenings, kids[0])
    watch = screen(screenings, kids[1], **dict.fromkeys(SIGNS[:4], "sometimes"))
    refer = screen(screenings, kids[2], **dict.fromkeys(SIGNS[:3], "often"))
    levels = [screenings.get(i).value.level for i in (calm, watch, refer)]
    assert levels == ["clear", "watch", "refer"]
    assert {r.record_type for r in vault.load(SCREENING_TYPE).revisions} == {SCREENING_TYPE}
    # the child's colour (the guardianship assessment's level) is untouched
    assert {cid: assessments.current_level(cid) for cid, _ in kids} == before
    assert all(a.value.definition_id != "psych_screening" for a in assessments.list_all())
    made = referrals.list_all()
    assert [(r.value.child_id, r.value.screening_id) for r in made] == [(kids[2][0], refer)]
    assert made[0].value.status == ReferralStatus.PENDING and made[0].value.made_on == TODAY
    # a correction of that screening that still says refer makes no second referral
    correction = screenings.start_correction(refer)
    screenings.finish(correction.record_id)
    assert len(referrals.list_all()) == 1
    # a screening needs a screening instrument
    with pytest.raises(DomainValidationError):
        screenings.start(kids[0][0], load_default_definition(), ["王"])
    # nothing is finished or stored when answers are missing
    draft = screenings.start(kids[3][0], load_screening_definition(), ["王"])
    with pytest.raises(AnswerError):
        screenings.finish(draft.record_id)
    assert len(referrals.list_all()) == 1


def test_following_up_a_referral_and_its_checks(vault: Vault) -> None:
    kids = children_of(vault)
    screenings = ScreeningService(
        vault, [load_screening_definition()], author="王", today=lambda: TODAY
    )
    referrals = ReferralService(vault, author="王", today=lambda: TODAY)
    screen(screenings, kids[0], sh_self_harm="talk")
    (stored,) = referrals.open_referrals()
    with pytest.raises(DomainValidationError) as err:
        referrals.record_referred(stored.record_id, "", date(2026, 11, 20))
    assert "转介到哪个机构" in err.value.message_zh
    referrals.record_referred(stored.record_id, "区精神卫生中心", date(2026, 11, 20))
    assert referrals.get(stored.record_id).value.status == ReferralStatus.REFERRED
    with pytest.raises(DomainValidationError) as err:
        referrals.record_evaluated(stored.record_id, date(2026, 11, 19), "")
    assert "不能早于转介日期" in err.value.message_zh
    referrals.record_evaluated(stored.record_id, date(2026, 11, 21), "建议定期随访")
    done = referrals.get(stored.record_id).value
    assert done.status == ReferralStatus.EVALUATED and not done.is_open
    assert referrals.open_referrals() == []
    assert Referral.from_json(done.to_json()) == done
    assert set(REFERRAL_STATUS_ZH) == set(ReferralStatus)
    # the domain's checks
    base = Referral(kids[0][0], TODAY)
    assert base.problems_found(today=TODAY) == []
    fields = {
        "future": replace(base, made_on=date(2026, 11, 23)),
        "evaluated_first": replace(base, evaluated=True, evaluated_on=TODAY),
        "outcome_only": replace(base, outcome="正常"),
        "date_only": replace(base, evaluated_on=TODAY),
        "both": replace(base, referred_to="x", referred_on=TODAY, declined_reason="监护人不同意"),
    }
    problems = {k: [p.field for p in v.problems_found(today=TODAY)] for k, v in fields.items()}
    assert problems == {
        "future": ["made_on"],
        "evaluated_first": ["evaluated"],
        "outcome_only": ["outcome"],
        "date_only": ["evaluated_on"],
        "both": ["declined_reason"],
    }
    declined = replace(base, declined_reason="监护人不同意，继续观察")
    assert declined.status == ReferralStatus.DECLINED and not declined.is_open


def test_self_harm_asks_for_a_mandatory_report_in_the_todo(vault: Vault) -> None:
    kids = children_of(vault)
    screenings = ScreeningService(
        vault, [load_screening_definition()], author="王", today=lambda: TODAY
    )
    flows = WorkflowService(vault, author="王", today=lambda: TODAY)
    before = flows.assessments_needing_report()  # the demo's own assessments
    screen(screenings, kids[0], **dict.fromkeys(SIGNS[:3], "often"))  # refer, no report
    assert flows.assessments_needing_report() == before
    harm = screen(screenings, kids[1], sh_self_harm="act")
    assert flows.assessments_needing_report() == [*before, harm]
    (item,) = [i for i in flows.todo() if i.record_id == harm]
    assert item.urgent and item.child_id == kids[1][0]
    draft = flows.report_draft(assessment_id=harm)
    assert "伤害自己" in draft["seen"] and draft["child_id"] == kids[1][0]
    report_id = flows.file_report(
        kids[1][0],
        seen=draft["seen"],
        seen_at=TODAY.isoformat(),
        concern="other",
        at_risk="儿童本人",
        immediate_danger=True,
        told=draft["told"],
        source="assessment",
        source_id=harm,
    )
    assert report_id and flows.assessments_needing_report() == before


def test_the_figures_of_a_period(vault: Vault) -> None:
    kids = children_of(vault)
    days = iter([date(2026, 10, 5), date(2026, 10, 9), date(2026, 11, 2), date(2026, 11, 20)])
    day = [date(2026, 10, 5)]
    screenings = ScreeningService(
        vault, [load_screening_definition()], author="王", today=lambda: day[0]
    )
    referrals = ReferralService(vault, author="王", today=lambda: TODAY)
    for child, changes in zip(
        kids,
        [{}, dict.fromkeys(SIGNS[:4], "sometimes"), {"sh_self_harm": "talk"}, {}],
        strict=False,
    ):
        day[0] = next(days)
        screen(screenings, child, **changes)
    (referral,) = referrals.list_all()
    referrals.record_referred(referral.record_id, "区精神卫生中心", date(2026, 11, 3))
    referrals.record_evaluated(referral.record_id, date(2026, 11, 18), "")
    assert referrals.figures(date(2026, 10, 1), date(2026, 10, 31)) == ScreeningFigures(
        screened=2, flagged=1, referred=0, evaluated=0, self_harm=0
    )
    assert referrals.figures(date(2026, 11, 1), date(2026, 11, 30)) == ScreeningFigures(
        screened=2, flagged=1, referred=1, evaluated=1, self_harm=1
    )


def test_a_district_screening_instrument_is_used_for_new_screenings(vault: Vault) -> None:
    definitions = DefinitionService(vault)
    assert screening_definition(definitions).id == "psych_screening"
    assert definitions.questionnaire().id == "guardianship_capacity"  # the default unchanged


def test_the_monthly_report_and_the_year_summary_count_them(vault: Vault) -> None:
    from app.printing import monthly_report_pdf
    from app.services.monthly_report import CaseloadRecords, ReportMonth, monthly_figures
    from app.services.screening import summary_figures
    from tests.printing.helpers import flat, pdf_text

    kids = children_of(vault)
    screenings = ScreeningService(
        vault, [load_screening_definition()], author="王", today=lambda: TODAY
    )
    screen(screenings, kids[0], sh_self_harm="talk")
    screen(screenings, kids[1], **dict.fromkeys(SIGNS[:4], "sometimes"))
    screen(screenings, kids[2])
    draft = screenings.start(kids[3][0], load_screening_definition(), ["王"])  # not counted
    assert draft.record_id
    records = CaseloadRecords.from_vault(vault)
    november = monthly_figures(records, ReportMonth.parse("2026-11"), today=TODAY)
    assert november.screening == ScreeningFigures(3, 2, 0, 0, 1)
    october = monthly_figures(records, ReportMonth.parse("2026-10"), today=TODAY)
    assert october.screening == ScreeningFigures(0, 0, 0, 0)
    other = monthly_figures(
        records, ReportMonth.parse("2026-11"), today=TODAY, village_code="500119104299"
    )
    assert other.screening.screened == 0  # only the village's children
    pdf = monthly_report_pdf(vault, ReportMonth.parse("2026-11"), today=TODAY)
    assert "本月筛查3名儿童，需关注或建议转介2名，转介专业机构0名" in flat(pdf_text(pdf))
    assert summary_figures(records, date(2026, 1, 1), date(2026, 12, 31)) == {
        "screened": 3,
        "flagged": 2,
        "referred": 0,
        "evaluated": 0,
    }


def test_the_demo_screens_a_third_and_refers_a_few(vault: Vault) -> None:
    from app.services.monthly_report import CaseloadRecords

    made = fill_vault(
        vault,
        children=60,
        seed=3,
        village_code="500119104201",
        today=TODAY,
        author="王",
        programme=True,
    )
    assert 10 <= made.programme["screenings"] <= 30
    assert made.programme["referrals"] >= 1
    referrals = ReferralService(vault, author="王", today=lambda: TODAY)
    year = referrals.figures(date(2025, 12, 1), TODAY)
    assert year.screened == made.programme["screenings"] and year.self_harm == 1
    assert year.flagged >= year.referred >= year.evaluated
    flows = WorkflowService(vault, author="王", today=lambda: TODAY)
    assert any(
        vault.get(i).record_type == SCREENING_TYPE for i in flows.assessments_needing_report()
    )
    assert CaseloadRecords.from_vault(vault).screenings
