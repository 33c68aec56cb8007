"""The recognition helper for 事实无人抚养儿童: every situation of each parent against every
situation of the other, with facts that meet the conditions, facts that fail them and no facts at
all, each checked against a plain oracle written here; then the reasons, the thresholds and the
properties that must hold whatever the facts."""

from __future__ import annotations

import itertools
from dataclasses import fields, replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.guardian_situation import GuardianSituation as GS
from app.domain.recognition import (
    NATIONAL_POLICY,
    Alternative,
    Outcome,
    Parent,
    ParentFacts,
    ParentStatus,
    RecognitionPolicy,
    RecognitionResult,
    RecognitionRule,
    assess_recognition,
)

TODAY = date(2026, 5, 20)
LONG_AGO = date(2025, 1, 10)  # more than 6 months before TODAY
RECENTLY = date(2026, 3, 1)  # less than 6 months before TODAY

# The eight situations of the rule (seed 000, 一), written out here rather than imported.
LISTED = {
    GS.SEVERE_DISABILITY,
    GS.SERIOUS_ILLNESS,
    GS.IMPRISONED,
    GS.COMPULSORY_REHAB,
    GS.LOST_CONTACT,
    GS.GUARDIANSHIP_REVOKED,
    GS.OTHER_RESTRICTION,
    GS.DEPORTED,
}
DEAD_OR_MISSING = {GS.DECEASED, GS.MISSING}
NOT_LISTED = {GS.WORKING_AWAY, GS.DIVORCED_ABSENT, GS.REMARRIED_ABSENT, GS.PRESENT, GS.OTHER}
SITUATIONS: list[GS | None] = [*GS, None]  # None: the parent's situation is not known


def test_the_situation_lists_cover_the_enum() -> None:
    assert set(GS) == LISTED | DEAD_OR_MISSING | NOT_LISTED
    assert len(LISTED) == 8


# ----- facts for each situation -------------------------------------------------------------

MEETING: dict[GS, dict[str, object]] = {  # facts that satisfy the situation's conditions
    GS.SEVERE_DISABILITY: {"disability_grade": 2},
    GS.SERIOUS_ILLNESS: {"illness_on_local_list": True},
    GS.IMPRISONED: {"restriction_months": 36},
    GS.COMPULSORY_REHAB: {"restriction_months": 24},
    GS.OTHER_RESTRICTION: {"restriction_months": 6},
    GS.LOST_CONTACT: {"police_report_accepted_on": LONG_AGO},
    GS.DEPORTED: {"deported_without_support": True},
    GS.MISSING: {"missing_declared_by_court": True},
}
FAILING: dict[GS, dict[str, object]] = {  # facts that show the conditions are not met
    GS.SEVERE_DISABILITY: {"disability_grade": 3, "disability_mental_or_intellectual": False},
    GS.SERIOUS_ILLNESS: {"illness_on_local_list": False},
    GS.IMPRISONED: {"restriction_months": 5},
    GS.COMPULSORY_REHAB: {"restriction_months": 3},
    GS.OTHER_RESTRICTION: {"restriction_months": 1},
    GS.LOST_CONTACT: {"police_report_accepted_on": RECENTLY},
    GS.DEPORTED: {"deported_without_support": False},
    GS.MISSING: {"missing_declared_by_court": False, "police_report_accepted_on": RECENTLY},
}
# Without facts, these need asking (the fact names are ParentFacts fields).
QUESTIONS = {
    None: {"situations"},
    GS.SEVERE_DISABILITY: {"disability_grade", "disability_mental_or_intellectual"},
    GS.SERIOUS_ILLNESS: {"illness_on_local_list"},
    GS.IMPRISONED: {"restriction_months"},
    GS.COMPULSORY_REHAB: {"restriction_months"},
    GS.OTHER_RESTRICTION: {"restriction_months"},
    GS.LOST_CONTACT: {"police_report_accepted_on"},
    GS.DEPORTED: {"deported_without_support"},
    GS.MISSING: {"missing_declared_by_court", "police_report_accepted_on"},
}


def meeting(situation: GS | None) -> ParentFacts:
    return (
        ParentFacts()
        if situation is None
        else ParentFacts.of(situation, **MEETING.get(situation, {}))
    )


def failing(situation: GS | None) -> ParentFacts:
    return (
        ParentFacts()
        if situation is None
        else ParentFacts.of(situation, **FAILING.get(situation, {}))
    )


def bare(situation: GS | None) -> ParentFacts:
    return ParentFacts() if situation is None else ParentFacts.of(situation)


# ----- the oracle ---------------------------------------------------------------------------


def oracle(father: str, mother: str) -> tuple[Outcome, RecognitionRule | None]:
    """Each parent is 'gone' (dead / declared missing), 'listed', 'not' or 'unknown'."""
    if "not" in (father, mother):
        return Outcome.NOT_ELIGIBLE, None
    if "unknown" in (father, mother):
        return Outcome.UNDETERMINED, None
    if father == "gone" and mother == "gone":
        return Outcome.ORPHAN, None
    if father == "listed" and mother == "listed":
        return Outcome.ELIGIBLE, RecognitionRule.BOTH_PARENTS_LISTED
    return Outcome.ELIGIBLE, RecognitionRule.ONE_ABSENT_OTHER_LISTED


def kind_when_met(s: GS | None) -> str:
    if s is None:
        return "unknown"
    if s in DEAD_OR_MISSING:
        return "gone"
    return "listed" if s in LISTED else "not"


def kind_when_failing(s: GS | None) -> str:
    if s is None:
        return "unknown"
    if s == GS.DECEASED:
        return "gone"
    if s == GS.GUARDIANSHIP_REVOKED:  # a court judgment: nothing that could fail
        return "listed"
    return "not"


def kind_without_facts(s: GS | None) -> str:
    if s == GS.DECEASED:
        return "gone"
    if s == GS.GUARDIANSHIP_REVOKED:
        return "listed"
    if s in NOT_LISTED:
        return "not"
    return "unknown"


PAIRS = list(itertools.product(SITUATIONS, SITUATIONS))


def check_shape(result: RecognitionResult) -> None:
    """What every result must look like, whatever the outcome."""
    assert result.eligible == (result.outcome == Outcome.ELIGIBLE)
    assert (result.rule is not None) == result.eligible
    assert result.reasons, "a result always says why"
    assert all(r.zh and r.en for r in (result.summary, *result.reasons, *result.next_steps))
    if result.outcome == Outcome.UNDETERMINED:
        assert result.missing_facts, "undetermined always says what to find out"
        assert result.alternatives == (Alternative.TEMPORARY_ASSISTANCE,)
    else:
        assert result.missing_facts == ()
    if result.outcome == Outcome.NOT_ELIGIBLE:
        assert set(result.alternatives) == set(Alternative)
        assert all(word in result.text_zh() for word in ("低保", "临时救助", "慈善帮扶"))
    if result.outcome in (Outcome.ELIGIBLE, Outcome.ORPHAN):
        assert result.alternatives == ()
    if result.outcome == Outcome.ORPHAN:
        assert "孤儿" in result.summary.zh


@pytest.mark.parametrize(("father", "mother"), PAIRS)
def test_every_pair_with_conditions_met(father: GS | None, mother: GS | None) -> None:
    result = assess_recognition(meeting(father), meeting(mother), today=TODAY)
    assert (result.outcome, result.rule) == oracle(kind_when_met(father), kind_when_met(mother))
    check_shape(result)


@pytest.mark.parametrize(("father", "mother"), PAIRS)
def test_every_pair_with_conditions_failing(father: GS | None, mother: GS | None) -> None:
    result = assess_recognition(failing(father), failing(mother), today=TODAY)
    expected = oracle(kind_when_failing(father), kind_when_failing(mother))
    assert (result.outcome, result.rule) == expected
    check_shape(result)


@pytest.mark.parametrize(("father", "mother"), PAIRS)
def test_every_pair_without_facts(father: GS | None, mother: GS | None) -> None:
    result = assess_recognition(bare(father), bare(mother), today=TODAY)
    kinds = (kind_without_facts(father), kind_without_facts(mother))
    assert (result.outcome, result.rule) == oracle(*kinds)
    check_shape(result)
    if result.outcome == Outcome.UNDETERMINED:
        expected = {
            (parent, key)
            for parent, s, kind in (
                (Parent.FATHER, father, kinds[0]),
                (Parent.MOTHER, mother, kinds[1]),
            )
            if kind == "unknown"
            for key in QUESTIONS[s]
        }
        assert {(m.parent, m.key) for m in result.missing_facts} == expected


@pytest.mark.parametrize(("father", "mother"), PAIRS)
def test_swapping_parents_gives_the_same_decision(father: GS | None, mother: GS | None) -> None:
    for make in (meeting, failing, bare):
        one = assess_recognition(make(father), make(mother), today=TODAY)
        other = assess_recognition(make(mother), make(father), today=TODAY)
        assert (one.outcome, one.rule) == (other.outcome, other.rule)


@pytest.mark.parametrize(("father", "mother"), PAIRS)
def test_reasons_name_each_parent_that_decides(father: GS | None, mother: GS | None) -> None:
    result = assess_recognition(meeting(father), meeting(mother), today=TODAY)
    text = "\n".join(r.zh for r in result.reasons)
    if result.outcome == Outcome.NOT_ELIGIBLE:
        failing_parents = [
            who for who, s in (("父亲", father), ("母亲", mother)) if kind_when_met(s) == "not"
        ]
        for who in failing_parents:
            assert who in result.summary.zh
            assert who in text
    else:
        assert "父亲" in text and "母亲" in text


# ----- hand-written cases: the reasons in plain Chinese ---------------------------------------


def assess(father: ParentFacts, mother: ParentFacts, **kwargs: object) -> RecognitionResult:
    return assess_recognition(father, mother, today=TODAY, **kwargs)  # type: ignore[arg-type]


def test_imprisoned_father_dead_mother() -> None:
    result = assess(
        ParentFacts.of(GS.IMPRISONED, restriction_months=36), ParentFacts.of(GS.DECEASED)
    )
    assert result.eligible
    assert result.rule == RecognitionRule.ONE_ABSENT_OTHER_LISTED
    assert "父母一方死亡或失踪、另一方符合规定情形之一" in result.summary.zh
    assert "父亲服刑在押，期限36个月，满6个月，属于规定情形" in result.text_zh()
    assert "母亲已死亡" in result.text_zh()
    assert "渝悦·救助通" in result.text_zh() and "10个工作日" in result.text_zh()
    assert "每月至少上门探访1次" in result.text_zh()


def test_both_parents_listed() -> None:
    result = assess(
        ParentFacts.of(GS.SEVERE_DISABILITY, disability_grade=1),
        ParentFacts.of(GS.LOST_CONTACT, police_report_accepted_on=date(2025, 6, 1)),
    )
    assert result.rule == RecognitionRule.BOTH_PARENTS_LISTED
    assert "父母双方均符合规定情形之一" in result.summary.zh
    assert "父亲1级残疾，属于“重残”" in result.text_zh()
    assert "母亲失联：2025年6月1日报警受理，至今已满6个月仍下落不明" in result.text_zh()


def test_both_dead_is_an_orphan_not_de_facto_unsupported() -> None:
    result = assess(ParentFacts.of(GS.DECEASED), ParentFacts.of(GS.DECEASED))
    assert result.outcome == Outcome.ORPHAN and not result.eligible
    assert "孤儿" in result.summary.zh and "不按事实无人抚养儿童认定" in result.summary.zh
    assert "孤儿基本生活保障" in result.text_zh()


def test_dead_and_declared_missing_is_an_orphan() -> None:
    result = assess(
        ParentFacts.of(GS.MISSING, missing_declared_by_court=True), ParentFacts.of(GS.DECEASED)
    )
    assert result.outcome == Outcome.ORPHAN
    assert "宣告失踪" in result.text_zh()


def test_one_parent_present_and_fine() -> None:
    result = assess(
        ParentFacts.of(GS.IMPRISONED, restriction_months=60), ParentFacts.of(GS.PRESENT)
    )
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert result.summary.zh.startswith("不符合事实无人抚养儿童认定条件：母亲不属于规定情形")
    assert result.reasons[0].zh == "母亲在家，正常履行监护职责，不属于规定情形。"
    assert "政策有边界、关爱无盲区" in result.text_zh()
    assert result.alternatives == (
        Alternative.DIBAO,
        Alternative.TEMPORARY_ASSISTANCE,
        Alternative.CHARITY,
    )


def test_dead_father_and_present_mother_is_not_eligible() -> None:
    result = assess(ParentFacts.of(GS.DECEASED), ParentFacts.of(GS.PRESENT))
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert "母亲不属于规定情形" in result.summary.zh


def test_working_away_points_to_left_behind_support() -> None:
    result = assess(
        ParentFacts.of(GS.WORKING_AWAY),
        ParentFacts.of(GS.SERIOUS_ILLNESS, illness_on_local_list=True),
    )
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert "父亲外出务工，不属于规定情形（可按留守儿童关爱帮扶）" in result.text_zh()


def test_divorced_parent_not_supporting_hints_at_lost_contact() -> None:
    result = assess(ParentFacts.of(GS.DIVORCED_ABSENT), ParentFacts.of(GS.DECEASED))
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert "可按“失联”核实" in result.text_zh()


def test_other_situation_asks_to_check_the_list() -> None:
    result = assess(ParentFacts.of(GS.OTHER), ParentFacts.of(GS.DECEASED))
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert "请核实是否实际属于所列情形之一" in result.text_zh()


def test_unknown_parent_is_a_missing_fact_not_a_silent_no() -> None:
    result = assess(ParentFacts.of(GS.DECEASED), ParentFacts())
    assert result.outcome == Outcome.UNDETERMINED and not result.eligible
    [question] = result.missing_facts
    assert (question.parent, question.key) == (Parent.MOTHER, "situations")
    assert question.question.zh.startswith("母亲：目前是什么情况？")
    assert "母亲的情况还不清楚" in result.text_zh()
    assert "需要补充了解" in result.text_zh()


def test_both_unknown_asks_about_both() -> None:
    result = assess(ParentFacts(), ParentFacts())
    assert result.outcome == Outcome.UNDETERMINED
    assert [m.parent for m in result.missing_facts] == [Parent.FATHER, Parent.MOTHER]


def test_no_question_when_the_answer_cannot_change_the_decision() -> None:
    # the father's term is unknown, but the mother is at home: not eligible whatever it is
    result = assess(ParentFacts.of(GS.IMPRISONED), ParentFacts.of(GS.PRESENT))
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert result.missing_facts == ()


def test_undeclared_missing_parent_with_dead_other_parent_asks_about_the_declaration() -> None:
    result = assess(ParentFacts.of(GS.MISSING), ParentFacts.of(GS.DECEASED))
    assert result.outcome == Outcome.UNDETERMINED
    keys = [m.key for m in result.missing_facts]
    assert keys == ["missing_declared_by_court", "police_report_accepted_on"]
    assert "经人民法院宣告失踪的按“失踪”认定；未经宣告的按“失联”核实" in result.text_zh()


def test_missing_not_declared_is_checked_as_lost_contact() -> None:
    father = ParentFacts.of(
        GS.MISSING, missing_declared_by_court=False, police_report_accepted_on=LONG_AGO
    )
    result = assess(father, ParentFacts.of(GS.DECEASED))
    assert result.eligible
    assert result.rule == RecognitionRule.ONE_ABSENT_OTHER_LISTED
    assert "父亲失踪但未经人民法院宣告失踪，按“失联”核实：2025年1月10日报警受理" in result.text_zh()


def test_missing_with_declaration_unknown_but_lost_contact_proven_is_eligible_anyway() -> None:
    # either declared missing (one absent) or lost contact (listed): eligible both ways
    father = ParentFacts.of(GS.MISSING, police_report_accepted_on=LONG_AGO)
    result = assess(father, ParentFacts.of(GS.SERIOUS_ILLNESS, illness_on_local_list=True))
    assert result.eligible
    assert result.rule == RecognitionRule.BOTH_PARENTS_LISTED
    assert result.missing_facts == ()


def test_missing_fact_keys_are_parent_fact_fields() -> None:
    names = {f.name for f in fields(ParentFacts)}
    assert set().union(*QUESTIONS.values()) <= names


# ----- the conditions of each situation ----------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "mental", "expected"),
    [
        (1, None, ParentStatus.LISTED),
        (2, False, ParentStatus.LISTED),
        (3, True, ParentStatus.LISTED),
        (4, True, ParentStatus.LISTED),
        (3, False, ParentStatus.NOT_LISTED),
        (4, False, ParentStatus.NOT_LISTED),
        (3, None, None),
        (None, True, None),
        (None, None, None),
    ],
)
def test_severe_disability_grades(
    grade: int | None, mental: bool | None, expected: ParentStatus | None
) -> None:
    father = ParentFacts.of(
        GS.SEVERE_DISABILITY, disability_grade=grade, disability_mental_or_intellectual=mental
    )
    result = assess(father, ParentFacts.of(GS.DECEASED))
    assert result.father.status == expected
    if expected is None:
        assert result.outcome == Outcome.UNDETERMINED
    if (grade, mental) == (3, None):
        assert [m.key for m in result.missing_facts] == ["disability_mental_or_intellectual"]
        assert "只有精神、智力残疾三、四级才算重残" in result.text_zh()
    if (grade, mental) == (4, False):
        assert "4级残疾且不是精神、智力残疾，不属于“重残”" in result.text_zh()


@pytest.mark.parametrize("situation", [GS.IMPRISONED, GS.COMPULSORY_REHAB, GS.OTHER_RESTRICTION])
@pytest.mark.parametrize(
    ("months", "listed"), [(0, False), (5, False), (6, True), (7, True), (120, True)]
)
def test_restriction_terms_count_from_six_months_inclusive(
    situation: GS, months: int, listed: bool
) -> None:
    result = assess(
        ParentFacts.of(situation, restriction_months=months), ParentFacts.of(GS.DECEASED)
    )
    assert result.eligible == listed
    if not listed:
        assert f"期限只有{months}个月，不满6个月" in result.text_zh()


@pytest.mark.parametrize(
    ("reported", "listed"),
    [
        (date(2025, 11, 20), True),  # exactly 6 months before TODAY: 以上 includes the number
        (date(2025, 11, 19), True),
        (date(2025, 11, 21), False),
        (date(2026, 5, 20), False),
    ],
)
def test_lost_contact_counts_six_months_from_the_police_report(
    reported: date, listed: bool
) -> None:
    result = assess(
        ParentFacts.of(GS.LOST_CONTACT, police_report_accepted_on=reported),
        ParentFacts.of(GS.DECEASED),
    )
    assert result.eligible == listed
    if not listed:
        assert "还不满6个月" in result.text_zh()
        assert "可再提出申请" in result.text_zh()


def test_lost_contact_says_when_it_will_count() -> None:
    result = assess(
        ParentFacts.of(GS.LOST_CONTACT, police_report_accepted_on=date(2026, 2, 1)),
        ParentFacts.of(GS.IMPRISONED, restriction_months=12),
    )
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert "到2026年8月1日仍下落不明的，可再提出申请" in result.text_zh()


def test_month_end_dates_are_clamped() -> None:
    # 2025-08-31 + 6 months = 2026-02-28 (no 31 February)
    father = ParentFacts.of(GS.LOST_CONTACT, police_report_accepted_on=date(2025, 8, 31))
    on_the_day = assess_recognition(father, ParentFacts.of(GS.DECEASED), today=date(2026, 2, 28))
    day_before = assess_recognition(father, ParentFacts.of(GS.DECEASED), today=date(2026, 2, 27))
    assert on_the_day.eligible and not day_before.eligible
    assert "2026年2月28日" in day_before.text_zh()


def test_lost_contact_policy_counting_from_last_contact() -> None:
    policy = RecognitionPolicy(lost_contact_from_police_report=False)
    since_long = ParentFacts.of(GS.LOST_CONTACT, lost_contact_since=LONG_AGO)
    since_recent = ParentFacts.of(GS.LOST_CONTACT, lost_contact_since=RECENTLY)
    unknown = ParentFacts.of(GS.LOST_CONTACT)
    dead = ParentFacts.of(GS.DECEASED)
    assert assess(since_long, dead, policy=policy).eligible
    assert assess(since_recent, dead, policy=policy).outcome == Outcome.NOT_ELIGIBLE
    undetermined = assess(unknown, dead, policy=policy)
    assert [m.key for m in undetermined.missing_facts] == ["lost_contact_since"]
    # under the default policy the date of last contact alone is not enough: the police report is
    assert assess(since_long, dead).outcome == Outcome.UNDETERMINED


def test_a_district_can_set_another_minimum_term() -> None:
    policy = RecognitionPolicy(min_months=3)
    father = ParentFacts.of(GS.IMPRISONED, restriction_months=4)
    assert assess(father, ParentFacts.of(GS.DECEASED), policy=policy).eligible
    assert not assess(father, ParentFacts.of(GS.DECEASED)).eligible
    assert NATIONAL_POLICY.min_months == 6


def test_deported_parent_must_not_support_the_child() -> None:
    dead = ParentFacts.of(GS.DECEASED)
    assert assess(ParentFacts.of(GS.DEPORTED, deported_without_support=True), dead).eligible
    supporting = assess(ParentFacts.of(GS.DEPORTED, deported_without_support=False), dead)
    assert supporting.outcome == Outcome.NOT_ELIGIBLE
    assert "仍在履行抚养义务" in supporting.text_zh()


def test_serious_illness_must_be_on_the_local_list() -> None:
    dead = ParentFacts.of(GS.DECEASED)
    unknown = assess(ParentFacts.of(GS.SERIOUS_ILLNESS), dead)
    assert unknown.outcome == Outcome.UNDETERMINED
    assert "重特大疾病" in unknown.missing_facts[0].question.zh


# ----- parents in several situations ------------------------------------------------------


def test_a_dead_parent_is_dead_whatever_else_is_recorded() -> None:
    father = ParentFacts.of(GS.DECEASED, GS.WORKING_AWAY, GS.IMPRISONED)
    assert assess(father, ParentFacts.of(GS.DECEASED)).outcome == Outcome.ORPHAN


def test_one_met_situation_is_enough_for_a_parent() -> None:
    father = ParentFacts.of(
        GS.WORKING_AWAY,
        GS.SERIOUS_ILLNESS,
        GS.IMPRISONED,
        restriction_months=2,
        illness_on_local_list=True,
    )
    result = assess(father, ParentFacts.of(GS.DECEASED))
    assert result.eligible
    assert "父亲所患疾病属于当地重特大疾病范围" in result.text_zh()
    assert "外出务工" not in result.text_zh()  # only the findings that decide are listed


def test_unknown_conditions_with_a_met_one_need_no_question() -> None:
    father = ParentFacts.of(GS.IMPRISONED, GS.SERIOUS_ILLNESS, restriction_months=12)
    result = assess(father, ParentFacts.of(GS.DECEASED))
    assert result.eligible and result.missing_facts == ()


def test_several_unknown_conditions_are_all_asked() -> None:
    father = ParentFacts.of(GS.IMPRISONED, GS.SERIOUS_ILLNESS)
    result = assess(father, ParentFacts.of(GS.DECEASED))
    assert result.outcome == Outcome.UNDETERMINED
    assert {m.key for m in result.missing_facts} == {"restriction_months", "illness_on_local_list"}


def test_situations_may_be_given_as_strings_or_sets() -> None:
    father = ParentFacts(situations={"imprisoned"}, restriction_months=12)  # type: ignore[arg-type]
    assert father.situations == frozenset({GS.IMPRISONED})
    assert assess(father, ParentFacts.of(GS.DECEASED)).eligible


def test_impossible_facts_are_refused() -> None:
    with pytest.raises(ValueError):
        ParentFacts.of(GS.SEVERE_DISABILITY, disability_grade=5)
    with pytest.raises(ValueError):
        ParentFacts.of(GS.IMPRISONED, restriction_months=-1)
    with pytest.raises(ValueError):
        ParentFacts(situations=frozenset({"sick"}))  # type: ignore[arg-type]


def test_english_text_for_the_command_line() -> None:
    result = assess(ParentFacts.of(GS.DECEASED), ParentFacts())
    assert result.text_en().startswith("cannot decide yet")
    assert "mother: what is this parent's situation" in result.text_en()


# ----- properties over any facts ----------------------------------------------------------

OPTIONAL_FACTS = {
    "disability_grade": st.none() | st.integers(min_value=1, max_value=4),
    "disability_mental_or_intellectual": st.none() | st.booleans(),
    "illness_on_local_list": st.none() | st.booleans(),
    "restriction_months": st.none() | st.integers(min_value=0, max_value=240),
    "police_report_accepted_on": st.none() | st.dates(min_value=date(2020, 1, 1), max_value=TODAY),
    "missing_declared_by_court": st.none() | st.booleans(),
    "deported_without_support": st.none() | st.booleans(),
}
FILLED = {
    "disability_grade": st.integers(min_value=1, max_value=4),
    "disability_mental_or_intellectual": st.booleans(),
    "illness_on_local_list": st.booleans(),
    "restriction_months": st.integers(min_value=0, max_value=240),
    "police_report_accepted_on": st.dates(min_value=date(2020, 1, 1), max_value=TODAY),
    "missing_declared_by_court": st.booleans(),
    "deported_without_support": st.booleans(),
}

parent_facts = st.builds(
    ParentFacts,
    situations=st.frozensets(st.sampled_from(list(GS)), max_size=3),
    **OPTIONAL_FACTS,
)


@settings(max_examples=300)
@given(parent_facts, parent_facts)
def test_every_result_is_well_formed_and_symmetric(
    father: ParentFacts, mother: ParentFacts
) -> None:
    result = assess(father, mother)
    check_shape(result)
    swapped = assess(mother, father)
    assert (swapped.outcome, swapped.rule) == (result.outcome, result.rule)


@settings(max_examples=300)
@given(parent_facts, parent_facts, st.data())
def test_answering_questions_never_overturns_a_decision(
    father: ParentFacts, mother: ParentFacts, data: st.DataObject
) -> None:
    """Filling in any unknown fact keeps a decided outcome; answering every question asked of an
    undecided one always decides it or asks something else (never the same question again)."""
    result = assess(father, mother)

    def fill(p: ParentFacts) -> ParentFacts:
        values = {k: data.draw(s) for k, s in FILLED.items() if getattr(p, k) is None}
        return replace(p, **values)  # type: ignore[arg-type]

    filled = assess(fill(father), fill(mother))
    if result.outcome != Outcome.UNDETERMINED:
        assert filled.outcome == result.outcome
    else:
        asked = {(m.parent, m.key) for m in result.missing_facts}
        still = {(m.parent, m.key) for m in filled.missing_facts}
        assert not (asked - {(p, "situations") for p in Parent}) & still


@given(parent_facts)
def test_a_parent_at_home_and_nothing_else_always_means_not_eligible(other: ParentFacts) -> None:
    result = assess(ParentFacts.of(GS.PRESENT), other)
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert result.missing_facts == ()
