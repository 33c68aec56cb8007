"""The caseload the screens show, refreshed on the vault worker after every change and
announced on the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.services.caseload import Caseload
from storage.vault import Vault
from ui.tasks import Runner


class CaseloadStore(QObject):
    changed = Signal(object)  # Caseload
    loading = Signal(bool)

    def __init__(self, vault: Vault, runner: Runner) -> None:
        super().__init__()
        self._vault = vault
        self._runner = runner
        self.caseload: Caseload | None = None

    def load(self) -> None:
        self.loading.emit(True)
        self._runner.submit(lambda: Caseload.open(self._vault), self._loaded)

    def refresh(self) -> None:
        """Bring the caseload up to date after a write (only touched children are redone)."""
        current = self.caseload
        if current is None:
            self.load()
            return
        self._runner.submit(lambda: current.refreshed(self._vault), self._loaded)

    def save_cache(self) -> None:
        current = self.caseload
        if current is not None:
            self._runner.submit(lambda: current.save_cache(self._vault))

    def _loaded(self, caseload: Caseload) -> None:
        self.caseload = caseload
        self.loading.emit(False)
        self.changed.emit(caseload)
