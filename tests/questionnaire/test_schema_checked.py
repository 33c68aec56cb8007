"""The recorded schema verdicts of the bundled definitions (app/questionnaire/schema_checked.py):
the record matches the bundled files as they are, each checked in full; a bundled definition's
content skips the schema walk, and any other content (one value changed, a district's copy,
another schema) is walked as before."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.questionnaire import DefinitionError, definition_from_json, loader, schema_checked
from resources import resource_path


def test_the_record_is_that_of_the_bundled_files_checked_in_full() -> None:
    recorded = json.loads(resource_path(*schema_checked.RECORD_RESOURCE).read_text("utf-8"))
    assert recorded == schema_checked.make_record(), (
        "a bundled definition or the schema changed: run "
        "`.venv/bin/python -m app.questionnaire.schema_checked` and commit checked.json"
    )
    assert len(recorded["definitions"]) == len(schema_checked.bundled_files()) >= 3
    keys = schema_checked.recorded_keys()
    for path in schema_checked.bundled_files():
        assert loader._content_key(json.loads(path.read_text("utf-8"))) in keys, path


def _walks(data: object) -> int:
    """How many times the schema walk runs while ``data`` is checked (the memo cleared)."""
    loader._SCHEMA_VERDICTS.clear()
    calls = 0
    real = loader._schema_problems

    def counted(value: object) -> list[loader.DefinitionProblem]:
        nonlocal calls
        calls += 1
        return real(value)

    loader._schema_problems = counted
    try:
        loader.schema_problems(data)
    finally:
        loader._schema_problems = real
        loader._SCHEMA_VERDICTS.clear()
    return calls


def test_a_bundled_definition_skips_the_walk_and_a_changed_one_does_not() -> None:
    bundled = json.loads(loader.bundled_definition_path().read_text("utf-8"))
    assert _walks(bundled) == 0
    changed = copy.deepcopy(bundled)
    changed["title"] = changed["title"] + "（区里改过）"
    assert _walks(changed) == 1
    broken = copy.deepcopy(bundled)
    broken["items"][0]["type"] = "no_such_type"  # the schema still finds what it always found
    with pytest.raises(DefinitionError) as refused:
        definition_from_json(broken)
    assert any("unknown item type" in p.message for p in refused.value.problems)


def test_another_schema_makes_the_record_count_for_nothing(tmp_path: Path) -> None:
    """In a copy of the resources whose schema differs by one space, a bundled definition is
    walked again (a fresh process: the record is read once per process)."""
    import shutil

    import resources

    copied = tmp_path / "resources"
    shutil.copytree(Path(resources.__file__).parent, copied)
    schema = copied.joinpath(*loader.SCHEMA_RESOURCE)
    schema.write_text(schema.read_text("utf-8") + " ", encoding="utf-8")
    probe = (
        "import sys, resources\n"
        f"resources.resources_root = lambda: __import__('pathlib').Path({str(copied)!r})\n"
        "from app.questionnaire import schema_checked\n"
        "print(len(schema_checked.recorded_keys()))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert shown == "0"
    assert len(schema_checked.recorded_keys()) == len(schema_checked.bundled_files())
