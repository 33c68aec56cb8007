"""居民身份证号 (resident identity number) validation per GB 11643-1999 《公民身份号码》.

An 18-character number is made of:

- positions 1–6: the administrative area code (行政区划代码, GB/T 2260) of the place of first
  registration;
- positions 7–14: the birth date, ``YYYYMMDD``;
- positions 15–17: a sequence number; its parity gives the gender (odd = 男 male, even = 女 female);
- position 18: the ISO 7064 MOD 11-2 check character, ``0``–``9`` or ``X`` (for 10).

Users type numbers on old laptops with Chinese input methods, so the parser accepts lower-case
``x``, full-width digits and letters (``１２３…``, ``Ｘ``) and spaces anywhere (including the
full-width space U+3000), and normalises to 18 ASCII characters with an upper-case ``X``.

Every refusal says precisely what is wrong, in plain Chinese for the GUI and in English for the
command line (:class:`InvalidIdNumberError`).

The area code's first two digits must be a province-level code (行政区划代码, GB/T 2260), a list
unchanged since 重庆 (50) was created in 1997: ``11``–``15``, ``21``–``23``, ``31``–``37``,
``41``–``46``, ``50``–``54``, ``61``–``65``, ``71`` 台湾, ``81`` 香港, ``82`` 澳门, plus ``83``
(港澳台居民居住证 for 台湾 residents) and ``9`` followed by a province code (the 2023
外国人永久居留身份证 — a child of a deported foreign parent may hold one). A number starting with
``00``, ``20`` or ``99`` belongs to nobody and is refused, even with a valid check character.
The rest of the area code is *not* checked against GB/T 2260: county codes change every year
while numbers issued under retired codes stay valid for life. A single mistyped digit anywhere,
including the area code, is caught by the check character.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.domain.problems import FieldProblem

IdGender = Literal["male", "female"]

ID_LENGTH = 18
EARLIEST_BIRTH_YEAR = 1900

# ISO 7064 MOD 11-2 as GB 11643 writes it: weight of position i (1-based, left to right) is
# 2**(18 - i) mod 11, and the check character is the one that makes the weighted sum ≡ 1 (mod 11).
_WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"  # indexed by (sum of weighted first 17 digits) mod 11

# Province-level codes in use in GB/T 2260 (plus 71 台湾, 81 香港, 82 澳门).
REAL_PROVINCE_PREFIXES: frozenset[str] = frozenset(
    {
        *(str(n) for n in range(11, 16)),
        *(str(n) for n in range(21, 24)),
        *(str(n) for n in range(31, 38)),
        *(str(n) for n in range(41, 47)),
        *(str(n) for n in range(50, 55)),
        *(str(n) for n in range(61, 66)),
        "71",
        "81",
        "82",
    }
)

# Prefixes that a valid number may start with besides a province code: 83 (台湾居民居住证).
_PERMIT_PREFIXES: frozenset[str] = frozenset({"83"})

# Demo and test numbers: a real-looking area code (重庆市 + a county code 99 that GB/T 2260 has
# never given) *and* a sequence from the reserved range 900–999. Only numbers with both are
# fictional, so a generated number is never a real person's, and a real file holding one shows it
# (``is_fictional``) instead of an impossible number passing silently.
FICTIONAL_AREA_CODE = "500199"
FICTIONAL_SEQUENCES = range(900, 1000)


def province_is_possible(number: str) -> bool:
    """Whether an ID number's first digits are a province code (or 83, or 9 + a province code)."""
    head = number[:2]
    if head in REAL_PROVINCE_PREFIXES or head in _PERMIT_PREFIXES:
        return True
    return number[:1] == "9" and number[1:3] in REAL_PROVINCE_PREFIXES


def fictional_sequence(index: int, gender: IdGender) -> int:
    """The ``index``-th (0–49) reserved demo sequence with the parity of ``gender``."""
    if not 0 <= index < len(FICTIONAL_SEQUENCES) // 2:
        raise ValueError(f"fictional sequence index must be 0..49, got {index}")
    return FICTIONAL_SEQUENCES.start + index * 2 + (1 if gender == "male" else 0)


GENDER_LABELS_ZH: dict[str, str] = {"male": "男", "female": "女"}
_GENDER_ALIASES: dict[str, IdGender] = {
    "male": "male",
    "m": "male",
    "男": "male",
    "female": "female",
    "f": "female",
    "女": "female",
}


class InvalidIdNumberError(ValueError):
    """An ID number that cannot be accepted, with a plain explanation.

    ``code`` is stable for programs: ``empty``, ``illegal_character``, ``misplaced_x``,
    ``length``, ``province``, ``impossible_date``, ``date_too_early``, ``future_date``,
    ``check_character``.
    """

    def __init__(self, message_zh: str, message_en: str, code: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.code = code


@dataclass(frozen=True)
class IdNumberInfo:
    """What a valid ID number says about its holder."""

    number: str  # normalised: 18 ASCII characters, upper-case X
    area_code: str
    birth_date: date
    gender: IdGender
    sequence: str

    @property
    def gender_zh(self) -> str:
        return GENDER_LABELS_ZH[self.gender]

    @property
    def is_fictional(self) -> bool:
        """True for demo numbers: :data:`FICTIONAL_AREA_CODE` with a :data:`FICTIONAL_SEQUENCES`
        sequence."""
        return self.area_code == FICTIONAL_AREA_CODE and int(self.sequence) in FICTIONAL_SEQUENCES

    @property
    def masked(self) -> str:
        """For lists and logs: ``500119********123X``."""
        return f"{self.number[:6]}{'*' * 8}{self.number[14:]}"


def zh_date(day: date) -> str:
    """``2026年5月9日``, as Chinese documents write dates."""
    return f"{day.year}年{day.month}月{day.day}日"


def check_character(first17: str) -> str:
    """The MOD 11-2 check character (``0``–``9`` or ``X``) for the first 17 digits."""
    if len(first17) != ID_LENGTH - 1 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(text: str) -> str:
    """Full-width to half-width (NFKC), spaces removed, ``x`` upper-cased. Does not validate."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace()).upper()


def parse_id_number(text: str, *, today: date) -> IdNumberInfo:
    """Validate ``text`` and return what it says; raise :class:`InvalidIdNumberError` if invalid.

    ``today`` is injected so that "not in the future" is testable and follows the caller's clock.
    """
    number = normalize_id_number(text)
    if not number:
        raise InvalidIdNumberError("身份证号是空的。", "the ID number is empty", "empty")
    for position, ch in enumerate(number, start=1):
        if not (ch.isascii() and (ch.isdigit() or ch == "X")):
            raise InvalidIdNumberError(
                f"身份证号第{position}位“{ch}”不是数字：身份证号只能由数字组成，最后一位可以是 X。",
                f"character {position} ({ch!r}) is not a digit: an ID number is digits only, "
                "with an optional X as the last character",
                "illegal_character",
            )
    if len(number) != ID_LENGTH:
        old = (
            "15位的是第一代身份证号，请填写第二代身份证上的18位号码。"
            if len(number) == 15
            else "请对照身份证逐位核对，看是否多输或漏输了数字。"
        )
        raise InvalidIdNumberError(
            f"身份证号应为18位，现在是{len(number)}位。{old}",
            f"an ID number has 18 characters, this one has {len(number)}"
            + (
                " (15 digits: a first-generation number; enter the 18-digit one)"
                if len(number) == 15
                else ""
            ),
            "length",
        )
    x_at = number.find("X")
    if x_at != -1 and x_at != ID_LENGTH - 1:
        raise InvalidIdNumberError(
            f"身份证号第{x_at + 1}位是 X：X 只能出现在最后一位（校验码）。",
            f"character {x_at + 1} is X: X may only be the last (check) character",
            "misplaced_x",
        )
    if not province_is_possible(number):
        raise InvalidIdNumberError(
            f"身份证号前两位“{number[:2]}”不是任何省、自治区、直辖市的代码，没有这样的身份证号。"
            "请对照身份证核对前几位。",
            f"the first two digits ({number[:2]}) are not a province code: no ID number starts "
            "like this",
            "province",
        )
    birth = _birth_date(number[6:14], today)
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidIdNumberError(
            "身份证号校验不通过（最后一位校验码与前17位对不上）：很可能有一位数字输错了，"
            "或相邻两位输颠倒了。请拿身份证或户口本逐位核对，不要只改最后一位。",
            "the check character does not match the first 17 digits: one digit was probably "
            "mistyped (or two neighbours swapped); compare each digit with the card",
            "check_character",
        )
    sequence = number[14:17]
    gender: IdGender = "male" if int(sequence) % 2 == 1 else "female"
    return IdNumberInfo(
        number=number, area_code=number[:6], birth_date=birth, gender=gender, sequence=sequence
    )


def _birth_date(digits: str, today: date) -> date:
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    shown = f"{year}年{month}月{day}日"
    try:
        birth = date(year, month, day)
    except ValueError:
        if not 1 <= month <= 12:
            why_zh, why_en = f"没有{month}月", f"there is no month {month}"
        else:
            why_zh, why_en = f"{year}年{month}月没有{day}日", f"{year}-{month:02d} has no day {day}"
        raise InvalidIdNumberError(
            f"身份证号第7–14位是出生日期，{shown}不存在（{why_zh}）。请核对出生日期部分。",
            f"digits 7-14 are the birth date; {digits} is not a real date ({why_en})",
            "impossible_date",
        ) from None
    if year < EARLIEST_BIRTH_YEAR:
        raise InvalidIdNumberError(
            f"身份证号中的出生日期{shown}早于{EARLIEST_BIRTH_YEAR}年，不可能是有效号码。",
            f"the birth date {birth.isoformat()} is before {EARLIEST_BIRTH_YEAR}",
            "date_too_early",
        )
    if birth > today:
        raise InvalidIdNumberError(
            f"身份证号中的出生日期{shown}晚于今天（{zh_date(today)}），请核对出生日期部分。",
            f"the birth date {birth.isoformat()} is after today ({today.isoformat()})",
            "future_date",
        )
    return birth


def normalize_gender(value: str) -> IdGender:
    """``male``/``female`` from ``男``/``女``, ``male``/``female``, ``M``/``F`` (any case)."""
    found = _GENDER_ALIASES.get(value.strip().lower())
    if found is None:
        raise ValueError(f"unknown gender {value!r}")
    return found


def id_consistency_problems(
    info: IdNumberInfo, *, birth_date: date | None, gender: str | None
) -> list[FieldProblem]:
    """Where a file's recorded birth date or gender disagrees with its (valid) ID number.

    ``gender`` may be ``male``/``female`` (or a StrEnum with those values) or ``男``/``女``.
    ``None`` means "not recorded" and is not a disagreement.
    """
    found: list[FieldProblem] = []
    if birth_date is not None and birth_date != info.birth_date:
        found.append(
            FieldProblem(
                "birth_date",
                f"出生日期与身份证号不一致：档案中是{zh_date(birth_date)}，"
                f"身份证号中是{zh_date(info.birth_date)}。请核对哪一个填错了。",
                f"birth date {birth_date.isoformat()} does not match the ID number "
                f"({info.birth_date.isoformat()})",
            )
        )
    if gender is not None and normalize_gender(gender) != info.gender:
        recorded = GENDER_LABELS_ZH[normalize_gender(gender)]
        found.append(
            FieldProblem(
                "gender",
                f"性别与身份证号不一致：档案中是{recorded}，身份证号第17位"
                f"（{info.sequence[-1]}）为{'奇数' if info.gender == 'male' else '偶数'}，"
                f"应为{info.gender_zh}。请核对哪一个填错了。",
                f"gender {normalize_gender(gender)} does not match the ID number "
                f"(digit 17 is {info.sequence[-1]}: {info.gender})",
            )
        )
    return found


def make_id_number(area_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid 18-character number (for demo data and tests)."""
    if len(area_code) != 6 or not area_code.isdigit():
        raise ValueError(f"area code must be 6 digits, got {area_code!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0..999, got {sequence}")
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
