"""An activity (活动) with attendance: group counselling, themed activities, parent classes,
红色实践, training … (seed 000 五 counts them and the children reached; seed 004 三（五）
plans them).

One record per activity, held by the village (or town) that ran it: date, kind, title, organiser,
place, the children from the files who were invited and who attended, the guardians who attended
(by name, as written on the sign-in sheet), a count of others, notes.

Figures (:func:`activity_figures`): 人次 (attendances: each attending child of each activity,
plus guardians and others when asked) and distinct children reached, by kind, for a period.

Photos (活动照片, issue 19: "photos as encrypted attachments"): each photo is an ``attachment``
record owned by the activity (``owner_id``), its bytes an encrypted blob (storage/attachments.py);
the activity's own record does not list them, so correcting an activity keeps its photos.
:func:`photo_problem` holds the rules: JPEG or PNG by content (not by the file name's ending), not
empty, at most :data:`MAX_PHOTO_BYTES`, at most :data:`MAX_PHOTOS` per activity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from app.domain.problems import FieldProblem, title_problems, too_long_problems

ACTIVITY_TYPE = "activity"  # the vault's record type

MAX_TITLE = 100
MAX_TEXT = 2000
MAX_OTHERS = 100_000

# A phone's photo is 2–8 MB. 10 MiB keeps one photo, base64-encoded in a sync batch (×4/3, about
# 13.4 MiB), under the district's 16 MiB request limit (sync/laptop/batches.py SERVER_LIMIT).
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 30  # per activity
PHOTO_MIMES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}


class ActivityKind(StrEnum):
    GROUP_COUNSELLING = "group_counselling"  # 团体辅导
    THEMED = "themed"  # 主题活动
    PARENT_CLASS = "parent_class"  # 家长课堂
    RED_PRACTICE = "red_practice"  # 红色实践
    TRAINING = "training"  # 培训
    OTHER = "other"  # 其他


ACTIVITY_KIND_LABELS_ZH: dict[ActivityKind, str] = {
    ActivityKind.GROUP_COUNSELLING: "团体辅导",
    ActivityKind.THEMED: "主题活动",
    ActivityKind.PARENT_CLASS: "家长课堂",
    ActivityKind.RED_PRACTICE: "红色实践",
    ActivityKind.TRAINING: "培训",
    ActivityKind.OTHER: "其他",
}

FIELD_LABELS_ZH = {
    "on": "活动日期",
    "kind": "活动类型",
    "title": "活动名称",
    "organiser": "组织单位",
    "place": "活动地点",
    "village_code": "村（社区）",
    "invited": "邀请的儿童",
    "attended": "参加的儿童",
    "guardians": "参加的监护人",
    "others_count": "其他参加人数",
    "notes": "备注",
    "demo": "演示标记",
    "photos": "活动照片",
}


@dataclass
class Activity:
    on: date
    kind: ActivityKind
    title: str
    village_code: str  # the village (or town office's village) that holds the record
    organiser: str = ""
    place: str = ""
    invited: list[str] = field(default_factory=list)  # child record ids (for the 签到表)
    attended: list[str] = field(default_factory=list)  # child record ids
    guardians: list[str] = field(default_factory=list)  # guardians who came, as signed
    others_count: int = 0  # others present (volunteers, neighbours' children …)
    notes: str = ""
    demo: str = ""

    @property
    def kind_zh(self) -> str:
        return ACTIVITY_KIND_LABELS_ZH[self.kind]

    @property
    def attendance(self) -> int:
        """人次 of this activity: attending children, guardians and others."""
        return len(set(self.attended)) + len(self.guardians) + self.others_count

    def problems_found(self, *, today: date) -> list[FieldProblem]:
        found = title_problems(self.title, "活动名称", MAX_TITLE)
        found += too_long_problems(self, ("organiser", "place", "notes"), FIELD_LABELS_ZH, MAX_TEXT)
        if not 0 <= self.others_count <= MAX_OTHERS:
            found.append(
                FieldProblem(
                    "others_count", "其他参加人数应为0或正整数。", "others_count is out of range"
                )
            )
        if len(set(self.attended)) != len(self.attended):
            found.append(
                FieldProblem(
                    "attended", "同一名儿童只能签到一次。", "a child is listed twice as attending"
                )
            )
        # planned activities are recorded ahead (the 签到表 is printed before), but nobody can
        # have attended yet
        if self.on > today and (self.attended or self.guardians or self.others_count):
            found.append(
                FieldProblem(
                    "attended",
                    "活动还没有举行，不能登记参加人员；可以先登记邀请的儿童并打印签到表。",
                    "attendance recorded for an activity in the future",
                )
            )
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "kind": self.kind.value,
            "title": self.title,
            "village_code": self.village_code,
            "organiser": self.organiser,
            "place": self.place,
            "invited": list(self.invited),
            "attended": list(self.attended),
            "guardians": list(self.guardians),
            "others_count": self.others_count,
            "notes": self.notes,
            "demo": self.demo,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Activity:
        try:
            kind = ActivityKind(data.get("kind", "other"))
        except ValueError:
            kind = ActivityKind.OTHER  # a kind a newer program added
        return cls(
            on=date.fromisoformat(data["on"]),
            kind=kind,
            title=str(data.get("title", "")),
            village_code=str(data.get("village_code", "")),
            organiser=str(data.get("organiser", "")),
            place=str(data.get("place", "")),
            invited=[str(c) for c in data.get("invited", [])],
            attended=[str(c) for c in data.get("attended", [])],
            guardians=[str(g) for g in data.get("guardians", [])],
            others_count=int(data.get("others_count", 0) or 0),
            notes=str(data.get("notes", "")),
            demo=str(data.get("demo", "")),
        )


def photo_mime(content: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` when the bytes start like one, else None."""
    for magic, mime in PHOTO_MIMES.items():
        if content.startswith(magic):
            return mime
    return None


def photo_problem(content: bytes, *, already: int = 0) -> FieldProblem | None:
    """Why a file cannot be added as an activity photo (``already``: photos the activity has),
    or None. ``content`` may be cut at ``MAX_PHOTO_BYTES + 1`` bytes: longer is too large."""
    if len(content) > MAX_PHOTO_BYTES:
        return FieldProblem(
            "photos",
            f"照片太大了，一张不能超过{MAX_PHOTO_BYTES // (1024 * 1024)}MB。"
            "请用手机或电脑把照片缩小一些再添加。",
            "the photo is larger than the limit",
        )
    if not content:
        return FieldProblem("photos", "这个文件是空的，不是照片。", "the file is empty")
    if photo_mime(content) is None:
        return FieldProblem(
            "photos",
            "只能添加JPG或PNG格式的照片。这个文件不是照片（或格式不对），没有添加。",
            "not a JPEG or PNG file",
        )
    if already >= MAX_PHOTOS:
        return FieldProblem(
            "photos",
            f"一次活动最多保存{MAX_PHOTOS}张照片，请先删除不需要的照片。",
            "too many photos for one activity",
        )
    return None


@dataclass(frozen=True)
class ActivityPhoto:
    """One photo of an activity, as its attachment record describes it (no bytes)."""

    photo_id: str  # the attachment record id
    activity_id: str
    filename: str
    mime: str
    size: int
    added_by: str
    added_ms: int  # when it was added (the revision's clock), for ordering and display

    @property
    def size_text(self) -> str:
        if self.size >= 1024 * 1024:
            return f"{self.size / (1024 * 1024):.1f}MB"
        return f"{max(1, round(self.size / 1024))}KB"


@dataclass(frozen=True)
class KindFigures:
    kind: ActivityKind
    activities: int
    child_attendances: int  # 儿童人次
    children_reached: int  # distinct children
    all_attendances: int  # 人次 including guardians and others

    @property
    def kind_zh(self) -> str:
        return ACTIVITY_KIND_LABELS_ZH[self.kind]


@dataclass(frozen=True)
class ActivityFigures:
    start: date
    end: date  # inclusive
    by_kind: tuple[KindFigures, ...]  # every kind, in the order of ActivityKind
    activities: int
    child_attendances: int
    children_reached: int  # distinct over all kinds (a child at two kinds counts once)
    all_attendances: int


def activity_figures(activities: Iterable[Activity], start: date, end: date) -> ActivityFigures:
    """Activities held from ``start`` to ``end`` (inclusive) counted by kind (seed 000 五:
    "48场团体辅导，覆盖3800余人次")."""
    held = [a for a in activities if start <= a.on <= end]
    rows = []
    everyone: set[str] = set()
    for kind in ActivityKind:
        of_kind = [a for a in held if a.kind == kind]
        children: set[str] = set()
        for a in of_kind:
            children |= set(a.attended)
        everyone |= children
        rows.append(
            KindFigures(
                kind=kind,
                activities=len(of_kind),
                child_attendances=sum(len(set(a.attended)) for a in of_kind),
                children_reached=len(children),
                all_attendances=sum(a.attendance for a in of_kind),
            )
        )
    return ActivityFigures(
        start=start,
        end=end,
        by_kind=tuple(rows),
        activities=len(held),
        child_attendances=sum(r.child_attendances for r in rows),
        children_reached=len(everyone),
        all_attendances=sum(r.all_attendances for r in rows),
    )
