"""The recognition helper applied to a child file: the father's and mother's situations and
recorded facts go in, the reasoned result comes out (shown on the child file, 事实无人抚养)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from app.domain.categories import GuardianRelation
from app.domain.child_file import ChildFile, Guardian
from app.domain.recognition import ParentFacts, RecognitionResult, assess_recognition

_FACT_FIELDS = {f.name: str(f.type) for f in dataclasses.fields(ParentFacts)}
FACT_KEYS = frozenset(_FACT_FIELDS) - {"situations"}


def _fact_value(key: str, value: Any) -> Any:
    if value is not None and "date" in _FACT_FIELDS[key] and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def parent_facts(guardian: Guardian | None) -> ParentFacts:
    """What the file records about one parent; an absent parent entry means "not known"."""
    if guardian is None:
        return ParentFacts()
    known = {k: _fact_value(k, v) for k, v in guardian.facts.items() if k in FACT_KEYS}
    return ParentFacts(frozenset(guardian.situations), **known)


def recognize(child: ChildFile, today: date) -> RecognitionResult:
    return assess_recognition(
        parent_facts(child.parent(GuardianRelation.FATHER)),
        parent_facts(child.parent(GuardianRelation.MOTHER)),
        today=today,
    )
