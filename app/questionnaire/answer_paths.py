"""Answer paths ('ph_meals', 'guardians[1].g_age') and the edits a form makes with them: set or
clear one answer in the answers dict, renumber paths after a repeat block was removed, count
the blocks a set of paths touches. Plain Python, shared by every editor of answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AnswerPath:
    """A parsed path: ``repeat_id``/``index`` are None for a top-level question."""

    question_id: str
    repeat_id: str | None = None
    index: int | None = None


def parse_path(path: str) -> AnswerPath:
    if "." not in path:
        return AnswerPath(path)
    head, leaf = path.split(".", 1)
    repeat_id, index_text = head[:-1].split("[")
    return AnswerPath(leaf, repeat_id, int(index_text))


def leaf_of(path: str) -> str:
    """The question id a path ends in ('guardians[1].g_age' → 'g_age')."""
    return path.rsplit(".", 1)[-1]


def head_of(path: str) -> str:
    """The top-level item a path starts in ('guardians[1].g_age' → 'guardians')."""
    return path.split("[", 1)[0]


def set_answer(answers: dict[str, Any], path: str, value: object) -> None:
    """Set the answer at ``path`` in place; None clears it (a cleared answer has no key)."""
    parsed = parse_path(path)
    if parsed.repeat_id is None or parsed.index is None:
        target: dict[str, Any] = answers
    else:
        target = answers[parsed.repeat_id][parsed.index]
    if value is None:
        target.pop(parsed.question_id, None)
    else:
        target[parsed.question_id] = value


def without_block(paths: Iterable[str], repeat_id: str, index: int) -> set[str]:
    """Answer paths after block ``index`` of a repeat was removed (later blocks move up)."""
    kept: set[str] = set()
    prefix = repeat_id + "["
    for path in paths:
        if not path.startswith(prefix):
            kept.add(path)
            continue
        number, rest = path[len(prefix) :].split("]", 1)
        if int(number) < index:
            kept.add(path)
        elif int(number) > index:
            kept.add(f"{prefix}{int(number) - 1}]{rest}")
    return kept


def blocks_touched(paths: Iterable[str], repeat_id: str) -> int:
    """How many blocks of a repeat the paths name (e.g. how many guardians were prefilled)."""
    return len({p.split("]", 1)[0] for p in paths if p.startswith(repeat_id + "[")})


def in_repeat(path: str, repeat_id: str) -> bool:
    return path.startswith(repeat_id + "[")
