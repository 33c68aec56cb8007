"""What a case needs before it moves along the loop 识别 → 评估 → 介入 → 跟踪 → 结案, worded for
the director: each gate as a checklist of (met, text) rows, the order in which the next stages
are offered, and what the step after the next one will ask for.

Plain Python so the rules are tested without Qt; the case dialog only draws the rows.
"""

from __future__ import annotations

from dataclasses import replace

from app.domain.case import ALLOWED_TRANSITIONS, STAGE_LABELS_ZH, Case, CaseStage

LOOP = (
    CaseStage.IDENTIFIED,
    CaseStage.ASSESSED,
    CaseStage.INTERVENING,
    CaseStage.FOLLOWING_UP,
    CaseStage.CLOSED,
)
# What each gate asks for, worded as met. The ✗ rows always carry the domain's own message
# (Case.gate_problems); a problem no requirement here names is still listed.
REQUIREMENTS: dict[CaseStage, tuple[tuple[str, str], ...]] = {
    CaseStage.ASSESSED: (
        ("assessment", "已关联监护能力评估，或已填写评估情况"),
        ("reopen_reason", "已说明重新开案的原因"),
    ),
    CaseStage.INTERVENING: (
        ("plan.goals", "帮扶方案有目标"),
        ("plan.actions", "帮扶方案有措施，每项都写明做什么、谁负责、完成时间"),
    ),
    CaseStage.FOLLOWING_UP: (),
    CaseStage.CLOSED: (
        ("follow_ups", "至少有一次跟踪回访记录"),
        ("closure_reason", "已填写结案原因"),
    ),
}
NOTHING_NEEDED = "没有额外条件，可以随时转入"


def gate_checklist(case: Case, target: CaseStage) -> list[tuple[bool, str]]:
    """(met, text) rows for moving ``case`` to ``target``."""
    problems = case.gate_problems(target)
    rows: list[tuple[bool, str]] = []
    used: set[int] = set()
    for field, met_text in REQUIREMENTS.get(target, ()):
        if field == "reopen_reason" and case.stage != CaseStage.CLOSED:
            continue
        matching = [
            (i, p)
            for i, p in enumerate(problems)
            if p.field == field or p.field.startswith((field + "[", field + "."))
        ]
        if matching:
            rows += [(False, p.message_zh) for _i, p in matching]
            used.update(i for i, _p in matching)
        else:
            rows.append((True, met_text))
    rows += [(False, p.message_zh) for i, p in enumerate(problems) if i not in used]
    if not rows:
        rows.append((True, NOTHING_NEEDED))
    return rows


def gate_met(case: Case, target: CaseStage) -> bool:
    return all(met for met, _text in gate_checklist(case, target))


def next_stages(case: Case) -> list[CaseStage]:
    """Where the case can go next; forward along the loop first, then back."""
    allowed = ALLOWED_TRANSITIONS[case.stage]
    position = LOOP.index(case.stage)
    return sorted(allowed, key=lambda s: (LOOP.index(s) < position, LOOP.index(s)))


def is_reopening(case: Case) -> bool:
    return case.stage == CaseStage.CLOSED


def is_backwards(case: Case, target: CaseStage) -> bool:
    """Back along the loop to adjust the plan (reopening a closed case is not 'back')."""
    return LOOP.index(target) < LOOP.index(case.stage) and not is_reopening(case)


def road_ahead(case: Case) -> str:
    """One step further than the next stage, so the road ahead is known (for information):
    e.g. '之后转到“结案”还需要：至少有一次跟踪回访；……。' — empty when nothing more is due."""
    forward = [t for t in next_stages(case) if LOOP.index(t) > LOOP.index(case.stage)]
    if not forward or forward[0] == CaseStage.CLOSED:
        return ""
    after = replace(case, stage=forward[0])
    later = [t for t in ALLOWED_TRANSITIONS[forward[0]] if LOOP.index(t) > LOOP.index(forward[0])]
    if not later:
        return ""
    unmet = [text for met, text in gate_checklist(after, later[0]) if not met]
    if not unmet:
        return ""
    needed = "；".join(m.rstrip("。") for m in unmet)
    return f"之后转到“{STAGE_LABELS_ZH[later[0]]}”还需要：{needed}。"
