"""Loading definitions: the bundled instrument is valid; broken definitions are refused with
every problem named by field and cause."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from app.questionnaire import Definition, DefinitionError, load_definition
from app.questionnaire.loader import SCHEMA_RESOURCE, bundled_definition_path
from resources import resource_path
from tests.questionnaire.helpers import minimal_definition

LoadItems = Callable[..., Definition]


def problems_of(load: Callable[[], object]) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load()
    return [str(p) for p in caught.value.problems]


def text_q(item_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "type": "text", "label": item_id, **extra}


def test_bundled_instrument_matches_the_schema_file() -> None:
    schema = json.loads(resource_path(*SCHEMA_RESOURCE).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(bundled_definition_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)


def test_bundled_instrument_loads(instrument: Definition) -> None:
    assert instrument.id == "guardianship_capacity"
    assert instrument.version == "1.1.0"
    assert instrument.title == "困境儿童家庭监护能力评估表"
    assert instrument.grading is not None


def test_evaluation_order_puts_dependencies_first(instrument: Definition) -> None:
    position = {item.id: i for i, item in enumerate(instrument.order)}
    assert position["child_birth_date"] < position["child_age"] < position["ph_vaccination"]
    assert position["ed_stage"] < position["in_school"] < position["ed_attendance"]
    assert position["guardians"] < position["g_situation"] < position["g_unable"]


def test_syntax_error_names_field_and_problem(load_items: LoadItems) -> None:
    problems = problems_of(lambda: load_items([text_q("name", relevant="${age} >")]))
    assert problems == ["name.relevant: syntax error: the expression ends too early in `${age} >`"]


def test_unknown_reference_names_field_and_suggests(load_items: LoadItems) -> None:
    items = [
        {"id": "age", "type": "integer", "label": "年龄"},
        text_q("name", relevant="${agee} > 3"),
    ]
    problems = problems_of(lambda: load_items(items))
    assert problems == [
        "name.relevant: refers to unknown field ${agee} (did you mean ${age}?) in `${agee} > 3`"
    ]


def test_calculation_cycle_is_named(load_items: LoadItems) -> None:
    items = [
        {"id": "a", "type": "calculate", "calculation": "${b} + 1"},
        {"id": "b", "type": "calculate", "calculation": "${c} * 2"},
        {"id": "c", "type": "calculate", "calculation": "${a}"},
        {"id": "ok", "type": "calculate", "calculation": "1"},
    ]
    problems = problems_of(lambda: load_items(items))
    assert len(problems) == 1
    assert problems[0].startswith("a: calculation cycle: a (calculation uses ${b}) → b")
    assert problems[0].endswith("c (calculation uses ${a}) → a")


def test_self_referencing_calculation_is_a_cycle(load_items: LoadItems) -> None:
    items = [{"id": "n", "type": "calculate", "calculation": "${n} + 1"}]
    assert problems_of(lambda: load_items(items)) == [
        "n: calculation cycle: n (calculation uses ${n}) → n"
    ]


def test_cycle_through_relevance_and_groups(load_items: LoadItems) -> None:
    items = [
        {
            "id": "g",
            "type": "group",
            "label": "G",
            "relevant": "${inner} = 'yes'",
            "items": [{"id": "inner", "type": "yes_no", "label": "内"}],
        },
    ]
    problems = problems_of(lambda: load_items(items))
    assert problems == [
        "g: dependency cycle: g (relevant uses ${inner}) → inner (inside group g) → g"
    ]


def test_duplicate_ids_are_refused(load_items: LoadItems) -> None:
    items = [
        text_q("name"),
        {"id": "grp", "type": "group", "label": "G", "items": [text_q("name")]},
    ]
    assert problems_of(lambda: load_items(items)) == [
        "items[1].items[0]: duplicate id 'name' (already used at items[0])"
    ]


def test_duplicate_choice_values_and_rule_ids(load_items: LoadItems) -> None:
    items = [
        {
            "id": "q",
            "type": "single_choice",
            "label": "Q",
            "choices": [
                {"value": "a", "label": "A", "score": 1},
                {"value": "a", "label": "B", "score": 0},
            ],
        },
    ]
    grading = {
        "thresholds": [{"level": "green"}],
        "levels": {"green": {"label": "正常", "recommendations": []}},
        "rules": [
            {"id": "r", "when": "${q} = 'a'", "level": "green", "reason": "x"},
            {"id": "r", "when": "${q} = 'a'", "level": "green", "reason": "y"},
        ],
    }
    problems = problems_of(lambda: load_items(items, grading=grading))
    assert problems == [
        "q.choices[1]: duplicate choice value 'a'",
        "grading.rules[1]: duplicate rule id 'r'",
    ]


def test_schema_problems_are_located_by_item_id(load_items: LoadItems) -> None:
    items = [
        {"id": "age", "type": "integr", "label": "年龄"},
        {"id": "x", "type": "single_choice", "label": "X"},
        {"id": "y", "type": "yes_no", "label": "Y", "colour": "red"},
        {"id": "z", "type": "integer", "label": "Z", "score": "."},
        {"id": "9bad", "type": "text", "label": "bad"},
    ]
    problems = problems_of(lambda: load_items(items))
    assert "age.type: unknown item type 'integr'" in problems
    assert "x: 'choices' is a required property" in problems
    assert "y: unknown property 'colour'" in problems
    assert "z: 'max_score' is a dependency of 'score'" in problems
    bad_id = "9bad.id: '9bad' is not a valid id (letters, digits and _, not first a digit)"
    assert bad_id in problems
    assert not any("unknown properties" in p for p in problems)


def test_nested_repeats_and_pages_are_refused(load_items: LoadItems) -> None:
    items = [
        {
            "id": "outer",
            "type": "repeat",
            "label": "O",
            "items": [
                {"id": "inner", "type": "repeat", "label": "I", "items": [text_q("t")]},
                {"id": "pg", "type": "group", "label": "P", "page": True, "items": [text_q("u")]},
            ],
        },
        {
            "id": "p1",
            "type": "group",
            "label": "P1",
            "page": True,
            "items": [
                {"id": "p2", "type": "group", "label": "P2", "page": True, "items": [text_q("v")]},
            ],
        },
    ]
    problems = problems_of(lambda: load_items(items))
    assert "inner: repeat groups cannot be nested (it is inside repeat group 'outer')" in problems
    assert "pg: a page cannot be inside repeat group 'outer'" in problems
    assert "p2: a page cannot be inside another page ('p1')" in problems


def test_repeat_fields_need_an_aggregate_outside_the_repeat(load_items: LoadItems) -> None:
    items = [
        {
            "id": "kids",
            "type": "repeat",
            "label": "K",
            "items": [{"id": "age", "type": "integer", "label": "A"}],
        },
        {"id": "bad", "type": "calculate", "calculation": "${age} + 1"},
        {"id": "bad2", "type": "calculate", "calculation": "${kids}"},
        {"id": "good", "type": "calculate", "calculation": "sum(${age}) + count(${kids})"},
    ]
    problems = problems_of(lambda: load_items(items))
    assert problems == [
        "bad.calculation: ${age} is inside repeat group 'kids'; outside it, use it inside "
        "count(), sum(), min() or max() in `${age} + 1`",
        "bad2.calculation: ${kids} is a repeat group; use it as count(${kids}) in `${kids}`",
    ]


def test_groups_notes_and_dot_have_no_value_outside_their_place(load_items: LoadItems) -> None:
    items = [
        {"id": "g", "type": "group", "label": "G", "items": [text_q("t")]},
        {"id": "n", "type": "note", "label": "说明"},
        {"id": "c1", "type": "calculate", "calculation": "${g}"},
        {"id": "c2", "type": "calculate", "calculation": "${n}"},
        {"id": "c3", "type": "calculate", "calculation": ". + 1"},
        text_q("answers"),
    ]
    problems = problems_of(lambda: load_items(items))
    assert problems == [
        "answers: the id 'answers' is reserved; choose another",
        "c1.calculation: ${g} is a group; it has no value in `${g}`",
        "c2.calculation: ${n} is a note; it has no value in `${n}`",
        "c3.calculation: '.' (the value itself) can be used only in a constraint or a score "
        "in `. + 1`",
    ]


def test_grading_is_checked(load_items: LoadItems) -> None:
    items = [{"id": "q", "type": "yes_no", "label": "Q", "scores": {"yes": 1, "no": 0}}]
    grading = {
        "graded_section": "nowhere",
        "thresholds": [
            {"level": "green", "min": 10},
            {"level": "red", "min": 20},
            {"level": "yellow"},
        ],
        "levels": {
            "green": {"label": "正常", "recommendations": []},
            "yellow": {"label": "不足", "recommendations": []},
        },
        "rules": [{"id": "r", "when": "score('nothing') > 1", "level": "orange", "reason": "x"}],
    }
    problems = problems_of(lambda: load_items(items, grading=grading))
    assert problems == [
        "grading.graded_section: 'nowhere' is not a group holding scored questions",
        "grading.thresholds[1]: 'min' must be lower than the threshold before it (20 >= 10); "
        "the first threshold that matches wins",
        "grading.rules.r.when: score('nothing'): no scored group has the id 'nothing' in "
        "`score('nothing') > 1`",
        "grading.thresholds[1]: level 'red' has no entry in grading.levels",
        "grading.rules.r: level 'orange' has no entry in grading.levels",
    ]


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    assert problems_of(lambda: load_definition(tmp_path / "missing.json")) == [
        "cannot read the file: No such file or directory"
    ]
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "x",\n  oops}', encoding="utf-8")
    assert problems_of(lambda: load_definition(broken)) == [
        "not valid JSON: Expecting property name enclosed in double quotes at line 2, column 3"
    ]
    not_object = tmp_path / "list.json"
    not_object.write_text("[1, 2]", encoding="utf-8")
    assert problems_of(lambda: load_definition(not_object)) == [
        "(top level): [1, 2] is not of type 'object'"
    ]


def test_every_problem_is_reported_at_once(write_definition: Callable[..., Path]) -> None:
    document = minimal_definition(
        [
            text_q("a", relevant="${zz} = 1"),
            text_q("b", constraint="string-length(.) >"),
            text_q("a"),
        ]
    )
    problems = problems_of(lambda: load_definition(write_definition(document)))
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == ["items[2]", "a.relevant", "b.constraint"]
