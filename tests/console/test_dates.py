"""Dates typed into the console: 年-月-日 whatever the browser's language (dates.py), and no
console page uses the browser's own date picker (mm/dd/yyyy in an English browser)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sync.server.console import dates

TEMPLATES = Path(dates.__file__).with_name("templates")


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-05-01", date(2026, 5, 1)),
        ("2026-5-1", date(2026, 5, 1)),
        (" 2026/05/01 ", date(2026, 5, 1)),
        ("2026.5.1", date(2026, 5, 1)),
        ("2026年5月1日", date(2026, 5, 1)),
        ("２０２６－０５－０１", date(2026, 5, 1)),
        ("", None),
        ("   ", None),
    ],
)
def test_dates_typed_as_year_month_day(typed: str, day: date | None) -> None:
    assert dates.parse_day(typed) == day
    assert dates.normalise(typed) == (day.isoformat() if day else "")


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("05/01/2026", "年-月-日"),  # what an English browser's date picker shows
        ("01.05.2026", "年-月-日"),
        ("20260501", "年-月-日"),
        ("2026-05", "年-月-日"),
        ("yesterday", "年-月-日"),
        ("2026-02-31", "没有这一天"),
        ("2026-13-01", "没有这一天"),
        ("2026-05-01" * 5, "年-月-日"),
    ],
)
def test_other_dates_are_refused_in_chinese(typed: str, words: str) -> None:
    with pytest.raises(dates.DateInputError) as refused:
        dates.parse_day(typed)
    assert words in refused.value.message_zh


def test_no_console_page_uses_the_browsers_date_picker() -> None:
    for template in sorted(TEMPLATES.glob("*.html")):
        assert 'type="date"' not in template.read_text(encoding="utf-8"), template.name
