"""The caseload index: one summary per child (the file, its level, last visit, open case) for
the children list and the 待办 lists — due and overdue visits, children turning 18, urgent
children.

Building it from scratch decrypts every child, visit, assessment and case. To open a large
caseload quickly the index is kept in an encrypted local cache (storage.local_cache) together
with the vault sequence number it reflects; opening reads the cache and applies only the
revisions written since. A missing or damaged cache is rebuilt; the cache is never the truth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from app.domain.child_file import ChildFile, FileStatus, transition_flag
from app.domain.jsonable import date_or_none
from app.domain.schedule import DueLists, ScheduleFacts, VisitSchedule, due_lists
from app.services.assessments import ASSESSMENT_TYPE, FINISHED
from app.services.cases import CASE_TYPE
from app.services.children import CHILD_TYPE
from app.services.visits import VISIT_TYPE
from storage.gc_pause import gc_paused
from storage.local_cache import read_cache, write_cache
from storage.records import Revision
from storage.vault import Vault

CACHE_NAME = "caseload"
INDEX_FORMAT = 1
_TYPES = (CHILD_TYPE, VISIT_TYPE, ASSESSMENT_TYPE, CASE_TYPE)


@dataclass(frozen=True)
class ChildSummary:
    child_id: str
    data: dict[str, Any]  # the child file's stored JSON; parsed into ``child`` on demand
    level: str | None
    level_on: date | None
    last_visit: date | None
    requested_next: date | None
    open_case_stage: str | None
    urgent: bool  # an open case carries a mandatory report (强制报告)

    @cached_property
    def child(self) -> ChildFile:
        return ChildFile.from_json(self.data)

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @cached_property
    def birth_date(self) -> date:
        return date.fromisoformat(self.data["birth_date"])

    @property
    def archived(self) -> bool:
        """归档: out of the lists and due lists (still in the vault; can be restored)."""
        return bool(self.data.get("archive"))

    @property
    def active(self) -> bool:
        status = self.data.get("status", FileStatus.ACTIVE)
        return not self.archived and bool(status == FileStatus.ACTIVE)

    @cached_property
    def schedule_facts(self) -> ScheduleFacts:
        opened = self.data.get("opened_on")
        return ScheduleFacts(
            child_id=self.child_id,
            categories=frozenset(self.data.get("categories", ())),
            level=self.level,
            last_visit=self.last_visit,
            requested_next=self.requested_next,
            opened_on=date.fromisoformat(opened) if opened else date.min,
            recognized_on=date_or_none(self.data.get("recognition_confirmed_on")),
        )


@dataclass
class CaseloadIndex:
    """What the summaries are derived from, keyed by child id; JSON-able for the cache."""

    seq: int = 0
    children: dict[str, dict[str, Any]] = field(default_factory=dict)
    # child id -> item id -> facts; owner maps find the child when an item changes or goes
    visits: dict[str, dict[str, list[Any]]] = field(default_factory=dict)  # [on, next_on]
    assessments: dict[str, dict[str, list[Any]]] = field(default_factory=dict)  # [on, level]
    cases: dict[str, dict[str, list[Any]]] = field(default_factory=dict)  # [stage, urgent]
    owners: dict[str, str] = field(default_factory=dict)

    def _move(
        self,
        table: dict[str, dict[str, list[Any]]],
        item_id: str,
        child_id: str | None,
        facts: list[Any] | None,
    ) -> None:
        previous = self.owners.pop(item_id, None)
        if previous is not None:
            table.get(previous, {}).pop(item_id, None)
        if child_id is not None and facts is not None:
            table.setdefault(child_id, {})[item_id] = facts
            self.owners[item_id] = child_id

    def apply(self, revision: Revision) -> None:
        data, rid, kind = revision.data, revision.record_id, revision.record_type
        gone = revision.deleted
        if kind == CHILD_TYPE:
            if gone:
                self.children.pop(rid, None)
            else:
                self.children[rid] = data
        elif kind == VISIT_TYPE:
            facts = None if gone else [data["on"], data.get("next_visit_on")]
            self._move(self.visits, rid, data.get("child_id"), facts)
        elif kind == ASSESSMENT_TYPE:
            finished = not gone and data.get("status") == FINISHED and data.get("result")
            facts = [data["finished_on"], data["result"]["level"]] if finished else None
            self._move(self.assessments, rid, data.get("child_id"), facts)
        elif kind == CASE_TYPE:
            facts = None if gone else [data["stage"], bool(data.get("mandatory_report"))]
            self._move(self.cases, rid, data.get("child_id"), facts)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": INDEX_FORMAT,
                "seq": self.seq,
                "children": self.children,
                "visits": self.visits,
                "assessments": self.assessments,
                "cases": self.cases,
                "owners": self.owners,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> CaseloadIndex | None:
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
            return None
        return cls(
            data["seq"],
            data["children"],
            data["visits"],
            data["assessments"],
            data["cases"],
            data["owners"],
        )

    @classmethod
    def build(cls, vault: Vault) -> tuple[CaseloadIndex, list[str]]:
        index = cls(seq=vault.last_seq())
        for record_type in _TYPES:
            # Streamed: 100,000+ visits never sit in memory all at once.
            for revision in vault.iter_current(record_type):
                index.apply(revision)
        return index, []


def _summary(child_id: str, index: CaseloadIndex) -> ChildSummary:
    visits = index.visits.get(child_id, {}).values()
    last = max(visits, key=lambda v: v[0], default=None)
    levels = index.assessments.get(child_id, {}).values()
    latest = max(levels, key=lambda a: a[0], default=None)
    open_cases = [c for c in index.cases.get(child_id, {}).values() if c[0] != "closed"]
    return ChildSummary(
        child_id=child_id,
        data=index.children[child_id],
        level=latest[1] if latest else None,
        level_on=date.fromisoformat(latest[0]) if latest else None,
        last_visit=date.fromisoformat(last[0]) if last else None,
        requested_next=date.fromisoformat(last[1]) if last and last[1] else None,
        open_case_stage=open_cases[0][0] if open_cases else None,
        urgent=any(c[1] for c in open_cases),
    )


@dataclass(frozen=True)
class Caseload:
    summaries: dict[str, ChildSummary]
    damaged_ids: list[str]  # (damaged records are listed by ``childdesk verify``)
    index: CaseloadIndex | None = None

    @classmethod
    def from_index(cls, index: CaseloadIndex, damaged: list[str] | None = None) -> Caseload:
        with gc_paused():
            summaries = {cid: _summary(cid, index) for cid in index.children}
        return cls(summaries, damaged or [], index)

    @classmethod
    def build(cls, vault: Vault) -> Caseload:
        """From scratch, reading every record (and refreshing the cache)."""
        index, damaged = CaseloadIndex.build(vault)
        write_cache(vault, CACHE_NAME, index.to_json())
        return cls.from_index(index, damaged)

    @classmethod
    def open(cls, vault: Vault) -> Caseload:
        """From the cache plus the revisions written since; rebuilt when there is no cache."""
        raw = read_cache(vault, CACHE_NAME)
        with gc_paused():
            index = CaseloadIndex.from_json(raw) if raw is not None else None
        if index is None or index.seq > vault.last_seq():
            return cls.build(vault)
        newer = vault.revisions_after(index.seq)
        for seq, revision in newer:
            index.apply(revision)
            index.seq = seq
        if newer:
            write_cache(vault, CACHE_NAME, index.to_json())
        return cls.from_index(index)

    def refreshed(self, vault: Vault) -> Caseload:
        """A new caseload with the revisions written since this one; only the children they
        touch are summarised again (cheap after an edit, even with 10,000 children)."""
        if self.index is None:
            return Caseload.open(vault)
        index = self.index
        touched: set[str] = set()  # (the index is taken over: do not use this caseload after)
        for seq, revision in vault.revisions_after(index.seq):
            before = index.owners.get(revision.record_id)
            index.apply(revision)
            index.seq = seq
            after = index.owners.get(revision.record_id)
            touched.update(x for x in (before, after) if x)
            if revision.record_type == CHILD_TYPE:
                touched.add(revision.record_id)
        summaries = dict(self.summaries)
        for child_id in touched:
            if child_id in index.children:
                summaries[child_id] = _summary(child_id, index)
            else:
                summaries.pop(child_id, None)
        return Caseload(summaries, self.damaged_ids, index)

    def save_cache(self, vault: Vault) -> None:
        if self.index is not None:
            write_cache(vault, CACHE_NAME, self.index.to_json())

    def active(self) -> list[ChildSummary]:
        return [s for s in self.summaries.values() if s.active]

    def due(self, schedule: VisitSchedule, today: date) -> DueLists:
        return due_lists((s.schedule_facts for s in self.active()), schedule, today)

    def transitions(self, today: date) -> list[tuple[ChildSummary, str]]:
        """Children approaching 18 (transition) or past it (close or transfer the file)."""
        flagged = []
        for summary in self.active():
            flag = transition_flag(summary.birth_date, today)
            if flag:
                flagged.append((summary, flag))
        flagged.sort(key=lambda item: item[0].birth_date)
        return flagged
