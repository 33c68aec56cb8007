"""The child file: validation against the ID number, flags, JSON round trip."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.categories import ChildCategory, GuardianRelation, SupportKind
from app.domain.child_file import (
    CaringMother,
    ChildFile,
    Disability,
    FileStatus,
    Gender,
    Guardian,
    PsychScreening,
    Support,
    Transfer,
)
from app.domain.guardian_situation import GuardianSituation
from app.domain.id_number import FICTIONAL_AREA_CODE, make_id_number

TODAY = date(2026, 11, 22)
BIRTH = date(2015, 3, 8)


def child(**overrides: object) -> ChildFile:
    values: dict[str, object] = {
        "name": "李小明",
        "gender": Gender.MALE,
        "birth_date": BIRTH,
        "village_code": "500119104201",
        "id_number": make_id_number(FICTIONAL_AREA_CODE, BIRTH, 123),  # odd: male
    }
    values.update(overrides)
    return ChildFile(**values)  # type: ignore[arg-type]


def fields(problems: list) -> set[str]:  # type: ignore[type-arg]
    return {p.field for p in problems if p.blocking}


def test_valid_file_has_no_blocking_problem() -> None:
    assert fields(child().problems(TODAY)) == set()


def test_missing_id_number_is_allowed_but_flagged() -> None:
    problems = child(id_number="").problems(TODAY)
    assert fields(problems) == set()
    assert [p.field for p in problems if not p.blocking] == ["id_number"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": " "}, {"name"}),
        ({"birth_date": date(2027, 1, 1), "id_number": ""}, {"birth_date"}),
        ({"birth_date": date(2014, 3, 8)}, {"birth_date"}),  # disagrees with the ID number
        ({"gender": Gender.FEMALE}, {"gender"}),  # sequence 123 is odd: male
        ({"id_number": "500119201503081234"}, {"id_number"}),  # wrong check character
        ({"village_code": "5001191042"}, {"village_code"}),
        ({"town_code": "500119999"}, {"town_code"}),
        ({"disability": Disability("肢体", 7)}, {"disability.grade"}),
        ({"caring_mother": CaringMother("张阿姨", "12345")}, {"caring_mother.phone"}),
        (
            {"guardians": [Guardian(GuardianRelation.MOTHER, phone="138")]},
            {"guardians[0].phone"},
        ),
        (
            {
                "guardians": [
                    Guardian(
                        GuardianRelation.FATHER,
                        situations=[GuardianSituation.PRESENT, GuardianSituation.IMPRISONED],
                    )
                ]
            },
            {"guardians[0].situations"},
        ),
        ({"psych_screenings": [PsychScreening(date(2010, 1, 1))]}, {"psych_screenings"}),
        ({"status": FileStatus.TRANSFERRED}, {"transfer"}),
    ],
)
def test_each_problem_names_its_field(overrides: dict[str, object], expected: set[str]) -> None:
    problems = child(**overrides).problems(TODAY)
    assert fields(problems) == expected
    assert all(p.message_zh for p in problems)


@pytest.mark.parametrize(
    ("birth", "flag"),
    [
        (date(2009, 5, 22), "approaching_18"),  # 18 on 2027-05-22: exactly six months away
        (date(2009, 5, 23), None),  # six months and a day
        (date(2009, 1, 20), "approaching_18"),
        (date(2009, 6, 23), None),  # 18 on 2027-06-23: seven months away
        (date(2008, 11, 22), "turned_18"),  # 18 today
        (date(2008, 2, 29), "turned_18"),
        (date(2015, 1, 1), None),
    ],
)
def test_transition_flags(birth: date, flag: str | None) -> None:
    assert child(birth_date=birth, id_number="").transition_flag(TODAY) == flag


def test_json_round_trip_keeps_everything() -> None:
    original = child(
        categories=[ChildCategory.DE_FACTO_UNSUPPORTED, ChildCategory.LOW_INCOME],
        guardians=[
            Guardian(
                GuardianRelation.FATHER,
                name="李国强",
                situations=[GuardianSituation.IMPRISONED],
                is_caregiver=False,
            ),
            Guardian(
                GuardianRelation.GRANDMOTHER,
                name="王秀英",
                phone="13800001111",
                situations=[GuardianSituation.PRESENT],
                is_caregiver=True,
            ),
        ],
        support=[Support(SupportKind.BASIC_LIVING_ALLOWANCE, 1300.0, date(2024, 1, 1))],
        caring_mother=CaringMother("张丽华", "13900002222", date(2025, 6, 1)),
        disability=Disability("肢体", 2, "99010120150308123X21"),
        psych_screenings=[PsychScreening(date(2026, 3, 1), "未见异常")],
        status=FileStatus.TRANSFERRED,
        transfer=Transfer("500119104202", date(2026, 11, 1), "随祖母迁居"),
        opened_on=date(2025, 1, 5),
    )
    assert ChildFile.from_json(original.to_json()) == original


def test_recognition_from_the_file_uses_recorded_facts() -> None:
    from app.domain.child_recognition import recognize
    from app.domain.recognition import Outcome

    father = Guardian(GuardianRelation.FATHER, situations=[GuardianSituation.IMPRISONED])
    mother = Guardian(GuardianRelation.MOTHER, situations=[GuardianSituation.LOST_CONTACT])
    unknown = recognize(child(guardians=[father, mother]), TODAY)
    assert unknown.outcome == Outcome.UNDETERMINED
    assert {m.key for m in unknown.missing_facts} >= {"restriction_months"}
    father.facts = {"restriction_months": 36}
    mother.facts = {"lost_contact_since": "2025-01-01", "police_report_accepted_on": "2025-03-01"}
    decided = recognize(child(guardians=[father, mother]), TODAY)
    assert decided.eligible
    no_parents = recognize(child(guardians=[]), TODAY)
    assert no_parents.outcome == Outcome.UNDETERMINED  # unknown parents: ask, never a silent no
