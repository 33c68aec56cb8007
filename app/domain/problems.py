"""Validation problems: each names the field and says what is wrong, in Chinese for the GUI
(shown beside the field) and in English for the command line."""

from __future__ import annotations

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
