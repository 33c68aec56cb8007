"""What the result page of an assessment reads out, worked out from the result: whether override
rules moved the level away from the score's level, how each fired rule acted, the section tree
as indented rows, and numbers written the way the director reads them (12, 12.5 — never 12.0).

Plain Python so the rules are tested without Qt; the wizard only words and draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.questionnaire.result import AssessmentResult, FiredRule

FORCE = "force"


def format_number(value: float) -> str:
    """One decimal at most, no trailing '.0'."""
    rounded = round(value, 1)
    return str(int(rounded)) if float(rounded).is_integer() else str(rounded)


def level_adjustment(result: AssessmentResult) -> tuple[str, str] | None:
    """(level by score, level given) when a rule moved the level, else None."""
    if result.score_level and result.level and result.score_level != result.level:
        return result.score_level, result.level
    return None


def rule_forces(rule: FiredRule) -> bool:
    """True: the rule sets the level ('定为'); False: it sets a floor ('至少为')."""
    return rule.effect == FORCE


@dataclass(frozen=True, slots=True)
class SectionRow:
    id: str
    label: str
    depth: int  # 0 for a top-level section
    applicable: bool  # False: '不适用' (skipped, or nothing to score)
    score: float
    max_score: float
    percent: float


def section_rows(result: AssessmentResult) -> list[SectionRow]:
    """The sections in order, each with its depth in the tree."""
    parents = {s.id: s.parent for s in result.sections}
    rows = []
    for section in result.sections:
        depth, parent = 0, section.parent
        while parent is not None and depth <= len(parents):
            depth += 1
            parent = parents.get(parent)
        rows.append(
            SectionRow(
                section.id,
                section.label,
                depth,
                bool(section.relevant and section.max_score),
                section.score,
                section.max_score,
                section.percent or 0,
            )
        )
    return rows
