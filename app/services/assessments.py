"""Guardianship-capacity assessments in the child's file.

A draft is saved as the user goes and can be resumed; a finished assessment is immutable. A
correction (``start_correction``, 更正选中的评估 in the child file) is a new draft that carries
the finished one's answers and names it in ``corrects``; once finished it is the child's
latest level, and the original stays in the vault, the list and the level history. Each keeps
the definition id and version it was made with. The child's current level is that of the
latest finished assessment; the level history (红码 → 降码) is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import app.questionnaire as questionnaire  # its engine loads at the first evaluate or score
from app.domain.jsonable import date_or_none
from app.domain.problems import DomainValidationError, FieldProblem
from app.questionnaire.naming import definition_label
from app.services.stored import Stored, Today

if TYPE_CHECKING:
    from app.questionnaire import AssessmentResult, Definition, DraftState
    from storage.vault import Vault  # annotations only: the district server imports this module

ASSESSMENT_TYPE = "assessment"
DRAFT = "draft"
FINISHED = "finished"

# What is true about changing a finished assessment (start_correction below), in the words the
# screens use: the answers are frozen, a correction is a new assessment, the original is kept.
CORRECTION_HOW = (
    "完成后的评估不能再改答案。如有错误，请在儿童档案的“评估”页选中这次评估，点“更正选中的评估”："
    "会新建一次更正评估，带入原来的答案供修改，原来的评估仍然保留。"
)


class AssessmentImmutableError(DomainValidationError):
    def __init__(self) -> None:
        super().__init__(
            [
                FieldProblem(
                    "status",
                    CORRECTION_HOW,
                    "a finished assessment cannot be changed; start a correction instead",
                )
            ]
        )


@dataclass
class Assessment:
    child_id: str
    definition_id: str
    definition_version: str
    started_on: date
    status: str = DRAFT
    answers: dict[str, Any] = field(default_factory=dict)
    assessors: list[str] = field(default_factory=list)
    finished_on: date | None = None
    result: dict[str, Any] | None = None  # AssessmentResult.to_json()
    corrects: str = ""  # record id of the finished assessment this one corrects
    demo: str = ""

    @property
    def level(self) -> str | None:
        return self.result.get("level") if self.result else None

    def to_json(self) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "definition_id": self.definition_id,
            "definition_version": self.definition_version,
            "started_on": self.started_on.isoformat(),
            "status": self.status,
            "answers": self.answers,
            "assessors": self.assessors,
            "finished_on": self.finished_on.isoformat() if self.finished_on else None,
            "result": self.result,
            "corrects": self.corrects,
            "demo": self.demo,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Assessment:
        return cls(
            child_id=data["child_id"],
            definition_id=data["definition_id"],
            definition_version=data["definition_version"],
            started_on=date.fromisoformat(data["started_on"]),
            status=data["status"],
            answers=dict(data.get("answers", {})),
            assessors=list(data.get("assessors", [])),
            finished_on=date_or_none(data.get("finished_on")),
            result=data.get("result"),
            corrects=data.get("corrects", ""),
            demo=data.get("demo", ""),
        )


@dataclass(frozen=True)
class LevelChange:
    on: date
    level: str
    assessment_id: str


class AssessmentService:
    # the psychological screening (services/screening.py) sets 'screening'
    record_type = ASSESSMENT_TYPE

    def __init__(
        self,
        vault: Vault,
        definitions: Iterable[Definition],
        *,
        author: str,
        today: Today = date.today,
    ) -> None:
        self._vault = vault
        self._definitions = {(d.id, d.version): d for d in definitions}
        self._author = author
        self._today = today

    def definition_for(self, assessment: Assessment) -> Definition:
        key = (assessment.definition_id, assessment.definition_version)
        if key not in self._definitions:
            raise DomainValidationError(
                [
                    FieldProblem(
                        "definition",
                        f"这台电脑上没有{self.label_for(assessment)}，无法打开这份评估。"
                        "请先同步，取得区民政局发布的这一版评估表。",
                        f"questionnaire {key[0]} version {key[1]} is not installed",
                    )
                ]
            )
        return self._definitions[key]

    def label_for(self, assessment: Assessment) -> str:
        """The questionnaire it was made with, as people read it:
        困境儿童家庭监护能力评估表（第1版）."""
        return definition_label(
            assessment.definition_id, assessment.definition_version, self._definitions.values()
        )

    def get(self, record_id: str) -> Stored[Assessment]:
        revision = self._vault.get(record_id)
        return Stored.of(revision, Assessment.from_json(revision.data))

    def start(
        self, child_id: str, definition: Definition, assessors: list[str], corrects: str = ""
    ) -> Stored[Assessment]:
        self._vault.get(child_id)  # the child must exist
        assessment = Assessment(
            child_id=child_id,
            definition_id=definition.id,
            definition_version=definition.version,
            started_on=self._today(),
            assessors=assessors,
            corrects=corrects,
        )
        revision = self._vault.put(self.record_type, assessment.to_json(), author=self._author)
        return Stored.of(revision, assessment)

    def save_draft(
        self, record_id: str, answers: dict[str, Any]
    ) -> tuple[Stored[Assessment], DraftState]:
        """Store the answers so far; returns what is relevant, required and still missing."""
        current = self.get(record_id).value
        if current.status == FINISHED:
            raise AssessmentImmutableError()
        state = questionnaire.evaluate(self.definition_for(current), answers, today=self._today())
        updated = replace(current, answers=answers)
        revision = self._vault.put(
            self.record_type, updated.to_json(), author=self._author, record_id=record_id
        )
        return Stored.of(revision, updated), state

    def finish(self, record_id: str) -> tuple[Stored[Assessment], AssessmentResult]:
        """Score the saved answers and freeze the assessment. Raises AnswerError (nothing
        stored) when answers are missing or invalid."""
        current = self.get(record_id).value
        if current.status == FINISHED:
            raise AssessmentImmutableError()
        result = questionnaire.score(
            self.definition_for(current), current.answers, today=self._today()
        )
        finished = replace(
            current, status=FINISHED, finished_on=self._today(), result=result.to_json()
        )
        revision = self._vault.put(
            self.record_type, finished.to_json(), author=self._author, record_id=record_id
        )
        return Stored.of(revision, finished), result

    def start_correction(self, finished_id: str) -> Stored[Assessment]:
        """A new draft carrying the answers of a finished assessment, to correct it."""
        original = self.get(finished_id).value
        if original.status != FINISHED:
            raise DomainValidationError(
                [
                    FieldProblem(
                        "status",
                        "选中的是还没有完成的草稿，不需要更正：双击它接着填写、修改即可。"
                        "只有已完成的评估才用“更正”。",
                        "only finished assessments are corrected; a draft is simply edited",
                    )
                ]
            )
        started = self.start(
            original.child_id,
            self.definition_for(original),
            original.assessors,
            corrects=finished_id,
        )
        stored, _state = self.save_draft(started.record_id, dict(original.answers))
        return stored

    def list_all(self, child_id: str | None = None) -> list[Stored[Assessment]]:
        items = [
            Stored.of(r, Assessment.from_json(r.data))
            for r in self._vault.load(self.record_type).revisions
            if child_id is None or r.data.get("child_id") == child_id
        ]
        items.sort(key=lambda s: (s.value.finished_on or s.value.started_on, s.hlc))
        return items

    def level_history(self, child_id: str) -> list[LevelChange]:
        return level_history(self.list_all(child_id))

    def current_level(self, child_id: str) -> str | None:
        history = self.level_history(child_id)
        return history[-1].level if history else None


def level_history(assessments: Iterable[Stored[Assessment]]) -> list[LevelChange]:
    """Finished assessments' levels in order (oldest first)."""
    finished = [
        s
        for s in assessments
        if s.value.status == FINISHED and s.value.level and s.value.finished_on
    ]
    finished.sort(key=lambda s: (s.value.finished_on, s.hlc))
    return [
        LevelChange(s.value.finished_on, s.value.level, s.record_id)  # type: ignore[arg-type]
        for s in finished
    ]
