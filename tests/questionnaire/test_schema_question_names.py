"""The question kinds of the definition schema refuse unknown properties with
``additionalProperties`` and list ``question_common``'s names again beside their own (the
schema's ``$comment``): the lists must stay equal, or a common property would be refused (or
an unknown one let through) for one kind."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from app.questionnaire import DefinitionError, definition_from_json
from app.questionnaire.loader import SCHEMA_RESOURCE, bundled_definition_path
from resources import resource_path

SCHEMA: dict[str, Any] = json.loads(resource_path(*SCHEMA_RESOURCE).read_text(encoding="utf-8"))
DEFS = SCHEMA["$defs"]
KINDS = [
    name
    for name, schema in DEFS.items()
    if {"$ref": "#/$defs/question_common"} in schema.get("allOf", [])
]


def test_four_kinds_build_on_the_common_part() -> None:
    assert sorted(KINDS) == [
        "choice_question",
        "multiple_choice_question",
        "value_question",
        "yes_no_question",
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_lists_the_common_names_and_refuses_the_rest(kind: str) -> None:
    schema = DEFS[kind]
    common = set(DEFS["question_common"]["properties"])
    listed = {name for name, sub in schema["properties"].items() if sub is True}
    assert listed == common
    assert schema["additionalProperties"] is False
    assert "unevaluatedProperties" not in schema


def _first_question(node: Any, kinds: set[str]) -> dict[str, Any] | None:
    if isinstance(node, dict):
        if node.get("type") in kinds:
            return node
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            if (found := _first_question(child, kinds)) is not None:
                return found
    return None


@pytest.mark.parametrize(
    ("types", "extra"),
    [
        ({"single_choice"}, {}),
        ({"yes_no"}, {}),
        ({"integer", "decimal", "text", "date"}, {}),
    ],
)
def test_every_common_property_is_accepted_and_an_unknown_one_refused(
    types: set[str], extra: dict[str, Any]
) -> None:
    document = json.loads(bundled_definition_path().read_text(encoding="utf-8"))
    question = _first_question(document["items"], types)
    assert question is not None
    question.update(
        hint="提示",
        relevant="true()",
        required=True,
        required_message="必填",
        constraint="true()",
        constraint_message="不符合",
        **extra,
    )
    definition_from_json(copy.deepcopy(document))  # all common properties: loads
    question["bogus"] = 1
    with pytest.raises(DefinitionError) as caught:
        definition_from_json(document)
    assert any("unknown property 'bogus'" in str(p) for p in caught.value.problems)
