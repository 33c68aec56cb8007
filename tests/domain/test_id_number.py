"""居民身份证号 validation (GB 11643-1999): structure, normalisation, plain refusals, the
MOD 11-2 check character, consistency with the file, and the fictional demo area code."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.demo_caseload import synthetic_child
from app.domain.id_number import (
    FICTIONAL_AREA_CODE,
    FICTIONAL_SEQUENCES,
    REAL_PROVINCE_PREFIXES,
    IdNumberInfo,
    InvalidIdNumberError,
    check_character,
    fictional_sequence,
    id_consistency_problems,
    make_id_number,
    normalize_id_number,
    parse_id_number,
    province_is_possible,
)

TODAY = date(2026, 5, 20)
SAMPLE = "11010519491231002X"  # the sample printed in GB 11643-1999
CJK = re.compile(r"[\u4e00-\u9fff]")


def plain_check(first17: str) -> str:
    """An independent oracle, straight from the standard: weights 2^(17-i) mod 11 … written out."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    remainder = sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11
    return {0: "1", 1: "0", 2: "X", 3: "9", 4: "8", 5: "7", 6: "6", 7: "5", 8: "4", 9: "3"}.get(
        remainder, "2"
    )


def refused(text: str, today: date = TODAY) -> InvalidIdNumberError:
    with pytest.raises(InvalidIdNumberError) as caught:
        parse_id_number(text, today=today)
    return caught.value


# ----- valid numbers ------------------------------------------------------------------------


def test_published_sample() -> None:
    info = parse_id_number(SAMPLE, today=TODAY)
    assert info == IdNumberInfo(
        number=SAMPLE,
        area_code="110105",
        birth_date=date(1949, 12, 31),
        gender="female",
        sequence="002",
    )
    assert info.gender_zh == "女"
    assert info.masked == "110105********002X"
    assert not info.is_fictional


@pytest.mark.parametrize(
    ("area", "birth", "sequence", "gender"),
    [
        ("500119", date(2012, 3, 4), 123, "male"),  # 重庆市南川区
        ("500119", date(2012, 3, 4), 124, "female"),
        ("110105", date(2000, 2, 29), 1, "male"),  # leap day
        ("440305", date(1900, 1, 1), 0, "female"),  # earliest accepted date, sequence 000
        ("650102", TODAY, 999, "male"),  # born today
        ("510104", date(1988, 12, 31), 258, "female"),
    ],
)
def test_computed_numbers_parse(area: str, birth: date, sequence: int, gender: str) -> None:
    number = make_id_number(area, birth, sequence)
    assert number[17] == plain_check(number[:17])
    info = parse_id_number(number, today=TODAY)
    assert (info.area_code, info.birth_date, info.gender) == (area, birth, gender)
    assert info.sequence == f"{sequence:03d}"


def test_some_computed_number_ends_in_x() -> None:
    rng = random.Random(7)
    numbers = [make_id_number("500119", date(2015, 1, 1), rng.randrange(1000)) for _ in range(200)]
    assert any(n.endswith("X") for n in numbers)
    for n in numbers:
        assert parse_id_number(n, today=TODAY).number == n


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",  # lower-case x
        " 11010519491231002X ",
        "110105 19491231 002X",  # spaces between groups
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and X
        "１１０１０５１９４９１２３１００２ｘ",  # full-width lower-case x
        "110105\u300019491231\u3000002X",  # full-width (ideographic) spaces
        "110105\t19491231002X\n",
    ],
)
def test_typed_forms_are_normalised(typed: str) -> None:
    assert normalize_id_number(typed) == SAMPLE
    assert parse_id_number(typed, today=TODAY).number == SAMPLE


# ----- refusals, each saying what is wrong -----------------------------------------------------

VALID_1949 = SAMPLE


@pytest.mark.parametrize(
    ("text", "code", "says"),
    [
        ("", "empty", "空"),
        ("   \u3000 ", "empty", "空"),
        ("A1010519491231002X", "illegal_character", "第1位“A”"),
        ("110105-19491231-002X", "illegal_character", "第7位“-”"),
        ("1101051949一231002X", "illegal_character", "第11位“一”"),
        ("11010519491231002?", "illegal_character", "第18位“?”"),
        ("11010519491231002", "length", "17位"),
        ("11010519491231002X1", "length", "19位"),
        ("110105491231002", "length", "第一代身份证"),
        ("1101051949X231002X", "misplaced_x", "第11位是 X"),
        ("110105194902300020", "impossible_date", "1949年2月没有30日"),
        ("110105190002290025", "impossible_date", "1900年2月没有29日"),  # 1900: not a leap year
        ("110105202302290022", "impossible_date", "2023年2月没有29日"),
        ("110105194913010029", "impossible_date", "没有13月"),
        ("11010519490001002X", "impossible_date", "没有0月"),
        ("110105194901000026", "impossible_date", "1949年1月没有0日"),
        ("11010519490431002X", "impossible_date", "1949年4月没有31日"),
        ("110105189912310023", "date_too_early", "早于1900年"),
        ("110105202605210026", "future_date", "晚于今天（2026年5月20日）"),
        ("110105203001010028", "future_date", "晚于今天"),
        ("110105194912310021", "check_character", "很可能有一位数字输错"),
        ("11010519491231012X", "check_character", "很可能有一位数字输错"),
    ],
)
def test_refusals_say_what_is_wrong(text: str, code: str, says: str) -> None:
    error = refused(text)
    assert isinstance(error, ValueError)
    assert error.code == code
    assert says in error.message_zh
    assert CJK.search(error.message_zh)
    # English for the command line: no Chinese apart from a quoted character of the input
    assert error.message_en
    assert not CJK.search("".join(ch for ch in error.message_en if ch not in text))
    assert str(error) == error.message_en


def test_impossible_date_cases_really_have_the_right_check_character() -> None:
    """The date refusals above are not check-character refusals in disguise."""
    for number in [
        "110105194902300020",
        "110105202302290022",
        "11010519490431002X",
        "110105189912310023",
    ]:
        assert number[17] == plain_check(number[:17])


def test_check_character_refusal_does_not_reveal_the_expected_character() -> None:
    error = refused("110105194912310021")
    assert "应为X" not in error.message_zh and "X" not in error.message_zh
    assert "不要只改最后一位" in error.message_zh


def test_future_date_depends_on_injected_today() -> None:
    number = make_id_number("500119", date(2026, 5, 21), 11)
    assert refused(number, today=date(2026, 5, 20)).code == "future_date"
    assert parse_id_number(number, today=date(2026, 5, 21)).birth_date == date(2026, 5, 21)


def test_check_character_rejects_bad_input() -> None:
    for bad in [
        "",
        "1234",
        "1101051949123100",
        "110105194912310022",
        "11010519491231002X"[:-2] + "a",
    ]:
        with pytest.raises(ValueError):
            check_character(bad)
    assert check_character(SAMPLE[:17]) == "X"


def test_make_id_number_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        make_id_number("5001", date(2010, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id_number("500119", date(2010, 1, 1), 1000)


# ----- the check character: properties --------------------------------------------------------

digits17 = st.text(alphabet="0123456789", min_size=17, max_size=17)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
area_codes = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(sorted(REAL_PROVINCE_PREFIXES | {"83"})),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
sequences = st.integers(min_value=0, max_value=999)


@given(digits17)
def test_check_character_matches_the_plain_oracle(first17: str) -> None:
    check = check_character(first17)
    assert check == plain_check(first17)
    # ISO 7064 MOD 11-2: over all 18 positions (X = 10), sum of d_i * 2^(18-i) ≡ 1 (mod 11)
    values = [int(d) for d in first17] + [10 if check == "X" else int(check)]
    assert sum(v * pow(2, 17 - i, 11) for i, v in enumerate(values)) % 11 == 1


@given(area_codes, birth_dates, sequences)
def test_any_well_formed_number_validates(area: str, birth: date, sequence: int) -> None:
    number = make_id_number(area, birth, sequence)
    info = parse_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == birth
    assert info.gender == ("male" if sequence % 2 else "female")
    assert parse_id_number(number.lower(), today=TODAY) == info


@given(
    area_codes,
    birth_dates,
    sequences,
    st.integers(min_value=0, max_value=16),
    st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_change_is_detected(
    area: str, birth: date, sequence: int, position: int, shift: int
) -> None:
    number = make_id_number(area, birth, sequence)
    changed_digit = str((int(number[position]) + shift) % 10)
    changed = number[:position] + changed_digit + number[position + 1 :]
    with pytest.raises(InvalidIdNumberError) as caught:
        parse_id_number(changed, today=TODAY)
    if 6 <= position < 14:  # inside the birth date the date itself may already be impossible
        assert caught.value.code in {
            "check_character",
            "impossible_date",
            "date_too_early",
            "future_date",
        }
    elif position < 2:  # a changed province digit may already name no province
        assert caught.value.code in {"check_character", "province"}
    else:
        assert caught.value.code == "check_character"


@given(area_codes, birth_dates, sequences, st.sampled_from("0123456789X"))
def test_any_other_check_character_is_detected(
    area: str, birth: date, sequence: int, other: str
) -> None:
    number = make_id_number(area, birth, sequence)
    if other == number[17]:
        return
    with pytest.raises(InvalidIdNumberError) as caught:
        parse_id_number(number[:17] + other, today=TODAY)
    assert caught.value.code == "check_character"


@given(area_codes, birth_dates, sequences, st.integers(min_value=0, max_value=15))
def test_adjacent_transpositions_are_detected(
    area: str, birth: date, sequence: int, position: int
) -> None:
    number = make_id_number(area, birth, sequence)
    if number[position] == number[position + 1]:
        return
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    with pytest.raises(InvalidIdNumberError):
        parse_id_number(swapped, today=TODAY)


# ----- consistency with the rest of the file ---------------------------------------------------


class FileGender(StrEnum):  # how the child file stores gender
    MALE = "male"
    FEMALE = "female"


def test_consistent_file_has_no_problems() -> None:
    info = parse_id_number(SAMPLE, today=TODAY)
    assert id_consistency_problems(info, birth_date=date(1949, 12, 31), gender="female") == []
    assert id_consistency_problems(info, birth_date=date(1949, 12, 31), gender="女") == []
    assert id_consistency_problems(info, birth_date=None, gender=FileGender.FEMALE) == []
    assert id_consistency_problems(info, birth_date=None, gender=None) == []


def test_birth_date_disagreement() -> None:
    info = parse_id_number(SAMPLE, today=TODAY)
    [problem] = id_consistency_problems(info, birth_date=date(1949, 12, 30), gender=None)
    assert problem.field == "birth_date"
    assert "1949年12月30日" in problem.message_zh and "1949年12月31日" in problem.message_zh
    assert problem.blocking


@pytest.mark.parametrize("recorded", ["male", "男", "M", FileGender.MALE])
def test_gender_disagreement(recorded: str) -> None:
    info = parse_id_number(SAMPLE, today=TODAY)
    [problem] = id_consistency_problems(info, birth_date=None, gender=recorded)
    assert problem.field == "gender"
    assert "档案中是男" in problem.message_zh
    assert "偶数" in problem.message_zh and "应为女" in problem.message_zh


def test_both_disagreements() -> None:
    info = parse_id_number(make_id_number("500119", date(2014, 6, 1), 31), today=TODAY)
    problems = id_consistency_problems(info, birth_date=date(2014, 1, 6), gender="女")
    assert [p.field for p in problems] == ["birth_date", "gender"]


def test_unknown_gender_value_is_a_programming_error() -> None:
    info = parse_id_number(SAMPLE, today=TODAY)
    with pytest.raises(ValueError):
        id_consistency_problems(info, birth_date=None, gender="unknown")


# ----- the fictional area code and demo data --------------------------------------------------


def test_real_province_prefixes_are_the_gb2260_list() -> None:
    expected = {
        *map(str, [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37]),
        *map(str, [41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82]),
    }
    assert expected == REAL_PROVINCE_PREFIXES
    assert len(REAL_PROVINCE_PREFIXES) == 34


def test_fictional_numbers_look_real_and_are_marked_by_area_and_sequence() -> None:
    assert re.fullmatch(r"\d{6}", FICTIONAL_AREA_CODE)
    assert FICTIONAL_AREA_CODE[:2] in REAL_PROVINCE_PREFIXES  # accepted like any number
    assert FICTIONAL_AREA_CODE.startswith("50")  # 重庆, where the demo caseload lives
    for sequence in FICTIONAL_SEQUENCES:
        number = make_id_number(FICTIONAL_AREA_CODE, date(2015, 7, 1), sequence)
        info = parse_id_number(number, today=TODAY)
        assert info.is_fictional
        assert info.area_code == FICTIONAL_AREA_CODE
    # outside the reserved range, or another county with a reserved sequence: not fictional
    assert not parse_id_number(
        make_id_number(FICTIONAL_AREA_CODE, date(2015, 7, 1), 899), today=TODAY
    ).is_fictional
    assert not parse_id_number(
        make_id_number("500119", date(2015, 7, 1), 901), today=TODAY
    ).is_fictional
    assert fictional_sequence(0, "female") == 900 and fictional_sequence(49, "male") == 999
    with pytest.raises(ValueError):
        fictional_sequence(50, "male")


@pytest.mark.parametrize("head", ["00", "10", "16", "20", "24", "30", "38", "40", "47", "49", "55",
                                  "60", "66", "70", "72", "80", "84", "90", "99"])  # fmt: skip
def test_a_number_with_an_impossible_province_is_refused(head: str) -> None:
    number = make_id_number(head + "0101", date(2015, 3, 8), 123)  # a valid check character
    error = refused(number)
    assert error.code == "province"
    assert f"前两位“{head}”" in error.message_zh
    assert not province_is_possible(number)


@pytest.mark.parametrize(
    "area",
    [
        "500119",  # 南川区
        "512501",  # 四川省万县市 (1997: became 重庆市万州区; numbers under it stay valid)
        "513501",  # 四川省涪陵地区 (retired)
        "110000", "460000", "650000",
        "710000", "810000", "820000",  # 台湾, 香港, 澳门
        "830000",  # 台湾居民居住证
        "911156", "950000",  # 外国人永久居留身份证: 9 + a province code
    ],
)  # fmt: skip
def test_retired_counties_permits_and_foreigners_are_accepted(area: str) -> None:
    info = parse_id_number(make_id_number(area, date(2015, 3, 8), 123), today=TODAY)
    assert info.area_code == area


def test_the_old_fictional_area_code_is_now_refused() -> None:
    assert refused(make_id_number("990101", date(2015, 3, 8), 123)).code == "province"


def test_demo_children_have_valid_consistent_numbers() -> None:
    rng = random.Random(2026)
    checked = 0
    for _ in range(200):
        child = synthetic_child(rng, "500119104201", TODAY, "yellow")
        if not child.id_number:  # a few demo children have no ID number yet, as in life
            continue
        info = parse_id_number(child.id_number, today=TODAY + timedelta(days=1))
        assert info.is_fictional
        assert id_consistency_problems(info, birth_date=child.birth_date, gender=child.gender) == []
        checked += 1
    assert checked > 150
