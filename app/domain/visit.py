"""A visit record (走访记录): quick to fill after a home visit, printed for the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from app.domain.jsonable import date_or_none, jsonable
from app.domain.problems import FieldProblem


class VisitForm(StrEnum):
    HOME = "home"  # 入户
    PHONE = "phone"  # 电话
    SCHOOL = "school"  # 学校
    OTHER = "other"  # 其他


VISIT_FORM_LABELS_ZH = {
    VisitForm.HOME: "入户走访",
    VisitForm.PHONE: "电话",
    VisitForm.SCHOOL: "学校走访",
    VisitForm.OTHER: "其他",
}


# The stored fields as people call them (历史, and a save over a newer revision).
FIELD_LABELS_ZH = {
    "child_id": "儿童",
    "on": "走访日期",
    "form": "走访形式",
    "met": "见到的人",
    "observations": "观察情况",
    "problems": "发现的问题",
    "help_given": "提供的帮助",
    "follow_up": "后续跟进",
    "next_visit_on": "下次走访日期",
    "demo": "演示标记",
}
OBSERVATION_LABELS_ZH = {
    "living_conditions": "居住生活",
    "safety": "安全情况",
    "health": "健康情况",
    "schooling": "上学情况",
    "emotional_state": "情绪心理",
}


def field_text_zh(field_name: str, value: Any) -> str:
    """A stored field's JSON value as a person reads it."""
    if value in (None, "", [], {}):
        return "（空）"
    if field_name == "form":
        return VISIT_FORM_LABELS_ZH.get(VisitForm(value), str(value))
    if field_name == "observations" and isinstance(value, dict):
        parts = [f"{OBSERVATION_LABELS_ZH.get(k, k)}：{v}" for k, v in value.items() if v]
        return "；".join(parts) or "（空）"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


@dataclass
class Observations:
    """What was seen, by the headings of the paper visit record."""

    living_conditions: str = ""  # 居住生活
    safety: str = ""  # 安全
    health: str = ""  # 健康
    schooling: str = ""  # 上学
    emotional_state: str = ""  # 情绪心理


@dataclass
class Visit:
    child_id: str
    on: date
    form: VisitForm
    met: list[str] = field(default_factory=list)  # who was met: 祖母, 儿童本人, 班主任 …
    observations: Observations = field(default_factory=Observations)
    problems: str = ""
    help_given: str = ""
    follow_up: str = ""
    next_visit_on: date | None = None
    demo: str = ""

    def problems_found(self, *, birth_date: date, today: date) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        if self.on > today:
            found.append(
                FieldProblem("on", "走访日期不能晚于今天。", "the visit date is in the future")
            )
        if self.on < birth_date:
            found.append(
                FieldProblem(
                    "on", "走访日期早于儿童出生日期，请核对。", "the visit is before the birth date"
                )
            )
        if self.next_visit_on is not None and self.next_visit_on < self.on:
            found.append(
                FieldProblem(
                    "next_visit_on",
                    "下次走访日期应晚于本次走访日期。",
                    "the next visit date is before this visit",
                )
            )
        return found

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Visit:
        return cls(
            child_id=data["child_id"],
            on=date.fromisoformat(data["on"]),
            form=VisitForm(data["form"]),
            met=list(data.get("met", [])),
            observations=Observations(**data.get("observations", {})),
            problems=data.get("problems", ""),
            help_given=data.get("help_given", ""),
            follow_up=data.get("follow_up", ""),
            next_visit_on=date_or_none(data.get("next_visit_on")),
            demo=data.get("demo", ""),
        )
