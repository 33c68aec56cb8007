"""The grammar of questionnaire expressions: a documented subset of XLSForm/ODK (XPath 1.0).

Precedence follows XPath, lowest first: ``or``, ``and``, ``=``/``!=``, ``<``/``<=``/``>``/``>=``,
``+``/``-``, ``*``/``div``/``mod``, unary ``-``. ``not`` is a function, as in XPath, so
``not(${a}) and ${b}`` means what an ODK form author expects. There is no ``/`` operator
(XPath uses ``div``). Field references are ``${id}``; ``.`` is the value being checked (in a
constraint) or scored (in a score expression).
"""

from __future__ import annotations

EXPRESSION_GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr
        | or_expr "or" and_expr              -> or_op

?and_expr: equality
         | and_expr "and" equality           -> and_op

?equality: relational
         | equality EQ_OP relational         -> binary

?relational: additive
           | relational REL_OP additive      -> binary

?additive: multiplicative
         | additive ADD_OP multiplicative    -> binary

?multiplicative: unary
               | multiplicative MUL_OP unary -> binary

?unary: primary
      | "-" unary                            -> negate

?primary: NUMBER                             -> number
        | STRING                             -> string
        | FIELD_REF                          -> field_ref
        | "."                                -> self_ref
        | "(" or_expr ")"
        | FUNCTION_NAME "(" [arguments] ")"  -> call

arguments: or_expr ("," or_expr)*

EQ_OP: "=" | "!="
REL_OP: "<=" | ">=" | "<" | ">"
ADD_OP: "+" | "-"
MUL_OP: "*" | "div" | "mod"
NUMBER: /[0-9]+(\.[0-9]*)?|\.[0-9]+/
STRING: /'[^']*'|"[^"]*"/
FIELD_REF: /\$\{[A-Za-z_][A-Za-z0-9_]*\}/
FUNCTION_NAME: /[a-z][a-z0-9]*(-[a-z0-9]+)*/

%ignore /[ \t\r\n]+/
"""

# Functions and how many arguments each takes: (minimum, maximum or None for no limit).
# ``score``, ``max-score`` and ``score-percent`` exist only in grading rules (they read the
# section subtotals, which are known only after scoring).
FUNCTION_ARITY: dict[str, tuple[int, int | None]] = {
    "selected": (2, 2),
    "count-selected": (1, 1),
    "if": (3, 3),
    "string-length": (1, 1),
    "today": (0, 0),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
    "count": (1, 1),
    "sum": (1, 1),
    "min": (1, None),
    "max": (1, None),
    "coalesce": (2, 2),
    "round": (1, 2),
    "int": (1, 1),
    "number": (1, 1),
    "string": (1, 1),
    "concat": (1, None),
    "date": (1, 1),
    "age": (1, 2),
    "score": (0, 1),
    "max-score": (0, 1),
    "score-percent": (0, 1),
}

# Functions that accept a whole repeat group's values (a node-set) as their single argument.
AGGREGATE_FUNCTIONS = frozenset({"count", "sum", "min", "max"})

# Functions usable only in grading rules.
GRADING_FUNCTIONS = frozenset({"score", "max-score", "score-percent"})
