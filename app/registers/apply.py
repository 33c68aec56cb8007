"""Committing an import plan: one vault transaction through :class:`ChildService`.

Every created or updated file goes through ``ChildService.create`` / ``update`` — the one way a
child file is written — so each is an ordinary revision: the 历史 tab shows the fields the import
changed, and it syncs like any edit. An update carries the revision the preview was built from;
if someone changed the file since, the whole import stops (``StaleRevisionError``) and nothing is
written. A cancel, an error, or the process dying half-way (power cut, ``kill -9``) leaves the
vault as it was: SQLite rolls the open transaction back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.registers.plan import Action, ImportPlan
from app.registers.reader import ImportCancelledError
from app.services.children import ChildService
from storage.vault import Vault


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # record ids
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    left_out: int = 0  # problems, skips and unconfirmed matches

    def to_json(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "left_out": self.left_out,
        }


def apply_plan(
    plan: ImportPlan,
    vault: Vault,
    children: ChildService,
    *,
    confirmed: Iterable[int] = (),
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportResult:
    """Write the plan's creates and updates (and the ``confirmed`` rows' updates) at once.

    Call on the vault worker. ``progress(done, total)`` is called every 50 rows; when
    ``cancelled()`` turns true the transaction is rolled back and
    :class:`ImportCancelledError` raised.
    """
    confirm = set(confirmed)
    result = ImportResult()
    total = len(plan.rows)
    with vault.transaction():
        for done, row in enumerate(plan.rows, start=1):
            if done % 50 == 0:
                if cancelled is not None and cancelled():
                    raise ImportCancelledError()
                if progress is not None:
                    progress(done, total)
            write = row.action == Action.UPDATE or (
                row.action == Action.CONFIRM and row.row in confirm
            )
            if row.action == Action.CREATE and row.child is not None:
                result.created.append(children.create(row.child).record_id)
            elif write and row.child is not None and row.record_id is not None:
                children.update(row.record_id, row.child, base_revision=row.base_revision)
                result.updated.append(row.record_id)
            elif row.action == Action.UNCHANGED:
                result.unchanged += 1
            else:
                result.left_out += 1
        if cancelled is not None and cancelled():
            raise ImportCancelledError()
    if progress is not None:
        progress(total, total)
    return result
