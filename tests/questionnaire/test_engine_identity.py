"""The questionnaire engine gives exactly the results it gave before it was made faster.

The reference (fixtures/engine_identity.json) was written by the engine as it stood before the
speed-up (issue 15), with ``python -m tests.questionnaire.test_engine_identity --write``. It holds
a hash per case plus a handful of whole results:

- the demo's answer pools (``draw_answer_pools``) for a few seeds, with the generator's state
  after the draw, so the random numbers consumed are the same too;
- ``sample_answers`` for every bundled definition and a definition of awkward shapes
  (fixtures/engine_shapes.json: nested groups in a repeat, pages with relevance, required
  expressions, constraints, loose items), with the generator's state after;
- ``evaluate`` (every field of the draft state) and ``score`` (the result, or the problems
  raised) over a corpus of complete, partial and broken answer sets for those definitions.

Only regenerate the fixture on purpose, when results are meant to change.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import random
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.demo_caseload import draw_answer_pools
from app.questionnaire import (
    AnswerError,
    Definition,
    evaluate,
    load_default_definition,
    load_definition,
    score,
)
from app.questionnaire.loader import load_bundled_definitions
from app.questionnaire.sample_answers import sample_answers

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = FIXTURES / "engine_identity.json"
SHAPES = FIXTURES / "engine_shapes.json"
TODAY = date(2026, 12, 3)
DRAW_SEEDS = (0, 7, 20261203)
CORPUS_SEEDS = range(12)
FULL_CASES = (
    "engine_shapes-1.0/3/partial",
    "guardianship_capacity-1.1.0/1/broken",
    "guardianship_capacity-1.0.0/4/stale",
    "psych_screening-1.0.0/2/whole",
)

ODD_VALUES: tuple[Any, ...] = (
    None,
    "",
    [],
    {},
    0,
    -3,
    7.5,
    2**60,
    True,
    "x",
    "yes",
    "no",
    "2026-02-30",
    "2030-01-01",
    "2012-05-01",
    ["a", "a"],
    ["a", 1],
    "   ",
)


def definitions() -> list[Definition]:
    return [*load_bundled_definitions(), load_definition(SHAPES)]


def _canon(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=repr, separators=(",", ":"))


def _digest(data: Any) -> str:
    return hashlib.sha256(_canon(data).encode("utf-8")).hexdigest()


def _rng_state(rng: random.Random) -> str:
    return hashlib.sha256(repr(rng.getstate()).encode()).hexdigest()


def _variants(definition: Definition, seed: int) -> dict[str, Any]:
    """Complete, partial and broken answer sets for one seed (deterministic)."""
    rng = random.Random(seed * 7919 + len(definition.id))
    whole = sample_answers(definition, rng, TODAY)
    partial = copy.deepcopy(whole)
    for key in list(partial):
        value = partial[key]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            if rng.random() < 0.2:
                partial[key] = []
                continue
            for block in value:
                for leaf in list(block):
                    if rng.random() < 0.3:
                        del block[leaf]
        elif rng.random() < 0.3:
            del partial[key]
    broken = copy.deepcopy(whole)
    top = [q for q in definition.questions if q.repeat is None]
    inner = [q for q in definition.questions if q.repeat is not None]
    for question in rng.sample(top, min(4, len(top))):
        broken[question.id] = rng.choice(ODD_VALUES)
    for repeat_id, blocks in list(broken.items()):
        if isinstance(blocks, list) and blocks and isinstance(blocks[0], dict):
            question = rng.choice([q for q in inner if q.repeat and q.repeat.id == repeat_id])
            blocks[0][question.id] = rng.choice(ODD_VALUES)
            if rng.random() < 0.5:
                blocks.append("not a block")
            if rng.random() < 0.5:
                blocks.extend({} for _ in range(4))
            if top and rng.random() < 0.5:
                blocks[0][top[0].id] = "misplaced"
    if inner and rng.random() < 0.7:
        broken[inner[0].id] = "top-level answer to a repeat question"
    extremes = {"integer": [-1000, 0, 99999], "decimal": [-1.5, 1e9], "date": ["2099-01-01"]}
    for question in top:  # values that constraints are there to refuse
        if question.constraint is not None and question.type.value in extremes:
            broken[question.id] = rng.choice(extremes[question.type.value])
    broken["no_such_question"] = 1
    unanswerable = [i for i in definition.by_id.values() if i.kind in ("note", "calculate")]
    if unanswerable:
        broken[unanswerable[0].id] = 1
    stale = copy.deepcopy(whole)
    for question in definition.questions:  # answers to questions that may not be relevant
        if question.repeat is None and question.id not in stale and question.choices:
            stale[question.id] = question.choices[0].value
    return {
        "whole": whole,
        "partial": partial,
        "broken": broken,
        "stale": stale,
        "empty": {},
        "odd": rng.choice([[], "answers", None, {"": None}, {definition.items[0].id: None}]),
        "after": _rng_state(rng),
    }


def _case(definition: Definition, answers: Any) -> dict[str, Any]:
    state = evaluate(definition, answers, today=TODAY)
    draft = dataclasses.asdict(state)
    draft["derived"] = [state.answered, state.total, state.progress, state.complete]
    draft["derived"].append(state.missing())
    try:
        result: Any = dataclasses.asdict(score(definition, answers, today=TODAY))
    except AnswerError as error:
        result = {"problems": [dataclasses.asdict(p) for p in error.problems]}
    return {"answers": answers, "evaluate": draft, "score": result}


def build() -> dict[str, Any]:
    """Everything the reference holds, computed by the engine as it stands."""
    reference: dict[str, Any] = {"draws": {}, "cases": {}, "full": {}}
    default = load_default_definition()
    for seed in DRAW_SEEDS:
        rng = random.Random(seed)
        pools = draw_answer_pools(default, rng, TODAY)
        reference["draws"][str(seed)] = [_digest(pools), _rng_state(rng)]
    for definition in definitions():
        for seed in CORPUS_SEEDS:
            variants = _variants(definition, seed)
            after = variants.pop("after")
            reference["cases"][f"{definition.id}-{definition.version}/{seed}/rng"] = after
            for name, answers in variants.items():
                key = f"{definition.id}-{definition.version}/{seed}/{name}"
                case = _case(definition, answers)
                reference["cases"][key] = _digest(case)
                if key in FULL_CASES:
                    reference["full"][key] = json.loads(_canon(case))
    return reference


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def test_answer_pools_and_random_draws_are_unchanged(expected: dict[str, Any]) -> None:
    default = load_default_definition()
    for seed in DRAW_SEEDS:
        rng = random.Random(seed)
        pools = draw_answer_pools(default, rng, TODAY)
        assert [_digest(pools), _rng_state(rng)] == expected["draws"][str(seed)], seed


def test_evaluate_score_and_sampling_are_unchanged(expected: dict[str, Any]) -> None:
    found: dict[str, Any] = {}
    for definition in definitions():
        for seed in CORPUS_SEEDS:
            variants = _variants(definition, seed)
            found[f"{definition.id}-{definition.version}/{seed}/rng"] = variants.pop("after")
            for name, answers in variants.items():
                key = f"{definition.id}-{definition.version}/{seed}/{name}"
                case = _case(definition, answers)
                if key in expected["full"]:  # a readable difference where there is one
                    assert json.loads(_canon(case)) == expected["full"][key], key
                found[key] = _digest(case)
    assert found.keys() == expected["cases"].keys()
    changed = [key for key, digest in found.items() if digest != expected["cases"][key]]
    assert changed == []


def test_the_corpus_covers_problems_of_every_kind(expected: dict[str, Any]) -> None:
    codes = {
        problem["code"]
        for case in expected["full"].values()
        for problem in case["evaluate"]["problems"]
    }
    for definition in definitions():
        for seed in range(3):
            for answers in list(_variants(definition, seed).values())[:-1]:
                codes |= {p.code for p in evaluate(definition, answers, today=TODAY).problems}
    assert {
        "too_few",
        "required",
        "constraint",
        "wrong_type",
        "invalid_choice",
        "unknown_field",
        "wrong_place",
        "not_answerable",
        "too_many",
        "not_an_object",
    } <= codes


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.questionnaire.test_engine_identity --write")
    REFERENCE.write_text(_canon(build()) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE} ({REFERENCE.stat().st_size} bytes)")
