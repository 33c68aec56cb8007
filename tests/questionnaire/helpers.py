"""Helpers for the questionnaire tests: answer files beside the tests, a fixed date."""

from __future__ import annotations

import json
import subprocess
import sys
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


def childdesk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``childdesk`` console script (.venv/bin/childdesk) for real."""
    exe = Path(sys.executable).with_name("childdesk")
    assert exe.exists(), "the childdesk console script is not installed (run ./setup.sh)"
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
        cwd=cwd,
    )
