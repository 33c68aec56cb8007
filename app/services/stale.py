"""A save made from a form loaded before a newer revision must not silently undo that revision.

A form remembers the revision number it was loaded from (its *base*). When it is saved and the
record's current revision is no longer the base, someone (another window, a sync, the
assessment wizard) saved in between. The save is refused with :class:`StaleRevisionError`,
which lists every field the newer revision changed and the save would set differently: the
newer value (*theirs*) and the form's (*mine*). The screen shows both and lets the person choose
per field; :func:`resolve` builds the record to save from those choices, saved again with the
current revision as its base (and refused again if yet another revision came meanwhile).

Fields only the form changed are not listed (the newer revision did not touch them); nor are
fields both set to the same value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.hlc import HlcTimestamp
from storage.records import Revision

if TYPE_CHECKING:
    from storage.vault import Vault  # annotations only: the district server imports this module


@dataclass(frozen=True)
class FieldDifference:
    field: str
    theirs: Any  # the field's JSON value in the current (newer) revision; None when absent
    mine: Any  # the JSON value the refused save would have written
    mine_changed: bool  # whether the form changed this field from its base (a true conflict)


class StaleRevisionError(Exception):
    """The record changed since the form was loaded; nothing was stored."""

    def __init__(
        self,
        record_id: str,
        base_revision: int,
        current: Revision,
        differences: Iterable[FieldDifference],
    ) -> None:
        self.record_id = record_id
        self.base_revision = base_revision
        self.current_revision = current.revision
        self.current_author = current.author
        self.current_changed_at_ms = HlcTimestamp.decode(current.meta.hlc).wall_ms
        self.current_data: dict[str, Any] = dict(current.data)
        self.differences = tuple(differences)
        fields = ", ".join(d.field for d in self.differences)
        super().__init__(
            f"record {record_id} changed since revision {base_revision} "
            f"(now revision {current.revision}); differing fields: {fields}"
        )

    @property
    def message_en(self) -> str:
        return str(self)

    def message_zh(self, label: Callable[[str], str] = str) -> str:
        names = "、".join(label(d.field) for d in self.differences)
        return (
            f"这条记录在您打开之后又被保存过（{self.current_author}）。"
            f"为了不覆盖新的内容，这次没有保存。不一样的项目：{names}。"
        )


def differences(
    base: dict[str, Any], theirs: dict[str, Any], mine: dict[str, Any]
) -> list[FieldDifference]:
    """Fields the newer revision (``theirs``) changed from ``base`` and ``mine`` would set to
    something else; in the order of ``mine``'s keys, then any others."""
    keys = list(mine) + sorted(k for k in set(base) | set(theirs) if k not in mine)
    found = []
    for key in keys:
        b, t, m = base.get(key), theirs.get(key), mine.get(key)
        if t != b and m != t:
            found.append(FieldDifference(key, t, m, mine_changed=m != b))
    return found


def check_base(vault: Vault, record_id: str, base_revision: int, mine: dict[str, Any]) -> None:
    """Raise :class:`StaleRevisionError` when the record moved on from ``base_revision`` and
    saving ``mine`` would undo some of what the newer revisions wrote. Call inside the same
    vault transaction as the write, so nothing can come in between."""
    current = vault.get(record_id)
    if current.revision == base_revision:
        return
    base = next((r for r in vault.history(record_id) if r.revision == base_revision), None)
    base_data = base.data if base is not None and not base.deleted else {}
    found = differences(base_data, current.data, mine)
    if found:
        raise StaleRevisionError(record_id, base_revision, current, found)


def resolve(
    mine: dict[str, Any], error: StaleRevisionError, take_theirs: set[str]
) -> dict[str, Any]:
    """``mine`` with the listed fields set to the newer revision's values where chosen."""
    merged = dict(mine)
    for difference in error.differences:
        if difference.field in take_theirs:
            if difference.field in error.current_data:
                merged[difference.field] = error.current_data[difference.field]
            else:
                merged.pop(difference.field, None)
    return merged


def put_over(
    vault: Vault,
    record_type: str,
    record_id: str,
    data: dict[str, Any],
    *,
    author: str,
    base_revision: int | None,
) -> Revision:
    """Store ``data`` as ``record_id``'s next revision: a corrected record saved from a form.
    With ``base_revision`` (the revision the form was loaded from) the write is refused with
    :class:`StaleRevisionError` when it would undo what a newer revision wrote."""
    with vault.transaction():
        if base_revision is not None:
            check_base(vault, record_id, base_revision, data)
        return vault.put(record_type, data, author=author, record_id=record_id)
