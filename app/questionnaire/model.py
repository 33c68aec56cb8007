"""The in-memory form of a questionnaire definition, built by :mod:`loader`.

Items form a tree (groups and repeat groups hold items). Every expression is already compiled
to a closure; ``Definition.order`` is the order in which fields must be evaluated so that every
reference is computed before it is read (a topological order, checked free of cycles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from app.questionnaire.expression_compiler import Compiled

# Severity order of the four colours (DOMAIN.md): green is normal, red is guardianship missing.
LEVELS: tuple[str, ...] = ("green", "yellow", "orange", "red")
LEVEL_SEVERITY: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}

# What kind of result a definition gives (its ``result_kind``), each with its levels, least
# severe first. ``guardianship`` (the default): the four colours of the guardianship-capacity
# assessment. ``screening``: the three results of a first psychological screen (心理状况筛查):
# 未见异常 (clear), 建议关注 (watch), 建议转介 (refer).
GUARDIANSHIP = "guardianship"
SCREENING = "screening"
RESULT_KINDS: dict[str, tuple[str, ...]] = {
    GUARDIANSHIP: LEVELS,
    SCREENING: ("clear", "watch", "refer"),
}
ALL_LEVELS: frozenset[str] = frozenset(lv for kind in RESULT_KINDS.values() for lv in kind)


def level_severity(kind: str, level: str) -> int:
    """How severe ``level`` is within its result kind (0: the least)."""
    return RESULT_KINDS[kind].index(level)


class QuestionType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    INTEGER = "integer"
    DECIMAL = "decimal"
    TEXT = "text"
    DATE = "date"


CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    score: float | None  # None: not scored (e.g. 不适用), left out of the maximum too
    hint: str | None = None


@dataclass(eq=False, slots=True)
class Item:
    id: str
    label: str
    hint: str | None
    location: str  # where it is in the file, e.g. 'items[2].items[0]'
    parent: Group | None  # enclosing group or repeat
    repeat: Repeat | None  # enclosing repeat group, if any
    relevant_text: str | None
    relevant: Compiled | None = None

    @property
    def kind(self) -> str:
        raise NotImplementedError


@dataclass(eq=False, slots=True)
class Question(Item):
    type: QuestionType = QuestionType.TEXT
    required: bool = False
    required_text: str | None = None  # an expression making 'required' depend on answers
    required_fn: Compiled | None = None
    required_message: str | None = None
    constraint_text: str | None = None
    constraint: Compiled | None = None
    constraint_message: str | None = None
    choices: tuple[Choice, ...] = ()
    choice_by_value: dict[str, Choice] = field(default_factory=dict)
    yes_no_scores: dict[str, float] | None = None
    score_text: str | None = None
    score_fn: Compiled | None = None
    max_score: float | None = None  # the most this question can score; None when not scored

    @property
    def kind(self) -> str:
        return "question"

    @property
    def scored(self) -> bool:
        return self.max_score is not None


@dataclass(eq=False, slots=True)
class Calculation(Item):
    calculation_text: str = ""
    calculation: Compiled | None = None
    score_text: str | None = None
    score_fn: Compiled | None = None
    max_score: float | None = None

    @property
    def kind(self) -> str:
        return "calculate"

    @property
    def scored(self) -> bool:
        return self.max_score is not None


@dataclass(eq=False, slots=True)
class Note(Item):
    @property
    def kind(self) -> str:
        return "note"


@dataclass(eq=False, slots=True)
class Group(Item):
    items: list[Item] = field(default_factory=list)
    page: bool = False
    has_scores: bool = False  # holds a scored question or calculation somewhere inside

    @property
    def kind(self) -> str:
        return "group"


@dataclass(eq=False, slots=True)
class Repeat(Group):
    min_count: int = 0
    max_count: int | None = None
    score_aggregate: str = "sum"  # how blocks combine: sum, mean, max or min

    @property
    def kind(self) -> str:
        return "repeat"


Field = Question | Calculation


@dataclass(frozen=True, slots=True)
class Threshold:
    level: str
    min: float | None  # None: catches everything below the thresholds before it


@dataclass(frozen=True, slots=True)
class LevelInfo:
    label: str
    description: str
    recommendations: tuple[str, ...]


@dataclass(eq=False, slots=True)
class Rule:
    """An override rule: when ``when`` holds, the level is forced to (or raised to) ``level``."""

    id: str
    when_text: str
    effect: str  # 'force' or 'at_least'
    level: str
    reason: str
    mandatory_report: bool
    recommendations: tuple[str, ...]
    location: str
    when: Compiled | None = None


@dataclass(eq=False, slots=True)
class Grading:
    graded_value: str  # 'percent' or 'total'
    graded_section: str | None
    thresholds: tuple[Threshold, ...]
    levels: dict[str, LevelInfo]
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """One wizard page: a group marked ``page``, or a run of loose items between pages."""

    id: str
    label: str
    group: Group | None  # None for a run of loose top-level items
    items: tuple[Item, ...]


@dataclass(eq=False, slots=True)
class Definition:
    id: str
    version: str
    title: str
    description: str
    items: list[Item]
    by_id: dict[str, Item]
    order: list[Item]  # evaluation order: every item after everything it depends on
    questions: list[Question]  # in document order
    sections: list[Group]  # groups and repeats holding scores, in document order
    pages: list[Page]
    grading: Grading | None
    source: str = ""
    result_kind: str = GUARDIANSHIP  # which levels its results use (RESULT_KINDS)

    def item(self, item_id: str) -> Item:
        return self.by_id[item_id]
