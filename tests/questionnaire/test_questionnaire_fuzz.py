"""Property-based tests: the expression parser may refuse input, but never crashes or hangs,
and whatever it accepts evaluates without raising, whatever the answers."""

from __future__ import annotations

import time
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.questionnaire.errors import ExpressionCompileError, ExpressionSyntaxError
from app.questionnaire.expression_compiler import Compiled, EvalContext, compile_expression
from app.questionnaire.expression_parser import Node, parse_expression
from app.questionnaire.expression_values import NodeSet, Value

FIELDS = ("a", "b", "m", "d", "r")
TOKENS = [
    "${a}",
    "${b}",
    "${m}",
    "${d}",
    "${r}",
    "${",
    "}",
    ".",
    "(",
    ")",
    ",",
    "'x'",
    '"y"',
    "'",
    "1",
    "2.5",
    "0",
    "-",
    "+",
    "*",
    "div",
    "mod",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "and",
    "or",
    "not(",
    "if(",
    "selected(",
    "count-selected(",
    "string-length(",
    "today()",
    "count(",
    "sum(",
    "max(",
    "min(",
    "round(",
    "int(",
    "concat(",
    "coalesce(",
    "date(",
    "true()",
    " ",
]


def _resolver(name: str, as_node_set: bool) -> Compiled:
    if name == "r":
        if not as_node_set:
            raise ExpressionCompileError("r is a repeat group")
        return lambda ctx: NodeSet(tuple(ctx.values.get("r") or ()))  # type: ignore[arg-type]
    if name not in FIELDS:
        raise ExpressionCompileError(f"unknown field {name}")
    return lambda ctx: ctx.values.get(name)


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.text(max_size=20),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.lists(st.sampled_from(["x", "y", "none"]), max_size=3, unique=True).map(tuple),
)


def _parse_or_refuse(text: str) -> Node | None:
    try:
        return parse_expression(text)
    except ExpressionSyntaxError:
        return None


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_parsed_or_refused(text: str) -> None:
    started = time.perf_counter()
    _parse_or_refuse(text)
    assert time.perf_counter() - started < 2.0


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_token_soup_is_parsed_or_refused(text: str) -> None:
    _parse_or_refuse(text)


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    """Well-formed expressions in the documented subset."""
    if depth > 4 or draw(st.booleans()):
        return draw(
            st.one_of(
                st.sampled_from(["${a}", "${b}", "${m}", "${d}", ".", "today()", "true()"]),
                st.integers(min_value=0, max_value=10**9).map(str),
                st.sampled_from(["'x'", "'yes'", "''", "2.5", '"none"']),
            )
        )
    kind = draw(st.integers(min_value=0, max_value=6))
    sub = expressions(depth + 1)
    if kind == 0:
        op = draw(
            st.sampled_from(
                ["+", "-", "*", "div", "mod", "=", "!=", "<", "<=", ">", ">=", "and", "or"]
            )
        )
        return f"({draw(sub)} {op} {draw(sub)})"
    if kind == 1:
        return f"-{draw(sub)}"
    if kind == 2:
        return f"if({draw(sub)}, {draw(sub)}, {draw(sub)})"
    if kind == 3:
        name = draw(
            st.sampled_from(
                [
                    "not",
                    "string-length",
                    "count-selected",
                    "int",
                    "number",
                    "string",
                    "date",
                    "round",
                ]
            )
        )
        return f"{name}({draw(sub)})"
    if kind == 4:
        return f"selected({draw(sub)}, {draw(sub)})"
    if kind == 5:
        return draw(st.sampled_from(["count(${r})", "sum(${r})", "max(${r})", "min(${r})"]))
    return f"concat({draw(sub)}, {draw(sub)})"


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expressions(),
    st.fixed_dictionaries({name: values for name in ("a", "b", "m", "d")}),
    st.lists(values, max_size=4),
    values,
)
def test_accepted_expressions_always_evaluate(
    text: str, answers: dict[str, Value], block_values: list[Value], self_value: Value
) -> None:
    node = parse_expression(text)  # well-formed by construction: must parse
    compiled = compile_expression(node, _resolver, allow_self=True)
    ctx = EvalContext({**answers, "r": tuple(block_values)}, {}, {}, date(2026, 5, 20))  # type: ignore[dict-item]
    ctx.self_value = self_value
    result = compiled(ctx)
    assert result is None or isinstance(result, bool | int | float | str | date | tuple)
    if isinstance(result, float):
        assert result == result and abs(result) != float("inf")  # no NaN, no infinity


def test_pathological_inputs_are_refused_quickly() -> None:
    cases = [
        "(" * 3000,
        "-" * 3000 + "1",
        "not(" * 1000 + "1" + ")" * 1000,
        "1" + " + 1" * 999,
        "'" + "x" * 3990,
        "${" + "a" * 3990 + "}",
        "\x00\ud7ff\U0010ffff",
    ]
    for text in cases:
        started = time.perf_counter()
        _parse_or_refuse(text)
        assert time.perf_counter() - started < 2.0, text[:20]
