"""What the three cross-level workflows share (issue 17): roles, transitions as value objects, a
state machine of allowed transitions, and the fold that turns a record's transitions into its
state — the same on the laptop and at the district.

Plain Python, no Qt, no web, no storage. A workflow record (a mandatory report, a recognition
application, a case conference) is created in its initial state; every later change is one
:class:`Transition` (who, in which role, when, why), stored as its own immutable record of type
``workflow_step`` and synced like any record (docs/sync-protocol.md §16). Both ends order a
record's transitions the same way (by the hybrid logical clock of the step record, which
respects causality: a step written after seeing another sorts after it) and check each against
the machine. A transition that is not allowed where it falls is kept but has no effect; the fold
reports it as *void* with a reason code, so nothing is lost and both ends agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """Who acts: the village child director (on the laptop), a town supervisor or a district
    user (in the console), or the sync machinery itself (delivery)."""

    DIRECTOR = "director"
    TOWN = "town"
    DISTRICT = "district"
    SYSTEM = "system"


ROLE_ZH = {
    Role.DIRECTOR: "村（社区）儿童主任",
    Role.TOWN: "乡镇（街道）儿童督导员",
    Role.DISTRICT: "区民政局",
    Role.SYSTEM: "系统",
}


class Refused(StrEnum):
    """Why a transition is refused (reason codes; the words are in :data:`REFUSED_ZH`)."""

    UNKNOWN_ACTION = "unknown_action"
    NOT_FROM_STATE = "not_allowed_from_state"
    ROLE = "role_not_allowed"
    REASON_REQUIRED = "reason_required"
    DETAIL_MISSING = "detail_missing"
    STALE = "stale"  # someone else acted first (the console's two users at once)
    WITHDRAWN = "withdrawn"  # the application was withdrawn before this decision
    CLOSED = "closed"


REFUSED_ZH = {
    Refused.UNKNOWN_ACTION: "没有这种操作。",
    Refused.NOT_FROM_STATE: "当前状态下不能进行这项操作。",
    Refused.ROLE: "您的角色不能进行这项操作。",
    Refused.REASON_REQUIRED: "请填写理由。",
    Refused.DETAIL_MISSING: "请把必填内容填写完整。",
    Refused.STALE: "已有其他人先处理了这条记录，请刷新后查看最新状态。",
    Refused.WITHDRAWN: "申请已由村（社区）撤回，这项决定未生效。",
    Refused.CLOSED: "已办结，不能再修改。",
}


class TransitionRefused(Exception):
    """An impossible transition, refused with a reason code."""

    def __init__(self, code: Refused, message: str = "") -> None:
        super().__init__(message or REFUSED_ZH[code])
        self.code = code
        self.message_zh = message or REFUSED_ZH[code]


@dataclass(frozen=True)
class Transition:
    """One change of a workflow record. ``at`` is ISO 8601 UTC; ``order`` is the sort key both
    ends share (the step record's clock; empty for a transition not stored yet)."""

    action: str
    actor: str
    role: Role
    at: str
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    step_id: str = ""
    order: str = ""

    def to_data(self, subject_id: str, subject_type: str, child_id: str) -> dict[str, Any]:
        """The ``workflow_step`` record's data."""
        return {
            "subject_id": subject_id,
            "subject_type": subject_type,
            "child_id": child_id,
            "action": self.action,
            "actor": self.actor,
            "role": str(self.role),
            "at": self.at,
            "reason": self.reason,
            "details": dict(self.details),
        }

    @classmethod
    def from_data(
        cls, data: Mapping[str, Any], *, step_id: str = "", order: str = ""
    ) -> Transition:
        """A stored step's transition; raises ValueError when its role is unknown."""
        details = data.get("details")
        return cls(
            action=str(data.get("action", "")),
            actor=str(data.get("actor", "")),
            role=Role(str(data.get("role", ""))),
            at=str(data.get("at", "")),
            reason=str(data.get("reason") or ""),
            details=dict(details) if isinstance(details, dict) else {},
            step_id=step_id,
            order=order,
        )


@dataclass(frozen=True)
class Rule:
    """An allowed transition: from which states, to which state (None: stays), by whom, and
    whether a reason or certain details must be given."""

    action: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[Role]
    needs_reason: bool = False
    needs_details: tuple[str, ...] = ()


def rule(
    action: str,
    sources: Iterable[str],
    target: str | None,
    roles: Iterable[Role],
    *,
    needs_reason: bool = False,
    needs_details: tuple[str, ...] = (),
) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(roles), needs_reason, needs_details)


@dataclass(frozen=True)
class Machine:
    initial: str
    rules: Mapping[str, Rule]
    final: frozenset[str] = frozenset()

    def refusal(self, state: str, transition: Transition) -> Refused | None:
        """Why ``transition`` cannot happen in ``state``, or None."""
        found = self.rules.get(transition.action)
        if found is None:
            return Refused.UNKNOWN_ACTION
        if transition.role not in found.roles:
            return Refused.ROLE
        if state not in found.sources:
            return Refused.CLOSED if state in self.final else Refused.NOT_FROM_STATE
        if found.needs_reason and not transition.reason.strip():
            return Refused.REASON_REQUIRED
        for name in found.needs_details:
            value = transition.details.get(name)
            if value is None or value == "" or value == []:
                return Refused.DETAIL_MISSING
        return None

    def check(self, state: str, transition: Transition) -> str:
        """The state after ``transition``; raises :class:`TransitionRefused`."""
        code = self.refusal(state, transition)
        if code is not None:
            raise TransitionRefused(code)
        target = self.rules[transition.action].target
        return state if target is None else target

    def allowed(self, state: str, role: Role) -> list[str]:
        """The actions ``role`` may take in ``state`` (for the pages' buttons)."""
        return [a for a, r in self.rules.items() if state in r.sources and role in r.roles]


@dataclass(frozen=True)
class Folded:
    """A record's transitions folded: its state, the transitions that took effect (in order)
    and the void ones with why."""

    state: str
    effective: tuple[Transition, ...]
    void: tuple[tuple[Transition, Refused], ...]

    @property
    def version(self) -> int:
        """How many transitions took effect: what a console user saw (``expected_version``)."""
        return len(self.effective)

    def last(self, action: str) -> Transition | None:
        for t in reversed(self.effective):
            if t.action == action:
                return t
        return None


def sort_key(t: Transition) -> tuple[str, str]:
    return (t.order, t.step_id)


def fold(
    machine: Machine,
    transitions: Iterable[Transition],
    *,
    refine: Any = None,
) -> Folded:
    """Apply ``transitions`` in their shared order. ``refine(state, transition, code)`` may
    replace a refusal code by a more telling one (e.g. ``withdrawn``)."""
    state = machine.initial
    effective: list[Transition] = []
    void: list[tuple[Transition, Refused]] = []
    for t in sorted(transitions, key=sort_key):
        code = machine.refusal(state, t)
        if code is None:
            target = machine.rules[t.action].target
            state = state if target is None else target
            effective.append(t)
        else:
            if refine is not None:
                code = refine(state, t, code)
            void.append((t, code))
    return Folded(state, tuple(effective), tuple(void))


STEP_TYPE = "workflow_step"
