"""Psychological screening (心理状况筛查) and referrals through the vault.

A screening runs like a guardianship assessment (the same engine, drafts, finishing and
corrections: :class:`ScreeningService` is an :class:`AssessmentService` storing ``screening``
records), with a definition of result kind ``screening`` — the bundled
resources/questionnaires/psych_screening.json or the district's own version published under the
same id. Its level is never the child's colour. Finishing one whose result is 建议转介 also
makes a ``referral`` record (in the same vault transaction) that the director follows up with
:class:`ReferralService`. A result whose rules demand a report (self-harm) is on the urgent path
of the guardianship assessment: the 待办 asks for the mandatory report
(``WorkflowService.assessments_needing_report``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from app.domain.problems import DomainValidationError, FieldProblem, raise_if_blocking
from app.domain.referral import (
    REFERRAL_TYPE,
    SCREENING_TYPE,
    Referral,
    ScreeningFigures,
    screening_figures,
)
from app.questionnaire import AssessmentResult, Definition
from app.questionnaire.loader import SCREENING_ID
from app.questionnaire.model import SCREENING
from app.services.assessments import Assessment, AssessmentService
from app.services.definitions import DefinitionService
from app.services.stale import check_base
from app.services.stored import Stored, Today
from storage.vault import Vault

REFER = "refer"


def screening_definition(definitions: DefinitionService) -> Definition:
    """The screening instrument new screenings use: the district's newest published version of
    ``psych_screening`` that passes the checks, else the bundled one."""
    return definitions.questionnaire(SCREENING_ID)


class ScreeningService(AssessmentService):
    """Screenings: drafts saved as the director goes, finished ones frozen (see the module)."""

    record_type = SCREENING_TYPE

    def start(
        self, child_id: str, definition: Definition, assessors: list[str], corrects: str = ""
    ) -> Stored[Assessment]:
        if definition.result_kind != SCREENING:
            raise DomainValidationError(
                [
                    FieldProblem(
                        "definition",
                        "这份问卷不是心理状况筛查表。",
                        f"{definition.id} gives a {definition.result_kind} result, not a screening",
                    )
                ]
            )
        return super().start(child_id, definition, assessors, corrects)

    def finish(self, record_id: str) -> tuple[Stored[Assessment], AssessmentResult]:
        """Score and freeze the screening; a 建议转介 result makes a referral (one per
        screening, and none again for a correction of a screening that already made one)."""
        referrals = ReferralService(self._vault, author=self._author, today=self._today)
        with self._vault.transaction():
            stored, result = super().finish(record_id)
            screening = stored.value
            if result.level == REFER:
                made_by = {r.value.screening_id for r in referrals.list_all(screening.child_id)}
                if record_id not in made_by and (
                    not screening.corrects or screening.corrects not in made_by
                ):
                    referrals.save(
                        Referral(
                            child_id=screening.child_id,
                            made_on=screening.finished_on or self._today(),
                            screening_id=record_id,
                        )
                    )
        return stored, result


class ReferralService:
    """Referrals (转介): made by a 建议转介 screening or by hand, followed up by the director."""

    def __init__(self, vault: Vault, *, author: str, today: Today = date.today) -> None:
        self._vault = vault
        self._author = author
        self._today = today

    def get(self, record_id: str) -> Stored[Referral]:
        revision = self._vault.get(record_id)
        return Stored.of(revision, Referral.from_json(revision.data))

    def list_all(self, child_id: str | None = None) -> list[Stored[Referral]]:
        """Every referral (of one child), oldest first."""
        found = [
            Stored.of(r, Referral.from_json(r.data))
            for r in self._vault.load(REFERRAL_TYPE).revisions
            if child_id is None or r.data.get("child_id") == child_id
        ]
        found.sort(key=lambda s: (s.value.made_on, s.hlc))
        return found

    def open_referrals(self) -> list[Stored[Referral]]:
        """Referrals still to follow up: not referred yet, or referred and not evaluated."""
        return [s for s in self.list_all() if s.value.is_open]

    def save(
        self,
        referral: Referral,
        *,
        record_id: str | None = None,
        base_revision: int | None = None,
    ) -> Stored[Referral]:
        """Make a referral or save a change to one. ``base_revision``: the revision the form
        was loaded from (a newer one from another laptop is never silently undone)."""
        raise_if_blocking(referral.problems_found(today=self._today()))
        data = referral.to_json()
        with self._vault.transaction():
            self._vault.get(referral.child_id)  # the child must exist
            if record_id is not None and base_revision is not None:
                check_base(self._vault, record_id, base_revision, data)
            revision = self._vault.put(
                REFERRAL_TYPE, data, author=self._author, record_id=record_id
            )
        return Stored.of(revision, referral)

    def record_referred(
        self, record_id: str, referred_to: str, referred_on: date
    ) -> Stored[Referral]:
        current = self.get(record_id)
        changed = replace(current.value, referred_to=referred_to, referred_on=referred_on)
        return self.save(changed, record_id=record_id, base_revision=current.revision)

    def record_evaluated(
        self, record_id: str, evaluated_on: date, outcome: str
    ) -> Stored[Referral]:
        current = self.get(record_id)
        changed = replace(current.value, evaluated=True, evaluated_on=evaluated_on, outcome=outcome)
        return self.save(changed, record_id=record_id, base_revision=current.revision)

    def figures(self, first: date, last: date) -> ScreeningFigures:
        """Screened, flagged, referred and evaluated children in ``first``–``last``."""
        return figures_in_vault(self._vault, first, last)


def figures_in_vault(
    vault: Vault, first: date, last: date, children: Iterable[str] | None = None
) -> ScreeningFigures:
    """The screening figures of a vault's records for a period (of some children only)."""
    wanted = set(children) if children is not None else None

    def keep(data: dict[str, object]) -> bool:
        return wanted is None or str(data.get("child_id", "")) in wanted

    screenings = [r.data for r in vault.load(SCREENING_TYPE).revisions if keep(r.data)]
    referrals = [r.data for r in vault.load(REFERRAL_TYPE).revisions if keep(r.data)]
    return screening_figures(screenings, referrals, first, last)


def summary_figures(records: Any, first: date, last: date) -> dict[str, int]:
    """Screened / flagged / referred / evaluated children in ``first``–``last`` for the
    year-end summary (``app.services.year_summary`` asks for it): counted over the
    screenings and referrals its records carry (``CaseloadRecords.screenings`` and
    ``referrals``, directly or as ``records.caseload``)."""
    caseload = getattr(records, "caseload", records)
    figures = screening_figures(
        getattr(caseload, "screenings", []), getattr(caseload, "referrals", []), first, last
    )
    return {
        "screened": figures.screened,
        "flagged": figures.flagged,
        "referred": figures.referred,
        "evaluated": figures.evaluated,
    }
