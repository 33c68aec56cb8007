"""Property-based tests on whole definitions: a mutated copy of the default instrument either
loads or is refused with a DefinitionError naming problems, never anything else."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.questionnaire import DefinitionError, definition_from_json, load_definition_text
from app.questionnaire.loader import bundled_definition_path

DOCUMENT: dict[str, Any] = json.loads(bundled_definition_path().read_text(encoding="utf-8"))

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        [
            "${child_age}",
            "${nope} >",
            "${g_age}",
            "${guardians}",
            ". + 1",
            "score()",
            "count(${guardians})",
            "sum(${g_unable})",
            "if(1,2)",
            "'",
            "group",
            "repeat",
            "calculate",
            "yes_no",
            "red",
            "force",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.just({}),
)


def _nodes(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    found = [(path, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _nodes(value, (*path, index))
    return found


PATHS = [path for path, _ in _nodes(DOCUMENT) if path]


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    node = document
    for step in path[:-1]:
        node = node[step]
    return node


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(PATHS))
        try:
            parent = _parent(document, path)
            key = path[-1]
            action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
            if action == "replace":
                parent[key] = draw(odd_values)
            elif action == "delete":
                del parent[key]
            elif isinstance(parent, list):
                parent.insert(key, copy.deepcopy(parent[key]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this place
    return document


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_definitions_load_or_are_refused(document: dict[str, Any]) -> None:
    try:
        definition_from_json(document)
    except DefinitionError as exc:
        assert exc.problems
        assert all(p.message for p in exc.problems)


def test_non_finite_numbers_are_refused() -> None:
    text = json.dumps(DOCUMENT).replace('"min": 80', '"min": Infinity')
    with pytest.raises(DefinitionError) as caught:
        load_definition_text(text)
    assert [str(p) for p in caught.value.problems] == [
        "not valid JSON: Infinity is not a number JSON allows"
    ]


def test_deep_nesting_is_refused() -> None:
    items: dict[str, Any] = {"id": "leaf", "type": "text", "label": "叶"}
    for depth in range(3000):
        items = {"id": f"g{depth}", "type": "group", "label": "组", "items": [items]}
    document = {**DOCUMENT, "items": [items]}
    with pytest.raises(DefinitionError) as caught:
        definition_from_json(document)
    assert [str(p) for p in caught.value.problems] == ["items are nested too deeply"]
    text = '{"items": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(DefinitionError) as caught:
        load_definition_text(text)
    assert [str(p) for p in caught.value.problems] == ["JSON nested too deeply"]
