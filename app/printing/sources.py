"""What each document prints, read from the vault into plain values.

Reading (these functions) and rendering (the document modules) are separate so the GUI can
read on its vault worker and render on its printing worker. Every function raises
:class:`PrintInputError` with an English and a plain-Chinese message for a record that does
not exist or is of the wrong kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.case import Case
from app.domain.child_file import ChildFile
from app.domain.schedule import DueInfo, ScheduleFacts, VisitSchedule, load_schedule, next_due
from app.domain.visit import Visit
from app.domain.visit_advice import visit_advice_zh
from app.printing.page import Letterhead
from app.questionnaire import AssessmentResult, Definition
from app.questionnaire.loader import load_bundled_definitions
from app.questionnaire.naming import definition_label, definition_title
from app.services.assessments import (
    ASSESSMENT_TYPE,
    FINISHED,
    Assessment,
    LevelChange,
    level_history,
)
from app.services.cases import CASE_TYPE
from app.services.children import CHILD_TYPE
from app.services.stored import Stored
from app.services.visits import VISIT_TYPE
from storage.errors import RecordDamagedError, RecordNotFoundError
from storage.records import Revision
from storage.vault import Vault

RECENT_VISITS = 6
RECORD_KIND_ZH = {
    CHILD_TYPE: "儿童档案",
    VISIT_TYPE: "走访记录",
    ASSESSMENT_TYPE: "评估",
    CASE_TYPE: "个案",
    "director_profile": "儿童主任信息",
    "attachment": "附件",
}


class PrintInputError(Exception):
    """The record asked for cannot be printed; ``message_zh`` says why in plain Chinese."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


@dataclass(frozen=True)
class VisitRecordData:
    visit_id: str
    visit: Visit
    recorded_by: str
    child_id: str
    child: ChildFile
    level: str | None  # the family's level on the day of the visit
    letterhead: Letterhead


@dataclass(frozen=True)
class ChildSheetData:
    child_id: str
    child: ChildFile
    level_history: list[LevelChange]  # oldest first
    open_cases: list[Stored[Case]]
    recent_visits: list[Stored[Visit]]  # newest first, at most RECENT_VISITS
    visit_count: int
    next_visit: DueInfo | None
    letterhead: Letterhead


@dataclass(frozen=True)
class AssessmentReportData:
    assessment_id: str
    assessment: Assessment
    result: AssessmentResult
    definition_title: str  # 困境儿童家庭监护能力评估表 (never the id)
    definition_label: str  # 困境儿童家庭监护能力评估表（第1版）
    child_id: str
    child: ChildFile
    previous_level: str | None  # the level before this assessment, for 降码/升级
    letterhead: Letterhead
    corrects_on: date | None = None  # the day of the assessment this one corrects
    visit_advice: str | None = None  # from the schedule in force (app/domain/visit_advice.py)


def _record(vault: Vault, record_id: str, expected: str) -> Revision:
    wanted = RECORD_KIND_ZH.get(expected, expected)
    try:
        revision = vault.get(record_id.strip())
    except RecordNotFoundError:
        raise PrintInputError(
            f"no {expected} record with id {record_id!r}",
            f"找不到编号为 {record_id} 的{wanted}，请核对编号。",
        ) from None
    except RecordDamagedError:
        raise PrintInputError(
            f"record {record_id} is damaged and cannot be printed",
            f"编号为 {record_id} 的记录已损坏，无法打印；请从备份恢复。",
        ) from None
    if revision.record_type != expected:
        actual = RECORD_KIND_ZH.get(revision.record_type, revision.record_type)
        raise PrintInputError(
            f"record {record_id} is a {revision.record_type} record, not a {expected} record",
            f"编号 {record_id} 是{actual}，不是{wanted}。",
        )
    return revision


def letterhead_for(vault: Vault, village_code: str | None = None) -> Letterhead:
    return Letterhead.from_profile(vault.profile(), village_code)


def _child(vault: Vault, child_id: str) -> ChildFile:
    return ChildFile.from_json(_record(vault, child_id, CHILD_TYPE).data)


def _assessments(vault: Vault, child_id: str) -> list[Stored[Assessment]]:
    return [
        Stored.of(r, Assessment.from_json(r.data))
        for r in vault.load(ASSESSMENT_TYPE).revisions
        if r.data.get("child_id") == child_id
    ]


def level_on(history: list[LevelChange], day: date) -> str | None:
    """The level in force on ``day``: that of the latest assessment finished by then."""
    level = None
    for change in history:
        if change.on <= day:
            level = change.level
    return level


def load_visit_record(vault: Vault, visit_id: str) -> VisitRecordData:
    revision = _record(vault, visit_id, VISIT_TYPE)
    visit = Visit.from_json(revision.data)
    child = _child(vault, visit.child_id)
    history = level_history(_assessments(vault, visit.child_id))
    return VisitRecordData(
        visit_id=revision.record_id,
        visit=visit,
        recorded_by=revision.author,
        child_id=visit.child_id,
        child=child,
        level=level_on(history, visit.on),
        letterhead=letterhead_for(vault, child.village_code),
    )


def load_child_sheet(
    vault: Vault, child_id: str, *, schedule: VisitSchedule | None = None
) -> ChildSheetData:
    revision = _record(vault, child_id, CHILD_TYPE)
    child = ChildFile.from_json(revision.data)
    history = level_history(_assessments(vault, revision.record_id))
    visits = [
        Stored.of(r, Visit.from_json(r.data))
        for r in vault.load(VISIT_TYPE).revisions
        if r.data.get("child_id") == revision.record_id
    ]
    visits.sort(key=lambda s: (s.value.on, s.hlc), reverse=True)
    cases = [
        Stored.of(r, Case.from_json(r.data))
        for r in vault.load(CASE_TYPE).revisions
        if r.data.get("child_id") == revision.record_id
    ]
    open_cases = [c for c in cases if c.value.is_open]
    next_visit = None
    if child.status.value == "active":
        last = visits[0].value if visits else None
        facts = ScheduleFacts(
            child_id=revision.record_id,
            categories=frozenset(c.value for c in child.categories),
            level=history[-1].level if history else None,
            last_visit=last.on if last else None,
            requested_next=last.next_visit_on if last else None,
            opened_on=child.opened_on or date.min,
            recognized_on=child.recognition_confirmed_on,
        )
        next_visit = next_due(facts, schedule or load_schedule())
    return ChildSheetData(
        child_id=revision.record_id,
        child=child,
        level_history=history,
        open_cases=open_cases,
        recent_visits=visits[:RECENT_VISITS],
        visit_count=len(visits),
        next_visit=next_visit,
        letterhead=letterhead_for(vault, child.village_code),
    )


def load_assessment_report(
    vault: Vault,
    assessment_id: str,
    definitions: list[Definition] | None = None,
    schedule: VisitSchedule | None = None,
) -> AssessmentReportData:
    """``schedule``: the rules in force, for the printed visit frequency (default: bundled)."""
    revision = _record(vault, assessment_id, ASSESSMENT_TYPE)
    assessment = Assessment.from_json(revision.data)
    if assessment.status != FINISHED or assessment.result is None:
        raise PrintInputError(
            f"assessment {assessment_id} is a draft; only finished assessments have a report",
            "这份评估还没有完成，没有评估结果可以打印；请先完成评估。",
        )
    try:
        result = AssessmentResult.from_json(assessment.result)
    except ValueError as err:
        raise PrintInputError(
            f"assessment {assessment_id} has an unreadable result ({err})",
            "这份评估的结果无法读取，无法打印。",
        ) from None
    child = _child(vault, assessment.child_id)
    known = definitions or load_bundled_definitions()
    title = definition_title(assessment.definition_id, assessment.definition_version, known)
    label = definition_label(assessment.definition_id, assessment.definition_version, known)
    history = level_history(_assessments(vault, assessment.child_id))
    previous = None
    for change in history:
        if change.assessment_id == revision.record_id:
            break
        previous = change.level
    return AssessmentReportData(
        assessment_id=revision.record_id,
        assessment=assessment,
        result=result,
        definition_title=title,
        definition_label=label,
        child_id=assessment.child_id,
        child=child,
        previous_level=previous,
        letterhead=letterhead_for(vault, child.village_code),
        corrects_on=_assessed_on(vault, assessment.corrects) if assessment.corrects else None,
        visit_advice=visit_advice_zh(schedule or load_schedule(), result.level, child.categories),
    )


def _assessed_on(vault: Vault, assessment_id: str) -> date | None:
    """The day a finished assessment was made (its result's date, else the day it was
    finished or started); None when it cannot be read."""
    try:
        revision = vault.get(assessment_id)
    except (RecordNotFoundError, RecordDamagedError):
        return None
    if revision.record_type != ASSESSMENT_TYPE:
        return None
    try:
        original = Assessment.from_json(revision.data)
        if original.result is not None:
            return AssessmentResult.from_json(original.result).assessed_on
    except (KeyError, TypeError, ValueError):
        return None
    return original.finished_on or original.started_on
