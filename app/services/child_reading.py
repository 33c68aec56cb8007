"""Reading a child's file beyond its records: the timeline of everything recorded
(app/services/child_history.py) and an attachment's content. Call on the vault worker."""

from __future__ import annotations

import io
from collections.abc import Iterable

from app.questionnaire import Definition
from app.services.child_history import TimelineEntry, child_timeline
from storage.vault import Vault


class ChildReading:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def timeline(
        self, child_id: str, definitions: Iterable[Definition] = ()
    ) -> list[TimelineEntry]:
        return child_timeline(self._vault, child_id, definitions)

    def attachment(self, attachment_id: str) -> bytes:
        """The decrypted content, in memory only (never a plaintext file); a damaged chunk
        raises AttachmentDamagedError."""
        buffer = io.BytesIO()
        for chunk in self._vault.read_attachment(attachment_id):
            buffer.write(chunk)
        return buffer.getvalue()
