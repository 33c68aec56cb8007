"""Questionnaire benchmark: prints one JSON object.

Scores complete answer sets of the default instrument (困境儿童家庭监护能力评估表): the best and
worst cases from the tests plus random valid families, each validated, evaluated and graded in
full, as `score()` does for every saved assessment. Target (issue: the questionnaire engine and
the guardianship-capacity assessment): score_per_s >= 2000.

    python bench/questionnaire.py [--sets N] [--repeat N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.questionnaire import evaluate, load_default_definition, load_definition, score
from app.questionnaire.loader import bundled_definition_path
from app.questionnaire.sample_answers import sample_answers

ROOT = Path(__file__).resolve().parents[1]
FIXED_ANSWERS = ROOT / "tests" / "questionnaire" / "answers"
TODAY = date(2026, 5, 20)
TARGETS = {"score_per_s": (">=", 2000.0)}


def answer_sets(count: int) -> list[dict[str, Any]]:
    definition = load_default_definition()
    sets: list[dict[str, Any]] = []
    for name in ("best_case", "worst_case"):
        path = FIXED_ANSWERS / f"{name}.json"
        if path.exists():
            sets.append(json.loads(path.read_text(encoding="utf-8")))
    rng = random.Random(20260520)
    while len(sets) < count:
        sets.append(sample_answers(definition, rng, TODAY))
    return sets[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sets", type=int, default=500, help="answer sets per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the median is reported")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()

    started = time.perf_counter()
    definition = load_definition(bundled_definition_path())
    load_ms = (time.perf_counter() - started) * 1000
    sets = answer_sets(args.sets)

    levels: dict[str, int] = {}
    for answers in sets:  # warm up, and check every set really is complete
        level = score(definition, answers, today=TODAY).level or "none"
        levels[level] = levels.get(level, 0) + 1

    rates: list[float] = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        for answers in sets:
            score(definition, answers, today=TODAY)
        rates.append(len(sets) / (time.perf_counter() - began))

    began = time.perf_counter()
    for answers in sets:
        evaluate(definition, answers, today=TODAY)
    evaluate_per_s = len(sets) / (time.perf_counter() - began)

    report: dict[str, Any] = {
        "benchmark": "questionnaire",
        "definition": f"{definition.id} {definition.version}",
        "questions": len(definition.questions),
        "answer_sets": len(sets),
        "runs": args.repeat,
        "levels": dict(sorted(levels.items())),
        "load_definition_ms": round(load_ms, 1),
        "score_per_s": round(statistics.median(rates), 1),
        "score_ms_mean": round(1000 / statistics.median(rates), 3),
        "evaluate_draft_per_s": round(evaluate_per_s, 1),
        "python": platform.python_version(),
    }
    report["targets_met"] = all(
        report[key] >= limit if op == ">=" else report[key] <= limit
        for key, (op, limit) in TARGETS.items()
    )
    text = json.dumps(report, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
