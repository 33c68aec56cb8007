"""Psychological screening (心理状况筛查, seed 000 四: 813 children screened, 16 referred for
evaluation) and the referral that a 建议转介 result creates.

A screening is a questionnaire of result kind ``screening`` (resources/questionnaires/
psych_screening.json): a child director's observational checklist, 初步筛查，不是诊断. Its
result is 未见异常 (clear), 建议关注 (watch) or 建议转介 (refer). A finished screening whose result
is 建议转介 creates a ``referral`` record that the director follows up: to whom the child was
referred, the date, whether the professional body evaluated the child and when, and the
outcome. Both are child-linked records that sync with the child's other records.

:func:`screening_figures` counts, for a period, the figures the seed reports — children
screened, flagged (建议关注 or 建议转介), referred and evaluated — over plain record data, so the
laptop's monthly report and the district console count the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from app.domain.jsonable import date_or_none
from app.domain.problems import FieldProblem

SCREENING_TYPE = "screening"  # vault record type of a screening (draft or finished)
REFERRAL_TYPE = "referral"  # vault record type of a referral
NOT_A_DIAGNOSIS_ZH = "初步筛查，不是诊断"
MAX_TEXT = 2000

# The screening's result levels (model.RESULT_KINDS['screening']), in the words the screens use.
SCREENING_LEVEL_WORDS_ZH: dict[str, str] = {
    "clear": "未见异常",
    "watch": "建议关注",
    "refer": "建议转介",
}
FLAGGED_LEVELS = frozenset({"watch", "refer"})

# Where children are usually referred (a suggestion in the form; any text is accepted).
REFER_TO_CHOICES_ZH: tuple[str, ...] = (
    "区精神卫生中心",
    "医院心理科（儿童心理门诊）",
    "心理咨询机构（社工站）",
    "学校心理老师",
    "未成年人救助保护中心",
)


class ReferralStatus(StrEnum):
    PENDING = "pending"  # 待转介: the result says refer, the child has not been referred yet
    REFERRED = "referred"  # 已转介，待评估
    EVALUATED = "evaluated"  # 已评估
    DECLINED = "declined"  # 未转介 (the guardian declined, or another reason): closed


REFERRAL_STATUS_ZH: dict[ReferralStatus, str] = {
    ReferralStatus.PENDING: "待转介",
    ReferralStatus.REFERRED: "已转介，待评估",
    ReferralStatus.EVALUATED: "已评估",
    ReferralStatus.DECLINED: "未转介（已说明原因）",
}


@dataclass
class Referral:
    child_id: str
    made_on: date  # when the referral record was made (the screening's finish date)
    screening_id: str = ""  # the screening whose 建议转介 result made it ("" when made by hand)
    referred_to: str = ""  # to whom: the professional body
    referred_on: date | None = None
    evaluated: bool = False  # the professional body evaluated the child
    evaluated_on: date | None = None
    outcome: str = ""  # what the evaluation found or advised (no diagnosis needed here)
    declined_reason: str = ""  # why the child was not referred (the guardian declined, …)
    notes: str = ""
    demo: str = ""

    @property
    def status(self) -> ReferralStatus:
        if self.evaluated:
            return ReferralStatus.EVALUATED
        if self.referred_on is not None:
            return ReferralStatus.REFERRED
        if self.declined_reason.strip():
            return ReferralStatus.DECLINED
        return ReferralStatus.PENDING

    @property
    def is_open(self) -> bool:
        return self.status in (ReferralStatus.PENDING, ReferralStatus.REFERRED)

    def problems_found(self, *, today: date) -> list[FieldProblem]:
        found: list[FieldProblem] = []

        def add(name: str, zh: str, en: str) -> None:
            found.append(FieldProblem(name, zh, en))

        if self.made_on > today:
            add("made_on", "登记日期不能晚于今天。", "the referral date is in the future")
        if self.referred_on is not None:
            if self.referred_on > today:
                add("referred_on", "转介日期不能晚于今天。", "referred in the future")
            if not self.referred_to.strip():
                add("referred_to", "请填写转介到哪个机构。", "referred without saying to whom")
        if self.evaluated:
            if self.referred_on is None:
                add(
                    "evaluated",
                    "评估前请先填写转介日期。",
                    "evaluated without a referral date",
                )
            if self.evaluated_on is None:
                add("evaluated_on", "请填写评估日期。", "evaluated without a date")
        elif self.evaluated_on is not None:
            add(
                "evaluated_on",
                "填写了评估日期，请同时勾选“已评估”。",
                "an evaluation date but not evaluated",
            )
        if self.evaluated_on is not None:
            if self.evaluated_on > today:
                add("evaluated_on", "评估日期不能晚于今天。", "evaluated in the future")
            if self.referred_on is not None and self.evaluated_on < self.referred_on:
                add(
                    "evaluated_on",
                    "评估日期不能早于转介日期。",
                    "evaluated before being referred",
                )
        if self.outcome.strip() and not self.evaluated:
            add("outcome", "填写评估结果前请先勾选“已评估”。", "an outcome without an evaluation")
        if self.declined_reason.strip() and self.referred_on is not None:
            add(
                "declined_reason",
                "已经转介的，不用填写未转介的原因。",
                "referred and declined at once",
            )
        for name in ("referred_to", "outcome", "declined_reason", "notes"):
            if len(getattr(self, name)) > MAX_TEXT:
                add(name, "内容太长，请精简。", f"{name} is too long")
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "made_on": self.made_on.isoformat(),
            "screening_id": self.screening_id,
            "referred_to": self.referred_to,
            "referred_on": self.referred_on.isoformat() if self.referred_on else None,
            "evaluated": self.evaluated,
            "evaluated_on": self.evaluated_on.isoformat() if self.evaluated_on else None,
            "outcome": self.outcome,
            "declined_reason": self.declined_reason,
            "notes": self.notes,
            "demo": self.demo,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Referral:
        return cls(
            child_id=str(data["child_id"]),
            made_on=date.fromisoformat(str(data["made_on"])),
            screening_id=str(data.get("screening_id") or ""),
            referred_to=str(data.get("referred_to") or ""),
            referred_on=date_or_none(data.get("referred_on")),
            evaluated=bool(data.get("evaluated", False)),
            evaluated_on=date_or_none(data.get("evaluated_on")),
            outcome=str(data.get("outcome") or ""),
            declined_reason=str(data.get("declined_reason") or ""),
            notes=str(data.get("notes") or ""),
            demo=str(data.get("demo") or ""),
        )


@dataclass(frozen=True)
class ScreeningFigures:
    """Distinct children, for a period (seed 000 四: 813 screened, 16 referred)."""

    screened: int  # a screening finished in the period
    flagged: int  # of those, a result of 建议关注 or 建议转介
    referred: int  # referred to a professional body in the period
    evaluated: int  # evaluated by it in the period
    self_harm: int = 0  # a screening in the period whose result demands a report (自伤)


def _in(day: date | None, first: date, last: date) -> bool:
    return day is not None and first <= day <= last


def finished_screening(data: Mapping[str, Any]) -> tuple[date, str, bool] | None:
    """(finished on, level, mandatory report) of a finished screening record, else None."""
    result = data.get("result")
    finished = date_or_none(data.get("finished_on"))
    if data.get("status") != "finished" or not isinstance(result, dict) or finished is None:
        return None
    return finished, str(result.get("level") or ""), bool(result.get("mandatory_report"))


def screening_figures(
    screenings: Iterable[Mapping[str, Any]],
    referrals: Iterable[Mapping[str, Any]],
    first: date,
    last: date,
) -> ScreeningFigures:
    """Count over the records' data (screenings: the ``screening`` records; referrals: the
    ``referral`` records), children counted once per figure."""
    screened: set[str] = set()
    flagged: set[str] = set()
    self_harm: set[str] = set()
    for data in screenings:
        found = finished_screening(data)
        if found is None or not _in(found[0], first, last):
            continue
        child = str(data.get("child_id", ""))
        screened.add(child)
        if found[1] in FLAGGED_LEVELS:
            flagged.add(child)
        if found[2]:
            self_harm.add(child)
    referred: set[str] = set()
    evaluated: set[str] = set()
    for data in referrals:
        child = str(data.get("child_id", ""))
        if _in(date_or_none(data.get("referred_on")), first, last):
            referred.add(child)
        if data.get("evaluated") and _in(date_or_none(data.get("evaluated_on")), first, last):
            evaluated.add(child)
    return ScreeningFigures(
        len(screened), len(flagged), len(referred), len(evaluated), len(self_harm)
    )
