"""Activities (活动) with attendance through the vault: record, correct, delete with a reason,
list, the activities one child attended (for the child's file) and the figures for a period.

Each activity is one ``activity`` record holding its village code, so it syncs with the village's
other records (sync/protocol_types.py) and the district sums them across villages. Children are
named by their record ids; a child that is not in this vault is refused.

Photos: each is an ``attachment`` record owned by the activity (``owner_id``) with its bytes in
an encrypted blob (storage/attachments.py, through ``Vault.add_attachment``), the way a
recognition application's materials are kept (app/services/workflows.py ``attach_material``);
they sync as attachments do (the district stores the blob and sends it to the village's other
devices). The file is read into memory once (at most ``MAX_PHOTO_BYTES``), checked, and
encrypted from there: no plaintext copy, no temporary file. Removing a photo (or the activity)
writes a tombstone with the reason; the encrypted blob stays for the history, as other records'
revisions do.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import PurePath, PureWindowsPath
from typing import Any, BinaryIO

from app.domain.activity import (
    ACTIVITY_KIND_LABELS_ZH,
    ACTIVITY_TYPE,
    MAX_PHOTO_BYTES,
    Activity,
    ActivityFigures,
    ActivityPhoto,
    activity_figures,
    photo_mime,
    photo_problem,
)
from app.domain.child_file import ChildFile
from app.domain.problems import FieldProblem, raise_if_blocking
from app.services.children import CHILD_TYPE, is_child
from app.services.stale import put_over
from app.services.stored import Stored, Today, deletion_reason
from storage.errors import RecordNotFoundError
from storage.hlc import HlcTimestamp
from storage.records import ATTACHMENT_TYPE, Revision
from storage.vault import Vault

MAX_FILENAME = 120


def _photo(revision: Revision) -> ActivityPhoto:
    data = revision.data
    return ActivityPhoto(
        photo_id=revision.record_id,
        activity_id=str(data.get("owner_id", "")),
        filename=str(data.get("filename", "")),
        mime=str(data.get("mime", "")),
        size=int(data.get("size", 0) or 0),
        added_by=revision.author,
        added_ms=HlcTimestamp.decode(revision.meta.hlc).wall_ms,
    )


def _plain_name(filename: str) -> str:
    """The file's own name (no folders, whichever system wrote the path), shortened."""
    name = PureWindowsPath(PurePath(filename).name).name.strip() or "照片"
    return name[-MAX_FILENAME:]


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
        """Remove an activity recorded by mistake, and its photos; the reason stays in the
        tombstones."""
        reason = deletion_reason(reason)
        with self._vault.transaction():
            current = self.get(record_id)
            for photo in self._photo_revisions(record_id):
                self._remove_photo(photo, f"活动已删除：{reason}")
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

    # ----- photos -------------------------------------------------------------------------

    def add_photo(self, activity_id: str, source: BinaryIO, *, filename: str) -> ActivityPhoto:
        """A JPEG or PNG photo of the activity, encrypted into the vault; anything else, an
        empty file, one over ``MAX_PHOTO_BYTES`` or one photo too many is refused in words
        (DomainValidationError) and nothing is written."""
        self.get(activity_id)  # the activity must exist (and not be deleted)
        content = source.read(MAX_PHOTO_BYTES + 1)  # in memory only, never a plaintext file
        problem = photo_problem(content, already=len(self._photo_revisions(activity_id)))
        if problem is not None:
            raise_if_blocking([problem])
        mime = photo_mime(content)
        assert mime is not None  # photo_problem refused anything else
        revision = self._vault.add_attachment(
            io.BytesIO(content),
            owner_id=activity_id,
            filename=_plain_name(filename),
            mime=mime,
            author=self._author,
        )
        return _photo(revision)

    def photos(self, activity_id: str) -> list[ActivityPhoto]:
        """The activity's photos, oldest first (the order they were added)."""
        return [_photo(r) for r in self._photo_revisions(activity_id)]

    def photo_counts(self) -> dict[str, int]:
        """Photos per activity id (the list's 照片 column), in one read."""
        counts: dict[str, int] = {}
        for revision in self._vault.load(ATTACHMENT_TYPE).revisions:
            owner = str(revision.data.get("owner_id", ""))
            counts[owner] = counts.get(owner, 0) + 1
        return counts

    def photo_bytes(self, photo_id: str) -> bytes:
        """The decrypted photo, in memory only; a damaged blob raises AttachmentDamagedError."""
        self._photo_revision(photo_id)
        buffer = io.BytesIO()
        for chunk in self._vault.read_attachment(photo_id):
            buffer.write(chunk)
        return buffer.getvalue()

    def remove_photo(self, photo_id: str, *, reason: str) -> None:
        """Remove a photo added by mistake (the wrong picture, a child who should not be
        shown); the reason stays in the tombstone."""
        reason = deletion_reason(reason)
        with self._vault.transaction():
            self._remove_photo(self._photo_revision(photo_id), reason)

    def _remove_photo(self, photo: Revision, reason: str) -> None:
        tombstone: dict[str, Any] = {
            "owner_id": photo.data.get("owner_id"),  # the district scopes it by its activity
            "filename": photo.data.get("filename", ""),
            "deletion_reason": reason,
        }
        self._vault.put(
            ATTACHMENT_TYPE,
            tombstone,
            author=self._author,
            record_id=photo.record_id,
            deleted=True,
        )

    def _photo_revision(self, photo_id: str) -> Revision:
        """The attachment record of an activity's photo (not a child's or an application's)."""
        revision = self._vault.get(photo_id)
        if revision.record_type != ATTACHMENT_TYPE:
            raise RecordNotFoundError(photo_id)
        self.get(str(revision.data.get("owner_id", "")))  # its owner is an activity
        return revision

    def _photo_revisions(self, activity_id: str) -> list[Revision]:
        found = [
            r
            for r in self._vault.load(ATTACHMENT_TYPE).revisions
            if r.data.get("owner_id") == activity_id
        ]
        found.sort(key=lambda r: r.meta.hlc)
        return found

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
