"""Shared parts of the district's workflows (see :mod:`sync.server.workflows`): the record
types and refusal codes, :class:`WorkflowError`, the rows the pages show and small helpers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.domain import case_conference as cc
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.domain.workflow import REFUSED_ZH, Folded, Refused, Role
from sync.server import db
from sync.server.console.dates import local_time
from sync.server.console.scope import Scope, town_of

CALENDAR_TYPE = "district_calendar"  # district-only (never in a device's scope)
SETTING_TYPE = "district_setting"  # district-only: the inbox's threshold
NOT_FOUND = "not_found"
OUT_OF_SCOPE = "out_of_scope"
INVALID = "invalid"
DEFAULT_ACK_HOURS = 24.0  # an unacknowledged report older than this is flagged

_R = db.records


class WorkflowError(Exception):
    """A refused action: ``code`` is a :class:`Refused` value or ``not_found`` /
    ``out_of_scope`` / ``invalid``; ``message_zh`` is what the page shows."""

    def __init__(self, code: str, message_zh: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message_zh)
        self.code = code
        self.message_zh = message_zh
        self.problems = list(problems)


# ----- what the pages show ------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    action: str
    action_zh: str
    actor: str
    role: str
    at: str
    reason: str
    details: Mapping[str, Any]
    void_reason: str | None = None  # a Refused code when the step had no effect


@dataclass(frozen=True)
class ReportRow:
    report_id: str
    child_id: str
    village_code: str
    data: Mapping[str, Any]
    state: str
    state_zh: str
    version: int
    filed_at: str
    delivered_at: str | None
    hours_since_filing: float
    unacknowledged_too_long: bool
    assignee: str | None
    outcome: str | None
    steps: tuple[StepView, ...]

    @property
    def immediate_danger(self) -> bool:
        return bool(self.data.get("immediate_danger"))


@dataclass(frozen=True)
class ApplicationRow:
    application_id: str
    child_id: str
    village_code: str
    data: Mapping[str, Any]
    state: str
    state_zh: str
    version: int
    submitted_on: date | None
    due: date | None
    approximate: bool  # the clock counted a year whose official calendar is unknown
    working_days_left: int | None  # negative: overdue
    reason: str | None
    steps: tuple[StepView, ...]

    @property
    def overdue(self) -> bool:
        return self.working_days_left is not None and self.working_days_left < 0

    @property
    def town_code(self) -> str:
        return town_of(self.village_code) if self.village_code else ""


@dataclass(frozen=True)
class ConferenceRow:
    conference_id: str
    child_id: str
    case_id: str
    data: Mapping[str, Any]
    state: str
    version: int
    actions: tuple[cc.ActionStatus, ...]
    next_review: str
    steps: tuple[StepView, ...]


# ----- helpers --------------------------------------------------------------------------------


def role_of(scope: Scope) -> Role:
    if scope.role == "district":
        return Role.DISTRICT
    if scope.role == "town":
        return Role.TOWN
    raise WorkflowError(OUT_OF_SCOPE, "您的账号不能处理这项工作。")


def _hlc_tuple(hlc: str) -> tuple[int, int]:
    return int(hlc[:13]), int(hlc[14:20])


def _parse_utc(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _office_version(folded: Folded) -> int:
    """Effective transitions by the offices (town, district): what a user's page showed. A
    director's added information does not make a town user's page stale."""
    return sum(1 for t in folded.effective if t.role in (Role.TOWN, Role.DISTRICT))


def _views(folded: Folded, action_zh: Mapping[str, str]) -> tuple[StepView, ...]:
    void = {id(t): code for t, code in folded.void}
    everything = [*folded.effective, *(t for t, _ in folded.void)]
    everything.sort(key=lambda t: (t.order, t.step_id))
    return tuple(
        StepView(
            t.action,
            action_zh.get(t.action, t.action),
            t.actor,
            str(t.role),
            t.at,
            t.reason,
            dict(t.details),
            str(void[id(t)]) if id(t) in void else None,
        )
        for t in everything
    )


def _setting_id(name: str) -> str:
    return hashlib.sha256(f"district-setting-{name}".encode()).hexdigest()[:32]


_MACHINES = {
    mr.RECORD_TYPE: mr.MACHINE,
    ra.RECORD_TYPE: ra.MACHINE,
    cc.RECORD_TYPE: cc.MACHINE,
}


def _stale_message(folded: Folded, subject_type: str) -> str:
    words = {
        mr.RECORD_TYPE: mr.ACTION_ZH,
        ra.RECORD_TYPE: ra.ACTION_ZH,
        cc.RECORD_TYPE: cc.ACTION_ZH,
    }[subject_type]
    office = [t for t in folded.effective if t.role in (Role.TOWN, Role.DISTRICT)]
    if not office:
        return REFUSED_ZH[Refused.STALE]
    last = office[-1]
    return (
        f"{last.actor}已于{_local_time(last.at)}进行了“{words.get(last.action, last.action)}”，"
        "您的操作未保存。请查看最新状态后再处理。"
    )


def _local_time(at: str) -> str:
    """China's time of a stored UTC time: the console's one formatting function (dates.py)."""
    return local_time(at)
