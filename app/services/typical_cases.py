"""典型案例 through the vault: write, correct, delete with a reason, list; one ``typical_case``
record per story, linked to its child (it syncs with the child's records)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.domain.child_file import ChildFile
from app.domain.problems import FieldProblem, raise_if_blocking
from app.domain.typical_case import TYPICAL_CASE_TYPE, Identifying, TypicalCase, identifying
from app.services.children import is_child
from app.services.stale import put_over
from app.services.stored import Stored, Today, deletion_reason
from storage.errors import RecordNotFoundError
from storage.vault import Vault


def identifying_of(
    child: ChildFile, *, villages: Iterable[str] = (), others: Iterable[str] = ()
) -> Identifying:
    """What identifies ``child`` in print: name, ID, addresses, school, the guardians' and the
    caring mother's names, IDs and phones, and the village (``villages``: its name where the
    caller knows it, e.g. from the director's profile; those in the addresses are found);
    ``others``: a story's other people (TypicalCase.other_names)."""
    people = [(g.name, g.id_number, g.phone) for g in child.guardians]
    if child.caring_mother is not None:
        people.append((child.caring_mother.name, "", child.caring_mother.phone))
    return identifying(
        name=child.name,
        id_number=child.id_number,
        addresses=(child.address, child.hukou),
        guardians=people,
        villages=villages,
        schools=(child.school,),
        others=others,
    )


class TypicalCaseService:
    def __init__(self, vault: Vault, *, author: str, today: Today = date.today) -> None:
        self._vault = vault
        self._author = author
        self._today = today

    def _check(self, case: TypicalCase) -> None:
        problems = case.problems_found(today=self._today())
        if not is_child(self._vault, case.child_id):
            problems.append(
                FieldProblem("child_id", "请选择案例中的儿童。", "no such child in this vault")
            )
        raise_if_blocking(problems)

    def record(self, case: TypicalCase) -> Stored[TypicalCase]:
        self._check(case)
        revision = self._vault.put(TYPICAL_CASE_TYPE, case.to_json(), author=self._author)
        return Stored.of(revision, case)

    def update(
        self, record_id: str, case: TypicalCase, *, base_revision: int | None = None
    ) -> Stored[TypicalCase]:
        self._check(case)
        revision = put_over(
            self._vault,
            TYPICAL_CASE_TYPE,
            record_id,
            case.to_json(),
            author=self._author,
            base_revision=base_revision,
        )
        return Stored.of(revision, case)

    def delete(self, record_id: str, *, reason: str) -> None:
        reason = deletion_reason(reason)
        with self._vault.transaction():
            current = self.get(record_id)
            self._vault.put(
                TYPICAL_CASE_TYPE,
                {"child_id": current.value.child_id, "deletion_reason": reason},
                author=self._author,
                record_id=record_id,
                deleted=True,
            )

    def get(self, record_id: str) -> Stored[TypicalCase]:
        revision = self._vault.get(record_id)
        if revision.record_type != TYPICAL_CASE_TYPE:
            raise RecordNotFoundError(record_id)
        return Stored.of(revision, TypicalCase.from_json(revision.data))

    def list_all(self) -> list[Stored[TypicalCase]]:
        """Newest first."""
        found = [
            Stored.of(r, TypicalCase.from_json(r.data))
            for r in self._vault.load(TYPICAL_CASE_TYPE).revisions
        ]
        found.sort(key=lambda s: (s.value.written_on, s.hlc), reverse=True)
        return found
