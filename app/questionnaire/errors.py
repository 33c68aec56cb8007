"""Errors of the questionnaire engine.

Each error carries a list of problems so the command line and the GUI can show all of them at
once, each naming where it is (a field id or a location in the definition) and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass


class ExpressionSyntaxError(ValueError):
    """An expression could not be parsed. ``column`` is 1-based when known."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.message = message
        self.column = column
        super().__init__(message if column is None else f"{message} (column {column})")


class ExpressionCompileError(ValueError):
    """An expression parsed but cannot be used where it stands (unknown field, bad arity...)."""


@dataclass(frozen=True, slots=True)
class DefinitionProblem:
    """One thing wrong with a questionnaire definition."""

    location: str  # e.g. 'ph_meals.relevant' or 'items[2].items[0]'
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class DefinitionError(Exception):
    """A questionnaire definition was refused; ``problems`` lists every problem found."""

    def __init__(self, problems: list[DefinitionProblem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        head = f"invalid questionnaire definition{f' {source}' if source else ''}"
        super().__init__(head + "".join(f"\n  - {p}" for p in problems))


@dataclass(frozen=True, slots=True)
class AnswerProblem:
    """One thing wrong with a set of answers.

    ``path`` names the answer ('ph_meals', 'guardians[1].g_age'); ``code`` is stable for programs
    (see :data:`ANSWER_PROBLEM_CODES`); ``message`` is English for the command line;
    ``definition_message`` is the definition's own (Chinese) text, e.g. a constraint message.
    """

    path: str
    code: str
    message: str
    definition_message: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.definition_message:
            text += f" ({self.definition_message})"
        return text

    def to_json(self) -> dict[str, str | None]:
        return {
            "path": self.path,
            "code": self.code,
            "message": self.message,
            "definition_message": self.definition_message,
        }


ANSWER_PROBLEM_CODES = (
    "not_an_object",  # the answers are not a JSON object
    "unknown_field",  # no item with that id
    "not_answerable",  # a group, note or calculation was given a value
    "wrong_place",  # a field of a repeat group given outside it (or the reverse)
    "wrong_type",  # e.g. text for an integer question
    "invalid_choice",  # a value that is not one of the choices
    "constraint",  # the value fails the question's constraint
    "required",  # a relevant required question has no answer
    "too_few",  # fewer repeat blocks than the definition's min_count
    "too_many",  # more repeat blocks than the definition's max_count
    "wrong_definition",  # an answer envelope made for another definition
)


class AnswerError(Exception):
    """Answers were refused for scoring; ``problems`` lists every problem found."""

    def __init__(self, problems: list[AnswerProblem]) -> None:
        self.problems = problems
        super().__init__("invalid answers" + "".join(f"\n  - {p}" for p in problems))
