"""Reads answers into typed values for the engine: every key in its right place, every value of
its question's type; each problem found is listed with its path (see :mod:`engine`)."""

from __future__ import annotations

from collections.abc import Mapping

from app.questionnaire.answers import check_value, json_type
from app.questionnaire.engine_plan import TOP_QUESTION, TOP_REPEAT, TOP_WRONG_PLACE, Plan
from app.questionnaire.errors import AnswerProblem
from app.questionnaire.expression_values import Value
from app.questionnaire.model import Definition, Item, Question, Repeat


def read_answers(
    definition: Definition, plan: Plan, answers: object, problems: list[AnswerProblem]
) -> tuple[dict[str, Value], dict[str, list[dict[str, Value]]]]:
    """Type-check the answers; return top-level values and each repeat group's block values."""
    top: dict[str, Value] = {}
    blocks: dict[str, list[dict[str, Value]]] = {}
    if not isinstance(answers, Mapping):
        problems.append(
            AnswerProblem(
                "", "not_an_object", f"answers must be a JSON object, got {json_type(answers)}"
            )
        )
        return top, blocks
    top_keys = plan.top_keys
    accepts = plan.accepts
    for key, raw in answers.items():
        entry = top_keys.get(key) if isinstance(key, str) else None
        if entry is None:
            problems.append(_unknown(definition, str(key), ""))
            continue
        where, item = entry
        if where == TOP_QUESTION:
            accepted = accepts.get(key)
            if accepted is not None and raw.__class__ is str and raw and raw in accepted:
                top[key] = raw  # a choice or yes/no, as check_value takes it
            else:
                _read_value(item, raw, key, top, problems, path=key)
        elif where == TOP_REPEAT:
            blocks[key] = _read_blocks(definition, plan, item, raw, problems)  # type: ignore[arg-type]
        elif where == TOP_WRONG_PLACE:
            rid = item.repeat.id if item.repeat is not None else ""
            problems.append(
                AnswerProblem(
                    key,
                    "wrong_place",
                    f"'{key}' belongs to repeat group '{rid}'; answer it inside {rid}[n]",
                )
            )
        else:
            problems.append(_not_answerable(item, key))
    return top, blocks


def _read_blocks(
    definition: Definition,
    plan: Plan,
    repeat: Repeat,
    raw: object,
    problems: list[AnswerProblem],
) -> list[dict[str, Value]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(
            AnswerProblem(
                repeat.id,
                "wrong_type",
                f"expected a list of blocks (one object per block), got {json_type(raw)}",
            )
        )
        return []
    if repeat.max_count is not None and len(raw) > repeat.max_count:
        problems.append(
            AnswerProblem(
                repeat.id,
                "too_many",
                f"{len(raw)} blocks given; at most {repeat.max_count} allowed",
            )
        )
    accepts = plan.accepts
    result: list[dict[str, Value]] = []
    for index, block in enumerate(raw):
        prefix = f"{repeat.id}[{index}]"
        values: dict[str, Value] = {}
        if not isinstance(block, Mapping):
            problems.append(
                AnswerProblem(prefix, "wrong_type", f"expected an object, got {json_type(block)}")
            )
            result.append(values)
            continue
        for key, answer in block.items():
            path = f"{prefix}.{key}"
            item = definition.by_id.get(key) if isinstance(key, str) else None
            if item is None:
                problems.append(_unknown(definition, str(key), f"{prefix}."))
            elif item.repeat is not repeat:
                where = f"repeat group '{item.repeat.id}'" if item.repeat else "the top level"
                problems.append(
                    AnswerProblem(
                        path,
                        "wrong_place",
                        f"'{key}' is not in this repeat group; it belongs at {where}",
                    )
                )
            else:
                ok = accepts.get(key)
                if ok is not None and answer.__class__ is str and answer and answer in ok:
                    values[key] = answer  # a choice or yes/no, as check_value takes it
                else:
                    _read_value(item, answer, key, values, problems, path=path)
        result.append(values)
    return result


def _read_value(
    item: Item,
    raw: object,
    key: str,
    into: dict[str, Value],
    problems: list[AnswerProblem],
    *,
    path: str,
) -> None:
    """An answer given in its right place: kept in ``into`` when ``item`` is a question and the
    value checks out (a problem at ``path`` otherwise; an empty answer is left out)."""
    if not isinstance(item, Question):
        problems.append(_not_answerable(item, path))
        return
    value, problem = check_value(item, raw, path)
    if problem is not None:
        problems.append(problem)
    elif value is not None:
        into[key] = value


def _unknown(definition: Definition, key: str, prefix: str) -> AnswerProblem:
    return AnswerProblem(
        prefix + key,
        "unknown_field",
        f"unknown field '{key}': no question has this id in {definition.id} {definition.version}",
    )


def _not_answerable(item: Item, path: str) -> AnswerProblem:
    what = {"group": "a group", "note": "a note", "calculate": "a calculation"}.get(
        item.kind, item.kind
    )
    return AnswerProblem(path, "not_answerable", f"'{item.id}' is {what}; it takes no answer")
