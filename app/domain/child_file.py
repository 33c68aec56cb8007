"""The child file (一人一档): identity, categories, guardians, support, 爱心妈妈, status.

Stored as the data of a vault record of type ``child``; every change is a revision.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from app.domain.ages import calendar_age
from app.domain.categories import (
    CATEGORY_LABELS_ZH,
    RELATION_LABELS_ZH,
    SUPPORT_LABELS_ZH,
    ChildCategory,
    GuardianRelation,
    SupportKind,
)
from app.domain.guardian_situation import SITUATION_LABELS_ZH, GuardianSituation
from app.domain.id_number import (
    InvalidIdNumberError,
    id_consistency_problems,
    parse_id_number,
)
from app.domain.jsonable import date_or_none, jsonable
from app.domain.problems import FieldProblem

VILLAGE_CODE_RE = re.compile(r"^\d{12}$")
PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
TRANSITION_WINDOW_MONTHS = 6


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


GENDER_LABELS_ZH = {Gender.MALE: "男", Gender.FEMALE: "女"}


class FileStatus(StrEnum):
    ACTIVE = "active"
    TRANSFERRED = "transferred"  # moved to another village: the file goes with the child
    CLOSED = "closed"  # e.g. turned 18 and left children's services


STATUS_LABELS_ZH = {
    FileStatus.ACTIVE: "在册",
    FileStatus.TRANSFERRED: "已转出",
    FileStatus.CLOSED: "已关闭",
}


@dataclass
class Guardian:
    relation: GuardianRelation
    name: str = ""
    id_number: str = ""
    phone: str = ""
    situations: list[GuardianSituation] = field(default_factory=list)
    is_guardian: bool = True  # 监护人
    is_caregiver: bool = False  # 实际抚养人
    notes: str = ""
    # Facts the 事实无人抚养 recognition helper asks for (keys of recognition.ParentFacts, e.g.
    # "restriction_months": 36, "police_report_accepted_on": "2026-02-01").
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Disability:
    kind: str = ""  # 视力/听力/言语/肢体/智力/精神/多重
    grade: int | None = None  # 一级 (most severe) … 四级
    certificate_number: str = ""  # 残疾证号


@dataclass
class PsychScreening:
    on: date
    result: str = ""
    referred: bool = False  # referred for professional evaluation


@dataclass
class Support:
    kind: SupportKind
    amount_yuan_per_month: float | None = None
    since: date | None = None
    notes: str = ""


@dataclass
class CaringMother:
    """爱心妈妈: a volunteer paired one-to-one with the child (妇联)."""

    name: str
    phone: str = ""
    since: date | None = None


@dataclass
class Transfer:
    to_village_code: str
    on: date
    reason: str = ""


class ArchiveReason(StrEnum):
    MOVED_OUT = "moved_out"  # 迁出
    TURNED_18 = "turned_18"  # 年满18周岁
    DUPLICATE = "duplicate"  # 重复建档
    DIED = "died"  # 死亡
    OTHER = "other"  # 其他 (a note says what)


ARCHIVE_REASON_LABELS_ZH = {
    ArchiveReason.MOVED_OUT: "迁出",
    ArchiveReason.TURNED_18: "年满18周岁",
    ArchiveReason.DUPLICATE: "重复建档",
    ArchiveReason.DIED: "死亡",
    ArchiveReason.OTHER: "其他",
}


@dataclass
class Archive:
    """归档: the file leaves the lists and due lists but stays in the vault (and syncs); it
    can be restored."""

    reason: ArchiveReason
    on: date
    note: str = ""

    def text_zh(self) -> str:
        label = ARCHIVE_REASON_LABELS_ZH[self.reason]
        return f"{label}：{self.note}" if self.note else label


def eighteenth_birthday(birth_date: date) -> date:
    try:
        return birth_date.replace(year=birth_date.year + 18)
    except ValueError:  # born on 29 February
        return date(birth_date.year + 18, 3, 1)


def transition_flag(birth_date: date, today: date) -> str | None:
    """``approaching_18`` within six months of the 18th birthday, ``turned_18`` after."""
    eighteen = eighteenth_birthday(birth_date)
    if today >= eighteen:
        return "turned_18"
    month = eighteen.month - TRANSITION_WINDOW_MONTHS
    year = eighteen.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    window_start = date(year, month, min(eighteen.day, calendar.monthrange(year, month)[1]))
    return "approaching_18" if today >= window_start else None


@dataclass
class ChildFile:
    name: str
    gender: Gender
    birth_date: date
    village_code: str
    id_number: str = ""
    ethnicity: str = "汉族"
    hukou: str = ""  # 户籍
    address: str = ""
    town_code: str = ""
    school: str = ""
    grade: str = ""
    health: str = ""
    disability: Disability | None = None
    psych_screenings: list[PsychScreening] = field(default_factory=list)
    categories: list[ChildCategory] = field(default_factory=list)
    guardians: list[Guardian] = field(default_factory=list)
    support: list[Support] = field(default_factory=list)
    caring_mother: CaringMother | None = None
    status: FileStatus = FileStatus.ACTIVE
    transfer: Transfer | None = None
    closure_reason: str = ""
    notes: str = ""
    archive: Archive | None = None  # 归档 (see Archive); None while the file is in use
    opened_on: date | None = None  # when the file was created (first visit is due soon after)
    # When the district confirmed the child as 事实无人抚养儿童 (复核确认 of a recognition
    # application, applied after a sync): the monthly-visit rule counts from it.
    recognition_confirmed_on: date | None = None
    demo: str = ""  # "演示数据" on synthetic files

    # ----- derived facts -------------------------------------------------------------------

    def age_on(self, today: date) -> int:
        return calendar_age(self.birth_date, today)

    def eighteenth_birthday(self) -> date:
        return eighteenth_birthday(self.birth_date)

    def transition_flag(self, today: date) -> str | None:
        """``approaching_18`` within six months of the 18th birthday, ``turned_18`` after."""
        return transition_flag(self.birth_date, today)

    @property
    def archived(self) -> bool:
        return self.archive is not None

    def parent(self, relation: GuardianRelation) -> Guardian | None:
        return next((g for g in self.guardians if g.relation == relation), None)

    # ----- validation ----------------------------------------------------------------------

    def problems(self, today: date) -> list[FieldProblem]:
        """Every problem with the file; non-blocking ones are flags to show."""
        found: list[FieldProblem] = []
        if not self.name.strip():
            found.append(FieldProblem("name", "请填写儿童姓名。", "the child's name is required"))
        if self.birth_date > today:
            found.append(
                FieldProblem("birth_date", "出生日期不能晚于今天。", "birth date is in the future")
            )
        elif self.age_on(today) > 25:
            found.append(
                FieldProblem(
                    "birth_date", "出生日期太早，请核对。", "birth date is implausibly early"
                )
            )
        if not VILLAGE_CODE_RE.match(self.village_code):
            found.append(
                FieldProblem(
                    "village_code",
                    "村（社区）代码应为 12 位数字（行政区划代码）。",
                    "village code must be the 12-digit administrative code",
                )
            )
        elif self.town_code and not self.village_code.startswith(self.town_code):
            found.append(
                FieldProblem(
                    "town_code",
                    "乡镇代码与村代码不一致。",
                    "town code is not the prefix of the village code",
                )
            )
        found += self._id_problems(today)
        for index, guardian in enumerate(self.guardians):
            found += _guardian_problems(index, guardian, today)
        if self.disability and self.disability.grade not in (None, 1, 2, 3, 4):
            found.append(
                FieldProblem(
                    "disability.grade", "残疾等级应为一至四级。", "disability grade must be 1-4"
                )
            )
        mother_phone = self.caring_mother.phone if self.caring_mother else ""
        if mother_phone and not PHONE_RE.match(mother_phone):
            found.append(_phone_problem("caring_mother.phone"))
        for screening in self.psych_screenings:
            if screening.on > today or screening.on < self.birth_date:
                found.append(
                    FieldProblem(
                        "psych_screenings",
                        "心理筛查日期应在出生之后、今天之前。",
                        "screening date outside the child's life",
                    )
                )
        if self.status == FileStatus.TRANSFERRED and self.transfer is None:
            found.append(
                FieldProblem("transfer", "转移需要填写转入的村。", "a transfer needs a destination")
            )
        return found

    def _id_problems(self, today: date) -> list[FieldProblem]:
        if not self.id_number.strip():
            return [
                FieldProblem(
                    "id_number",
                    "还没有身份证号：请尽快补充（可先保存）。",
                    "no ID number yet (allowed, flagged)",
                    blocking=False,
                )
            ]
        try:
            info = parse_id_number(self.id_number, today=today)
        except InvalidIdNumberError as err:
            return [FieldProblem("id_number", err.message_zh, err.message_en)]
        return id_consistency_problems(info, birth_date=self.birth_date, gender=self.gender)

    # ----- storage form --------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChildFile:
        d = dict(data)
        d["gender"] = Gender(d["gender"])
        d["birth_date"] = date.fromisoformat(d["birth_date"])
        d["status"] = FileStatus(d.get("status", FileStatus.ACTIVE))
        d["categories"] = [ChildCategory(c) for c in d.get("categories", [])]
        d["guardians"] = [
            Guardian(
                **{
                    **g,
                    "relation": GuardianRelation(g["relation"]),
                    "situations": [GuardianSituation(s) for s in g.get("situations", [])],
                }
            )
            for g in d.get("guardians", [])
        ]
        d["support"] = [
            Support(**{**s, "kind": SupportKind(s["kind"]), "since": date_or_none(s.get("since"))})
            for s in d.get("support", [])
        ]
        d["psych_screenings"] = [
            PsychScreening(**{**p, "on": date.fromisoformat(p["on"])})
            for p in d.get("psych_screenings", [])
        ]
        if d.get("disability"):
            d["disability"] = Disability(**d["disability"])
        if d.get("caring_mother"):
            cm = d["caring_mother"]
            d["caring_mother"] = CaringMother(**{**cm, "since": date_or_none(cm.get("since"))})
        d["opened_on"] = date_or_none(d.get("opened_on"))
        d["recognition_confirmed_on"] = date_or_none(d.get("recognition_confirmed_on"))
        if d.get("archive"):
            a = d["archive"]
            d["archive"] = Archive(
                ArchiveReason(a["reason"]), date.fromisoformat(a["on"]), a.get("note", "")
            )
        if d.get("transfer"):
            t = d["transfer"]
            d["transfer"] = Transfer(**{**t, "on": date.fromisoformat(t["on"])})
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


# The stored fields as people call them (历史, and a save over a newer revision).
FIELD_LABELS_ZH = {
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "ethnicity": "民族",
    "hukou": "户籍",
    "address": "现住址",
    "village_code": "村代码",
    "town_code": "乡镇代码",
    "school": "学校",
    "grade": "年级",
    "health": "健康状况",
    "disability": "残疾",
    "psych_screenings": "心理筛查",
    "categories": "类别",
    "guardians": "监护人",
    "support": "救助保障",
    "caring_mother": "爱心妈妈",
    "status": "档案状态",
    "transfer": "转移",
    "closure_reason": "关闭原因",
    "notes": "备注",
    "archive": "归档",
    "opened_on": "建档日期",
    "recognition_confirmed_on": "事实无人抚养认定日期",
    "demo": "演示标记",
}


def field_text_zh(field_name: str, value: Any) -> str:
    """A stored field's JSON value as a person reads it (both sides of a save conflict)."""
    if value in (None, "", [], {}):
        return "（空）"
    if field_name == "gender":
        return GENDER_LABELS_ZH.get(Gender(value), str(value))
    if field_name == "categories":
        return "、".join(CATEGORY_LABELS_ZH.get(ChildCategory(c), str(c)) for c in value)
    if field_name == "status":
        return STATUS_LABELS_ZH.get(FileStatus(value), str(value))
    if field_name == "archive":
        return (
            Archive(
                ArchiveReason(value["reason"]),
                date.fromisoformat(value["on"]),
                value.get("note", ""),
            ).text_zh()
            + f"（{value['on']}）"
        )
    if field_name == "guardians":
        return "；".join(
            " ".join(
                x
                for x in (
                    RELATION_LABELS_ZH.get(GuardianRelation(g["relation"]), ""),
                    g.get("name", ""),
                    g.get("phone", ""),
                    "、".join(
                        SITUATION_LABELS_ZH[GuardianSituation(s)] for s in g.get("situations", [])
                    ),
                )
                if x
            )
            for g in value
        )
    if field_name == "caring_mother":
        return " ".join(x for x in (value.get("name", ""), value.get("phone", "")) if x)
    if field_name == "disability":
        grade = value.get("grade")
        return "".join(
            (
                value.get("kind", ""),
                f"{grade}级" if grade else "",
                " " + value.get("certificate_number", ""),
            )
        ).strip()
    if field_name == "support":
        return "、".join(
            SUPPORT_LABELS_ZH.get(SupportKind(s["kind"]), str(s["kind"])) for s in value
        )
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{v}" for k, v in value.items() if v not in (None, ""))
    return str(value)


def _guardian_problems(index: int, guardian: Guardian, today: date) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    prefix = f"guardians[{index}]"
    if guardian.id_number.strip():
        try:
            parse_id_number(guardian.id_number, today=today)
        except InvalidIdNumberError as err:
            found.append(FieldProblem(f"{prefix}.id_number", err.message_zh, err.message_en))
    if guardian.phone and not PHONE_RE.match(guardian.phone):
        found.append(_phone_problem(f"{prefix}.phone"))
    if GuardianSituation.PRESENT in guardian.situations and len(guardian.situations) > 1:
        found.append(
            FieldProblem(
                f"{prefix}.situations",
                "“在家，正常履行监护职责”不能与其他情形同时选择。",
                "'present' cannot be combined with other situations",
            )
        )
    return found


def _phone_problem(field_name: str) -> FieldProblem:
    return FieldProblem(
        field_name,
        "电话号码格式不对：手机号为 11 位数字，座机如 023-12345678。",
        "phone number is not a valid mobile or landline number",
    )
