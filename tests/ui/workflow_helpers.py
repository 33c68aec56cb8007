"""A desk with the workflow service for the workflow dialogs' tests, and the district's side
written as the sync writes it (``workflow_step`` and ``case_conference`` records in the
laptop's vault)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.workflow import STEP_TYPE, Role, Transition
from app.services.workflows import WorkflowService
from ui.desk_services import DeskServices


@dataclass
class WorkflowDesk:
    """DeskServices plus ``workflows`` (whatever DeskServices already has is passed through)."""

    base: DeskServices
    workflows: WorkflowService

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)


def workflow_desk(desk: DeskServices, now: Callable[[], datetime] | None = None) -> WorkflowDesk:
    """The desk's own workflow service, or one whose clock reads ``now``."""
    if now is not None:
        return WorkflowDesk(
            desk, WorkflowService(desk.vault, author=desk.author, today=desk.today, now=now)
        )
    service = getattr(desk, "workflows", None) or WorkflowService(
        desk.vault, author=desk.author, today=desk.today
    )
    return WorkflowDesk(desk, service)


def district_step(
    desk: DeskServices,
    subject_type: str,
    subject_id: str,
    child_id: str,
    action: str,
    *,
    role: Role = Role.DISTRICT,
    actor: str = "区民政局李科长",
    at: str = "2026-11-21T02:00:00Z",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """A step taken at the district (or a town), as a sync brings it to the laptop."""
    step = Transition(action, actor, role, at, reason, dict(details or {}))
    desk.vault.put(STEP_TYPE, step.to_data(subject_id, subject_type, child_id), author=actor)
