"""典型案例 (typical cases, seed 004 四 3: "总结典型案例"): a short story of one child's case that
the director writes for the year-end summary — the situation, what was done, the result, what
others can learn from it.

One ``typical_case`` record per story, linked to the child (it syncs with the child's other
records). What the director writes names the child freely; the print never does: every text is
passed through :func:`anonymise` — the child's, guardians' and caring mother's names, and
the other people the director lists for the story (siblings, a teacher, a neighbour:
``other_names``, names the child's file does not hold), with their pet names (王丽: 丽丽, 小丽,
阿丽, 丽妹; 刘芳: 芳姐) → 某某, the village → 某村, the school → 某小学,
no ID number, phone, address or house number — and the printed text is checked with
:func:`identifying_data_in` before a PDF is made: what survives stops the print.

What cannot be decided by matching is not replaced: a one-character given name (丽, 明) is
part of everyday words (美丽, 明天, 说明), and pet forms that are words (明明, 小心, 天天) are
left as written. :func:`mentions_to_review` finds each character of the child's given name and
the village's bare name (石岗) still in the anonymised text, with its context, and the
year-summary window lists them for the director to judge before printing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.domain.problems import FieldProblem, title_problems, too_long_problems

TYPICAL_CASE_TYPE = "typical_case"  # the vault's record type

MAX_TITLE = 60
MAX_TEXT = 3000
MAX_OTHER_NAMES = 30
MAX_NAME = 20
PLACEHOLDER = "某某"
HIDDEN_ID = "×××"
HIDDEN_PHONE = "×××"
HIDDEN_ADDRESS = "（住址已隐去）"

# An 18-character resident ID (or a 15-digit old one) and a mainland mobile or landline number,
# wherever they appear in free text (not only the child's own).
_ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])|(?<![0-9])[0-9]{15}(?![0-9])")
_PHONE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])|(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}")

FIELD_LABELS_ZH = {
    "title": "案例标题",
    "written_on": "撰写日期",
    "situation": "基本情况",
    "actions": "帮扶措施",
    "outcome": "工作成效",
    "lessons": "经验启示",
    "other_names": "文中其他人名",
}
# How the director separates the other names in one box: 、，,；; or spaces.
_NAME_SEPARATORS = re.compile(r"[、，,；;\s]+")


def split_names(text: str) -> list[str]:
    """The names typed in one box, in order, each once ("王小芳、李建国 王小芳")."""
    return list(dict.fromkeys(n for n in _NAME_SEPARATORS.split(text) if n))


@dataclass
class TypicalCase:
    child_id: str
    written_on: date
    title: str
    situation: str = ""  # 基本情况
    actions: str = ""  # 帮扶措施
    outcome: str = ""  # 工作成效
    lessons: str = ""  # 经验启示
    in_summary: bool = True  # chosen for the year-end summary
    # 文中其他人名: people the story names whom the child's file does not (siblings, a
    # teacher, a neighbour), printed as 某某 like the child
    other_names: list[str] = field(default_factory=list)

    def texts(self) -> list[tuple[str, str]]:
        """(label, text) of the story's parts, in print order."""
        return [
            (FIELD_LABELS_ZH[name], getattr(self, name))
            for name in ("situation", "actions", "outcome", "lessons")
        ]

    def problems_found(self, *, today: date) -> list[FieldProblem]:
        found = title_problems(self.title, "案例标题", MAX_TITLE)
        if self.written_on > today:
            found.append(
                FieldProblem("written_on", "撰写日期不能晚于今天。", "written in the future")
            )
        if not self.situation.strip() or not self.actions.strip():
            found.append(
                FieldProblem(
                    "situation",
                    "请至少填写“基本情况”和“帮扶措施”。",
                    "situation and actions are required",
                )
            )
        texts = ("situation", "actions", "outcome", "lessons")
        return (
            found
            + too_long_problems(self, texts, FIELD_LABELS_ZH, MAX_TEXT)
            + other_names_problems(self.other_names)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "written_on": self.written_on.isoformat(),
            "title": self.title,
            "situation": self.situation,
            "actions": self.actions,
            "outcome": self.outcome,
            "lessons": self.lessons,
            "in_summary": self.in_summary,
            "other_names": list(self.other_names),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TypicalCase:
        return cls(
            child_id=str(data["child_id"]),
            written_on=date.fromisoformat(data["written_on"]),
            title=str(data.get("title", "")),
            situation=str(data.get("situation", "")),
            actions=str(data.get("actions", "")),
            outcome=str(data.get("outcome", "")),
            lessons=str(data.get("lessons", "")),
            in_summary=bool(data.get("in_summary", True)),
            other_names=[str(n) for n in data.get("other_names") or []],
        )


def other_names_problems(names: Sequence[str]) -> list[FieldProblem]:
    """A name of one character cannot be replaced without mangling everyday words (see
    :func:`name_variants`): the director is asked for the full name."""
    label = FIELD_LABELS_ZH["other_names"]
    if len(names) > MAX_OTHER_NAMES:
        return [
            FieldProblem(
                "other_names", f"{label}最多填写{MAX_OTHER_NAMES}个。", "too many other names"
            )
        ]
    short = [n for n in names if len(n) < 2]
    if short:
        return [
            FieldProblem(
                "other_names",
                f"{label}请写全名（至少两个字）：{'、'.join(short)}。",
                "an other name of one character",
            )
        ]
    if any(len(n) > MAX_NAME for n in names):
        return [
            FieldProblem(
                "other_names", f"{label}每个不能超过{MAX_NAME}个字。", "an other name too long"
            )
        ]
    return []


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Two-character surnames (复姓): what follows is the given name.
COMPOUND_SURNAMES = _words(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 独孤 "
    "南宫 西门 呼延 万俟 闻人 澹台 公冶 宗政 濮阳 太叔 申屠 钟离 赫连 东郭 百里 第五"
)
# How directors shorten a given name: its last character doubled or after 小/阿 (王丽: 丽丽,
# 小丽, 阿丽); a one-character given name also with the Chongqing 娃/妹 (丽娃, 丽妹).
PET_PREFIXES = ("小", "阿")
PET_SUFFIXES = ("娃", "妹")
# and an adult's (a guardian's, the caring mother's) with a kinship word: 刘芳 → 芳姐, 芳姨
ADULT_SUFFIXES = ("姐", "哥", "姨", "嫂", "叔", "婶")
# Pet forms that are also everyday words: replacing them would mangle ordinary sentences
# ("明明知道", "小心", "天天走访"), so they are not replaced; the child's own characters left in
# a story are shown to the director to review before printing (:func:`mentions_to_review`).
ORDINARY_WORDS = _words(
    "明明 刚刚 天天 常常 静静 默默 渐渐 慢慢 好好 往往 仅仅 偏偏 恰恰 纷纷 频频 久久 处处 人人 "
    "家家 年年 星星 宝宝 娃娃 妹妹 姐姐 哥哥 弟弟 爸爸 妈妈 爷爷 奶奶 婆婆 公公 叔叔 伯伯 舅舅 "
    "姑姑 姥姥 乖乖 轻轻 悄悄 紧紧 深深 高高 远远 早早 多多 时时 事事 样样 个个 刻刻 日日 夜夜 "
    "月月 稍稍 匆匆 连连 满满 小心 小康 小雨 小雪 小满 小暑 小寒 小时 小学 小组 小区 小说 小孩 "
    "小事 小姐 小伙 小吃 小麦 小平 小型 小于 小儿 小便 小气 小数 小鸡 小子 小家 小妹 小弟 小哥 "
    "小姑 小姨 小舅 小叔 小车 小路 小河 小溪 小山 小猫 小狗 小鸟 小草 小树 小米 小手 小脸 小品 "
    "小微 小额 小队 小结 小节 小店 小病 小伤 小朋 小巧 小菜 阿姨 阿婆 阿公 阿爸 阿妈 阿哥 阿姐 "
    "阿弟 阿妹 阿叔 阿伯 阿拉 阿里 阿胶 女娃 男娃 小娃 姐妹 兄妹 表妹 学妹 堂妹 帅哥 大哥 大姐 "
    "大姨 大嫂 大叔 大婶 空姐 表哥 表姐 表叔 堂哥 堂姐 老哥 老姐 二姐 二哥 三姐 三哥"
)
VILLAGE_PLACEHOLDERS = {"村": "某村", "社区": "某社区"}
# The kind a school name ends with, kept in print: 石岗村小学 → 某小学.
SCHOOL_KINDS = (
    "幼儿园",
    "小学",
    "初级中学",
    "高级中学",
    "中学",
    "初中",
    "高中",
    "职业教育中心",
    "职业中学",
    "中心校",
    "学校",
)
_CJK = "\u3400-\u9fff"
# A village (村) or community (社区) inside an address: the words after the province, city,
# district, county, town or sub-district and before 村/社区 (罗云镇石岗村七组23号: 石岗村).
_VILLAGE_RE = re.compile(
    r"(?:^|(?<=省)|(?<=市)|(?<=区)|(?<=县)|(?<=镇)|(?<=乡)|(?<=街道))"
    rf"((?:(?![省市区县镇乡村道])[{_CJK}]){{2,8}}?)(社区|村)"
)
_ADMIN_PREFIX_RE = re.compile(rf"^[{_CJK}]*?(?:省|市|区|县)(?=[{_CJK}])")
CONTEXT_CHARS = 5
MAX_CONTEXTS = 3


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name) of a Han name (compound surnames known); a name written with a
    middle dot (阿依古丽·买买提) has no surname here: its parts are names of their own."""
    compact = re.sub(r"\s+", "", name)
    if len(compact) < 2 or "·" in compact or "•" in compact:
        return "", compact
    if len(compact) >= 3 and compact[:2] in COMPOUND_SURNAMES:
        return compact[:2], compact[2:]
    return compact[0], compact[1:]


def pet_forms(given: str, *, adult: bool = False) -> list[str]:
    """The shortened forms of a given name that are replaced: those that are not also
    everyday words (see :data:`ORDINARY_WORDS`)."""
    if not given:
        return []
    last = given[-1]
    forms = [last * 2, *(p + last for p in PET_PREFIXES)]
    if len(given) == 1:
        forms += [last + s for s in PET_SUFFIXES]
    if adult:
        forms += [last + s for s in ADULT_SUFFIXES]
    return [f for f in forms if f not in ORDINARY_WORDS]


def name_variants(name: str, *, adult: bool = False) -> list[str]:
    """How a person's name is written in a story, each replaced by 某某: the full name, a
    given name of two or more characters (雨桐), the surname with the given name's first
    character (龙雨), and the pet forms (桐桐, 小桐, 阿桐; 王丽: 丽丽, 小丽, 阿丽, 丽娃, 丽妹;
    an ``adult``'s also with 姐, 哥, 姨, 嫂, 叔, 婶: 刘芳 → 芳姐).
    A one-character given name on its own (丽) is not among them: it is also part of everyday
    words (美丽, 明天, 说明), so it is left for the director to review."""
    compact = re.sub(r"\s+", "", name)
    if len(compact) < 2:
        return []
    if "·" in compact or "•" in compact:
        return [compact, *(p for p in re.split("[·•]", compact) if len(p) >= 2)]
    surname, given = split_name(compact)
    found = [compact]
    if len(given) >= 2:
        found += [given, surname + given[0]]
    return found + pet_forms(given, adult=adult)


def villages_in(address: str) -> list[str]:
    """The village and community names written in an address (罗云镇石岗村七组23号: 石岗村)."""
    compact = re.sub(r"\s+", "", address)
    return [m.group(1) + m.group(2) for m in _VILLAGE_RE.finditer(compact)]


def house_in(address: str) -> str:
    """What follows the village in an address when it numbers a house (罗云镇石岗村七组23号:
    七组23号): hidden like the whole address; "" when there is none or it is only a number."""
    compact = re.sub(r"\s+", "", address)
    found = list(_VILLAGE_RE.finditer(compact))
    tail = compact[found[-1].end() :] if found else ""
    # not a bare number (石岗村23号: "23号" is also a date, 11月23号)
    numbered = re.search(r"[0-9０-９号栋室]", tail) and re.search(r"[^0-9０-９号]", tail)
    return tail if numbered else ""


def village_placeholder(village: str) -> str:
    for suffix, placeholder in VILLAGE_PLACEHOLDERS.items():
        if village.endswith(suffix):
            return placeholder
    return "某村"


def village_stem(village: str) -> str:
    for suffix in VILLAGE_PLACEHOLDERS:
        if village.endswith(suffix):
            return village[: -len(suffix)]
    return village


def school_forms(school: str) -> list[str]:
    """How a school's name is written: in full, without its district or county (南川区罗云镇
    中心小学: 罗云镇中心小学), and without the town's 镇/乡 (罗云中心小学)."""
    compact = re.sub(r"\s+", "", school)
    if len(compact) < 2:
        return []
    forms = [compact]
    short = _ADMIN_PREFIX_RE.sub("", compact)
    if short != compact and len(short) >= 3:
        forms.append(short)
    town = re.match(rf"^([{_CJK}]{{2,4}})[镇乡](?=[{_CJK}]{{2}})", short)
    if town:
        forms.append(town.group(1) + short[town.end() :])
    return list(dict.fromkeys(forms))


def school_placeholder(school: str) -> str:
    kind = next((k for k in SCHOOL_KINDS if school.endswith(k)), "学校")
    return "某" + kind


@dataclass(frozen=True)
class Identifying:
    """What identifies one child in print: the child's name, ID number, addresses, village
    and school, and the guardians' (and caring mother's) names, ID numbers and phones."""

    names: tuple[str, ...]  # the child's name first, then the guardians' and the others'
    numbers: tuple[str, ...]  # ID numbers and phones
    places: tuple[str, ...]  # address, 户籍, the house part of an address: hidden whole
    villages: tuple[str, ...] = ()  # 石岗村 → 某村, 金山社区 → 某社区
    schools: tuple[str, ...] = ()  # → 某小学, 某中学, 某学校

    def name_pieces(self) -> list[str]:
        """Every written form of every name (:func:`name_variants`), longest first, so "小明"
        alone is caught as well as the full name."""
        pieces: set[str] = set()
        for number, name in enumerate(self.names):
            pieces.update(name_variants(name, adult=number > 0))
        return sorted(pieces, key=lambda p: (-len(p), p))

    def child_given(self) -> str:
        """The child's given name (丽 for 王丽, 雨桐 for 龙雨桐)."""
        return split_name(self.names[0])[1] if self.names else ""

    def school_pieces(self) -> list[tuple[str, str]]:
        """(written form, placeholder) of each school, longest first."""
        pieces = {
            form: school_placeholder(school)
            for school in self.schools
            for form in school_forms(school)
        }
        return sorted(pieces.items(), key=lambda p: (-len(p[0]), p[0]))

    def village_names(self) -> list[str]:
        compact = (re.sub(r"\s+", "", v) for v in self.villages)
        return sorted({v for v in compact if len(v) >= 2}, key=lambda v: (-len(v), v))

    def data(self) -> list[str]:
        """Every datum no part of the print may contain (a summary's letterhead names its
        village, so the village is not among them: see :meth:`story_data`)."""
        places = [re.sub(r"\s+", "", p) for p in self.places]
        numbers = [re.sub(r"\s+", "", n) for n in self.numbers]
        return [*self.name_pieces(), *(n for n in numbers if n), *(p for p in places if p)]

    def story_data(self) -> list[str]:
        """Every datum a printed story may not contain: :meth:`data`, the village and the
        school."""
        return [*self.data(), *self.village_names(), *(f for f, _p in self.school_pieces())]


def identifying(
    *,
    name: str,
    id_number: str = "",
    addresses: Iterable[str] = (),
    guardians: Iterable[tuple[str, str, str]] = (),
    villages: Iterable[str] = (),
    schools: Iterable[str] = (),
    others: Iterable[str] = (),
) -> Identifying:
    """``guardians``: (name, ID number, phone) of each (the caring mother too); ``villages``:
    the child's village by name where it is known, added to those written in the addresses;
    ``others``: more people's names to hide (a story's ``other_names``)."""
    people = list(guardians)
    given = [a for a in addresses if a and a.strip()]
    found = [v for v in villages if v and v.strip()]
    for place in given:
        found += villages_in(place)
    houses = [h for h in map(house_in, given) if h and h not in given]
    places = tuple(dict.fromkeys([*given, *houses]))
    return Identifying(
        names=(name, *(g[0] for g in people if g[0]), *(o for o in others if o.strip())),
        numbers=tuple(
            n for n in (id_number, *(g[1] for g in people), *(g[2] for g in people)) if n
        ),
        places=places,
        villages=tuple(dict.fromkeys(found)),
        schools=tuple(s for s in schools if s and s.strip()),
    )


def anonymise(text: str, who: Identifying) -> str:
    """``text`` with the child's and guardians' names as 某某, ID numbers, phones and the
    addresses removed, the school as 某小学 (某中学, 某学校…) and the village as 某村 (某社区)."""
    out = text
    for place in sorted((p for p in who.places if p.strip()), key=len, reverse=True):
        out = out.replace(place, HIDDEN_ADDRESS)
    for number in who.numbers:
        if number.strip():
            out = out.replace(number, HIDDEN_ID if len(number) >= 15 else HIDDEN_PHONE)
    out = _ID_RE.sub(HIDDEN_ID, out)
    out = _PHONE_RE.sub(HIDDEN_PHONE, out)
    for form, placeholder in who.school_pieces():
        out = out.replace(form, placeholder)
    for village in who.village_names():
        out = out.replace(village, village_placeholder(village))
    for piece in who.name_pieces():
        out = out.replace(piece, PLACEHOLDER)
    # "某某某某" where a name and its pair met: one placeholder is enough
    return re.sub(f"(?:{PLACEHOLDER})+", PLACEHOLDER, out)


def identifying_data_in(text: str, who: Identifying) -> list[str]:
    """The identifying data found in a printed story (whitespace ignored, as a PDF may wrap
    a name over two lines); empty when the text is safe to print."""
    flat = re.sub(r"\s+", "", text)
    return [datum for datum in who.story_data() if datum in flat]


@dataclass(frozen=True)
class Mention:
    """A word left in an anonymised story that may point at the child: how often, and where
    (a few characters either side, the word in 【】). ``kind``: "name" (a character of the
    child's given name) or "place" (the village's name without 村/社区)."""

    word: str
    kind: str
    count: int
    contexts: tuple[str, ...]


# What anonymise() writes in: a character of the child's name inside it (王小: 小 in 某小学) is
# not the child's.
_PLACEHOLDERS_RE = re.compile(
    "|".join(
        re.escape(p)
        for p in sorted(
            {
                PLACEHOLDER,
                HIDDEN_ID,
                HIDDEN_ADDRESS,
                *VILLAGE_PLACEHOLDERS.values(),
                *("某" + kind for kind in SCHOOL_KINDS),
            },
            key=len,
            reverse=True,
        )
    )
)


def _contexts(text: str, word: str) -> list[str]:
    ours = [m.span() for m in _PLACEHOLDERS_RE.finditer(text)]
    found = []
    for match in re.finditer(re.escape(word), text):
        at, end = match.start(), match.end()
        if any(start < end and at < stop for start, stop in ours):
            continue
        found.append(
            ("…" if at > CONTEXT_CHARS else "")
            + text[max(0, at - CONTEXT_CHARS) : at]
            + f"【{word}】"
            + text[end : end + CONTEXT_CHARS]
            + ("…" if end + CONTEXT_CHARS < len(text) else "")
        )
    return found


def mentions_to_review(texts: Sequence[str], who: Identifying) -> list[Mention]:
    """What :func:`anonymise` could not decide, found in its output (``texts``: a story's
    anonymised title and parts): each character of the child's given name still in the text,
    alone or in a word (丽 in "丽说", but also in "美丽"), and the village's name without
    村/社区 (石岗). They are not replaced — that would mangle everyday words — but shown to the
    director, who rewrites the story where they name the child."""
    flats = [re.sub(r"\s+", "", t) for t in texts]
    words = [(c, "name") for c in dict.fromkeys(who.child_given())]
    stems = dict.fromkeys(village_stem(v) for v in who.village_names())
    words += [(stem, "place") for stem in stems if len(stem) >= 2]
    found = []
    for word, kind in words:
        contexts = [c for flat in flats for c in _contexts(flat, word)]
        if contexts:
            found.append(Mention(word, kind, len(contexts), tuple(contexts[:MAX_CONTEXTS])))
    return found
