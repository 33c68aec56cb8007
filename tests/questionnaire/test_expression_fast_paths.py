"""The compiler's short ways for comparisons with a constant (``${child_age} >= 6``,
``${x} = 'yes'``) give exactly what the general rules in expression_values give, for every kind
of value a field can hold."""

from __future__ import annotations

import math
from datetime import date

import pytest

from app.questionnaire.expression_compiler import EvalContext, compile_expression
from app.questionnaire.expression_parser import parse_expression
from app.questionnaire.expression_values import NodeSet, Value, compare, equals

VALUES: list[Value] = [
    None,
    "",
    (),
    True,
    False,
    0,
    5,
    6,
    7,
    -1,
    6.0,
    5.999,
    -1.5,
    2**53,
    2**53 + 1,
    -(2**60),
    math.nan,
    math.inf,
    -math.inf,
    1e300,
    "6",
    " 7 ",
    "abc",
    "yes",
    "no",
    "1970-01-07",
    date(1970, 1, 7),
    date(2026, 12, 3),
    ("yes",),
    ("a", "b"),
    NodeSet((1, 2)),
    NodeSet(()),
]


def _run(text: str, value: Value) -> Value:
    compiled = compile_expression(
        parse_expression(text), lambda name, as_node_set: lambda ctx: ctx.values[name]
    )
    values: dict[str, Value] = {"x": value}
    return compiled(EvalContext(values, values, {}, date(2026, 12, 3)))


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
@pytest.mark.parametrize("constant", ["0", "6", "-1.5", "5.999", "9007199254740992", "0.0"])
def test_comparison_with_a_number_matches_the_general_rule(op: str, constant: str) -> None:
    number = float(constant) if "." in constant else int(constant)
    for value in VALUES:
        assert _run(f"${{x}} {op} {constant}", value) is compare(op, value, number), value


@pytest.mark.parametrize("op", ["=", "!="])
@pytest.mark.parametrize("text", ["yes", "", "6", "1970-01-07", "a b", "true"])
def test_equality_with_a_text_matches_the_general_rule(op: str, text: str) -> None:
    for value in VALUES:
        same = equals(value, text)
        assert _run(f"${{x}} {op} '{text}'", value) is (same if op == "=" else not same), value


def test_the_short_ways_are_taken() -> None:
    def compiled(text: str) -> str:
        resolve = lambda name, as_node_set: lambda ctx: None  # noqa: E731
        return compile_expression(parse_expression(text), resolve).__qualname__

    assert compiled("${x} >= 6").startswith("_compare_to_number")
    assert compiled("${x} < 5.999").startswith("_compare_to_number")
    assert compiled("${x} != 'yes'").startswith("_equals_text")
    assert compiled("${x} >= ${x}").startswith("_Compiler")  # no constant: the general rule
