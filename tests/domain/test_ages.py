"""One calendar age (周岁) everywhere: the child file, the questionnaire's ``age()``, the guardian
age the assessment fills in — on birthdays, for 29 February births and on the 18th birthday
(issue 19, corrections found in review: the questionnaire said 5 on a 6th birthday)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.ages import calendar_age
from app.domain.child_file import eighteenth_birthday
from app.questionnaire import Definition, evaluate, load_default_definition
from tests.questionnaire.helpers import TODAY_TEXT

TODAY = date.fromisoformat(TODAY_TEXT)


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2020, 6, 1), date(2026, 5, 31), 5),
        (date(2020, 6, 1), date(2026, 6, 1), 6),  # the birthday itself counts
        (date(2020, 6, 1), date(2026, 6, 2), 6),
        (date(2008, 12, 31), date(2026, 12, 30), 17),
        (date(2008, 12, 31), date(2026, 12, 31), 18),
        (date(2008, 1, 1), date(2026, 1, 1), 18),
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # no 29 Feb in 2026: 1 March
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 28), 19),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2026, 5, 20), date(2026, 5, 20), 0),
        (date(2026, 5, 21), date(2026, 5, 20), -1),
    ],
)
def test_calendar_age(birth: date, on: date, age: int) -> None:
    assert calendar_age(birth, on) == age


def test_the_eighteenth_birthday_is_when_the_calendar_age_reaches_18() -> None:
    for birth in [date(2008, 2, 29), date(2008, 3, 1), date(2007, 12, 31), date(2008, 1, 1)]:
        eighteen = eighteenth_birthday(birth)
        assert calendar_age(birth, eighteen) == 18
        assert calendar_age(birth, date.fromordinal(eighteen.toordinal() - 1)) == 17


def _age(definition: Definition, birth: date, on: date) -> object:
    state = evaluate(definition, {"child_birth_date": birth.isoformat()}, today=on)
    return state.calculated["child_age"]


def test_the_questionnaire_counts_a_birthday_as_reached() -> None:
    instrument = load_default_definition()
    # int(days / 365.25) said 5 here: 2,191 days
    assert _age(instrument, date(2020, 6, 1), date(2026, 6, 1)) == 6
    state = evaluate(
        instrument,
        {"child_birth_date": "2020-06-01", "ed_stage": "primary"},
        today=date(2026, 6, 1),
    )
    assert state.question("ed_attendance").relevant  # a 6+ question is asked on the 6th birthday
    for birth, on in [
        (date(2008, 2, 29), date(2026, 2, 28)),
        (date(2008, 2, 29), date(2026, 3, 1)),
        (date(2010, 12, 31), date(2026, 12, 30)),
        (date(2012, 3, 1), date(2016, 2, 29)),
    ]:
        assert _age(instrument, birth, on) == calendar_age(birth, on)


@pytest.mark.parametrize(
    "birth",
    [date(2008, 3, 1), date(2008, 2, 29), date(2008, 1, 15), date(2008, 7, 1), date(2007, 12, 31)],
)
def test_a_child_is_accepted_until_the_day_before_the_18th_birthday(birth: date) -> None:
    """Whatever the birth month (the old ``< 18 * 365.25`` days accepted an 18-year-old born
    in March on their birthday and refused one born in January)."""
    instrument = load_default_definition()
    eighteen = eighteenth_birthday(birth)
    day_before = date.fromordinal(eighteen.toordinal() - 1)
    answers = {"child_birth_date": birth.isoformat()}

    def refused(on: date) -> bool:
        state = evaluate(instrument, answers, today=on)
        return any(p.path == "child_birth_date" for p in state.problems)

    assert not refused(day_before)
    assert refused(eighteen)


def test_age_function_edges() -> None:
    instrument = load_default_definition()
    state = evaluate(instrument, {}, today=TODAY)
    assert state.calculated.get("child_age") in (None, "")
    future = date.fromordinal(TODAY.toordinal() + 3)
    state = evaluate(instrument, {"child_birth_date": future.isoformat()}, today=TODAY)
    assert state.calculated.get("child_age") in (None, "")
