"""Field-level last-writer-wins merge by hybrid logical clock (docs/sync-protocol.md §8).

Pure functions: a record's merged state plus one incoming revision gives the new state and the
conflicts (losing values, kept). Shared by both ends: the district server's store
(sync/server/store.py) and the laptop's pull (sync/laptop/engine.py) merge with this one rule,
so it belongs to neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

DELETED_FIELD = "_deleted"


class _Absent:
    """A field that is not in the data (removed)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


class FieldStamp(NamedTuple):
    """Who last wrote a field. A tuple, so it is immutable (one stamp is shared by all the
    fields a revision wrote) and serialises to a JSON array as it is."""

    hlc: str
    revision_id: str
    base_hlc: str | None  # the writer's base: what it had seen

    def to_json(self) -> list[Any]:
        return list(self)

    @classmethod
    def from_json(cls, value: list[Any]) -> FieldStamp:
        return cls(str(value[0]), str(value[1]), None if value[2] is None else str(value[2]))


@dataclass
class RecordState:
    record_type: str
    data: dict[str, Any]
    deleted: bool
    stamps: dict[str, FieldStamp] = field(default_factory=dict)
    head_hlc: str = ""

    def value(self, name: str) -> Any:
        if name == DELETED_FIELD:
            return self.deleted
        return self.data.get(name, ABSENT)


@dataclass(frozen=True)
class Incoming:
    revision_id: str
    hlc: str
    base_hlc: str | None
    deleted: bool
    data: dict[str, Any]


@dataclass(frozen=True)
class Conflict:
    field: str
    losing_revision: str
    losing_value: Any  # ABSENT when the losing write removed the field
    winning_revision: str


def written_fields(incoming: Incoming, base: tuple[dict[str, Any], bool] | None) -> dict[str, Any]:
    """The fields a revision wrote: those differing from its base (data, deleted), or all."""
    if incoming.deleted:
        return {DELETED_FIELD: True}
    if base is None:
        written: dict[str, Any] = dict(incoming.data)
        written[DELETED_FIELD] = False
        return written
    base_data, base_deleted = base
    written = {
        name: incoming.data.get(name, ABSENT)
        for name in set(base_data) | set(incoming.data)
        if incoming.data.get(name, ABSENT) != base_data.get(name, ABSENT)
    }
    if base_deleted:
        written[DELETED_FIELD] = False
    return written


def _concurrent(later_base: str | None, earlier_hlc: str) -> bool:
    """The later write's author had not seen the earlier write."""
    return later_base is None or later_base < earlier_hlc


def apply(
    state: RecordState | None,
    record_type: str,
    incoming: Incoming,
    base: tuple[dict[str, Any], bool] | None,
) -> tuple[RecordState, list[Conflict]]:
    """Merge one revision into a record's state (the state object is updated in place)."""
    writes = written_fields(incoming, base)
    new_stamp = FieldStamp(incoming.hlc, incoming.revision_id, incoming.base_hlc)
    if state is None:
        # A new record: every written field is set, nothing can conflict.
        deleted = bool(writes.pop(DELETED_FIELD, False))
        data = {name: value for name, value in writes.items() if value is not ABSENT}
        stamps = dict.fromkeys(writes, new_stamp)
        stamps[DELETED_FIELD] = new_stamp
        return RecordState(record_type, data, deleted, stamps, incoming.hlc), []
    conflicts: list[Conflict] = []
    for name, value in writes.items():
        stamp = state.stamps.get(name)
        if stamp is None:
            _set(state, name, value, new_stamp)
            continue
        current = state.value(name)
        if incoming.hlc > stamp.hlc:
            if current != value and _concurrent(incoming.base_hlc, stamp.hlc):
                conflicts.append(Conflict(name, stamp.revision_id, current, incoming.revision_id))
            _set(state, name, value, new_stamp)
        elif (
            incoming.hlc < stamp.hlc
            and current != value
            and _concurrent(stamp.base_hlc, incoming.hlc)
        ):
            conflicts.append(Conflict(name, incoming.revision_id, value, stamp.revision_id))
    state.head_hlc = max(state.head_hlc, incoming.hlc)
    return state, conflicts


def _set(state: RecordState, name: str, value: Any, stamp: FieldStamp) -> None:
    state.stamps[name] = stamp
    if name == DELETED_FIELD:
        state.deleted = bool(value)
    elif value is ABSENT:
        state.data.pop(name, None)
    else:
        state.data[name] = value
