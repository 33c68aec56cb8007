"""Fixtures for the questionnaire tests: the bundled instrument and definitions in real files."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.questionnaire import Definition, load_default_definition, load_definition
from tests.questionnaire.helpers import minimal_definition, read_answers


@pytest.fixture(scope="session")
def instrument() -> Definition:
    return load_default_definition()


@pytest.fixture
def best_case() -> dict[str, Any]:
    return copy.deepcopy(read_answers("best_case"))


@pytest.fixture
def worst_case() -> dict[str, Any]:
    return copy.deepcopy(read_answers("worst_case"))


@pytest.fixture
def write_definition(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    counter = iter(range(10_000))

    def write(document: dict[str, Any]) -> Path:
        path = tmp_path / f"definition_{next(counter)}.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    return write


@pytest.fixture
def load_items(
    write_definition: Callable[[dict[str, Any]], Path],
) -> Callable[..., Definition]:
    """Write a definition with these items to a real file and load it back."""

    def load(items: list[dict[str, Any]], **extra: Any) -> Definition:
        return load_definition(write_definition(minimal_definition(items, **extra)))

    return load
