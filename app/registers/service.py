"""The import as the command line and the desktop app use it: plan against the vault, commit.

Call on the vault worker (docs/architecture.md): both read or write the vault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from app.registers.apply import ImportResult, apply_plan
from app.registers.plan import Existing, ImportPlan, Override, build_plan
from app.registers.reader import SheetData
from app.services.children import CHILD_TYPE, ChildService
from app.services.stored import Today
from storage.vault import Vault


class RegisterImport:
    def __init__(self, vault: Vault, *, author: str, today: Today = date.today) -> None:
        self._vault = vault
        self._today = today
        self._children = ChildService(vault, author=author, today=today)

    def default_village(self) -> str:
        return str(self._vault.profile().get("village_code") or "")

    def plan(
        self,
        sheet: SheetData,
        mapping: list[str | None],
        *,
        overrides: Override | None = None,
        skipped: Iterable[int] = (),
    ) -> ImportPlan:
        loaded = self._vault.load(CHILD_TYPE)  # damaged records are listed apart, never matched
        existing = [Existing(r.record_id, r.revision, r.data) for r in loaded.revisions]
        return build_plan(
            sheet,
            mapping,
            existing,
            today=self._today(),
            default_village=self.default_village(),
            overrides=overrides,
            skipped=skipped,
        )

    def commit(
        self,
        plan: ImportPlan,
        *,
        confirmed: Iterable[int] = (),
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> ImportResult:
        return apply_plan(
            plan,
            self._vault,
            self._children,
            confirmed=confirmed,
            progress=progress,
            cancelled=cancelled,
        )
