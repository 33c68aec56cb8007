"""Transition plans (成年后就业帮扶) through the vault: one ``transition_plan`` record per child,
saved over (each change a revision), checked against the child's birth date; the status of every
child's plan for the 待办 list."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from app.domain.child_file import ArchiveReason, ChildFile
from app.domain.problems import raise_if_blocking
from app.domain.transition_plan import (
    TRANSITION_PLAN_TYPE,
    PlanStatus,
    TransitionPlan,
    archive_at_18_problems,
    handed_over_note,
)
from app.services.stale import check_base
from app.services.stored import Stored, Today
from storage.vault import Vault

if TYPE_CHECKING:
    from app.services.children import ChildService


class TransitionPlanService:
    def __init__(self, vault: Vault, *, author: str, today: Today = date.today) -> None:
        self._vault = vault
        self._author = author
        self._today = today

    def for_child(self, child_id: str) -> Stored[TransitionPlan] | None:
        """The child's plan, or None when none was made yet."""
        found = [
            r
            for r in self._vault.load(TRANSITION_PLAN_TYPE).revisions
            if r.data.get("child_id") == child_id
        ]
        if not found:
            return None
        newest = max(found, key=lambda r: r.meta.hlc)  # two laptops may each have made one
        return Stored.of(newest, TransitionPlan.from_json(newest.data))

    def save(
        self, plan: TransitionPlan, *, base_revision: int | None = None
    ) -> Stored[TransitionPlan]:
        """Make the child's plan or save a change to it. ``base_revision``: the revision the
        form was loaded from (a newer one is never silently undone)."""
        child = ChildFile.from_json(self._vault.get(plan.child_id).data)
        raise_if_blocking(plan.problems_found(birth_date=child.birth_date, today=self._today()))
        data = plan.to_json()
        with self._vault.transaction():
            current = self.for_child(plan.child_id)
            record_id = current.record_id if current is not None else None
            if record_id is not None and base_revision is not None:
                check_base(self._vault, record_id, base_revision, data)
            revision = self._vault.put(
                TRANSITION_PLAN_TYPE, data, author=self._author, record_id=record_id
            )
        return Stored.of(revision, plan)

    def statuses(self) -> dict[str, PlanStatus]:
        """Each child's plan status, by child id (children without a plan are absent)."""
        found: dict[str, tuple[str, PlanStatus]] = {}
        for revision in self._vault.load(TRANSITION_PLAN_TYPE).revisions:
            plan = TransitionPlan.from_json(revision.data)
            known = found.get(plan.child_id)
            if known is None or revision.meta.hlc > known[0]:
                found[plan.child_id] = (revision.meta.hlc, plan.status)
        return {child_id: status for child_id, (_hlc, status) in found.items()}

    def check_archive_at_18(self, child_id: str, child: ChildFile) -> None:
        """Raise :class:`DomainValidationError` unless ``child`` may be archived with reason
        年满18: 18 years old and the hand-over recorded on the plan."""
        stored = self.for_child(child_id)
        raise_if_blocking(
            archive_at_18_problems(
                stored.value if stored else None, birth_date=child.birth_date, today=self._today()
            )
        )

    def archive_at_18(self, child_id: str, children: ChildService) -> Stored[ChildFile]:
        """Archive the youth's file with reason 年满18 after the hand-over (the note says when
        and to whom); refused before 18 or before the hand-over is recorded."""
        stored = self.for_child(child_id)
        child = children.get(child_id).value
        self.check_archive_at_18(child_id, child)
        assert stored is not None
        return children.archive(
            child_id, ArchiveReason.TURNED_18, note=handed_over_note(stored.value)
        )
