"""Visit records through the vault, checked against the child's file."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from app.domain.child_file import ChildFile
from app.domain.problems import raise_if_blocking
from app.domain.schedule import DueInfo, ScheduleFacts, VisitSchedule, next_due
from app.domain.visit import Visit
from app.services.stale import put_over
from app.services.stored import Stored, Today, deletion_reason

if TYPE_CHECKING:
    from storage.vault import Vault  # annotations only: the district server imports this module

VISIT_TYPE = "visit"


class VisitService:
    def __init__(self, vault: Vault, *, author: str, today: Today = date.today) -> None:
        self._vault = vault
        self._author = author
        self._today = today

    def _child(self, child_id: str) -> ChildFile:
        return ChildFile.from_json(self._vault.get(child_id).data)

    def record(self, visit: Visit) -> Stored[Visit]:
        child = self._child(visit.child_id)
        raise_if_blocking(visit.problems_found(birth_date=child.birth_date, today=self._today()))
        revision = self._vault.put(VISIT_TYPE, visit.to_json(), author=self._author)
        return Stored.of(revision, visit)

    def update(
        self, record_id: str, visit: Visit, *, base_revision: int | None = None
    ) -> Stored[Visit]:
        """A corrected visit record. ``base_revision``: the revision the form was loaded from
        (see :mod:`app.services.stale`: a newer one is never silently undone)."""
        child = self._child(visit.child_id)
        raise_if_blocking(visit.problems_found(birth_date=child.birth_date, today=self._today()))
        revision = put_over(
            self._vault,
            VISIT_TYPE,
            record_id,
            visit.to_json(),
            author=self._author,
            base_revision=base_revision,
        )
        return Stored.of(revision, visit)

    def get(self, record_id: str) -> Stored[Visit]:
        revision = self._vault.get(record_id)
        return Stored.of(revision, Visit.from_json(revision.data))

    def delete(self, record_id: str, *, reason: str) -> None:
        """Remove a visit recorded by mistake. The reason is kept in the tombstone (with the
        child it belonged to, so the child's 历史 names it); earlier revisions stay."""
        reason = deletion_reason(reason)
        with self._vault.transaction():
            current = self.get(record_id)
            self._vault.put(
                VISIT_TYPE,
                {
                    "child_id": current.value.child_id,
                    "on": current.value.on.isoformat(),
                    "deletion_reason": reason,
                },
                author=self._author,
                record_id=record_id,
                deleted=True,
            )

    def list_all(self, child_id: str | None = None) -> list[Stored[Visit]]:
        """Visits, newest first; of one child when ``child_id`` is given."""
        visits = [
            Stored.of(r, Visit.from_json(r.data))
            for r in self._vault.load(VISIT_TYPE).revisions
            if child_id is None or r.data.get("child_id") == child_id
        ]
        visits.sort(key=lambda s: (s.value.on, s.hlc), reverse=True)
        return visits

    def propose_next_visit(
        self, child_id: str, on: date, *, level: str | None, schedule: VisitSchedule
    ) -> DueInfo:
        """The next visit date the schedule rules ask for after a visit on ``on``."""
        child = self._child(child_id)
        facts = ScheduleFacts(
            child_id=child_id,
            categories=frozenset(c.value for c in child.categories),
            level=level,
            last_visit=on,
            requested_next=None,
            opened_on=child.opened_on or on,
            recognized_on=child.recognition_confirmed_on,
        )
        return next_due(facts, schedule)
