"""Scores complete answers and grades them: section subtotals, thresholds, override rules.

Grading is data (the definition's ``grading`` block): thresholds on the total (or a section)
give green/yellow/orange/red, then override rules force a level (``force``) or raise it to at
least a level (``at_least``). See docs/questionnaire-format.md for the exact order.
"""

from __future__ import annotations

from datetime import date

from app.questionnaire.engine import Run, run_answers
from app.questionnaire.engine_plan import SCORE_CHOICE, SCORE_FIELD, SCORE_REPEAT, plan_for
from app.questionnaire.errors import AnswerError
from app.questionnaire.expression_compiler import EvalContext
from app.questionnaire.expression_values import is_empty, to_bool, to_number
from app.questionnaire.model import (
    Calculation,
    Definition,
    Group,
    Item,
    Question,
    QuestionType,
    Repeat,
    level_severity,
)
from app.questionnaire.result import AssessmentResult, FiredRule, SectionScore

Subtotal = tuple[float, float]  # (score, max score)


def score(definition: Definition, answers: object, today: date | None = None) -> AssessmentResult:
    """Score a complete set of answers; raise :class:`AnswerError` listing every problem.

    ``today`` is what ``today()`` returns and the date recorded in the result.
    """
    run = run_answers(definition, answers, today)
    if run.problems:
        raise AnswerError(run.problems)
    return grade(run)


def grade(run: Run) -> AssessmentResult:
    definition = run.definition
    sections: list[SectionScore] = []
    subtotals: dict[str, Subtotal] = {}
    total = _sum_items(run, definition.items, run.top, run.top_relevance, None, sections, subtotals)
    subtotals[""] = total
    grading = definition.grading
    level: str | None = None
    score_level: str | None = None
    graded: float | None = None
    fired: list[FiredRule] = []
    recommendations: list[str] = []
    if grading is not None:
        score_, maximum = subtotals[grading.graded_section or ""]
        if grading.graded_value == "percent":
            graded = score_ * 100 / maximum if maximum else None
        else:
            graded = score_
        for threshold in grading.thresholds:
            if threshold.min is None or (graded is not None and graded >= threshold.min):
                score_level = threshold.level
                break
        run.top.scores = subtotals
        forced: list[str] = []
        floors: list[str] = []
        for rule in grading.rules:
            if rule.when is not None and to_bool(rule.when(run.top)):
                fired.append(
                    FiredRule(rule.id, rule.effect, rule.level, rule.reason, rule.mandatory_report)
                )
                (forced if rule.effect == "force" else floors).append(rule.level)
        run.top.scores = {}
        # A forced level replaces the thresholds' level (the most severe forced level wins);
        # 'at_least' rules can then only raise it.
        kind = definition.result_kind
        level = _most_severe(kind, forced) if forced else score_level
        if floors and level is not None:
            level = _most_severe(kind, [level, *floors])
        if level is not None:
            recommendations += grading.levels[level].recommendations
        fired_ids = {f.id for f in fired}
        for rule in grading.rules:
            if rule.id in fired_ids:
                recommendations += rule.recommendations
    level_info = grading.levels.get(level) if grading is not None and level else None
    return AssessmentResult(
        definition_id=definition.id,
        definition_version=definition.version,
        assessed_on=run.top.today,
        level=level,
        level_label=level_info.label if level_info else None,
        score_level=score_level,
        graded_value=grading.graded_value if grading else None,
        graded=round(graded, 4) if graded is not None else None,
        total_score=total[0],
        total_max=total[1],
        sections=tuple(sections),
        fired_rules=tuple(fired),
        recommendations=tuple(dict.fromkeys(recommendations)),  # once each, in order
        mandatory_report=any(f.mandatory_report for f in fired),
        result_kind=definition.result_kind,
    )


def _most_severe(kind: str, levels: list[str]) -> str:
    return max(levels, key=lambda level: level_severity(kind, level))


def _sum_items(
    run: Run,
    items: list[Item],
    ctx: EvalContext,
    relevance: dict[str, bool],
    parent: Group | None,
    sections: list[SectionScore] | None,
    subtotals: dict[str, Subtotal] | None,
) -> Subtotal:
    """Sum the scores under ``parent`` (whose items are ``items``; the definition's plan lists
    those that count); record section subtotals outside repeat groups."""
    score_sum = 0.0
    max_sum = 0.0
    values = ctx.values
    for item, how in plan_for(run.definition).scored[parent.id if parent is not None else ""]:
        relevant = relevance.get(item.id, False)
        if how == SCORE_CHOICE:  # the common case, taken as _item_score takes it
            if not relevant:
                continue
            value = values.get(item.id)
            if value is None or value == "" or value == ():
                continue
            choice = item.choice_by_value.get(str(value))  # type: ignore[attr-defined]
            if choice is not None and choice.score is not None:
                score_sum += choice.score
                max_sum += item.max_score  # type: ignore[attr-defined]
        elif how == SCORE_FIELD:
            if relevant:
                found = _item_score(item, ctx)  # type: ignore[arg-type]
                if found is not None:
                    score_sum += found[0]
                    max_sum += found[1]
        else:
            group: Group = item  # type: ignore[assignment]
            position = len(sections) if sections is not None else 0
            if not relevant:
                sub: Subtotal = (0.0, 0.0)
            elif how == SCORE_REPEAT:
                sub = _repeat_score(run, group)  # type: ignore[arg-type]
            else:
                sub = _sum_items(run, group.items, ctx, relevance, group, sections, subtotals)
            score_sum += sub[0]
            max_sum += sub[1]
            if sections is not None and subtotals is not None:
                sections.insert(
                    position,
                    SectionScore(
                        group.id,
                        group.label,
                        parent.id if parent else None,
                        sub[0],
                        sub[1],
                        relevant,
                    ),
                )
                subtotals[group.id] = sub
    return score_sum, max_sum


def _repeat_score(run: Run, repeat: Repeat) -> Subtotal:
    contexts = run.block_contexts.get(repeat.id, [])
    relevances = run.block_relevance.get(repeat.id, [])
    blocks = [
        _sum_items(run, repeat.items, ctx, rel, repeat, None, None)
        for ctx, rel in zip(contexts, relevances, strict=True)
    ]
    if not blocks:
        return 0.0, 0.0
    how = repeat.score_aggregate
    if how == "sum":
        return sum(b[0] for b in blocks), sum(b[1] for b in blocks)
    if how == "mean":
        return sum(b[0] for b in blocks) / len(blocks), sum(b[1] for b in blocks) / len(blocks)

    # 'max' and 'min' pick one block: the best (worst) share of its own maximum, so a block
    # with fewer relevant questions is compared fairly; ties go to the higher (lower) score.
    def share(block: Subtotal) -> tuple[float, float]:
        return (block[0] / block[1] if block[1] else -1.0), block[0]

    return max(blocks, key=share) if how == "max" else min(blocks, key=share)


def _item_score(item: Question | Calculation, ctx: EvalContext) -> Subtotal | None:
    """(score, max) of one relevant scored item, or None when it does not count."""
    value = ctx.values.get(item.id)
    maximum = item.max_score
    if maximum is None or is_empty(value):
        return None  # unanswered optional questions are left out, not scored zero
    if isinstance(item, Question) and item.type is QuestionType.SINGLE_CHOICE:
        choice = item.choice_by_value.get(str(value))
        if choice is None or choice.score is None:
            return None  # e.g. 不适用: not scored, and not in the maximum either
        return choice.score, maximum
    if isinstance(item, Question) and item.type is QuestionType.MULTIPLE_CHOICE:
        chosen = [item.choice_by_value[v] for v in value] if isinstance(value, tuple) else []
        scores = [c.score for c in chosen if c.score is not None]
        if not scores:
            return None
        return min(sum(scores), maximum), maximum
    if isinstance(item, Question) and item.type is QuestionType.YES_NO:
        if item.yes_no_scores is None:
            return None
        return item.yes_no_scores[str(value)], maximum
    if item.score_fn is None:
        return None
    ctx.self_value = value
    number = to_number(item.score_fn(ctx))
    ctx.self_value = None
    return (float(number) if number is not None else 0.0), maximum
