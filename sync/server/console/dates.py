"""Dates typed into the console's forms: always 年-月-日 (``2026-05-01``), whatever the browser's
language — the console's date fields are text fields with a pattern and an example
(templates/_date.html), not the browser's own date picker, which shows mm/dd/yyyy in an English
browser. The server checks every date again here and says what is wrong in Chinese.

Accepted: ``2026-05-01``, ``2026-5-1``, ``2026/5/1``, ``2026.5.1``, ``2026年5月1日`` and the same
with full-width digits; the value kept is always ``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

DATE_HINT_ZH = "日期格式应为 年-月-日，例如 2026-05-01。"
_DAY = re.compile(r"\A([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?\Z")


class DateInputError(ValueError):
    """A date that is not 年-月-日 or does not exist; ``message_zh`` says which."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def parse_day(text: str | None) -> date | None:
    """The date typed, or None when the field is blank; :class:`DateInputError` otherwise."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    if not cleaned:
        return None
    found = _DAY.match(cleaned) if len(cleaned) <= 16 else None
    if not found:
        raise DateInputError(DATE_HINT_ZH)
    year, month, day = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise DateInputError(f"没有这一天：{year}年{month}月{day}日。请检查。") from None


def normalise(text: str | None) -> str:
    """The date as ``YYYY-MM-DD`` ('' when blank); :class:`DateInputError` when not a date."""
    day = parse_day(text)
    return day.isoformat() if day else ""
