"""Register columns: the fields an import understands, and the Chinese headers that mean them.

A header cell is normalised (NFKC, no spaces or line breaks, brackets dropped) and looked up in
:data:`ALIASES`. Two-row headers (``父亲`` over ``姓名``/``电话``) are joined by the reader before
lookup, so ``父亲姓名`` and ``父亲电话`` are found like single headers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RegisterField:
    key: str
    label_zh: str
    aliases: tuple[str, ...] = ()


# Order = the order of the mapping screen's choices.
FIELDS: tuple[RegisterField, ...] = (
    RegisterField("name", "姓名", ("儿童姓名", "学生姓名", "名字", "未成年人姓名")),
    RegisterField("gender", "性别", ("儿童性别",)),
    RegisterField("ethnicity", "民族", ()),
    RegisterField("birth_date", "出生日期", ("出生年月日", "出生年月", "生日", "儿童出生日期")),
    RegisterField(
        "id_number",
        "身份证号",
        (
            "公民身份号码",
            "公民身份证号码",
            "公民身份证号",
            "身份证号码",
            "身份证",
            "儿童身份证号",
            "儿童身份证号码",
            "证件号码",
        ),
    ),
    RegisterField("hukou", "户籍所在地", ("户籍", "户籍地", "户口所在地", "户籍地址")),
    RegisterField("address", "现居住地", ("现住址", "现居住地址", "家庭住址", "居住地址", "住址")),
    RegisterField("health", "身体情况", ("健康状况", "身体状况", "健康情况")),
    RegisterField(
        "disability", "残疾类别及等级", ("残疾类别和等级", "残疾类别", "残疾情况", "残疾类型及等级")
    ),
    RegisterField("illness", "患病类型", ("疾病类型", "患病情况", "所患疾病")),
    RegisterField("school", "就学情况", ("学校", "就读学校", "就学学校", "在读学校", "就读情况")),
    RegisterField("grade", "年级", ("就读年级", "班级")),
    RegisterField(
        "categories",
        "儿童类别",
        ("类别", "困境类型", "儿童类型", "困境儿童类别", "人员类别", "保障类别", "对象类别"),
    ),
    RegisterField("father_name", "父亲姓名", ()),
    RegisterField(
        "father_id", "父亲身份证号", ("父亲身份证", "父亲身份证号码", "父亲公民身份号码")
    ),
    RegisterField("father_phone", "父亲电话", ("父亲联系电话", "父亲手机", "父亲联系方式")),
    RegisterField("father_work_place", "父亲务工地点", ("父亲务工地", "父亲外出务工地点")),
    RegisterField("mother_name", "母亲姓名", ()),
    RegisterField(
        "mother_id", "母亲身份证号", ("母亲身份证", "母亲身份证号码", "母亲公民身份号码")
    ),
    RegisterField("mother_phone", "母亲电话", ("母亲联系电话", "母亲手机", "母亲联系方式")),
    RegisterField("mother_work_place", "母亲务工地点", ("母亲务工地", "母亲外出务工地点")),
    RegisterField(
        "guardian_name",
        "监护人姓名",
        (
            "监护人",
            "实际监护人",
            "实际监护人姓名",
            "委托监护人",
            "委托监护人姓名",
            "实际抚养人",
            "实际抚养人姓名",
        ),
    ),
    RegisterField(
        "guardian_relation",
        "监护人关系",
        (
            "与儿童关系",
            "与儿童的关系",
            "监护人与儿童关系",
            "委托监护人关系",
            "委托监护人与儿童关系",
            "实际监护人关系",
            "与本人关系",
        ),
    ),
    RegisterField(
        "guardian_phone",
        "监护人电话",
        ("监护人联系电话", "委托监护人电话", "实际监护人电话", "联系电话", "电话", "监护人手机"),
    ),
    RegisterField(
        "guardian_id",
        "监护人身份证号",
        ("监护人身份证", "委托监护人身份证", "委托监护人身份证号", "实际监护人身份证号"),
    ),
    RegisterField("village_code", "村代码", ("村居代码", "行政区划代码", "村(社区)代码")),
    RegisterField("notes", "备注", ("说明",)),
)

FIELD_BY_KEY: dict[str, RegisterField] = {f.key: f for f in FIELDS}

# Headers that are recognised as "not imported" (skipped without asking).
IGNORED_HEADERS: frozenset[str] = frozenset(
    {"序号", "编号", "填表人", "复核人", "负责人", "填报人", "审核人", "填表日期", "年龄", "签字"}
)

_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")


def normalize_header(text: str) -> str:
    """``公民身份证号码\\n（18位）`` → ``公民身份证号码``; full-width folded, spaces gone."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(ch for ch in folded if not ch.isspace())
    without = _BRACKETS.sub("", folded)
    return (without or folded).replace("：", "").replace(":", "").replace("*", "")


def _lookup_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for f in FIELDS:
        for text in (f.label_zh, *f.aliases):
            table.setdefault(normalize_header(text), f.key)
    return table


ALIASES: dict[str, str] = _lookup_table()

# Group words of a two-row header → the prefix the lower row's words take.
_GROUP_PREFIXES: dict[str, str] = {
    "父亲": "父亲",
    "父亲情况": "父亲",
    "父亲基本情况": "父亲",
    "母亲": "母亲",
    "母亲情况": "母亲",
    "母亲基本情况": "母亲",
    "委托监护人": "监护人",
    "委托监护人情况": "监护人",
    "监护人": "监护人",
    "监护人情况": "监护人",
    "实际监护人": "监护人",
    "实际监护人情况": "监护人",
    "实际抚养人": "监护人",
}


def recognise(header: str) -> str | None:
    """The field a header means, or None (unknown or a skipped column such as 序号)."""
    norm = normalize_header(header)
    if not norm or norm in IGNORED_HEADERS:
        return None
    return ALIASES.get(norm)


def is_ignored(header: str) -> bool:
    return normalize_header(header) in IGNORED_HEADERS


def join_two_row_header(upper: str, lower: str) -> str:
    """``父亲`` over ``电话`` → ``父亲电话``; a lone upper or lower cell stays itself."""
    u, lo = normalize_header(upper), normalize_header(lower)
    if not lo:
        return u
    if not u or u == lo:
        return lo
    prefix = _GROUP_PREFIXES.get(u)
    if prefix is not None:
        if lo.startswith(prefix):
            return lo
        word = {"身份证": "身份证号", "身份证号码": "身份证号", "联系电话": "电话"}.get(lo, lo)
        if word in ("关系", "与儿童关系", "与儿童的关系"):
            word = "关系"
        return prefix + word
    # A generic group (基本情况, 儿童情况 …): the lower word alone says what the column is.
    return lo


def layout_key(headers: Sequence[str]) -> str:
    """A hash of the normalised headers: the same register layout gets the same key, so the
    mapping chosen for one file is offered for the next (no names or numbers in it)."""
    joined = "\x1f".join(normalize_header(h) for h in headers)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def auto_mapping(headers: Sequence[str]) -> list[str | None]:
    """One field (or None) per column; a field already taken by an earlier column is not given
    twice (the second ``电话`` column stays unmapped for the user to decide)."""
    taken: set[str] = set()
    result: list[str | None] = []
    for header in headers:
        key = recognise(header)
        if key is not None and key in taken:
            key = None
        if key is not None:
            taken.add(key)
        result.append(key)
    return result
