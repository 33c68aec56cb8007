"""The caseload index: one summary per child, built once from the vault (children, visits,
finished assessments, cases) and used for the 待办 lists — due and overdue visits, children
turning 18, urgent children. Building reads everything once; the lists are then computed in
memory, so they stay fast with 10,000 children."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from app.domain.case import Case
from app.domain.child_file import ChildFile, FileStatus
from app.domain.schedule import DueLists, ScheduleFacts, VisitSchedule, due_lists
from app.services.assessments import ASSESSMENT_TYPE, FINISHED
from app.services.cases import CASE_TYPE
from app.services.children import CHILD_TYPE
from app.services.visits import VISIT_TYPE
from storage.vault import Vault


@dataclass(frozen=True)
class ChildSummary:
    child_id: str
    child: ChildFile
    level: str | None
    level_on: date | None
    last_visit: date | None
    requested_next: date | None
    open_case_stage: str | None
    urgent: bool  # an open case carries a mandatory report (强制报告)

    @property
    def active(self) -> bool:
        return self.child.status == FileStatus.ACTIVE

    @cached_property
    def schedule_facts(self) -> ScheduleFacts:
        return ScheduleFacts(
            child_id=self.child_id,
            categories=frozenset(c.value for c in self.child.categories),
            level=self.level,
            last_visit=self.last_visit,
            requested_next=self.requested_next,
            opened_on=self.child.opened_on or date.min,
        )


@dataclass(frozen=True)
class Caseload:
    summaries: dict[str, ChildSummary]
    damaged_ids: list[str]

    @classmethod
    def build(cls, vault: Vault) -> Caseload:
        children = vault.load(CHILD_TYPE)
        last_visit: dict[str, tuple[date, date | None]] = {}
        visits = vault.load(VISIT_TYPE)
        for revision in visits.revisions:
            data = revision.data
            on = date.fromisoformat(data["on"])
            child_id = data["child_id"]
            if child_id not in last_visit or on >= last_visit[child_id][0]:
                requested = data.get("next_visit_on")
                last_visit[child_id] = (on, date.fromisoformat(requested) if requested else None)
        levels: dict[str, tuple[date, str]] = {}
        assessments = vault.load(ASSESSMENT_TYPE)
        for revision in assessments.revisions:
            data = revision.data
            if data.get("status") != FINISHED or not data.get("result"):
                continue
            finished = date.fromisoformat(data["finished_on"])
            child_id = data["child_id"]
            if child_id not in levels or finished >= levels[child_id][0]:
                levels[child_id] = (finished, data["result"]["level"])
        cases: dict[str, Case] = {}
        urgent: set[str] = set()
        loaded_cases = vault.load(CASE_TYPE)
        for revision in loaded_cases.revisions:
            case = Case.from_json(revision.data)
            if case.is_open:
                cases[case.child_id] = case
                if case.mandatory_report:
                    urgent.add(case.child_id)
        summaries = {}
        for revision in children.revisions:
            child_id = revision.record_id
            visit = last_visit.get(child_id)
            level = levels.get(child_id)
            open_case = cases.get(child_id)
            summaries[child_id] = ChildSummary(
                child_id=child_id,
                child=ChildFile.from_json(revision.data),
                level=level[1] if level else None,
                level_on=level[0] if level else None,
                last_visit=visit[0] if visit else None,
                requested_next=visit[1] if visit else None,
                open_case_stage=open_case.stage.value if open_case else None,
                urgent=child_id in urgent,
            )
        damaged = (
            children.damaged_ids
            + visits.damaged_ids
            + assessments.damaged_ids
            + loaded_cases.damaged_ids
        )
        return cls(summaries, damaged)

    def active(self) -> list[ChildSummary]:
        return [s for s in self.summaries.values() if s.active]

    def due(self, schedule: VisitSchedule, today: date) -> DueLists:
        return due_lists((s.schedule_facts for s in self.active()), schedule, today)

    def transitions(self, today: date) -> list[tuple[ChildSummary, str]]:
        """Children approaching 18 (transition) or past it (close or transfer the file)."""
        flagged = []
        for summary in self.active():
            flag = summary.child.transition_flag(today)
            if flag:
                flagged.append((summary, flag))
        flagged.sort(key=lambda item: item[0].child.birth_date)
        return flagged
