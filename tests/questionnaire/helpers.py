"""Helpers for the questionnaire tests: answer files beside the tests, a fixed date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ANSWERS = HERE / "answers"
TODAY_TEXT = "2026-05-20"


def read_answers(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ANSWERS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def minimal_definition(items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A definition document around ``items`` (as JSON data, before loading)."""
    return {
        "format": "childdesk-questionnaire/1",
        "id": "test_form",
        "version": "1.0",
        "title": "测试问卷",
        "items": items,
        **extra,
    }
