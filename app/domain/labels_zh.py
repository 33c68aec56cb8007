"""The one home of the Chinese words for guardianship levels and case kinds, shared by the
screens, the printed documents and the history (so 红/橙/黄/绿 and 监护侵害… read the same
everywhere)."""

from __future__ import annotations

from app.domain.case import CaseKind

LEVELS = ("red", "orange", "yellow", "green")  # most urgent first
LEVEL_WORDS_ZH = {"red": "红", "orange": "橙", "yellow": "黄", "green": "绿"}
LEVEL_MEANING_ZH = {
    "green": "家庭监护能力正常",
    "yellow": "家庭监护能力不足",
    "orange": "家庭监护能力严重不足",
    "red": "家庭监护能力缺失",
}
# The badge on screen: word and a short meaning ('红 · 监护缺失').
LEVEL_BADGE_ZH = {
    "red": "红 · 监护缺失",
    "orange": "橙 · 严重不足",
    "yellow": "黄 · 不足",
    "green": "绿 · 正常",
}
NOT_ASSESSED = "未评估"
CASE_KIND_ZH = {
    CaseKind.ABUSE: "监护侵害",
    CaseKind.ABSENCE: "监护缺失",
    CaseKind.IMPROPER: "监护不当",
    CaseKind.OTHER: "其他",
}
# The year summary's 初筛 figures (printed and on the district's summary page).
SCREENING_ZH = {
    "screened": "初筛人数",
    "flagged": "建议关注",
    "referred": "建议转介",
    "evaluated": "已完成专业评估",
}


def level_zh(level: str | None, *, meaning: bool = True) -> str:
    """``黄色（家庭监护能力不足）``; 未评估 when there is no level."""
    if level is None:
        return NOT_ASSESSED
    short = LEVEL_WORDS_ZH.get(level, level)
    if not meaning:
        return f"{short}色"
    return f"{short}色（{LEVEL_MEANING_ZH.get(level, '')}）"
