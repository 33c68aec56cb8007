"""Validation problems: each names the field and says what is wrong, in Chinese for the GUI
(shown beside the field) and in English for the command line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message_zh: str
    message_en: str
    blocking: bool = True  # False: a flag to show (e.g. no ID number yet), not a refusal


class DomainValidationError(ValueError):
    """Raised before anything is stored; carries every blocking problem found."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message_en}" for p in problems))
        self.problems = problems

    @property
    def message_zh(self) -> str:
        return "\n".join(p.message_zh for p in self.problems)


def raise_if_blocking(problems: list[FieldProblem]) -> None:
    blocking = [p for p in problems if p.blocking]
    if blocking:
        raise DomainValidationError(blocking)


def title_problems(title: str, label_zh: str, longest: int) -> list[FieldProblem]:
    """A record's ``title`` field: required, at most ``longest`` characters (``label_zh``: what
    the form calls it, e.g. 活动名称)."""
    if not title.strip():
        return [FieldProblem("title", f"请填写{label_zh}。", "the title is required")]
    if len(title) > longest:
        return [
            FieldProblem("title", f"{label_zh}不能超过{longest}个字。", "the title is too long")
        ]
    return []


def too_long_problems(
    record: object, names: Iterable[str], labels_zh: Mapping[str, str], longest: int
) -> list[FieldProblem]:
    """The text fields ``names`` of ``record`` longer than ``longest`` characters."""
    return [
        FieldProblem(name, f"{labels_zh[name]}不能超过{longest}个字。", f"{name} is too long")
        for name in names
        if len(getattr(record, name)) > longest
    ]
