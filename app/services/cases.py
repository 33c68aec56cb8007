"""Cases through the vault: every transition, plan change and follow-up is a revision."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from app.domain.case import Case, CaseKind, CaseStage, FollowUp, Plan
from app.domain.problems import DomainValidationError, FieldProblem, raise_if_blocking
from app.services.stored import Stored, Today

if TYPE_CHECKING:
    from storage.vault import Vault  # annotations only: the district server imports this module

CASE_TYPE = "case"


class CaseService:
    def __init__(self, vault: Vault, *, author: str, today: Today = date.today) -> None:
        self._vault = vault
        self._author = author
        self._today = today

    def _save(self, case: Case, record_id: str | None = None) -> Stored[Case]:
        revision = self._vault.put(
            CASE_TYPE, case.to_json(), author=self._author, record_id=record_id
        )
        return Stored.of(revision, case)

    def get(self, record_id: str) -> Stored[Case]:
        revision = self._vault.get(record_id)
        return Stored.of(revision, Case.from_json(revision.data))

    def list_all(self, child_id: str | None = None) -> list[Stored[Case]]:
        return [
            Stored.of(r, Case.from_json(r.data))
            for r in self._vault.load(CASE_TYPE).revisions
            if child_id is None or r.data.get("child_id") == child_id
        ]

    def open(self, child_id: str, kind: CaseKind, summary: str) -> Stored[Case]:
        self._vault.get(child_id)  # the child must exist
        return self._save(
            Case(child_id=child_id, kind=kind, opened_on=self._today(), summary=summary)
        )

    def update_plan(self, record_id: str, plan: Plan) -> Stored[Case]:
        case = self.get(record_id).value
        raise_if_blocking(plan.done_problems(case.opened_on, self._today()))
        return self._save(replace(case, plan=plan), record_id)

    def link_assessment(
        self, record_id: str, *, assessment_id: str = "", notes: str = ""
    ) -> Stored[Case]:
        case = self.get(record_id).value
        return self._save(
            replace(
                case,
                assessment_id=assessment_id or case.assessment_id,
                assessment_notes=notes or case.assessment_notes,
            ),
            record_id,
        )

    def add_follow_up(self, record_id: str, notes: str, on: date | None = None) -> Stored[Case]:
        case = self.get(record_id).value
        on = on or self._today()
        if on > self._today() or on < case.opened_on:
            raise DomainValidationError(
                [
                    FieldProblem(
                        "follow_ups",
                        "回访日期应在开案之后、今天之前。",
                        "follow-up date outside the case's life",
                    )
                ]
            )
        if not notes.strip():
            raise DomainValidationError(
                [FieldProblem("follow_ups", "请填写回访情况。", "follow-up notes are required")]
            )
        follow_up = FollowUp(on, notes, self._author)
        return self._save(replace(case, follow_ups=[*case.follow_ups, follow_up]), record_id)

    def move(
        self,
        record_id: str,
        target: CaseStage,
        *,
        closure_reason: str = "",
        reopen_reason: str = "",
    ) -> Stored[Case]:
        """Move along the loop if the gate is met; otherwise nothing is stored."""
        case = self.get(record_id).value
        candidate = replace(
            case,
            closure_reason=closure_reason or case.closure_reason,
            reopen_reason=reopen_reason or case.reopen_reason,
        )
        raise_if_blocking(candidate.gate_problems(target))
        moved = replace(candidate, stage=target)
        if target == CaseStage.CLOSED:
            moved = replace(moved, closed_on=self._today())
        elif case.stage == CaseStage.CLOSED:  # reopened
            moved = replace(moved, closed_on=None, closure_reason="")
        return self._save(moved, record_id)

    def escalate(self, record_id: str, notes: str) -> Stored[Case]:
        """上报区民政局: the district convenes a multi-department case conference."""
        case = self.get(record_id).value
        if not case.is_open:
            raise DomainValidationError(
                [FieldProblem("stage", "已结案的个案不能上报，请先重新开案。", "case is closed")]
            )
        return self._save(
            replace(case, escalated_on=self._today(), escalation_notes=notes), record_id
        )

    def mark_mandatory_report(self, record_id: str) -> Stored[Case]:
        """强制报告: flags the child as urgent so the next sync sends it first."""
        case = self.get(record_id).value
        return self._save(
            replace(case, mandatory_report=True, mandatory_report_on=self._today()), record_id
        )

    def urgent_child_ids(self) -> set[str]:
        return {
            s.value.child_id
            for s in self.list_all()
            if s.value.mandatory_report and s.value.is_open
        }
