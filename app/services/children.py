"""Child files through the vault: create, update, transfer, close, tombstone, history."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, BinaryIO

from app.domain.child_file import (
    VILLAGE_CODE_RE,
    Archive,
    ArchiveReason,
    ChildFile,
    FileStatus,
    Transfer,
)
from app.domain.problems import DomainValidationError, FieldProblem, raise_if_blocking
from app.services.stale import check_base
from app.services.stored import Stored, Today
from storage.errors import RecordNotFoundError
from storage.records import ATTACHMENT_TYPE, Revision

if TYPE_CHECKING:
    from storage.vault import Vault  # annotations only: the district server imports this module

CHILD_TYPE = "child"


def is_child(vault: Vault, record_id: str) -> bool:
    """Whether ``record_id`` is a child's file in this vault that has not been deleted."""
    try:
        revision = vault.get(record_id)
    except RecordNotFoundError:
        return False
    return revision.record_type == CHILD_TYPE and not revision.deleted


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class HistoryEntry:
    """One revision of a child file for the 历史 tab: who changed what, when."""

    revision: int
    author: str
    changed_at_ms: int
    deleted: bool
    changes: tuple[FieldChange, ...]


class ChildService:
    def __init__(self, vault: Vault, *, author: str, today: Today = date.today) -> None:
        self._vault = vault
        self._author = author
        self._today = today

    def _stored(self, revision: Revision) -> Stored[ChildFile]:
        return Stored.of(revision, ChildFile.from_json(revision.data))

    def validate(self, child: ChildFile) -> list[FieldProblem]:
        return child.problems(self._today())

    def create(self, child: ChildFile) -> Stored[ChildFile]:
        raise_if_blocking(self.validate(child))
        if child.opened_on is None:
            child = replace(child, opened_on=self._today())
        return self._stored(self._vault.put(CHILD_TYPE, child.to_json(), author=self._author))

    def update(
        self, record_id: str, child: ChildFile, *, base_revision: int | None = None
    ) -> Stored[ChildFile]:
        """Store ``child`` as the file's new revision. ``base_revision``: the revision the form
        was loaded from; when a newer one changed something this save would set differently,
        :class:`app.services.stale.StaleRevisionError` is raised and nothing is stored."""
        raise_if_blocking(self.validate(child))
        with self._vault.transaction():
            current = self.get(record_id).value
            if child.opened_on is None:
                child = replace(child, opened_on=current.opened_on)
            data = child.to_json()
            if base_revision is not None:
                check_base(self._vault, record_id, base_revision, data)
            revision = self._vault.put(CHILD_TYPE, data, author=self._author, record_id=record_id)
        return self._stored(revision)

    def archive(
        self, record_id: str, reason: ArchiveReason, *, note: str = ""
    ) -> Stored[ChildFile]:
        """归档: the file leaves the lists and due lists; it stays in the vault, syncs, and can
        be restored. 其他 needs a note saying why."""
        note = note.strip()
        if reason == ArchiveReason.OTHER and not note:
            raise DomainValidationError(
                [FieldProblem("archive.note", "请写明归档的原因。", "a note is required for other")]
            )
        with self._vault.transaction():
            child = self.get(record_id).value
            if child.archived:
                raise DomainValidationError(
                    [FieldProblem("archive", "这份档案已经归档了。", "already archived")]
                )
            if reason == ArchiveReason.TURNED_18:  # only after the hand-over (issue 19)
                from app.services.transition_plans import TransitionPlanService

                TransitionPlanService(
                    self._vault, author=self._author, today=self._today
                ).check_archive_at_18(record_id, child)
            archived = replace(child, archive=Archive(reason, self._today(), note))
            revision = self._vault.put(
                CHILD_TYPE, archived.to_json(), author=self._author, record_id=record_id
            )
        return self._stored(revision)

    def restore(self, record_id: str) -> Stored[ChildFile]:
        """Undo 归档: the file is back in the lists."""
        with self._vault.transaction():
            child = self.get(record_id).value
            if not child.archived:
                raise DomainValidationError(
                    [FieldProblem("archive", "这份档案没有归档。", "not archived")]
                )
            revision = self._vault.put(
                CHILD_TYPE,
                replace(child, archive=None).to_json(),
                author=self._author,
                record_id=record_id,
            )
        return self._stored(revision)

    def get(self, record_id: str) -> Stored[ChildFile]:
        return self._stored(self._vault.get(record_id))

    def list_all(self) -> tuple[list[Stored[ChildFile]], list[str]]:
        """All child files and the ids of any damaged records (never hidden)."""
        loaded = self._vault.load(CHILD_TYPE)
        return [self._stored(r) for r in loaded.revisions], loaded.damaged_ids

    def transfer(
        self, record_id: str, *, to_village_code: str, on: date, reason: str = ""
    ) -> Stored[ChildFile]:
        """A move to another village: the file is kept and marked, never deleted."""
        if not VILLAGE_CODE_RE.match(to_village_code):
            raise DomainValidationError(
                [
                    FieldProblem(
                        "transfer.to_village_code",
                        "转入村代码应为 12 位数字。",
                        "destination must be a 12-digit village code",
                    )
                ]
            )
        child = self.get(record_id).value
        if on > self._today():
            raise DomainValidationError(
                [FieldProblem("transfer.on", "转移日期不能晚于今天。", "transfer date in future")]
            )
        moved = replace(
            child,
            status=FileStatus.TRANSFERRED,
            transfer=Transfer(to_village_code, on, reason),
        )
        return self.update(record_id, moved)

    def close(self, record_id: str, *, reason: str) -> Stored[ChildFile]:
        """Close a file, e.g. when the child turned 18 and left children's services."""
        if not reason.strip():
            raise DomainValidationError(
                [FieldProblem("closure_reason", "请填写关闭档案的原因。", "a reason is required")]
            )
        child = self.get(record_id).value
        return self.update(
            record_id, replace(child, status=FileStatus.CLOSED, closure_reason=reason)
        )

    def delete(self, record_id: str) -> None:
        """A tombstone: the history stays, the file leaves the lists."""
        self._vault.delete(record_id, author=self._author)

    def add_attachment(
        self, record_id: str, source: BinaryIO, *, filename: str, mime: str
    ) -> Revision:
        self.get(record_id)  # the child must exist
        return self._vault.add_attachment(
            source, owner_id=record_id, filename=filename, mime=mime, author=self._author
        )

    def attachments(self, record_id: str) -> list[Revision]:
        return [
            r
            for r in self._vault.load(ATTACHMENT_TYPE).revisions
            if r.data.get("owner_id") == record_id
        ]

    def history(self, record_id: str) -> list[HistoryEntry]:
        entries: list[HistoryEntry] = []
        previous: dict[str, Any] = {}
        for revision in self._vault.history(record_id):
            keys = sorted(set(previous) | set(revision.data))
            changes = tuple(
                FieldChange(k, previous.get(k), revision.data.get(k))
                for k in keys
                if previous.get(k) != revision.data.get(k)
            )
            entries.append(
                HistoryEntry(
                    revision.revision,
                    revision.author,
                    Stored.of(revision, None).changed_at_ms,
                    revision.deleted,
                    changes,
                )
            )
            previous = revision.data
        return entries
