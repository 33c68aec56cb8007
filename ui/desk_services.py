"""The services the screens use, built once after unlock (the composition root hands each
screen only the ones it needs). Everything here is plain app/ code; vault calls go through the
serial ``runner``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.domain.schedule import VisitSchedule, load_schedule
from app.questionnaire import Definition, load_default_definition
from app.services.assessments import AssessmentService
from app.services.cases import CaseService
from app.services.children import ChildService
from app.services.visits import VisitService
from storage.vault import Vault
from ui.tasks import Runner


@dataclass(frozen=True)
class DeskServices:
    vault: Vault
    runner: Runner
    author: str
    village_code: str
    today: Callable[[], date]
    children: ChildService
    visits: VisitService
    cases: CaseService
    assessments: AssessmentService
    schedule: VisitSchedule
    definition: Definition

    @classmethod
    def for_vault(
        cls, vault: Vault, runner: Runner, today: Callable[[], date] = date.today
    ) -> DeskServices:
        """Call on the vault worker (reads the profile and the bundled definitions)."""
        profile = vault.profile()
        author = str(profile.get("name") or "儿童主任")
        definition = load_default_definition()
        return cls(
            vault=vault,
            runner=runner,
            author=author,
            village_code=str(profile.get("village_code") or ""),
            today=today,
            children=ChildService(vault, author=author, today=today),
            visits=VisitService(vault, author=author, today=today),
            cases=CaseService(vault, author=author, today=today),
            assessments=AssessmentService(vault, [definition], author=author, today=today),
            schedule=load_schedule(),
            definition=definition,
        )
