"""A new assessment takes the birth date and the guardians from the child file (plain Python,
no Qt): relation, situation, age from the ID number, day-to-day care; only what the definition
has a question and choice for."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.categories import GuardianRelation as R
from app.domain.child_file import ChildFile, Gender, Guardian
from app.domain.guardian_situation import GuardianSituation as S
from app.domain.id_number import FICTIONAL_AREA_CODE, make_id_number
from app.questionnaire import evaluate, load_default_definition
from app.questionnaire.model import Question, Repeat
from app.services.assessment_prefill import guardian_answers, prefill_answers, situation_choice

TODAY = date(2026, 11, 22)
DEFINITION = load_default_definition()


def child(*guardians: Guardian) -> ChildFile:
    return ChildFile(
        "周小雨", Gender.FEMALE, date(2016, 3, 1), "500119104201", guardians=list(guardians)
    )


def test_guardians_of_the_file_become_the_guardian_blocks() -> None:
    father = Guardian(
        R.FATHER,
        name="周建国",
        id_number=make_id_number(FICTIONAL_AREA_CODE, date(1985, 12, 1), 11),
        situations=[S.WORKING_AWAY],
    )
    mother = Guardian(R.MOTHER, name="李红", situations=[S.DECEASED], is_guardian=False)
    grandmother = Guardian(
        R.MATERNAL_GRANDMOTHER,
        id_number=make_id_number(FICTIONAL_AREA_CODE, date(1958, 1, 20), 22),
        situations=[S.PRESENT, S.SERIOUS_ILLNESS],
        is_caregiver=True,
    )
    prefill = prefill_answers(DEFINITION, child(father, mother, grandmother), {}, TODAY)

    assert prefill.answers["child_birth_date"] == "2016-03-01"
    assert prefill.answers["guardians"] == [
        {"g_relation": "father", "g_situation": "working_away", "g_age": 40},
        {"g_relation": "mother", "g_situation": "deceased"},
        {
            "g_relation": "grandparent",
            "g_situation": "at_home",
            "g_care": "daily",
            "g_age": 68,
            "g_health": "severe",
        },
    ]
    assert prefill.guardian_count == 3
    assert "guardians[2].g_health" in prefill.paths
    assert "guardians[0].g_care" not in prefill.paths
    # every prefilled answer is valid for the definition: nothing but missing answers remain
    state = evaluate(DEFINITION, prefill.answers, today=TODAY)
    assert not [p for p in state.problems if p.code != "required"]


def test_situations_map_to_the_most_serious_choice() -> None:
    def choice(*situations: S, **facts: object) -> str | None:
        return situation_choice(Guardian(R.FATHER, situations=list(situations), facts=facts))

    assert choice(S.PRESENT) == "at_home"
    assert choice(S.WORKING_AWAY, S.LOST_CONTACT) == "lost_contact"
    assert choice(S.IMPRISONED) == choice(S.COMPULSORY_REHAB) == "detained"
    assert choice(S.OTHER_RESTRICTION) == "detained"
    assert choice(S.GUARDIANSHIP_REVOKED, S.IMPRISONED) == "revoked"
    assert choice(S.MISSING, missing_declared_by_court=True) == "deceased"
    assert choice(S.MISSING) == "lost_contact"  # only reported missing: 失联
    # the questionnaire has no choice for these: the director answers
    assert choice(S.DEPORTED) is None
    assert choice(S.DIVORCED_ABSENT) is None
    assert choice() is None


def test_relations_and_what_is_not_guessed() -> None:
    expected = {
        R.FATHER: "father",
        R.MOTHER: "mother",
        R.GRANDFATHER: "grandparent",
        R.MATERNAL_GRANDFATHER: "grandparent",
        R.SIBLING: "other_relative",
        R.OTHER_RELATIVE: "other_relative",
        R.OTHER: "entrusted",
    }
    repeat = DEFINITION.by_id["guardians"]
    relation = next(q for q in DEFINITION.questions if q.repeat is repeat and q.id == "g_relation")
    for file_relation, value in expected.items():
        assert guardian_answers(Guardian(file_relation), TODAY) == {"g_relation": value}
        assert value in relation.choice_by_value
    # a caregiver working away is not "living together": care is left to the director
    away = Guardian(R.MOTHER, situations=[S.WORKING_AWAY], is_caregiver=True)
    assert "g_care" not in guardian_answers(away, TODAY)
    # a broken ID number gives no age
    assert "g_age" not in guardian_answers(Guardian(R.MOTHER, id_number="123"), TODAY)


def test_answers_already_given_are_never_overwritten() -> None:
    file = child(Guardian(R.MOTHER, situations=[S.PRESENT]))
    given = {"child_birth_date": "2016-03-02", "guardians": [{"g_relation": "grandparent"}]}
    prefill = prefill_answers(DEFINITION, file, given, TODAY)
    assert prefill.answers == given and not prefill.paths
    assert given == {"child_birth_date": "2016-03-02", "guardians": [{"g_relation": "grandparent"}]}
    # an untouched draft (the empty block the wizard adds) is filled
    untouched = prefill_answers(DEFINITION, file, {"guardians": [{}]}, TODAY)
    assert untouched.answers["guardians"] == [{"g_relation": "mother", "g_situation": "at_home"}]
    # no guardians in the file: the blocks stay as they are
    assert prefill_answers(DEFINITION, child(), {}, TODAY).answers == {
        "child_birth_date": "2016-03-01"
    }


def test_only_what_the_definition_asks_is_filled() -> None:
    """A newer questionnaire version with other choices and fewer questions gets what fits."""
    repeat = DEFINITION.by_id["guardians"]
    assert isinstance(repeat, Repeat)
    situation = next(q for q in DEFINITION.questions if q.id == "g_situation")
    narrower = replace(
        situation,
        choices=situation.choices[:1],
        choice_by_value={situation.choices[0].value: situation.choices[0]},
    )
    questions: list[Question] = [
        narrower if q is situation else q
        for q in DEFINITION.questions
        if q.id not in ("g_age", "child_birth_date")
    ]
    by_id = {k: v for k, v in DEFINITION.by_id.items() if k != "child_birth_date"}
    other = replace(DEFINITION, questions=questions, by_id=by_id, version="2.0")
    mother = Guardian(
        R.MOTHER,
        id_number=make_id_number(FICTIONAL_AREA_CODE, date(1990, 5, 5), 44),
        situations=[S.WORKING_AWAY],
    )
    prefill = prefill_answers(
        other, child(mother, mother, mother, mother, mother, mother, mother), {}, TODAY
    )
    assert "child_birth_date" not in prefill.answers
    assert prefill.answers["guardians"][0] == {"g_relation": "mother"}  # no such choice, no age
    assert len(prefill.answers["guardians"]) == repeat.max_count == 6  # no more than allowed


def test_only_the_people_the_questionnaire_asks_about() -> None:
    """Guardians, caregivers and both parents (even dead or away); not a relative the file
    keeps only as a contact."""
    dead_father = Guardian(R.FATHER, situations=[S.DECEASED], is_guardian=False)
    uncle = Guardian(R.OTHER_RELATIVE, name="李叔", is_guardian=False, is_caregiver=False)
    aunt = Guardian(R.OTHER_RELATIVE, name="李姨", is_guardian=False, is_caregiver=True)
    prefill = prefill_answers(DEFINITION, child(dead_father, uncle, aunt), {}, TODAY)
    assert prefill.answers["guardians"] == [
        {"g_relation": "father", "g_situation": "deceased"},
        {"g_relation": "other_relative", "g_care": "daily"},
    ]
