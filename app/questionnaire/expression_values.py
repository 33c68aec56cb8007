"""What values are and how operators treat them, following XPath/ODK where it is sensible.

Values: ``None`` (no answer, or a question that is not relevant), ``bool``, ``int``, ``float``,
``str``, ``datetime.date``, a tuple of choice values (a multiple-choice answer) and
:class:`NodeSet` (a field's values across the blocks of a repeat group, for count() and sum()).

Every operation is total: an impossible operation (text times a number, division by zero, a
number too large) gives ``None`` rather than raising, as ODK gives NaN. So a definition can never
crash the engine with a strange expression or strange answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

# Beyond 2**53 integers lose precision as doubles; keep everything within that (as XPath does).
_MAX_EXACT = 2**53
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class NodeSet:
    """The values of one field across a repeat group's blocks (or the blocks themselves)."""

    values: tuple[object, ...]
    is_repeat: bool = False  # True when it stands for the blocks, not a field's values


Value = None | bool | int | float | str | date | tuple[str, ...] | NodeSet


def is_empty(value: Value) -> bool:
    return value is None or value == "" or value == ()


def to_bool(value: Value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, NodeSet):
        return any(not is_empty(v) for v in value.values)  # type: ignore[arg-type]
    if isinstance(value, date):
        return True
    return len(value) > 0


def clean_number(value: float | int) -> int | float | None:
    """Keep numbers finite and exact: huge or non-finite results become 'no value'."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if -_MAX_EXACT <= value <= _MAX_EXACT else None
    if not math.isfinite(value) or abs(value) > _MAX_EXACT:
        return None
    return value


def to_number(value: Value) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return clean_number(value)
    if isinstance(value, date):
        return (value - _EPOCH).days  # ODK: a date in arithmetic is days since 1970-01-01
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 40:
            return None
        try:
            return clean_number(int(text))
        except ValueError:
            pass
        try:
            return clean_number(float(text))
        except ValueError:
            return None
    return None


def parse_date(text: str) -> date | None:
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def to_date(value: Value) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return parse_date(value.strip())
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = clean_number(value)
        if number is None or abs(number) > 3_000_000:  # date range ends at year 9999
            return None
        try:
            return _EPOCH + timedelta(days=int(number))
        except OverflowError:
            return None
    return None


def to_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return " ".join(value)  # ODK stores a multiple choice as space-separated values
    if isinstance(value, NodeSet):
        return " ".join(to_text(v) for v in value.values if not isinstance(v, dict))  # type: ignore[arg-type]
    return value


def equals(left: Value, right: Value) -> bool:
    """XPath '=': booleans as booleans, then numbers as numbers, dates as dates, else as text."""
    if type(left) is str and type(right) is str:  # the common case: ${choice} = 'value'
        return left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return to_bool(left) == to_bool(right)
    if is_empty(left) or is_empty(right):
        return is_empty(left) and is_empty(right)
    if isinstance(left, date) or isinstance(right, date):
        return to_date(left) is not None and to_date(left) == to_date(right)
    if isinstance(left, int | float) or isinstance(right, int | float):
        a, b = to_number(left), to_number(right)
        return a is not None and b is not None and a == b
    return to_text(left) == to_text(right)


def compare(op: str, left: Value, right: Value) -> bool:
    """XPath '<' and friends: dates compare as dates, everything else as numbers; empty is false."""
    if is_empty(left) or is_empty(right):
        return False
    a: date | int | float | None
    b: date | int | float | None
    if isinstance(left, date) or isinstance(right, date):
        a, b = to_date(left), to_date(right)
    else:
        a, b = to_number(left), to_number(right)
    if a is None or b is None:
        return False
    if isinstance(a, date) != isinstance(b, date):  # pragma: no cover - both converted alike
        return False
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def arithmetic(op: str, left: Value, right: Value) -> int | float | None:
    a, b = to_number(left), to_number(right)
    if a is None or b is None:
        return None
    if op == "+":
        return clean_number(a + b)
    if op == "-":
        return clean_number(a - b)
    if op == "*":
        return clean_number(a * b)
    if b == 0:
        return None  # XPath gives Infinity/NaN; an answer needs a value or none
    if op == "div":
        result = a / b
        return clean_number(
            int(result) if result.is_integer() and abs(result) < _MAX_EXACT else result
        )
    # 'mod' follows XPath: the sign of the dividend (math.fmod), not Python's %.
    result = math.fmod(a, b)
    return clean_number(int(result) if isinstance(a, int) and isinstance(b, int) else result)


def selected_values(value: Value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, tuple):
        return value
    if isinstance(value, NodeSet):
        return ()
    return tuple(to_text(value).split())
