"""Expressions: the parser (precedence, errors with columns) and ODK-style evaluation."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.questionnaire.errors import ExpressionCompileError, ExpressionSyntaxError
from app.questionnaire.expression_compiler import Compiled, EvalContext, compile_expression
from app.questionnaire.expression_parser import (
    MAX_NESTING_DEPTH,
    Binary,
    Call,
    FieldRef,
    Literal,
    field_references,
    parse_expression,
)
from app.questionnaire.expression_values import NodeSet, Value

TODAY = date(2026, 5, 20)


def _resolver(name: str, as_node_set: bool) -> Compiled:
    if name == "blocks":  # a stand-in repeat group, for count()/sum()
        if not as_node_set:
            raise ExpressionCompileError("blocks is a repeat group")
        return lambda ctx: NodeSet(tuple(ctx.values.get("blocks") or ()))  # type: ignore[arg-type]
    return lambda ctx: ctx.values.get(name)


def run(text: str, self_value: Value = None, **values: Value) -> Value:
    compiled = compile_expression(parse_expression(text), _resolver, allow_self=True)
    ctx = EvalContext(dict(values), dict(values), {}, TODAY)
    ctx.self_value = self_value
    return compiled(ctx)


class TestParser:
    def test_precedence_follows_xpath(self) -> None:
        tree = parse_expression("1 + 2 * 3 = 7 and 2 < 3 or 0")
        assert isinstance(tree, Binary) and tree.op == "or"
        left = tree.left
        assert isinstance(left, Binary) and left.op == "and"
        assert isinstance(left.left, Binary) and left.left.op == "="

    def test_not_is_a_function_as_in_xpath(self) -> None:
        tree = parse_expression("not(${a}) and ${b}")
        assert isinstance(tree, Binary) and tree.op == "and"
        assert tree.left == Call("not", (FieldRef("a"),))

    def test_hyphenated_function_names_and_strings(self) -> None:
        tree = parse_expression('count-selected(${m}) >= string-length("ab")')
        assert isinstance(tree, Binary)
        assert tree.left == Call("count-selected", (FieldRef("m"),))
        assert tree.right == Call("string-length", (Literal("ab"),))

    def test_div_and_mod_are_operators(self) -> None:
        assert run("7 div 2") == 3.5
        assert run("7 mod 3") == 1

    def test_field_references_are_collected(self) -> None:
        tree = parse_expression("if(${a} > 1, ${b}, sum(${c}))")
        assert field_references(tree) == {"a", "b", "c"}

    @pytest.mark.parametrize(
        ("text", "message", "column"),
        [
            ("${a} or", "ends too early", None),
            ("1 +* 2", "unexpected '*'", 4),
            ("$a = 1", "field reference is written ${field_id}", 1),
            ("'abc", "string is never closed", 1),
            ("((1)", "ends too early", None),
            ("1 ≤ 2", "unexpected character '≤'", 3),
            ("   ", "empty", None),
            ("1 2", "unexpected '2'", 3),
            ("${a b}", "unexpected character '$'", 1),
        ],
    )
    def test_syntax_errors_say_where(self, text: str, message: str, column: int | None) -> None:
        with pytest.raises(ExpressionSyntaxError) as caught:
            parse_expression(text)
        assert message in str(caught.value)
        assert caught.value.column == column

    def test_nesting_is_limited(self) -> None:
        deep = "-" * (MAX_NESTING_DEPTH + 5) + "1"
        with pytest.raises(ExpressionSyntaxError, match="nested too deeply"):
            parse_expression(deep)
        # Parentheses alone build no nodes, so even many of them are fine.
        assert parse_expression("(" * 500 + "1" + ")" * 500) == Literal(1)

    def test_long_numbers_and_long_text_are_refused(self) -> None:
        with pytest.raises(ExpressionSyntaxError, match="too long"):
            parse_expression("1" * 40)
        with pytest.raises(ExpressionSyntaxError, match="longer than"):
            parse_expression("1 + " * 2000 + "1")


class TestEvaluation:
    def test_unanswered_equals_empty_string_as_in_odk(self) -> None:
        assert run("${a} = ''") is True
        assert run("${a} != 'yes'") is True
        assert run("${a} = 'yes'") is False
        assert run("${a} > 3") is False  # comparisons with an empty value are false
        assert run("${a} + 1") is None  # arithmetic with an empty value has no value

    def test_numbers_and_text_compare_as_numbers(self) -> None:
        assert run("${a} = 3", a="3") is True
        assert run("${a} < 10", a="9") is True
        assert run("${a} = 'x'", a=3) is False

    def test_selected_and_count_selected(self) -> None:
        chosen = ("wages", "dibao")
        assert run("selected(${m}, 'dibao')", m=chosen) is True
        assert run("selected(${m}, 'none')", m=chosen) is False
        assert run("count-selected(${m})", m=chosen) == 2
        assert run("count-selected(${m})") == 0
        assert run("selected(${s}, 'a')", s="a") is True  # works on a single choice too
        assert run("${m} = 'wages dibao'", m=chosen) is True  # ODK's space-separated form

    def test_if_and_booleans(self) -> None:
        assert run("if(${a} > 1, 'big', 'small')", a=5) == "big"
        assert run("if(${a}, 1, 0)") == 0
        assert run("true() and not(false())") is True
        assert run("${a} or ${b}", b="x") is True

    def test_string_length_concat_and_coalesce(self) -> None:
        assert run("string-length(${t})", t="儿童主任") == 4
        assert run("string-length(${t})") == 0
        assert run("concat(${a}, '-', 2)", a="x") == "x-2"
        assert run("coalesce(${a}, 'none')") == "none"
        assert run("coalesce(${a}, 'none')", a="set") == "set"

    def test_today_is_injected_and_dates_do_arithmetic_in_days(self) -> None:
        assert run("today()") == TODAY
        assert run("today() - ${d}", d=date(2026, 5, 10)) == 10
        assert run("int((today() - ${d}) div 365.25)", d=date(2016, 5, 21)) == 9
        assert run("${d} < today()", d=date(2020, 1, 1)) is True
        assert run("${d} = '2020-01-01'", d=date(2020, 1, 1)) is True
        assert run("date('2020-02-30')") is None

    def test_self_value(self) -> None:
        assert run(". >= 14 and . <= 110", self_value=40) is True
        assert run(". >= 14 and . <= 110", self_value=7) is False

    def test_impossible_arithmetic_gives_no_value(self) -> None:
        assert run("1 div 0") is None
        assert run("5 mod 0") is None
        assert run("'abc' * 2") is None
        assert run("999999999999999999 * 999999999999999999") is None  # beyond exact numbers
        assert run("-7 mod 3") == -1  # XPath: the sign of the dividend

    def test_rounding_is_half_away_from_zero(self) -> None:
        assert run("round(2.5)") == 3
        assert run("round(-2.5)") == -3
        assert run("round(3.14159, 2)") == 3.14
        assert run("int(-3.7)") == -3

    def test_aggregates_over_a_repeat(self) -> None:
        blocks: tuple[object, ...] = (1, None, 4)
        assert run("sum(${blocks})", blocks=blocks) == 5  # type: ignore[arg-type]
        assert run("count(${blocks})", blocks=blocks) == 2  # type: ignore[arg-type]
        assert run("max(${blocks})", blocks=blocks) == 4  # type: ignore[arg-type]
        assert run("min(${a}, ${b}, 7)", a=3, b=9) == 3
        assert run("max(${blocks})", blocks=()) is None

    def test_repeat_values_only_inside_aggregates(self) -> None:
        with pytest.raises(ExpressionCompileError):
            compile_expression(parse_expression("${blocks} + 1"), _resolver)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("nosuch(1)", "unknown function nosuch()"),
            ("if(1, 2)", "if() takes 3 arguments, not 2"),
            ("today(1)", "today() takes 0 arguments, not 1"),
            ("concat()", "concat() takes at least 1 argument, not 0"),
            ("round(1, 2, 3)", "round() takes 1 to 2 arguments, not 3"),
            ("score('x')", "score() can be used only in grading rules"),
        ],
    )
    def test_bad_calls_are_refused_when_compiling(self, text: str, message: str) -> None:
        with pytest.raises(ExpressionCompileError, match=re.escape(message)):
            compile_expression(parse_expression(text), _resolver)

    def test_self_reference_needs_permission(self) -> None:
        with pytest.raises(ExpressionCompileError, match="only in a constraint or a score"):
            compile_expression(parse_expression(". > 1"), _resolver)
