"""One register row → what it says about a child (:class:`RowValues`), with its problems.

Every value a row can carry is checked here, each problem in plain Chinese with the row number
and the column's own header: the 身份证号 check character, birth date and gender against the ID
number, impossible dates, a child 18 or over, category words not understood, ID numbers that
Excel turned into ``5.00119E+17`` (the last digits are lost for good), Excel serial dates and
dates typed as text (``2015.3.12``, ``2015/03/12``, ``2015年3月12日``), full-width digits and line
breaks. Duplicates within the file are found in :mod:`app.registers.plan`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from app.domain.categories import ChildCategory, GuardianRelation
from app.domain.child_file import Gender, eighteenth_birthday
from app.domain.id_number import (
    InvalidIdNumberError,
    id_consistency_problems,
    normalize_id_number,
    parse_id_number,
    zh_date,
)
from app.registers.headers import FIELD_BY_KEY
from app.registers.reader import Cell, RawRow


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: int | None  # index of the column (None: the row as a whole)
    field: str
    message_zh: str
    message_en: str
    blocking: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": None if self.column is None else self.column + 1,
            "field": self.field,
            "blocking": self.blocking,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass
class GuardianValues:
    relation: GuardianRelation
    name: str = ""
    id_number: str = ""
    phone: str = ""
    work_place: str = ""

    def empty(self) -> bool:
        return not (self.name or self.id_number or self.phone or self.work_place)


@dataclass
class RowValues:
    """What the row says; empty strings / None mean "the row does not say" (kept as is)."""

    row: int
    name: str = ""
    gender: Gender | None = None
    birth_date: date | None = None
    id_number: str = ""
    ethnicity: str = ""
    hukou: str = ""
    address: str = ""
    health: str = ""
    disability_kind: str = ""
    disability_grade: int | None = None
    school: str = ""
    grade: str = ""
    categories: list[ChildCategory] = field(default_factory=list)
    guardians: list[GuardianValues] = field(default_factory=list)
    village_code: str = ""
    notes: str = ""
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return any(p.blocking for p in self.problems)


# ----- cell values -------------------------------------------------------------------------

# Full-width digits and Latin letters fold to ASCII (ＡＢ１２ → AB12); Chinese punctuation (，：；)
# stays as written: NFKC would turn the 汉字 comma into an ASCII one and change the text.
_FULL_WIDTH_ALNUM = {
    code: code - 0xFEE0
    for block in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(block[0], block[1] + 1)
}
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\v\f]+")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")


def clean_text(cell: Cell) -> str:
    """Text as people meant it: full-width letters/digits folded, line breaks and runs of spaces
    made one space, ``12.0`` from a number cell written ``12``."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "是" if cell else "否"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else str(cell)
    text = str(cell).translate(_FULL_WIDTH_ALNUM)
    text = _LINE_BREAKS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def compact(cell: Cell) -> str:
    """No spaces at all: names, phone numbers (``张 三`` → ``张三``)."""
    return clean_text(cell).replace(" ", "")


EXCEL_EPOCH = date(1899, 12, 30)
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?(\s+\d{1,2}:\d{2}(:\d{2})?)?$"
)
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*月?$")


class CellProblem(ValueError):
    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


def parse_date_cell(cell: Cell) -> date | None:
    """A date cell in any of the forms registers use; None when empty; :class:`CellProblem`
    when it is not a real date."""
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _serial(float(cell))
    text = clean_text(cell)
    if not text:
        return None
    if text.isdigit() and 3 <= len(text) <= 5:
        return _serial(float(text))
    match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
    if match is None:
        if _YEAR_MONTH.match(text):
            raise CellProblem(
                f"日期“{text}”只有年和月，缺少日：请填完整的出生日期，或填写身份证号。",
                f"date {text!r} has no day",
            )
        raise CellProblem(
            f"“{text}”不是能认出的日期：请写成 2015年3月12日、2015-03-12 或 2015.3.12。",
            f"{text!r} is not a date (write 2015-03-12)",
        )
    year, month, day = (int(match.group(i)) for i in (1, 2, 3))
    try:
        return date(year, month, day)
    except ValueError:
        raise CellProblem(
            f"日期“{text}”不存在（{year}年{month}月没有{day}日）：请核对。",
            f"{text!r} is not a real date",
        ) from None


def _serial(value: float) -> date:
    """An Excel serial day number (42075 = 2015-03-12), as a cell not formatted as a date."""
    if not 1 <= value < 2_958_466:
        raise CellProblem(f"“{value:g}”不是日期。", f"{value:g} is not a date")
    return EXCEL_EPOCH + timedelta(days=int(value))


def parse_id_cell(cell: Cell) -> str:
    """The ID number as text; :class:`CellProblem` when Excel already ruined it."""
    lost = CellProblem(
        "身份证号被 Excel 当成了数字（显示成 5.00119E+17 这样），后几位已经变成 0 丢失了，"
        "无法从这个文件恢复。请在原表里把身份证号这一列设成“文本”格式，重新录入号码后再导入。",
        "the ID number was stored as a number (like 5.00119E+17): its last digits are lost; "
        "set the column to Text in the original sheet and enter the numbers again",
    )
    if isinstance(cell, float | int) and not isinstance(cell, bool):
        if abs(cell) >= 1e15:
            raise lost
        return str(int(cell))
    text = clean_text(cell).lstrip("'’`")
    if _SCIENTIFIC.match(text.replace(" ", "")):
        raise lost
    return normalize_id_number(text)


_GENDERS: dict[str, Gender] = {
    "男": Gender.MALE,
    "男性": Gender.MALE,
    "m": Gender.MALE,
    "male": Gender.MALE,
    "女": Gender.FEMALE,
    "女性": Gender.FEMALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
}

# Category words as registers write them (after removing 儿童/家庭 suffixes).
CATEGORY_WORDS: dict[str, ChildCategory] = {
    "孤儿": ChildCategory.ORPHAN_COMMUNITY,
    "散居孤儿": ChildCategory.ORPHAN_COMMUNITY,
    "社会散居孤儿": ChildCategory.ORPHAN_COMMUNITY,
    "孤儿社会散居": ChildCategory.ORPHAN_COMMUNITY,
    "集中供养孤儿": ChildCategory.ORPHAN_INSTITUTIONAL,
    "孤儿集中供养": ChildCategory.ORPHAN_INSTITUTIONAL,
    "事实无人抚养": ChildCategory.DE_FACTO_UNSUPPORTED,
    "事实孤儿": ChildCategory.DE_FACTO_UNSUPPORTED,
    "孤独症": ChildCategory.AUTISM,
    "自闭症": ChildCategory.AUTISM,
    "残疾": ChildCategory.DISABILITY,
    "低保": ChildCategory.LOW_INCOME,
    "特困": ChildCategory.EXTREME_POVERTY,
    "特困供养": ChildCategory.EXTREME_POVERTY,
    "留守": ChildCategory.LEFT_BEHIND,
    "农村留守": ChildCategory.LEFT_BEHIND,
    "流动": ChildCategory.MIGRANT,
    "重病": ChildCategory.SERIOUS_ILLNESS,
    "大病": ChildCategory.SERIOUS_ILLNESS,
    "困境": ChildCategory.OTHER_HARDSHIP,
    "其他困境": ChildCategory.OTHER_HARDSHIP,
    "监护困境": ChildCategory.OTHER_HARDSHIP,
}
_CATEGORY_SPLIT = re.compile(r"[、,，;；/／\s]+|和|及")

RELATION_WORDS: dict[str, GuardianRelation] = {
    **dict.fromkeys(("父亲", "父", "爸爸"), GuardianRelation.FATHER),
    **dict.fromkeys(("母亲", "母", "妈妈"), GuardianRelation.MOTHER),
    **dict.fromkeys(("祖父", "爷爷"), GuardianRelation.GRANDFATHER),
    **dict.fromkeys(("祖母", "奶奶"), GuardianRelation.GRANDMOTHER),
    **dict.fromkeys(("外祖父", "外公", "姥爷"), GuardianRelation.MATERNAL_GRANDFATHER),
    **dict.fromkeys(("外祖母", "外婆", "姥姥"), GuardianRelation.MATERNAL_GRANDMOTHER),
    **dict.fromkeys(
        ("兄姐", "哥哥", "姐姐", "兄", "姐", "兄长", "胞兄", "胞姐"), GuardianRelation.SIBLING
    ),
    **dict.fromkeys(
        (
            "其他亲属",
            "亲属",
            "叔叔",
            "叔",
            "伯伯",
            "伯父",
            "伯",
            "姑姑",
            "姑妈",
            "舅舅",
            "舅",
            "姨妈",
            "姨",
            "婶婶",
            "舅妈",
            "姑父",
            "姨父",
        ),
        GuardianRelation.OTHER_RELATIVE,
    ),
    **dict.fromkeys(("其他", "村委会", "福利机构", "机构"), GuardianRelation.OTHER),
}

_GRADES = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_DISABILITY = re.compile(r"^(.*?)(?:残疾)?\s*([一二三四1234])\s*级$")


# ----- a row -------------------------------------------------------------------------------


def parse_row(
    raw: RawRow,
    mapping: list[str | None],
    headers: list[str],
    *,
    today: date,
    formula_cells: set[tuple[int, int]] | None = None,
) -> RowValues:
    """Read one row through ``mapping`` (a field key or None per column)."""
    values = RowValues(row=raw.number)
    by_field: dict[str, tuple[int, Cell]] = {}
    for col, key in enumerate(mapping):
        if key is None or col >= len(raw.cells):
            continue
        cell = raw.cells[col]
        if formula_cells and (raw.number, col) in formula_cells:
            values.problems.append(
                RowProblem(
                    raw.number,
                    col,
                    key,
                    f"“{_header(headers, col)}”这一格是公式，文件里没有保存计算结果："
                    "请在 Excel/WPS 中打开并保存一次，或把这一列“选择性粘贴为数值”。",
                    "a formula cell without a saved result",
                )
            )
            continue
        by_field[key] = (col, cell)

    def problem(key: str, zh: str, en: str, *, blocking: bool = True) -> None:
        col = by_field[key][0] if key in by_field else None
        shown = f"“{_header(headers, col)}”：" if col is not None else ""
        values.problems.append(RowProblem(raw.number, col, key, shown + zh, en, blocking))

    def text(key: str) -> str:
        return clean_text(by_field[key][1]) if key in by_field else ""

    values.name = compact(by_field["name"][1]) if "name" in by_field else ""
    for key in ("ethnicity", "hukou", "address", "school", "grade", "notes"):
        setattr(values, key, text(key))
    values.village_code = compact(by_field["village_code"][1]) if "village_code" in by_field else ""
    health, illness = text("health"), text("illness")
    values.health = f"{health}：{illness}" if health and illness else health or illness

    gender_text = text("gender").lower()
    if gender_text:
        values.gender = _GENDERS.get(gender_text)
        if values.gender is None:
            problem("gender", f"性别“{gender_text}”认不出，请写“男”或“女”。", "unknown gender")

    if "birth_date" in by_field:
        try:
            values.birth_date = parse_date_cell(by_field["birth_date"][1])
        except CellProblem as err:
            problem("birth_date", err.message_zh, err.message_en)

    info = None
    if "id_number" in by_field:
        try:
            values.id_number = parse_id_cell(by_field["id_number"][1])
        except CellProblem as err:
            problem("id_number", err.message_zh, err.message_en)
        if values.id_number:
            try:
                info = parse_id_number(values.id_number, today=today)
            except InvalidIdNumberError as err:
                problem("id_number", err.message_zh, err.message_en)
    if info is not None:
        for found in id_consistency_problems(
            info, birth_date=values.birth_date, gender=values.gender
        ):
            problem(found.field, found.message_zh, found.message_en)
        values.birth_date = values.birth_date or info.birth_date
        values.gender = values.gender or Gender(info.gender)

    if not values.name:
        problem("name", "没有姓名，这一行无法导入。", "no name")
    if values.birth_date is None and not any(p.field == "birth_date" for p in values.problems):
        problem("birth_date", "没有出生日期（也没有身份证号可以推算）。", "no birth date")
    if values.gender is None and not any(p.field == "gender" for p in values.problems):
        problem("gender", "没有性别（也没有身份证号可以推算）。", "no gender")
    if values.birth_date is not None:
        if values.birth_date > today:
            problem(
                "birth_date",
                f"出生日期{zh_date(values.birth_date)}晚于今天。",
                "birth date in the future",
            )
        elif eighteenth_birthday(values.birth_date) <= today:
            problem(
                "birth_date",
                f"出生于{zh_date(values.birth_date)}，已满18周岁，不再属于儿童服务对象；"
                "这一行不导入（已有的档案请在档案里办理关闭或归档）。",
                "18 or over: not a child any more",
            )

    _categories(values, text("categories"), problem)
    _disability(values, text("disability"), problem)
    _guardians(values, by_field, problem, today)
    return values


def _header(headers: list[str], col: int | None) -> str:
    if col is None:
        return ""
    return headers[col] if col < len(headers) and headers[col] else f"第{col + 1}列"


Problem = Any  # the local ``problem`` callback of parse_row


def _categories(values: RowValues, text: str, problem: Problem) -> None:
    if not text:
        return
    unknown: list[str] = []
    for word in _CATEGORY_SPLIT.split(text):
        word = re.sub(r"[()（）\s]", "", word)
        if not word or word in ("是", "否", "无"):
            continue
        base = word.removesuffix("儿童").removesuffix("家庭").removesuffix("户")
        category = CATEGORY_WORDS.get(base) or CATEGORY_WORDS.get(word)
        if category is None:
            unknown.append(word)
        elif category not in values.categories:
            values.categories.append(category)
    if unknown:
        problem(
            "categories",
            f"类别“{'、'.join(unknown)}”认不出，没有导入这部分（能认出的类别照常导入）。"
            "可用的写法：孤儿、事实无人抚养、留守、流动、低保、特困、残疾、孤独症、重病、困境。",
            f"category words not understood: {', '.join(unknown)}",
            blocking=False,
        )


def _disability(values: RowValues, text: str, problem: Problem) -> None:
    if not text or text in ("无", "否", "健康"):
        return
    match = _DISABILITY.match(text.replace(" ", ""))
    if match:
        values.disability_kind = match.group(1).removesuffix("残疾")
        values.disability_grade = _GRADES[match.group(2)]
    else:
        values.disability_kind = text


def _guardians(
    values: RowValues, by_field: dict[str, tuple[int, Cell]], problem: Problem, today: date
) -> None:
    def get(key: str) -> str:
        return clean_text(by_field[key][1]) if key in by_field else ""

    def id_of(key: str) -> str:
        if key not in by_field:
            return ""
        try:
            number = parse_id_cell(by_field[key][1])
        except CellProblem as err:
            problem(key, err.message_zh, err.message_en)
            return ""
        if number:
            try:
                parse_id_number(number, today=today)
            except InvalidIdNumberError as err:
                problem(key, err.message_zh, err.message_en)
        return number

    for prefix, relation in (
        ("father", GuardianRelation.FATHER),
        ("mother", GuardianRelation.MOTHER),
    ):
        g = GuardianValues(
            relation,
            name=get(f"{prefix}_name").replace(" ", ""),
            id_number=id_of(f"{prefix}_id"),
            phone=_phone(get(f"{prefix}_phone")),
            work_place=get(f"{prefix}_work_place"),
        )
        if not g.empty():
            values.guardians.append(g)
    relation_text = get("guardian_relation").replace(" ", "")
    relation = GuardianRelation.OTHER
    if relation_text:
        found = RELATION_WORDS.get(relation_text)
        if found is None:
            problem(
                "guardian_relation",
                f"监护人关系“{relation_text}”认不出，先按“其他”导入，可在档案里改。",
                f"guardian relation {relation_text!r} not understood (imported as other)",
                blocking=False,
            )
        else:
            relation = found
    g = GuardianValues(
        relation,
        name=get("guardian_name").replace(" ", ""),
        id_number=id_of("guardian_id"),
        phone=_phone(get("guardian_phone")),
    )
    if not g.empty():
        values.guardians.append(g)


def _phone(text: str) -> str:
    return text.replace(" ", "").replace("－", "-")


def field_label(key: str) -> str:
    found = FIELD_BY_KEY.get(key)
    return found.label_zh if found else key
