"""The conflicts step: each conflict of the merge (both sides changed a field concurrently,
different values) becomes a ``sync_conflict`` record (local-only, encrypted) that the director
resolves — keep mine, keep theirs, or type a value; a choice other than the kept value is
written as an ordinary edit (and sent). Both values stay in the record's history. Vault work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import outbox
from storage.records import Revision
from sync.laptop.state import CONFLICT_TYPE, SyncState, now_text
from sync.merge import ABSENT, DELETED_FIELD, Conflict


@dataclass(frozen=True)
class ConflictEntry:
    conflict_id: str
    record_id: str
    record_type: str
    child_id: str
    field: str
    mine: Any  # ABSENT-free: None with mine_absent
    theirs: Any
    mine_absent: bool
    theirs_absent: bool
    kept: str  # "mine" or "theirs": which value the merge kept
    created: str
    resolved: str  # "" while open


def _value_of(rev_id: str, name: str, local: list[Revision], pulled: dict[str, Any]) -> Any:
    _rid, _sep, hlc = rev_id.partition("@")
    for revision in local:
        if revision.meta.hlc == hlc:
            if name == DELETED_FIELD:
                return revision.deleted
            return revision.data.get(name, ABSENT)
    if name == DELETED_FIELD:
        return False
    return pulled.get(name, ABSENT)


def record_conflict(
    state: SyncState,
    record_id: str,
    record_type: str,
    child_id: str,
    conflict: Conflict,
    local: list[Revision],
    pulled_data: dict[str, Any],
) -> None:
    """Keep one conflict of a merge for the director (inside the merge's transaction)."""
    vault = state.vault
    winning_value = _value_of(conflict.winning_revision, conflict.field, local, pulled_data)
    losing_local = conflict.losing_revision.endswith(vault.device_id)
    mine, theirs = (
        (conflict.losing_value, winning_value)
        if losing_local
        else (winning_value, conflict.losing_value)
    )
    revision = vault.put(
        CONFLICT_TYPE,
        {
            "record_id": record_id,
            "record_type": record_type,
            "child_id": child_id,
            "field": conflict.field,
            "mine": None if mine is ABSENT else mine,
            "mine_absent": mine is ABSENT,
            "theirs": None if theirs is ABSENT else theirs,
            "theirs_absent": theirs is ABSENT,
            "kept": "theirs" if losing_local else "mine",
            "losing_revision": conflict.losing_revision,
            "winning_revision": conflict.winning_revision,
            "created": now_text(),
            "resolved": "",
        },
        author=state.author,
    )
    outbox.mark_local(vault, revision.record_id)


def conflicts(state: SyncState, *, include_resolved: bool = False) -> list[ConflictEntry]:
    found = []
    for r in state.vault.load(CONFLICT_TYPE).revisions:
        d = r.data
        entry = ConflictEntry(
            r.record_id,
            str(d["record_id"]),
            str(d["record_type"]),
            str(d.get("child_id", "")),
            str(d["field"]),
            d.get("mine"),
            d.get("theirs"),
            bool(d.get("mine_absent")),
            bool(d.get("theirs_absent")),
            str(d.get("kept", "")),
            str(d.get("created", "")),
            str(d.get("resolved", "")),
        )
        if include_resolved or not entry.resolved:
            found.append(entry)
    return sorted(found, key=lambda c: (c.created, c.conflict_id))


def resolve_conflict(state: SyncState, conflict_id: str, choice: str, value: Any = None) -> None:
    """``choice``: "mine" or "theirs" (that side's value becomes current; the kept value
    needs no new revision) or "edit" (``value`` becomes current). The other value stays in
    the record's history either way."""
    vault = state.vault
    conflict = vault.get(conflict_id)
    d = dict(conflict.data)
    if choice not in ("mine", "theirs", "edit"):
        raise ValueError(f"unknown choice {choice!r}")
    with vault.transaction():
        if choice == "edit" or choice != d.get("kept"):
            if choice == "edit":
                new_value, absent = value, False
            else:
                new_value, absent = d.get(choice), bool(d.get(f"{choice}_absent"))
            _write_field(state, str(d["record_id"]), str(d["field"]), new_value, absent)
        d["resolved"] = choice
        d["resolved_at"] = now_text()
        revision = vault.put(CONFLICT_TYPE, d, author=state.author, record_id=conflict_id)
        outbox.mark_local(vault, revision.record_id)


def _write_field(state: SyncState, record_id: str, name: str, value: Any, absent: bool) -> None:
    vault, author = state.vault, state.author
    current = vault.get(record_id, include_deleted=True)
    if name == DELETED_FIELD:
        if bool(value) and not current.deleted:
            vault.delete(record_id, author=author)
        elif not bool(value) and current.deleted:
            alive = [r for r in vault.history(record_id) if not r.deleted]
            data = dict(alive[-1].data) if alive else {}
            vault.put(current.record_type, data, author=author, record_id=record_id)
        return
    data = dict(current.data)
    if absent:
        data.pop(name, None)
    else:
        data[name] = value
    vault.put(current.record_type, data, author=author, record_id=record_id)
