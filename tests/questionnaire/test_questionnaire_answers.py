"""Bad answers get a precise error list: unknown fields, wrong types, bad choices, places."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from app.questionnaire import AnswerError, Definition, evaluate, score

LoadItems = Callable[..., Definition]

ITEMS: list[dict[str, Any]] = [
    {
        "id": "one",
        "type": "single_choice",
        "label": "单选",
        "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
    },
    {
        "id": "many",
        "type": "multiple_choice",
        "label": "多选",
        "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
    },
    {"id": "flag", "type": "yes_no", "label": "是否"},
    {"id": "count", "type": "integer", "label": "整数"},
    {"id": "amount", "type": "decimal", "label": "小数"},
    {"id": "note", "type": "text", "label": "文字"},
    {"id": "day", "type": "date", "label": "日期"},
    {"id": "calc", "type": "calculate", "calculation": "1"},
    {
        "id": "grp",
        "type": "group",
        "label": "组",
        "items": [{"id": "inner", "type": "text", "label": "组内"}],
    },
    {
        "id": "people",
        "type": "repeat",
        "label": "人员",
        "max_count": 2,
        "items": [{"id": "age", "type": "integer", "label": "年龄"}],
    },
]


@pytest.fixture
def form(load_items: LoadItems) -> Definition:
    return load_items(ITEMS)


def problems(definition: Definition, answers: object) -> list[tuple[str, str, str]]:
    return [(p.path, p.code, p.message) for p in evaluate(definition, answers).problems]


def test_good_values_of_every_type(form: Definition) -> None:
    answers = {
        "one": "a",
        "many": ["b", "a"],
        "flag": "no",
        "count": 3,
        "amount": 2.5,
        "note": "家中有老人",
        "day": "2026-02-28",
        "inner": "x",
        "people": [{"age": 40}],
    }
    assert problems(form, answers) == []
    assert problems(form, {"count": 3.0, "amount": 7, "many": [], "note": "  "}) == []


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"one": "c"}, ("one", "invalid_choice", "'c' is not one of the choices (a, b)")),
        ({"one": 1}, ("one", "wrong_type", "expected one choice value (text), got the number 1")),
        (
            {"many": "a"},
            ("many", "wrong_type", "expected a list of choice values, got the text 'a'"),
        ),
        ({"many": ["a", "a"]}, ("many", "wrong_type", "'a' is chosen more than once")),
        ({"many": ["z"]}, ("many", "invalid_choice", "'z' is not one of the choices (a, b)")),
        ({"flag": True}, ("flag", "wrong_type", 'expected "yes" or "no", got true (true/false)')),
        ({"count": 2.5}, ("count", "wrong_type", "expected a whole number, got the number 2.5")),
        ({"count": "3"}, ("count", "wrong_type", "expected a whole number, got the text '3'")),
        (
            {"count": False},
            ("count", "wrong_type", "expected a whole number, got false (true/false)"),
        ),
        ({"amount": "2"}, ("amount", "wrong_type", "expected a number, got the text '2'")),
        ({"amount": math.inf}, ("amount", "wrong_type", "expected a number, got the number inf")),
        ({"note": 5}, ("note", "wrong_type", "expected text, got the number 5")),
        (
            {"day": "2026-02-30"},
            ("day", "wrong_type", "expected a date written YYYY-MM-DD, got the text '2026-02-30'"),
        ),
        (
            {"day": "20260101"},
            ("day", "wrong_type", "expected a date written YYYY-MM-DD, got the text '20260101'"),
        ),
        (
            {"colour": "red"},
            (
                "colour",
                "unknown_field",
                "unknown field 'colour': no question has this id in test_form 1.0",
            ),
        ),
        ({"calc": 1}, ("calc", "not_answerable", "'calc' is a calculation; it takes no answer")),
        ({"grp": {}}, ("grp", "not_answerable", "'grp' is a group; it takes no answer")),
        (
            {"age": 3},
            (
                "age",
                "wrong_place",
                "'age' belongs to repeat group 'people'; answer it inside people[n]",
            ),
        ),
        (
            {"people": {"age": 3}},
            (
                "people",
                "wrong_type",
                "expected a list of blocks (one object per block), got an object",
            ),
        ),
        (
            {"people": [{"one": "a"}]},
            (
                "people[0].one",
                "wrong_place",
                "'one' is not in this repeat group; it belongs at the top level",
            ),
        ),
        ({"people": [5]}, ("people[0]", "wrong_type", "expected an object, got the number 5")),
        (
            {"people": [{"agee": 5}]},
            (
                "people[0].agee",
                "unknown_field",
                "unknown field 'agee': no question has this id in test_form 1.0",
            ),
        ),
        ({"people": [{}, {}, {}]}, ("people", "too_many", "3 blocks given; at most 2 allowed")),
    ],
)
def test_bad_values_are_named(
    form: Definition, answers: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    assert problems(form, answers) == [expected]


def test_answers_must_be_an_object(form: Definition) -> None:
    assert problems(form, ["a"]) == [
        ("", "not_an_object", "answers must be a JSON object, got a list")
    ]


def test_score_refuses_with_the_whole_list(form: Definition) -> None:
    with pytest.raises(AnswerError) as caught:
        score(form, {"one": "c", "count": "x", "colour": 1})
    assert [p.path for p in caught.value.problems] == ["colour", "one", "count"]
    assert "invalid answers" in str(caught.value)
