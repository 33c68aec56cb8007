"""Password rules that fit child directors: long enough, not a common or patterned password,
not their own name or ID number. Every refusal is explained in plain Chinese and suggests a
longer phrase, which is both easier to remember and harder to guess.

A name's pinyin comes from pypinyin's table of single characters (resources/pinyin_table.py),
every reading of each character: a name is not a phrase, and a surname often takes its rarer
reading (单 shàn, 曾 zēng), which the phrase segmenter of ``lazy_pinyin`` never gives. Reading the
table costs ~0.03 CPU-s once, against ~0.25 for importing pypinyin (its phrase dictionary) in
every desk and district server that checks a new password. zxcvbn is imported where a password is
checked, not when the vault module is: opening a vault never needs it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

from resources import pinyin_table, resource_path
from storage.errors import WeakPasswordError

MIN_LENGTH = 8
PHRASE_ADVICE_ZH = "建议用一句自己好记、别人猜不到的话，比如“我家门前有棵老槐树2008”的拼音加数字。"

_SEQUENCES = (
    "0123456789012345678901",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7",
)


@dataclass(frozen=True)
class PasswordProblem:
    code: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class PasswordStrength:
    score: int  # 0 (very weak) … 4 (very strong), from zxcvbn
    label_zh: str
    advice_zh: str


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = set(FREQUENCY_LISTS["passwords"])
    text = resource_path("passwords", "common_zh.txt").read_text(encoding="utf-8")
    words.update(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )
    return frozenset(words)


def _is_sequential(lowered: str) -> bool:
    if len(set(lowered)) == 1:
        return False  # reported as all-same
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(lowered)}
    if steps in ({1}, {-1}):
        return True
    return any(lowered in seq or lowered in seq[::-1] for seq in _SEQUENCES)


def _syllables(name: str) -> list[tuple[str, ...]]:
    """Each syllable's spellings, the most common first: a character's readings; between them,
    a run of anything else counts as it is if it is Latin letters only, and not at all otherwise
    (张 Li → zhang: the run is " Li"), as ``lazy_pinyin`` splits a name."""
    syllables: list[tuple[str, ...]] = []
    run = ""
    for ch in f"{name}\n":  # the newline ends the last run
        typed = pinyin_table.toneless_readings(ch)
        if not typed and ch != "\n":
            run += ch
            continue
        if run.isascii() and run.isalpha():
            syllables.append((run.lower(),))
        run = ""
        if typed:
            syllables.append(typed)
    return syllables


def _spellings(syllables: list[tuple[str, ...]]) -> list[str]:
    """The most common spelling, and each one with a single syllable read otherwise (单小明 →
    danxiaoming, shanxiaoming, …): as many as the readings, not their product (单单单 has 27)."""
    common = [choices[0] for choices in syllables]
    found = ["".join(common)]
    for at, choices in enumerate(syllables):
        found += ["".join([*common[:at], other, *common[at + 1 :]]) for other in choices[1:]]
    return found


def _name_forms(name: str) -> list[str]:
    """The name as written and its pinyin, whole and (three syllables or more) the given name
    alone, e.g. 张三丰 → zhangsanfeng, sanfeng; with the characters' other readings too."""
    name = name.strip()
    if not name:
        return []
    forms = {name.lower()}
    syllables = _syllables(name)
    if syllables:
        forms.update(_spellings(syllables))
        if len(syllables) > 2:  # given name alone
            forms.update(_spellings(syllables[1:]))
    return sorted(f for f in forms if len(f) >= 2)


def _id_forms(id_number: str) -> list[str]:
    digits = id_number.strip().lower()
    if len(digits) < 8:
        return [digits] if digits else []
    forms = {digits, digits[-6:]}
    if len(digits) == 18:
        forms.add(digits[6:14])  # birth date YYYYMMDD
    return list(forms)


def password_problems(
    password: str, *, director_name: str = "", id_number: str = ""
) -> list[PasswordProblem]:
    problems: list[PasswordProblem] = []
    lowered = password.lower()
    if len(password) < MIN_LENGTH:
        problems.append(
            PasswordProblem(
                "too_short",
                f"密码太短：至少需要 {MIN_LENGTH} 个字符（现在是 {len(password)} 个）。",
                f"the password is too short: at least {MIN_LENGTH} characters",
            )
        )
    if password and len(set(lowered)) == 1:
        problems.append(
            PasswordProblem(
                "all_same",
                "密码不能全部是同一个字符。",
                "the password repeats a single character",
            )
        )
    elif len(password) >= 3 and _is_sequential(lowered):
        problems.append(
            PasswordProblem(
                "sequential",
                "密码不能是连续的字符，比如 12345678、abcdefgh 或键盘上挨着的 qwertyui。",
                "the password is a sequence (digits, letters or keyboard row)",
            )
        )
    if lowered in _common_passwords():
        problems.append(
            PasswordProblem(
                "common",
                "这是很多人都在用的常见密码，很容易被猜中，请换一个。",
                "the password is one of the most common passwords",
            )
        )
    if any(form in lowered for form in _name_forms(director_name)):
        problems.append(
            PasswordProblem(
                "contains_name",
                "密码里不能有您自己的名字（包括名字的拼音）。",
                "the password contains the director's own name",
            )
        )
    if any(form in lowered for form in _id_forms(id_number)):
        problems.append(
            PasswordProblem(
                "contains_id",
                "密码里不能有您的身份证号码或其中的出生日期。",
                "the password contains the director's ID number or birth date",
            )
        )
    return problems


def require_acceptable_password(
    password: str, *, director_name: str = "", id_number: str = ""
) -> None:
    problems = password_problems(password, director_name=director_name, id_number=id_number)
    if problems:
        raise WeakPasswordError(
            [p.message_zh for p in problems] + [PHRASE_ADVICE_ZH],
            [p.message_en for p in problems],
        )


_LABELS_ZH = ("很弱", "弱", "一般", "强", "很强")


def password_strength(password: str, *, director_name: str = "") -> PasswordStrength:
    """A hint for the password field; acceptance is decided by :func:`password_problems`."""
    if not password:
        return PasswordStrength(0, _LABELS_ZH[0], PHRASE_ADVICE_ZH)
    from zxcvbn import zxcvbn

    inputs = _name_forms(director_name)
    score = int(zxcvbn(password[:100], user_inputs=inputs)["score"])
    advice = "很好，请把密码记牢。" if score >= 3 else PHRASE_ADVICE_ZH
    return PasswordStrength(score, _LABELS_ZH[score], advice)
