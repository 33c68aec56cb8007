"""Compiles a syntax tree into a Python closure, once, at load time.

Scoring calls only the closures: no parsing or tree walking per answer set. Field references
are resolved while compiling (by a resolver the loader supplies), so an unknown field, a call
with the wrong number of arguments, or a repeat group's field used outside ``count()``/``sum()``
is a definition error, found before any answers are seen.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from app.questionnaire.ages import calendar_age
from app.questionnaire.errors import ExpressionCompileError
from app.questionnaire.expression_grammar import (
    AGGREGATE_FUNCTIONS,
    FUNCTION_ARITY,
    GRADING_FUNCTIONS,
)
from app.questionnaire.expression_parser import (
    Binary,
    Call,
    FieldRef,
    Literal,
    Negate,
    Node,
    SelfRef,
)
from app.questionnaire.expression_values import (
    NodeSet,
    Value,
    arithmetic,
    clean_number,
    compare,
    equals,
    is_empty,
    parse_date,
    selected_values,
    to_bool,
    to_date,
    to_number,
    to_text,
)


class EvalContext:
    """What an expression can see while it runs.

    ``values`` holds the fields of the current scope (a repeat block's own fields when inside
    one, else the top-level fields); ``top`` always holds the top-level fields; ``repeats`` holds
    each repeat group's blocks (each a dict of field values).
    """

    __slots__ = ("repeats", "scores", "self_value", "today", "top", "values")

    def __init__(
        self,
        values: dict[str, Value],
        top: dict[str, Value],
        repeats: dict[str, list[dict[str, Value]]],
        today: date,
    ) -> None:
        self.values = values
        self.top = top
        self.repeats = repeats
        self.today = today
        self.self_value: Value = None
        # Section id ('' for the whole instrument) -> (score, max score); set for grading rules.
        self.scores: Mapping[str, tuple[float, float]] = {}


Compiled = Callable[[EvalContext], Value]
# resolve(field_id, as_node_set) -> a getter, or raises ExpressionCompileError.
Resolver = Callable[[str, bool], Compiled]


def compile_expression(
    node: Node,
    resolve: Resolver,
    *,
    allow_self: bool = False,
    sections: frozenset[str] | None = None,
) -> Compiled:
    """Compile ``node``. ``sections`` (the scored group ids) enables the grading functions."""
    return _Compiler(resolve, allow_self, sections).compile(node)


class _Compiler:
    def __init__(
        self, resolve: Resolver, allow_self: bool, sections: frozenset[str] | None
    ) -> None:
        self.resolve = resolve
        self.allow_self = allow_self
        self.sections = sections

    def compile(self, node: Node, *, as_node_set: bool = False) -> Compiled:
        if isinstance(node, Literal):
            constant: Value = node.value
            return lambda ctx: constant
        if isinstance(node, FieldRef):
            return self.resolve(node.name, as_node_set)
        if isinstance(node, SelfRef):
            if not self.allow_self:
                raise ExpressionCompileError(
                    "'.' (the value itself) can be used only in a constraint or a score"
                )
            return lambda ctx: ctx.self_value
        if isinstance(node, Negate):
            operand = self.compile(node.operand)
            return lambda ctx: arithmetic("-", 0, operand(ctx))
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Call):
            return self._call(node)
        raise ExpressionCompileError(
            f"unknown expression node {type(node).__name__}"
        )  # pragma: no cover

    def _binary(self, node: Binary) -> Compiled:
        left = self.compile(node.left)
        right = self.compile(node.right)
        op = node.op
        if op == "and":
            return lambda ctx: to_bool(left(ctx)) and to_bool(right(ctx))
        if op == "or":
            return lambda ctx: to_bool(left(ctx)) or to_bool(right(ctx))
        constant = node.right.value if isinstance(node.right, Literal) else None
        if op in ("=", "!=") and type(constant) is str:
            return _equals_text(left, constant, negate=op == "!=")
        if op == "=":
            return lambda ctx: equals(left(ctx), right(ctx))
        if op == "!=":
            return lambda ctx: not equals(left(ctx), right(ctx))
        if op in ("<", "<=", ">", ">="):
            if type(constant) in (int, float) and to_number(constant) is not None:
                return _compare_to_number(op, left, constant)  # type: ignore[arg-type]
            return lambda ctx: compare(op, left(ctx), right(ctx))
        return lambda ctx: arithmetic(op, left(ctx), right(ctx))

    def _call(self, node: Call) -> Compiled:
        name = node.name
        if name not in FUNCTION_ARITY:
            raise ExpressionCompileError(f"unknown function {name}()")
        low, high = FUNCTION_ARITY[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            if low == high:
                wanted = f"{low} argument{'s' if low != 1 else ''}"
            elif high is None:
                wanted = f"at least {low} argument{'s' if low != 1 else ''}"
            else:
                wanted = f"{low} to {high} arguments"
            raise ExpressionCompileError(f"{name}() takes {wanted}, not {count}")
        if name in GRADING_FUNCTIONS:
            return self._grading_call(node)
        # A repeat group's field may be used outside the group only as the single argument of an
        # aggregate function: count(${g}), sum(${g_score}), max(${g_age}).
        node_set_arg = name in AGGREGATE_FUNCTIONS and count == 1
        args = [self.compile(a, as_node_set=node_set_arg) for a in node.args]
        builder = _FUNCTIONS[name]
        return builder(args)

    def _grading_call(self, node: Call) -> Compiled:
        if self.sections is None:
            raise ExpressionCompileError(f"{node.name}() can be used only in grading rules")
        section = ""
        if node.args:
            arg = node.args[0]
            if not isinstance(arg, Literal) or not isinstance(arg.value, str):
                raise ExpressionCompileError(
                    f"{node.name}() takes the id of a group as a quoted string, "
                    f"e.g. {node.name}('child_safety')"
                )
            section = arg.value
            if section not in self.sections:
                raise ExpressionCompileError(
                    f"{node.name}('{section}'): no scored group has the id '{section}'"
                )
        key = section
        if node.name == "score":
            return lambda ctx: _section(ctx, key)[0]
        if node.name == "max-score":
            return lambda ctx: _section(ctx, key)[1]

        def percent(ctx: EvalContext) -> Value:
            score, maximum = _section(ctx, key)
            return clean_number(score * 100 / maximum) if maximum else None

        return percent


# Comparisons with a constant on the right (``${child_age} >= 6``, ``${x} = 'yes'``) are most of
# a definition's expressions and run for every answer set: these take the common values the
# short way and hand anything else to the general rule, with the same result.
_MAX_EXACT = 2**53  # as in expression_values.clean_number
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare_to_number(op: str, left: Compiled, constant: int | float) -> Compiled:
    test = _ORDER[op]
    bound = to_number(constant)

    def compared(ctx: EvalContext) -> Value:
        value = left(ctx)
        kind = type(value)
        if kind is int:
            if -_MAX_EXACT <= value <= _MAX_EXACT:  # type: ignore[operator]
                return test(value, bound)
        elif kind is float:
            if math.isfinite(value) and abs(value) <= _MAX_EXACT:  # type: ignore[arg-type]
                return test(value, bound)
        elif value is None:
            return False
        return compare(op, value, constant)

    return compared


def _equals_text(left: Compiled, text: str, *, negate: bool) -> Compiled:
    def equal(ctx: EvalContext) -> Value:
        value = left(ctx)
        same = value == text if type(value) is str else equals(value, text)
        return not same if negate else same

    return equal


def _section(ctx: EvalContext, key: str) -> tuple[float, float]:
    return ctx.scores.get(key, (0, 0))


def _items(value: Value) -> tuple[object, ...]:
    if isinstance(value, NodeSet):
        return value.values
    return () if value is None else (value,)


def _numbers(values: list[Value]) -> list[int | float]:
    found: list[int | float] = []
    for value in values:
        for item in _items(value):
            number = to_number(item)  # type: ignore[arg-type]
            if number is not None:
                found.append(number)
    return found


def _fn_selected(args: list[Compiled]) -> Compiled:
    field, choice = args
    return lambda ctx: to_text(choice(ctx)).strip() in selected_values(field(ctx))


def _fn_count_selected(args: list[Compiled]) -> Compiled:
    (field,) = args
    return lambda ctx: len(selected_values(field(ctx)))


def _fn_if(args: list[Compiled]) -> Compiled:
    condition, then, otherwise = args
    return lambda ctx: then(ctx) if to_bool(condition(ctx)) else otherwise(ctx)


def _fn_string_length(args: list[Compiled]) -> Compiled:
    (text,) = args
    return lambda ctx: len(to_text(text(ctx)))


def _fn_today(args: list[Compiled]) -> Compiled:
    return lambda ctx: ctx.today


def _fn_not(args: list[Compiled]) -> Compiled:
    (value,) = args
    return lambda ctx: not to_bool(value(ctx))


def _fn_true(args: list[Compiled]) -> Compiled:
    return lambda ctx: True


def _fn_false(args: list[Compiled]) -> Compiled:
    return lambda ctx: False


def _fn_count(args: list[Compiled]) -> Compiled:
    (value,) = args

    def count(ctx: EvalContext) -> Value:
        found = value(ctx)
        if isinstance(found, NodeSet):
            if found.is_repeat:
                return len(found.values)
            return len([v for v in found.values if not is_empty(v)])  # type: ignore[arg-type]
        return 0 if is_empty(found) else 1

    return count


def _fn_sum(args: list[Compiled]) -> Compiled:
    (value,) = args
    return lambda ctx: clean_number(sum(_numbers([value(ctx)])))


def _fn_min(args: list[Compiled]) -> Compiled:
    def minimum(ctx: EvalContext) -> Value:
        numbers = _numbers([a(ctx) for a in args])
        return min(numbers) if numbers else None

    return minimum


def _fn_max(args: list[Compiled]) -> Compiled:
    def maximum(ctx: EvalContext) -> Value:
        numbers = _numbers([a(ctx) for a in args])
        return max(numbers) if numbers else None

    return maximum


def _fn_coalesce(args: list[Compiled]) -> Compiled:
    first, second = args

    def coalesce(ctx: EvalContext) -> Value:
        value = first(ctx)
        return second(ctx) if is_empty(value) else value

    return coalesce


def _fn_round(args: list[Compiled]) -> Compiled:
    value = args[0]
    digits = args[1] if len(args) > 1 else None

    def rounded(ctx: EvalContext) -> Value:
        number = to_number(value(ctx))
        places = to_number(digits(ctx)) if digits is not None else 0
        if number is None or places is None or not -15 <= places <= 15:
            return None
        # Round half away from zero, as ODK does (Python's round() rounds half to even).
        factor = 10 ** int(places)
        scaled = abs(number) * factor
        result = int(scaled + 0.5) / factor
        result = -result if number < 0 else result
        return clean_number(int(result) if places <= 0 else result)

    return rounded


def _fn_int(args: list[Compiled]) -> Compiled:
    (value,) = args

    def truncated(ctx: EvalContext) -> Value:
        number = to_number(value(ctx))
        return None if number is None else int(number)

    return truncated


def _fn_number(args: list[Compiled]) -> Compiled:
    (value,) = args
    return lambda ctx: to_number(value(ctx))


def _fn_string(args: list[Compiled]) -> Compiled:
    (value,) = args
    return lambda ctx: to_text(value(ctx))


def _fn_concat(args: list[Compiled]) -> Compiled:
    return lambda ctx: "".join(to_text(a(ctx)) for a in args)


def _fn_date(args: list[Compiled]) -> Compiled:
    (value,) = args

    def as_date(ctx: EvalContext) -> Value:
        found = value(ctx)
        if isinstance(found, str):
            return parse_date(found.strip())
        return to_date(found)

    return as_date


def _fn_age(args: list[Compiled]) -> Compiled:
    """``age(birth)``: calendar age (周岁) on ``today()``; ``age(birth, on)``: on ``on``. Empty
    when either date is empty or ``on`` is before ``birth``."""
    birth_arg = args[0]
    on_arg = args[1] if len(args) > 1 else None

    def aged(ctx: EvalContext) -> Value:
        birth = to_date(birth_arg(ctx))
        on = ctx.today if on_arg is None else to_date(on_arg(ctx))
        if birth is None or on is None or on < birth:
            return None
        return calendar_age(birth, on)

    return aged


_FUNCTIONS: dict[str, Callable[[list[Compiled]], Compiled]] = {
    "selected": _fn_selected,
    "count-selected": _fn_count_selected,
    "if": _fn_if,
    "string-length": _fn_string_length,
    "today": _fn_today,
    "not": _fn_not,
    "true": _fn_true,
    "false": _fn_false,
    "count": _fn_count,
    "sum": _fn_sum,
    "min": _fn_min,
    "max": _fn_max,
    "coalesce": _fn_coalesce,
    "round": _fn_round,
    "int": _fn_int,
    "number": _fn_number,
    "string": _fn_string,
    "concat": _fn_concat,
    "date": _fn_date,
    "age": _fn_age,
}
