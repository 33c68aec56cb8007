"""Dates typed into the console's forms: always 年-月-日 (``2026-05-01``), whatever the browser's
language — the console's date fields are text fields with a pattern and an example
(templates/_date.html), not the browser's own date picker, which shows mm/dd/yyyy in an English
browser. The server checks every date again here and says what is wrong in Chinese.

Accepted: ``2026-05-01``, ``2026-5-1``, ``2026/5/1``, ``2026.5.1``, ``2026年5月1日`` and the same
with full-width digits; the value kept is always ``YYYY-MM-DD``.

Times are stored in UTC (``2026-12-02T23:30:00Z``) and shown in the district's time, China's
(Asia/Shanghai, UTC+8) — one function for every page, :func:`local_time` (the templates'
``local_time``, a global and a filter). The zone comes from the system's zoneinfo database (or
the ``tzdata`` package); where there is neither, a fixed +08:00 gives the same times: China has
had no daylight saving time since 1991. Days typed to filter stored times (the access log's
从/到) are China's days too: :func:`day_start_utc`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DATE_HINT_ZH = "日期格式应为 年-月-日，例如 2026-05-01。"
CHINA_OFFSET = timezone(timedelta(hours=8), "UTC+08:00")


def _district_zone() -> tzinfo:
    """Asia/Shanghai from the zoneinfo database, else the fixed +08:00 (the same times)."""
    try:
        return ZoneInfo("Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return CHINA_OFFSET


DISTRICT_TZ = _district_zone()
_FORMATS = {"minute": "%Y-%m-%d %H:%M", "second": "%Y-%m-%d %H:%M:%S", "day": "%Y-%m-%d"}
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


def local_time(at: str | None, part: str = "minute") -> str:
    """A stored UTC time (ISO 8601: ``…Z``, with an offset, or without one, taken as UTC) as the
    district's local time: ``2026-12-03 07:30`` (``part="second"``: with seconds, ``"day"``: the
    date only). '' for no time; the text unchanged when it is not a time."""
    text = (at or "").strip()
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(DISTRICT_TZ).strftime(_FORMATS.get(part, _FORMATS["minute"]))


def day_start_utc(day: date) -> str:
    """The UTC time (as stored, ``…Z``) at which this day begins in the district."""
    start = datetime.combine(day, time(), DISTRICT_TZ).astimezone(UTC)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")
