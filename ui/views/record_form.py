"""A dialog that writes one record, or corrects it (``stored``), on the vault worker: the
保存/取消 buttons, the Chinese message of a refused save shown above them, and ``saved``
carrying the record as stored. A correction is saved against the revision the form was loaded
from (app/services/stale.py: a newer one is never silently undone)."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel

from app.services.stored import Stored
from ui.tasks import Runner
from ui.views.messages import show_error


class RecordWriter(Protocol):
    """A service that records a new value or corrects a stored one."""

    def record(self, value: Any, /) -> Stored[Any]: ...
    def update(
        self, record_id: str, value: Any, /, *, base_revision: int | None = None
    ) -> Stored[Any]: ...


class RecordFormDialog(QDialog):
    saved = Signal(object)

    def _error_and_buttons(self, name: str) -> QDialogButtonBox:
        """Build ``self.error`` (``{name}_error``) and the buttons with ``self.save_button``
        (``{name}_save``), which calls ``save``; the caller lays them out."""
        self.error = QLabel("")
        self.error.setObjectName(f"{name}_error")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(
            self.tr("保存"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName(f"{name}_save")
        buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        return buttons

    def save(self) -> None:
        raise NotImplementedError

    def _save_on_worker(
        self, runner: Runner, service: RecordWriter, value: Any, stored: Stored[Any] | None
    ) -> None:
        """Record ``value`` (or correct ``stored`` with it) on the vault worker; the dialog
        closes once it is stored, or shows why it was refused."""
        self.save_button.setEnabled(False)

        def work() -> Stored[Any]:
            if stored is None:
                return service.record(value)
            return service.update(stored.record_id, value, base_revision=stored.revision)

        runner.submit(work, self._saved, self._failed)

    def _saved(self, stored: Stored[Any]) -> None:
        self.saved.emit(stored)
        self.accept()

    def _failed(self, err: BaseException) -> None:
        self.save_button.setEnabled(True)
        message = getattr(err, "message_zh", None)
        if message:
            self.error.setText(str(message))
        else:
            show_error(self, err)
