"""典型案例 (typical cases, seed 004 四 3: "总结典型案例"): a short story of one child's case that
the director writes for the year-end summary — the situation, what was done, the result, what
others can learn from it.

One ``typical_case`` record per story, linked to the child (it syncs with the child's other
records). What the director writes names the child freely; the print never does: every text is
passed through :func:`anonymise` (the child's name → 某某, no ID number, no address, no guardian
names or phones) and the printed text is checked with :func:`identifying_data_in` before a PDF
is made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.problems import FieldProblem

MAX_TITLE = 60
MAX_TEXT = 3000
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
}


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

    def texts(self) -> list[tuple[str, str]]:
        """(label, text) of the story's parts, in print order."""
        return [
            (FIELD_LABELS_ZH[name], getattr(self, name))
            for name in ("situation", "actions", "outcome", "lessons")
        ]

    def problems_found(self, *, today: date) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        if not self.title.strip():
            found.append(FieldProblem("title", "请填写案例标题。", "the title is required"))
        elif len(self.title) > MAX_TITLE:
            found.append(
                FieldProblem("title", f"案例标题不能超过{MAX_TITLE}个字。", "the title is too long")
            )
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
        for name in ("situation", "actions", "outcome", "lessons"):
            if len(getattr(self, name)) > MAX_TEXT:
                found.append(
                    FieldProblem(
                        name,
                        f"{FIELD_LABELS_ZH[name]}不能超过{MAX_TEXT}个字。",
                        f"{name} is too long",
                    )
                )
        return found

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
        )


@dataclass(frozen=True)
class Identifying:
    """What identifies one child in print: the child's name, ID number, addresses, and the
    guardians' names, ID numbers and phones."""

    names: tuple[str, ...]  # the child's name first, then the guardians'
    numbers: tuple[str, ...]  # ID numbers and phones
    places: tuple[str, ...]  # address, 户籍

    def name_pieces(self) -> list[str]:
        """Each name and each pair of adjacent characters of it ("王小明": 王小, 小明), longest
        first, so "小明" alone is caught as well as the full name; and the pet names made of the
        last character (明明, 小明, 阿明), which directors write for a two-character name
        ("王丽": 丽丽, 小丽, 阿丽) whose given name alone is one character."""
        pieces: set[str] = set()
        for name in self.names:
            compact = re.sub(r"\s+", "", name)
            if len(compact) >= 2:
                pieces.add(compact)
                pieces.update(compact[i : i + 2] for i in range(len(compact) - 1))
                last = compact[-1]
                pieces.update((last * 2, "小" + last, "阿" + last))
        return sorted(pieces, key=lambda p: (-len(p), p))

    def data(self) -> list[str]:
        """Every datum the print must not contain."""
        places = [re.sub(r"\s+", "", p) for p in self.places]
        numbers = [re.sub(r"\s+", "", n) for n in self.numbers]
        return [*self.name_pieces(), *(n for n in numbers if n), *(p for p in places if p)]


def identifying(
    *,
    name: str,
    id_number: str = "",
    addresses: Iterable[str] = (),
    guardians: Iterable[tuple[str, str, str]] = (),
) -> Identifying:
    """``guardians``: (name, ID number, phone) of each."""
    people = list(guardians)
    return Identifying(
        names=(name, *(g[0] for g in people if g[0])),
        numbers=tuple(
            n for n in (id_number, *(g[1] for g in people), *(g[2] for g in people)) if n
        ),
        places=tuple(a for a in addresses if a),
    )


def anonymise(text: str, who: Identifying) -> str:
    """``text`` with the child's and guardians' names as 某某, ID numbers, phones and the
    addresses removed."""
    out = text
    for place in sorted((p for p in who.places if p.strip()), key=len, reverse=True):
        out = out.replace(place, HIDDEN_ADDRESS)
    for number in who.numbers:
        if number.strip():
            out = out.replace(number, HIDDEN_ID if len(number) >= 15 else HIDDEN_PHONE)
    out = _ID_RE.sub(HIDDEN_ID, out)
    out = _PHONE_RE.sub(HIDDEN_PHONE, out)
    for piece in who.name_pieces():
        out = out.replace(piece, PLACEHOLDER)
    # "某某某某" where a name and its pair met: one placeholder is enough
    return re.sub(f"(?:{PLACEHOLDER})+", PLACEHOLDER, out)


def identifying_data_in(text: str, who: Identifying) -> list[str]:
    """The identifying data found in ``text`` (whitespace ignored, as a PDF may wrap a name
    over two lines); empty when the text is safe to print."""
    flat = re.sub(r"\s+", "", text)
    return [datum for datum in who.data() if datum in flat]
