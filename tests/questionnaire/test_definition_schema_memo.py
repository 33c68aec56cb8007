"""The JSON Schema's verdict on a definition is remembered by the definition's content
(app/questionnaire/loader.py, ``schema_problems``): the bundled instrument is loaded again and
again, and the schema walk was most of each load. The same content gets the same problems, in
new lists; changed content is checked again; data that only prints like JSON (a tuple, an int
key) is checked each time."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from app.questionnaire import DefinitionError, loader
from app.questionnaire.loader import bundled_definition_path, definition_from_json


class _CountingValidator:
    """The real validator, counting the schema walks (``iter_errors``) it makes."""

    def __init__(self, real: jsonschema.Draft202012Validator) -> None:
        self.real = real
        self.schema = real.schema
        self.walks = 0

    def iter_errors(self, instance: object) -> Iterator[jsonschema.ValidationError]:
        self.walks += 1
        return self.real.iter_errors(instance)


@pytest.fixture
def validator(monkeypatch: pytest.MonkeyPatch) -> _CountingValidator:
    counting = _CountingValidator(loader._schema_validator())
    monkeypatch.setattr(loader, "_schema_validator", lambda: counting)
    monkeypatch.setattr(loader, "_SCHEMA_VERDICTS", type(loader._SCHEMA_VERDICTS)())
    return counting


def _bundled() -> dict[str, Any]:
    """The bundled instrument as a district's copy (its title changed): the bundled content's
    own verdict is recorded and never walked (test_schema_checked.py), a copy's is remembered."""
    data = json.loads(bundled_definition_path().read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    data["title"] = f"{data['title']}（区发布）"
    return data


def _problems(data: object) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        definition_from_json(data, "test")
    return [str(p) for p in caught.value.problems]


def test_a_definition_loaded_again_is_not_walked_again(validator: _CountingValidator) -> None:
    first = definition_from_json(_bundled(), "one")
    second = definition_from_json(_bundled(), "two")
    assert validator.walks == 1
    assert first.id == second.id == "guardianship_capacity" and second.source == "two"
    assert [q.id for q in first.questions] == [q.id for q in second.questions]


def test_a_bad_definition_gets_the_same_problems_each_time(validator: _CountingValidator) -> None:
    bad = _bundled()
    del bad["title"]
    bad["items"][0]["colour"] = "red"
    first = _problems(bad)
    assert "'title' is a required property" in "\n".join(first)
    assert any("unknown property 'colour'" in p for p in first)
    returned = loader.schema_problems(bad)
    returned.clear()  # the caller's list: the remembered verdict stays whole
    assert _problems(copy.deepcopy(bad)) == first
    assert validator.walks == 1


def test_a_changed_definition_is_checked_again(validator: _CountingValidator) -> None:
    data = _bundled()
    assert definition_from_json(data).id == "guardianship_capacity"
    data["items"][0]["colour"] = "red"  # the same dict, changed after it was checked
    assert any("unknown property 'colour'" in p for p in _problems(data))
    del data["items"][0]["colour"]
    data["version"] = "x.y"
    assert any("version 'x.y' must look like" in p for p in _problems(data))
    assert validator.walks == 3


def test_data_that_only_prints_like_json_is_checked_each_time(
    validator: _CountingValidator,
) -> None:
    good = _bundled()
    assert definition_from_json(good).id == "guardianship_capacity"
    as_tuple = dict(good, items=tuple(good["items"]))  # prints as the same JSON text
    assert any("is not of type 'array'" in p for p in _problems(as_tuple))
    assert any("is not of type 'array'" in p for p in _problems(as_tuple))
    int_key: dict[object, Any] = dict(good)
    int_key[1] = "x"  # prints as "1", which the schema would judge as a string key
    assert _problems(int_key) == _problems(int_key)
    assert validator.walks == 1 + 2 + 2
