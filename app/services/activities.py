"""Activities (活动) with attendance through the vault: record, correct, delete with a reason,
list, the activities one child attended (for the child's file) and the figures for a period.

Each activity is one ``activity`` record holding its village code, so it syncs with the village's
other records (sync/protocol_types.py) and the district sums them across villages. Children are
named by their record ids; a child that is not in this vault is refused.
"""

from __future__ import annotations

from datetime import date

from app.domain.activity import (
    ACTIVITY_KIND_LABELS_ZH,
    Activity,
    ActivityFigures,
    activity_figures,
)
from app.domain.child_file import ChildFile
from app.domain.problems import FieldProblem, raise_if_blocking
from app.services.children import CHILD_TYPE, is_child
from app.services.stale import put_over
from app.services.stored import Stored, Today, deletion_reason
from storage.errors import RecordNotFoundError
from storage.records import Revision
from storage.vault import Vault

ACTIVITY_TYPE = "activity"


class ActivityService:
    def __init__(self, vault: Vault, *, author: str, today: Today = date.today) -> None:
        self._vault = vault
        self._author = author
        self._today = today

    # ----- writing ------------------------------------------------------------------------

    def _check(self, activity: Activity) -> None:
        problems = activity.problems_found(today=self._today())
        for field_name, ids in (("invited", activity.invited), ("attended", activity.attended)):
            for child_id in ids:
                if not is_child(self._vault, child_id):
                    problems.append(
                        FieldProblem(
                            field_name,
                            "名单中有一名儿童的档案在本机找不到，请重新选择。",
                            f"no child file {child_id!r} in this vault",
                        )
                    )
                    break
        raise_if_blocking(problems)

    def record(self, activity: Activity) -> Stored[Activity]:
        self._check(activity)
        revision = self._vault.put(ACTIVITY_TYPE, activity.to_json(), author=self._author)
        return Stored.of(revision, activity)

    def update(
        self, record_id: str, activity: Activity, *, base_revision: int | None = None
    ) -> Stored[Activity]:
        """A corrected activity (attendance added after the day, a typo). ``base_revision``: the
        revision the form was loaded from (a newer one is never silently undone)."""
        self._check(activity)
        revision = put_over(
            self._vault,
            ACTIVITY_TYPE,
            record_id,
            activity.to_json(),
            author=self._author,
            base_revision=base_revision,
        )
        return Stored.of(revision, activity)

    def delete(self, record_id: str, *, reason: str) -> None:
        """Remove an activity recorded by mistake; the reason stays in the tombstone."""
        reason = deletion_reason(reason)
        with self._vault.transaction():
            current = self.get(record_id)
            self._vault.put(
                ACTIVITY_TYPE,
                {
                    "on": current.value.on.isoformat(),
                    "village_code": current.value.village_code,
                    "attended": current.value.attended,
                    "deletion_reason": reason,
                },
                author=self._author,
                record_id=record_id,
                deleted=True,
            )

    # ----- reading ------------------------------------------------------------------------

    def get(self, record_id: str) -> Stored[Activity]:
        revision = self._vault.get(record_id)
        if revision.record_type != ACTIVITY_TYPE:
            raise RecordNotFoundError(record_id)
        return Stored.of(revision, Activity.from_json(revision.data))

    def list_all(
        self, *, start: date | None = None, end: date | None = None
    ) -> list[Stored[Activity]]:
        """Activities, newest first; only those from ``start`` to ``end`` when given."""
        found = []
        for revision in self._vault.load(ACTIVITY_TYPE).revisions:
            activity = Activity.from_json(revision.data)
            if (start is None or activity.on >= start) and (end is None or activity.on <= end):
                found.append(Stored.of(revision, activity))
        found.sort(key=lambda s: (s.value.on, s.hlc), reverse=True)
        return found

    def of_child(self, child_id: str) -> list[Stored[Activity]]:
        """The activities a child attended, newest first (the child's file shows them)."""
        return [s for s in self.list_all() if child_id in s.value.attended]

    def figures(self, start: date, end: date) -> ActivityFigures:
        return activity_figures((s.value for s in self.list_all()), start, end)

    def names(self, child_ids: list[str]) -> list[tuple[str, str]]:
        """(record id, name) of the children named, in the order given; a child whose file is
        gone is left out."""
        named = []
        for child_id in child_ids:
            try:
                revision = self._vault.get(child_id)
            except RecordNotFoundError:
                continue
            if revision.record_type == CHILD_TYPE and not revision.deleted:
                named.append((child_id, ChildFile.from_json(revision.data).name))
        return named


def activity_timeline_text(revision: Revision) -> str:
    """How one activity reads in an attending child's 历史."""
    activity = Activity.from_json(revision.data)
    kind = ACTIVITY_KIND_LABELS_ZH[activity.kind]
    where = f"，{activity.place}" if activity.place else ""
    return f"参加了{kind}“{activity.title}”（{activity.on.isoformat()}{where}）"
