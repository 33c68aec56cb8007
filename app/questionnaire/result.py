"""The result of scoring an assessment, as stored in a child's file (as JSON, via the vault).

A result names the definition id and version it was made with, so an old result still reads
correctly after a district changes its instrument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from app.questionnaire.model import GUARDIANSHIP, RESULT_KINDS

RESULT_FORMAT = "childdesk-assessment-result/1"


@dataclass(frozen=True, slots=True)
class SectionScore:
    """The subtotal of one group (an indicator) holding scored questions."""

    id: str
    label: str
    parent: str | None  # the enclosing scored group, None at the top
    score: float
    max_score: float
    relevant: bool

    @property
    def percent(self) -> float | None:
        return round(self.score * 100 / self.max_score, 1) if self.max_score else None


@dataclass(frozen=True, slots=True)
class FiredRule:
    """An override rule whose condition held."""

    id: str
    effect: str  # 'force' or 'at_least'
    level: str
    reason: str
    mandatory_report: bool


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    definition_id: str
    definition_version: str
    assessed_on: date
    level: str | None  # green/yellow/orange/red; None when the definition has no grading
    level_label: str | None  # e.g. 家庭监护能力正常
    score_level: str | None  # the level from the thresholds alone, before override rules
    graded_value: str | None  # 'percent' or 'total'
    graded: float | None  # the number the thresholds were applied to
    total_score: float
    total_max: float
    sections: tuple[SectionScore, ...]
    fired_rules: tuple[FiredRule, ...]
    recommendations: tuple[str, ...]  # the layered support (分层赋能) for the level and rules
    mandatory_report: bool  # a fired rule requires a report to the district (强制报告)
    # which levels ``level`` is one of (model.RESULT_KINDS): the four colours, or a screening's
    # clear/watch/refer (未见异常/建议关注/建议转介)
    result_kind: str = GUARDIANSHIP

    @property
    def total_percent(self) -> float | None:
        return round(self.total_score * 100 / self.total_max, 1) if self.total_max else None

    def section(self, section_id: str) -> SectionScore:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def to_json(self) -> dict[str, Any]:
        data = self._to_json()
        if self.result_kind != GUARDIANSHIP:  # a guardianship result reads as it always did
            data["result_kind"] = self.result_kind
        return data

    def _to_json(self) -> dict[str, Any]:
        return {
            "format": RESULT_FORMAT,
            "definition": {"id": self.definition_id, "version": self.definition_version},
            "assessed_on": self.assessed_on.isoformat(),
            "level": self.level,
            "level_label": self.level_label,
            "score_level": self.score_level,
            "graded_value": self.graded_value,
            "graded": _number(self.graded),
            "total": {
                "score": _number(self.total_score),
                "max_score": _number(self.total_max),
                "percent": self.total_percent,
            },
            "sections": [
                {
                    "id": s.id,
                    "label": s.label,
                    "parent": s.parent,
                    "score": _number(s.score),
                    "max_score": _number(s.max_score),
                    "percent": s.percent,
                    "relevant": s.relevant,
                }
                for s in self.sections
            ],
            "fired_rules": [
                {
                    "id": r.id,
                    "effect": r.effect,
                    "level": r.level,
                    "reason": r.reason,
                    "mandatory_report": r.mandatory_report,
                }
                for r in self.fired_rules
            ],
            "recommendations": list(self.recommendations),
            "mandatory_report": self.mandatory_report,
        }

    @classmethod
    def from_json(cls, data: object) -> AssessmentResult:
        """Read a result back; raise ``ValueError`` naming what is wrong if it is not one."""
        try:
            return _from_json(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(f"not an assessment result: {detail}") from None


def _from_json(data: object) -> AssessmentResult:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    if data.get("format") != RESULT_FORMAT:
        raise ValueError(f"format is {data.get('format')!r}, expected {RESULT_FORMAT!r}")
    kind = data.get("result_kind", GUARDIANSHIP)
    if kind not in RESULT_KINDS:
        raise ValueError(f"unknown result kind {kind!r}")
    level = _optional_level(kind, data["level"])
    score_level = _optional_level(kind, data["score_level"])
    total = cast(dict[str, Any], data["total"])
    sections = tuple(
        SectionScore(
            id=_text(s["id"]),
            label=_text(s["label"]),
            parent=None if s["parent"] is None else _text(s["parent"]),
            score=_float(s["score"]),
            max_score=_float(s["max_score"]),
            relevant=bool(s["relevant"]),
        )
        for s in data["sections"]
    )
    rules = tuple(
        FiredRule(
            id=_text(r["id"]),
            effect=_text(r["effect"]),
            level=_level(kind, r["level"]),
            reason=_text(r["reason"]),
            mandatory_report=bool(r["mandatory_report"]),
        )
        for r in data["fired_rules"]
    )
    definition = cast(dict[str, Any], data["definition"])
    graded = data["graded"]
    return AssessmentResult(
        definition_id=_text(definition["id"]),
        definition_version=_text(definition["version"]),
        assessed_on=date.fromisoformat(_text(data["assessed_on"])),
        level=level,
        level_label=None if data["level_label"] is None else _text(data["level_label"]),
        score_level=score_level,
        graded_value=None if data["graded_value"] is None else _text(data["graded_value"]),
        graded=None if graded is None else _float(graded),
        total_score=_float(total["score"]),
        total_max=_float(total["max_score"]),
        sections=sections,
        fired_rules=rules,
        recommendations=tuple(_text(r) for r in data["recommendations"]),
        mandatory_report=bool(data["mandatory_report"]),
        result_kind=kind,
    )


def _number(value: float | None) -> float | int | None:
    """Whole numbers print as 12, not 12.0; others are rounded for reading."""
    if value is None:
        return None
    rounded = round(value, 4)
    return int(rounded) if float(rounded).is_integer() else rounded


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return value


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _level(kind: str, value: object) -> str:
    if value not in RESULT_KINDS[kind]:
        raise ValueError(f"unknown level {value!r}")
    return str(value)


def _optional_level(kind: str, value: object) -> str | None:
    return None if value is None else _level(kind, value)
