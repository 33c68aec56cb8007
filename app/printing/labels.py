"""Chinese labels for values printed on documents."""

from __future__ import annotations

from app.domain.case import CaseKind

LEVEL_SHORT_ZH = {"green": "绿", "yellow": "黄", "orange": "橙", "red": "红"}
LEVEL_MEANING_ZH = {
    "green": "家庭监护能力正常",
    "yellow": "家庭监护能力不足",
    "orange": "家庭监护能力严重不足",
    "red": "家庭监护能力缺失",
}
NOT_ASSESSED = "未评估"
CASE_KIND_ZH = {
    CaseKind.ABUSE: "监护侵害",
    CaseKind.ABSENCE: "监护缺失",
    CaseKind.IMPROPER: "监护不当",
    CaseKind.OTHER: "其他",
}
RULE_EFFECT_ZH = {"force": "直接定为", "at_least": "至少为"}


def level_zh(level: str | None, *, meaning: bool = True) -> str:
    """``黄色（家庭监护能力不足）``; 未评估 when there is no level."""
    if level is None:
        return NOT_ASSESSED
    short = LEVEL_SHORT_ZH.get(level, level)
    if not meaning:
        return f"{short}色"
    return f"{short}色（{LEVEL_MEANING_ZH.get(level, '')}）"
