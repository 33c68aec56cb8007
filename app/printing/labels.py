"""Chinese labels for values printed on documents (levels and case kinds live in
app/domain/labels_zh.py, shared with the screens)."""

from __future__ import annotations

from app.domain.labels_zh import (
    CASE_KIND_ZH,
    LEVEL_MEANING_ZH,
    NOT_ASSESSED,
    level_zh,
)
from app.domain.labels_zh import LEVEL_WORDS_ZH as LEVEL_SHORT_ZH

__all__ = [
    "CASE_KIND_ZH",
    "LEVEL_MEANING_ZH",
    "LEVEL_SHORT_ZH",
    "NOT_ASSESSED",
    "RULE_EFFECT_ZH",
    "level_zh",
]

RULE_EFFECT_ZH = {"force": "直接定为", "at_least": "至少为"}
