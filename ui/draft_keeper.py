"""Unsaved input kept in the vault while an editor is open, so a crash, a power cut or an
auto-lock loses nothing: the next unlock offers it back.

A draft is one local-only ``ui_draft`` record per open editor (encrypted like every record,
never synced), rewritten a moment after each edit and deleted when the editor saves or the user
closes it without saving. Writes go through the serial vault runner; the record id lives in a
holder only the worker touches, so quick successive writes update one record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer

from storage.errors import VaultLockedError
from storage.vault import Vault
from ui.tasks import Runner

DRAFT_TYPE = "ui_draft"
DRAFT_DELAY_MS = 1500


class DraftKeeper(QObject):
    """``payload()`` returns the whole draft (``{"kind": ..., ...}``) or None when nothing is
    unsaved; call :meth:`poke` on every edit."""

    def __init__(
        self,
        vault: Vault,
        runner: Runner,
        author: str,
        payload: Callable[[], dict[str, Any] | None],
        parent: QObject | None = None,
        delay_ms: int = DRAFT_DELAY_MS,
    ) -> None:
        super().__init__(parent)
        self._vault = vault
        self._runner = runner
        self._author = author
        self._payload = payload
        self._holder: dict[str, str] = {}  # the draft's record id; touched on the worker only
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.write_now)

    def poke(self, *_args: object) -> None:
        self._timer.start()

    def adopt(self, record_id: str) -> None:
        """Carry on with a draft restored from the vault (rather than a second record)."""
        self._holder["id"] = record_id

    def write_now(self) -> None:
        self._timer.stop()
        draft = self._payload()
        if draft is None:
            return
        self._runner.submit(
            write_task(self._vault, self._author, self._holder, draft), None, _ignore_locked
        )

    def final_write(self, draft: dict[str, Any]) -> Callable[[], None]:
        """The vault task writing this draft once more (at lock time, before the vault locks),
        into the same record."""
        self._timer.stop()
        return write_task(self._vault, self._author, self._holder, draft)

    def clear(self) -> None:
        """The input was saved or thrown away: the draft goes."""
        if shiboken6.isValid(self._timer):  # at program end Qt may have deleted it first
            self._timer.stop()
        vault, author, holder = self._vault, self._author, self._holder

        def delete() -> None:
            record_id = holder.pop("id", None)
            if record_id is not None:
                vault.delete(record_id, author=author)

        self._runner.submit(delete, None, _ignore_locked)


def write_task(
    vault: Vault, author: str, holder: dict[str, str], draft: dict[str, Any]
) -> Callable[[], None]:
    """The vault task writing one draft (also used at lock time, before the vault locks)."""

    def write() -> None:
        revision = vault.put(DRAFT_TYPE, draft, author=author, record_id=holder.get("id"))
        holder["id"] = revision.record_id

    return write


def take_drafts(vault: Vault) -> list[tuple[str, dict[str, Any]]]:
    """Every kept draft with its record id (vault worker)."""
    return [(r.record_id, r.data) for r in vault.load(DRAFT_TYPE).revisions]


def _ignore_locked(err: BaseException) -> None:
    """Locked meanwhile (the lock wrote its own final draft first): nothing to do."""
    if not isinstance(err, VaultLockedError):
        raise err
