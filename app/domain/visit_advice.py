"""The visit-frequency advice printed with an assessment, derived from the schedule in force.

The questionnaire's level recommendations say "按走访频次规则加密入户走访" and leave the number to
the visit schedule (``resources/schedule/visit_schedule.json`` or the district's published rules),
so the printed advice and the due list can never disagree: red weekly and orange every 15 days
in the bundled rules, whatever a district publishes later.

Results finished with 困境儿童家庭监护能力评估表 1.0.0 stored their own frequency sentences
("每月至少入户一次"), which contradicted the schedule; :func:`without_superseded_visit_advice`
leaves those out when such a result is printed, and the derived sentence takes their place.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.schedule import VisitSchedule

# Sentences the 1.0.0 instrument put in its orange and red recommendations.
SUPERSEDED_VISIT_ADVICE: frozenset[str] = frozenset(
    {
        "加密走访，每月至少入户一次，3个月内复评。",
        "儿童主任每月至少入户走访一次，跟踪儿童生活、就学和安全状况。",
    }
)

_PERIOD_ZH: dict[int, str] = {7: "每周", 14: "每两周", 15: "每半月", 30: "每月", 60: "每两个月"}
_PERIOD_ZH.update({90: "每季度", 180: "每半年", 365: "每年"})


def interval_zh(days: int) -> str:
    """``7`` → ``每周``, ``15`` → ``每半月``, ``30`` → ``每月``, ``10`` → ``每10天``."""
    return _PERIOD_ZH.get(days, f"每{days}天")


def visit_advice_zh(
    schedule: VisitSchedule, level: str | None, categories: Iterable[str] = ()
) -> str | None:
    """What the schedule in force asks for a child of ``level`` and ``categories``, as one
    printed sentence; None for green and yellow families with no stricter rule (no advice to add
    beyond the usual rhythm) or when no level was given."""
    if level not in ("orange", "red"):
        return None
    rules = schedule.matching(frozenset(str(c) for c in categories), level)
    days = min((r.max_interval_days for r in rules), default=schedule.default_max_interval_days)
    monthly = "，且每个自然月至少1次" if any(r.per_calendar_month for r in rules) else ""
    return (
        f"走访频次：按现行走访频次规则，{interval_zh(days)}至少入户走访1次"
        f"（两次走访相隔不超过{days}天{monthly}）。"
    )


def without_superseded_visit_advice(recommendations: Iterable[str]) -> list[str]:
    """``recommendations`` less the 1.0.0 instrument's own frequency sentences."""
    return [r for r in recommendations if r not in SUPERSEDED_VISIT_ADVICE]
