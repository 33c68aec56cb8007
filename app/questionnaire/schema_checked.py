"""The bundled definitions' JSON Schema verdicts, recorded when this version was made.

Each desk start and most commands load the bundled definitions, and the schema walk over them
cost about 0.17 CPU-s of every start (jsonschema is slow on a 40 KiB document). Their content
does not change once the program is built, so the verdict is recorded: ``checked.json`` beside
the schema lists the content keys (``loader._content_key``) of the bundled definitions, all of
which pass, with the SHA-256 of the schema they passed. A definition with that content, under
that schema, has no schema problems; anything else (a district's published definition, a file
edited by hand, another schema) is checked in full, as before. The meaning checks (ids,
expressions, grading) run on every load either way.

tests/questionnaire/test_schema_checked.py keeps the record true;
``python -m app.questionnaire.schema_checked`` writes it again after a definition or the schema
changes.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from app.questionnaire.errors import DefinitionError
from app.questionnaire.loader import (
    DEFAULT_DEFINITION_RESOURCE,
    SCHEMA_RESOURCE,
    SCREENING_DEFINITION_RESOURCE,
    SUPERSEDED_RESOURCE,
    _content_key,
    _schema_problems,
)
from resources import resource_path, resources_root

RECORD_RESOURCE = ("questionnaires", "schema", "checked.json")


def _schema_sha256() -> str:
    return hashlib.sha256(resource_path(*SCHEMA_RESOURCE).read_bytes()).hexdigest()


@cache
def recorded_keys() -> frozenset[bytes]:
    """The content keys recorded as passing the schema in use; none when the record is
    missing, unreadable or made for another schema."""
    try:
        record = json.loads(resource_path(*RECORD_RESOURCE).read_text(encoding="utf-8"))
        if record["schema"] != _schema_sha256():
            return frozenset()
        return frozenset(bytes.fromhex(key) for key in record["definitions"])
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


def bundled_files() -> list[Path]:
    """Every definition the program ships: the assessment, its superseded versions and the
    screening checklist."""
    superseded = sorted(resource_path(*SUPERSEDED_RESOURCE).glob("*.json"))
    return [
        resource_path(*DEFAULT_DEFINITION_RESOURCE),
        *superseded,
        resource_path(*SCREENING_DEFINITION_RESOURCE),
    ]


def make_record() -> dict[str, object]:
    """The record for the bundled files as they are, each checked against the schema in full
    (a bundled definition with schema problems is an error, not a record)."""
    keys: list[str] = []
    for path in bundled_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        problems = _schema_problems(data)
        if problems:
            raise DefinitionError(problems, str(path))
        key = _content_key(data)
        if key is None:
            raise ValueError(f"{path} is not plain JSON data")
        keys.append(key.hex())
    return {"schema": _schema_sha256(), "definitions": keys}


def main() -> int:
    target = resources_root().joinpath(*RECORD_RESOURCE)  # from source: the file may be new
    target.write_text(json.dumps(make_record(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
