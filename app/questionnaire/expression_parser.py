"""Parses expression text into a small syntax tree, once, when a definition is loaded.

Lark's LALR parser with the tree builder applied inline: nodes are built as rules reduce, so
parsing is linear and never recurses on deep input. The tree is then compiled to closures
(:mod:`expression_compiler`); nothing here evaluates anything, and there is no ``eval``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from app.questionnaire.errors import ExpressionSyntaxError
from app.questionnaire.expression_grammar import EXPRESSION_GRAMMAR

# Real expressions are short; the limits keep hostile or broken input cheap to refuse.
MAX_EXPRESSION_LENGTH = 4000
MAX_NESTING_DEPTH = 100
MAX_NUMBER_DIGITS = 30


@dataclass(frozen=True, slots=True)
class Node:
    depth: int = field(default=1, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: int | float | str


@dataclass(frozen=True, slots=True)
class FieldRef(Node):
    name: str


@dataclass(frozen=True, slots=True)
class SelfRef(Node):
    pass


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # 'or', 'and', '=', '!=', '<', '<=', '>', '>=', '+', '-', '*', 'div', 'mod'
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


def _depth(*children: Node) -> int:
    depth = 1 + max((c.depth for c in children), default=0)
    if depth > MAX_NESTING_DEPTH:
        raise ExpressionSyntaxError(f"expression is nested too deeply (over {MAX_NESTING_DEPTH})")
    return depth


class _TreeBuilder(Transformer[Token, Node]):
    """Turns each reduced rule into a :class:`Node` (called by the LALR parser as it goes)."""

    def number(self, children: list[Token]) -> Node:
        text = str(children[0])
        if len(text) > MAX_NUMBER_DIGITS:
            raise ExpressionSyntaxError(f"number {text[:12]}... is too long")
        value: int | float = float(text) if "." in text else int(text)
        return Literal(value)

    def string(self, children: list[Token]) -> Node:
        return Literal(str(children[0])[1:-1])

    def field_ref(self, children: list[Token]) -> Node:
        return FieldRef(str(children[0])[2:-1])

    def self_ref(self, children: list[Token]) -> Node:
        return SelfRef()

    def negate(self, children: list[Node]) -> Node:
        return Negate(children[0], depth=_depth(children[0]))

    def binary(self, children: list[Node | Token]) -> Node:
        left, op, right = children
        assert isinstance(left, Node) and isinstance(right, Node)
        return Binary(str(op), left, right, depth=_depth(left, right))

    def or_op(self, children: list[Node]) -> Node:
        return Binary("or", children[0], children[1], depth=_depth(*children))

    def and_op(self, children: list[Node]) -> Node:
        return Binary("and", children[0], children[1], depth=_depth(*children))

    def arguments(self, children: list[Node]) -> tuple[Node, ...]:
        return tuple(children)

    def call(self, children: list[object]) -> Node:
        name = str(children[0])
        raw = children[1]
        args: tuple[Node, ...] = raw if isinstance(raw, tuple) else ()
        return Call(name, args, depth=_depth(*args))


@cache
def _parser() -> Lark:
    return Lark(
        EXPRESSION_GRAMMAR,
        parser="lalr",
        lexer="contextual",
        transformer=_TreeBuilder(),
        maybe_placeholders=True,
    )


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the expression"
    return repr(str(token))


def parse_expression(text: str) -> Node:
    """Parse ``text`` into a syntax tree; raise :class:`ExpressionSyntaxError` if it is not one.

    Never raises anything else, for any string (see the property tests).
    """
    if not isinstance(text, str):
        raise ExpressionSyntaxError("an expression must be a string")
    if not text.strip():
        raise ExpressionSyntaxError("the expression is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionSyntaxError(f"expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = _parser().parse(text)
    except ExpressionSyntaxError:
        raise
    except UnexpectedCharacters as exc:
        position = exc.pos_in_stream or 0
        char = text[position] if position < len(text) else ""
        hint = ""
        if char == "$":
            hint = " (a field reference is written ${field_id})"
        elif char in "'\"":
            hint = " (a string is never closed)"
        raise ExpressionSyntaxError(f"unexpected character {char!r}{hint}", exc.column) from None
    except UnexpectedEOF:
        raise ExpressionSyntaxError("the expression ends too early") from None
    except UnexpectedToken as exc:
        column = exc.column if isinstance(exc.column, int) and exc.column > 0 else None
        if exc.token.type == "$END":
            raise ExpressionSyntaxError("the expression ends too early") from None
        raise ExpressionSyntaxError(f"unexpected {_describe_token(exc.token)}", column) from None
    except LarkError as exc:  # lark wraps errors raised while building the tree
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, ExpressionSyntaxError):
            raise inner from None
        raise ExpressionSyntaxError(f"cannot parse expression: {exc}") from None
    except RecursionError:  # a safety net: the depth limit should stop this first
        raise ExpressionSyntaxError("expression is nested too deeply") from None
    if not isinstance(tree, Node):  # pragma: no cover - the grammar always yields a Node
        raise ExpressionSyntaxError("cannot parse expression")
    return tree


def field_references(node: Node) -> set[str]:
    """The ids of every ``${field}`` in the tree."""
    return {n.name for n in _walk(node) if isinstance(n, FieldRef)}


def function_names(node: Node) -> set[str]:
    return {n.name for n in _walk(node) if isinstance(n, Call)}


def uses_self(node: Node) -> bool:
    return any(isinstance(n, SelfRef) for n in _walk(node))


def _walk(node: Node) -> Iterator[Node]:
    """Every node of the tree (depth first, without recursion: a deep tree is fine)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(_children(current))


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Negate):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()
