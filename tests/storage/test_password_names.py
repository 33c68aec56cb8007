"""The password rule against one's own name reads pinyin one character at a time from
pypinyin's table (resources/pinyin_table.py), every reading: it refuses at least what
``lazy_pinyin`` (with its phrase dictionary) made it refuse before, and the surnames' other
readings too, without importing pypinyin."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.demo_caseload import _ADULT_FEMALE, _ADULT_MALE, _BOY, _GIRL, _SURNAMES
from storage.password_policy import _name_forms, password_problems

GIVEN = " ".join((_BOY, _GIRL, _ADULT_MALE, _ADULT_FEMALE)).split()
# every demo surname with every demo given name, and names with polyphonic surnames, a
# minority name with its dot, and Latin letters
NAMES = [s + g for s in _SURNAMES for g in GIVEN] + [
    "单小明",
    "曾国藩",
    "解晓东",
    "仇思远",
    "区家豪",
    "查良镛",
    "阿依古丽·买买提",
    "张 Li",
]


def _lazy_pinyin_forms(name: str) -> set[str]:
    """What the rule refused before: ``lazy_pinyin`` (phrases and all), whole and given name.
    pypinyin imported here, not by every test process that collects this module."""
    from pypinyin import lazy_pinyin

    syllables = [s for s in lazy_pinyin(name) if s.isascii() and s.isalpha()]
    forms = {"".join(syllables).lower()}
    if len(syllables) > 2:
        forms.add("".join(syllables[1:]).lower())
    return {f for f in forms if len(f) >= 2}


def test_every_spelling_lazy_pinyin_gave_is_still_refused() -> None:
    missing = {n: _lazy_pinyin_forms(n) - set(_name_forms(n)) for n in NAMES}
    assert {n: m for n, m in missing.items() if m} == {}
    assert len(NAMES) > 3_000


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("单小明", "shanxiaoming2024"),  # 单 as a surname: shàn
        ("曾国藩", "zengguofan1811"),  # 曾 as a surname: zēng
        ("单小明", "danxiaoming2024"),  # the most common reading, as before
        ("张三丰", "sanfeng-wudang"),  # the given name alone
        ("阿依古丽·买买提", "ayigulimaimaiti"),
    ],
)
def test_a_surnames_other_reading_is_refused_too(name: str, password: str) -> None:
    codes = {p.code for p in password_problems(password, director_name=name)}
    assert "contains_name" in codes


def test_an_unrelated_password_with_a_polyphonic_name_is_accepted() -> None:
    assert password_problems("门前有棵老槐树2008", director_name="单小明") == []
    assert password_problems("green-hills-far-away", director_name="曾国藩") == []


def test_checking_a_password_does_not_import_pypinyin() -> None:
    """pypinyin's ``__init__`` loads its phrase dictionary: ~0.25 CPU-s in every desk and
    district server the first time a new password is checked."""
    probe = (
        "import sys\n"
        "from storage.password_policy import password_problems, password_strength\n"
        "assert password_problems('wangxiuying88', director_name='王秀英')\n"
        "password_strength('wangxiuying88', director_name='王秀英')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pypinyin'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
