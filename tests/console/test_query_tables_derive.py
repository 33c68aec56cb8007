"""Deriving the console's query-table rows (sync/server/console/query_tables_derive.py): the
per-pass and per-process caches that keep ingest cheap (issue 16) give what computing each row
on its own gives."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.domain.child_file import eighteenth_birthday
from app.domain.schedule import ScheduleFacts, load_schedule, next_due
from sync.server.console import query_tables_derive as derive

# names with the polyphonic surnames 单 (shàn), 曾 (zēng), 解 (xiè) and others
NAMES = ["单小明", "曾国藩", "解晓东", "仇思远", "区家豪", "朴志勇", "查良镛", "单单", "张 Li 3"]


def _letters(name: str) -> str:
    """pypinyin itself, one character at a time (each character's most common reading);
    imported here, not by every test process that collects this module (~0.5 CPU-s)."""
    from pypinyin import Style, lazy_pinyin

    out = []
    for ch in name:
        if ch.isascii():
            out.append(ch.lower() if ch.isalnum() else "")
        else:
            out.append(lazy_pinyin(ch, style=Style.FIRST_LETTER)[0])
    return "".join(out)


def test_cached_pinyin_initials_are_pypinyins_letters() -> None:
    derive._INITIALS.clear()
    first = [derive.pinyin_initials(n) for n in NAMES]
    assert derive._INITIALS  # characters are kept for the next names
    again = [derive.pinyin_initials(n) for n in NAMES]
    assert first == again == [_letters(n) for n in NAMES]
    # as before the cache: each character's first dictionary reading, not the surname's
    assert first[:3] == ["dxm", "cgf", "jxd"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2012-02-29", ("2012-02-29", "2030-03-01")),
        ("2015-07-01T00:00:00", ("2015-07-01", "2033-07-01")),
        ("2026-02-30", (None, None)),
        (7, (None, None)),
        (None, (None, None)),
    ],
)
def test_birth_dates_are_derived_once_and_alike(raw: Any, expected: tuple[Any, Any]) -> None:
    assert derive._birth(raw) == expected
    assert derive._birth(raw) == expected  # from the cache
    if expected[0]:
        born = date.fromisoformat(expected[0])
        assert expected[1] == eighteenth_birthday(born).isoformat()


def _facts(n: int) -> list[derive._Facts]:
    """Children sharing most schedule facts, some with visits, levels, recognitions."""
    out = []
    for i in range(n):
        data: dict[str, Any] = {
            "name": NAMES[i % len(NAMES)],
            "village_code": "500119001001",
            "categories": ["left_behind"] if i % 3 else ["de_facto_unsupported"],
            "opened_on": "2026-01-05" if i % 2 else "2026-03-01",
            "birth_date": "2014-05-06",
        }
        if i % 5 == 0:
            data["recognition_confirmed_on"] = "2026-06-01"
        facts = derive._Facts(f"{i:032x}", data, [], [], [])
        if i % 4 == 0:
            facts.visits.append((date(2026, 4, 1 + i % 7), f"v{i:031x}", None))
        if i % 4 == 1:
            facts.visits.append((date(2026, 5, 2), f"w{i:031x}", date(2026, 5, 20)))
            facts.assessments.append((date(2026, 4, 20), f"a{i:031x}", "red"))
        out.append(facts)
    return out


def test_due_dates_are_computed_once_per_set_of_schedule_facts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schedule = load_schedule()
    calls: list[ScheduleFacts] = []

    def counted(facts: ScheduleFacts, sched: Any) -> Any:
        calls.append(facts)
        return next_due(facts, sched)

    monkeypatch.setattr(derive, "next_due", counted)
    children = _facts(120)
    dues: dict[tuple[Any, ...], date] = {}
    rows = [derive._rows(f, schedule, dues) for f in children]
    # 120 children and 60 visits share 35 sets of facts: each computed once
    assert len(calls) == len(dues) < len(children) // 3

    column = derive.CHILD_COLUMNS.index
    for facts, (child_row, visit_rows, _changes) in zip(children, rows, strict=True):
        # each child's own, computed on its own
        visits = sorted(facts.visits)
        last = visits[-1] if visits else None
        level = max(facts.assessments)[2] if facts.assessments else None
        own = next_due(
            ScheduleFacts(
                facts.child_id,
                frozenset(facts.data["categories"]),
                level,
                last[0] if last else None,
                last[2] if last else None,
                date.fromisoformat(facts.data["opened_on"]),
                date(2026, 6, 1) if "recognition_confirmed_on" in facts.data else None,
            ),
            schedule,
        ).due
        assert child_row[column("next_due")] == own.isoformat(), facts.child_id
        assert child_row[column("initials")] == _letters(facts.data["name"])
        for visit in visit_rows:
            first = next_due(
                ScheduleFacts(
                    facts.child_id,
                    frozenset(facts.data["categories"]),
                    None,
                    None,
                    None,
                    date.fromisoformat(facts.data["opened_on"]),
                    date(2026, 6, 1) if "recognition_confirmed_on" in facts.data else None,
                ),
                schedule,
            ).due
            assert visit[derive.VISIT_COLUMNS.index("due_before")] == first.isoformat()
