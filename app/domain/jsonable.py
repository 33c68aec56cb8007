"""Turning domain dataclasses into the JSON stored in vault records."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date
from typing import Any


def jsonable(value: Any) -> Any:
    """Dates become ISO strings; StrEnums are already strings; dataclasses become dicts."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def date_or_none(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
