"""The district's side of the cross-level workflows (issue 17; docs/sync-protocol.md §16):
plain-Python functions the console pages call, each taking the signed-in user's
:class:`~sync.server.console.scope.Scope`.

- mandatory reports (强制报告): the inbox per scope with the time since filing and the
  unacknowledged-too-long flag; acknowledge (签收), assign (交办), record an action, close (办结);
- recognition applications (事实无人抚养儿童认定): the list with the town's working-day clock;
  the town's 查验 (pass / return / refuse) and the district's 复核确认 (confirm / refuse);
- case conferences (个案会商): recorded by a district user on an escalated case; follow-ups;
- the district's own calendar years (holidays and 调休 days the package does not know yet).

Every action is a ``workflow_step`` record written under the district's clock and device id,
so it reaches the laptop on its next sync (network or USB) like any district correction. Each
action runs in one write transaction (the writers' lock): the record's steps are folded, the
user's ``expected_version`` (what the page showed) is compared, the transition is checked
against the state machine, and only then is the step written. Two users acting on the same
record at once: the first wins; the second is refused with ``stale`` and told who did what.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select

from app.domain import case_conference as cc
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.domain.workflow import (
    REFUSED_ZH,
    STEP_TYPE,
    Folded,
    Refused,
    Role,
    Transition,
)
from app.domain.working_days import Calendar, YearCalendar, calendar_from_data, china_date
from sync.server import db
from sync.server.console.scope import Scope, town_of
from sync.server.store import StoreSession
from sync.wire import new_id, utc_now

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


class Workflows:
    """The workflows of one district database."""

    def __init__(self, engine: Engine, district_id: str) -> None:
        self.engine = engine
        self.district_id = district_id

    # ----- shared reading ---------------------------------------------------------------------

    def _subjects(
        self, conn: Connection, scope: Scope, record_type: str, record_ids: Sequence[str] = ()
    ) -> list[tuple[Any, str]]:
        """(record row, the village it is shown under) for the records of a type in scope:
        the child's current village, or its transfer destination (both see it meanwhile)."""
        child = _R.alias("child")
        query = (
            select(_R, child.c.village_code.label("cv"), child.c.transfer_to.label("ct"))
            .select_from(_R.join(child, child.c.record_id == _R.c.child_id))
            .where(_R.c.record_type == record_type, _R.c.deleted.is_(False))
        )
        if not scope.is_district:
            query = query.where(
                or_(
                    scope.village_clause(child.c.village_code),
                    scope.village_clause(child.c.transfer_to),
                )
            )
        if record_ids:
            query = query.where(_R.c.record_id.in_(list(record_ids)))
        rows = []
        for row in conn.execute(query):
            village = row.cv or row.ct or ""
            if not scope.allows_village(village) and row.ct:
                village = row.ct  # in scope through the transfer's destination
            rows.append((row, village))
        return rows

    def _steps(self, conn: Connection, child_ids: Iterable[str]) -> dict[str, list[Transition]]:
        """The steps of every subject of these children, by subject id."""
        by_subject: dict[str, list[Transition]] = {}
        ids = sorted(set(child_ids))
        for start in range(0, len(ids), 500):
            for row in conn.execute(
                select(_R.c.record_id, _R.c.head_hlc, _R.c.data).where(
                    _R.c.record_type == STEP_TYPE,
                    _R.c.deleted.is_(False),
                    _R.c.child_id.in_(ids[start : start + 500]),
                )
            ):
                data = json.loads(row.data)
                try:
                    step = Transition.from_data(data, step_id=row.record_id, order=row.head_hlc)
                except ValueError:
                    continue  # a role no machine knows: never takes effect
                by_subject.setdefault(str(data.get("subject_id")), []).append(step)
        return by_subject

    def _delivered(self, conn: Connection, record_ids: Sequence[str]) -> dict[str, str]:
        """When each report's first revision arrived (its batch's time)."""
        found: dict[str, str] = {}
        rv, b = db.revisions, db.batches
        for start in range(0, len(record_ids), 500):
            for row in conn.execute(
                select(rv.c.record_id, func.min(b.c.received_at))
                .select_from(rv.join(b, b.c.batch_id == rv.c.batch_id))
                .where(rv.c.record_id.in_(list(record_ids[start : start + 500])))
                .group_by(rv.c.record_id)
            ):
                found[row[0]] = row[1]
        return found

    def calendar(self, conn: Connection | None = None) -> Calendar:
        """The package's calendar plus the years the district entered."""
        if conn is None:
            with self.engine.connect() as own:
                return self.calendar(own)
        rows = conn.execute(
            select(_R.c.data).where(_R.c.record_type == CALENDAR_TYPE, _R.c.deleted.is_(False))
        )
        return calendar_from_data(json.loads(r.data) for r in rows)

    # ----- writing a step -----------------------------------------------------------------------

    def _write(
        self,
        conn: Connection,
        record_type: str,
        data: dict[str, Any],
        author: str,
        *,
        seen: Iterable[str] = (),
        record_id: str | None = None,
    ) -> str:
        """A revision under the district's device id, its clock after every clock in ``seen``
        (the steps and record the user acted on) and the district's last one; returns the
        record id."""
        record_id = record_id or new_id()
        head = conn.execute(select(_R.c.head_hlc).where(_R.c.record_id == record_id)).first()
        last = conn.execute(
            select(func.max(db.revisions.c.hlc)).where(db.revisions.c.device_id == self.district_id)
        ).scalar_one()
        floor = max(
            [(0, 0)] + [_hlc_tuple(h) for h in [last, head.head_hlc if head else None, *seen] if h]
        )
        wall = int(time.time() * 1000)
        wall, counter = (wall, 0) if wall > floor[0] else (floor[0], floor[1] + 1)
        hlc = f"{wall:013d}-{counter:06d}-{self.district_id}"
        count = conn.execute(
            select(func.count())
            .select_from(db.revisions)
            .where(db.revisions.c.record_id == record_id)
        ).scalar_one()
        session = StoreSession(conn)
        session.store_revision(
            {
                "kind": "revision",
                "record_id": record_id,
                "record_type": record_type,
                "revision": int(count) + 1,
                "hlc": hlc,
                "device_id": self.district_id,
                "author": author,
                "deleted": False,
                "base_hlc": head.head_hlc if head else None,
                "data": data,
            }
        )
        session.flush()
        return record_id

    def _act(
        self,
        scope: Scope,
        subject_type: str,
        subject_id: str,
        action: str,
        *,
        actor: str,
        expected_version: int,
        reason: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        role = role_of(scope)
        actor = actor.strip()[:200] or "区民政局"
        with db.write_transaction(self.engine) as conn:
            found = self._subjects(conn, scope, subject_type, [subject_id])
            if not found:
                exists = conn.execute(
                    select(_R.c.record_id).where(
                        _R.c.record_id == subject_id, _R.c.record_type == subject_type
                    )
                ).first()
                if exists is None:
                    raise WorkflowError(NOT_FOUND, "找不到这条记录。")
                raise WorkflowError(OUT_OF_SCOPE, "这条记录不在您负责的范围内。")
            row, _village = found[0]
            steps = self._steps(conn, [row.child_id]).get(subject_id, [])
            folded = self._fold(conn, subject_type, row, steps)
            if _office_version(folded) != expected_version:
                raise WorkflowError(Refused.STALE, _stale_message(folded, subject_type))
            transition = Transition(
                action, actor, role, utc_now(), reason.strip(), dict(details or {})
            )
            machine = _MACHINES[subject_type]
            code = machine.refusal(folded.state, transition)
            if code is not None and subject_type == ra.RECORD_TYPE and folded.state == ra.WITHDRAWN:
                code = Refused.WITHDRAWN
            if code is not None:
                raise WorkflowError(code, REFUSED_ZH[code])
            data = transition.to_data(subject_id, subject_type, row.child_id)
            self._write(
                conn,
                STEP_TYPE,
                data,
                actor,
                seen=[row.head_hlc, *(t.order for t in steps if t.order)],
            )

    def _fold(
        self, conn: Connection, subject_type: str, row: Any, steps: list[Transition]
    ) -> Folded:
        if subject_type == mr.RECORD_TYPE:
            delivered = self._delivered(conn, [row.record_id]).get(row.record_id) or utc_now()
            return mr.status(row.record_id, steps, delivered_at=delivered).folded
        if subject_type == ra.RECORD_TYPE:
            return ra.status(row.record_id, steps, Calendar()).folded
        return cc.status(row.record_id, json.loads(row.data), steps).folded

    # ----- mandatory reports --------------------------------------------------------------------

    def report_inbox(
        self,
        scope: Scope,
        *,
        now: datetime | None = None,
        ack_hours: float | None = None,
        include_closed: bool = False,
        report_ids: Sequence[str] = (),
    ) -> list[ReportRow]:
        """Reports in scope, most urgent first: immediate danger, then unacknowledged too long,
        then the oldest filing."""
        now = now or datetime.now(UTC)
        role_of(scope)
        with self.engine.connect() as conn:
            if ack_hours is None:
                ack_hours = self._ack_hours(conn)
            subjects = self._subjects(conn, scope, mr.RECORD_TYPE, report_ids)
            steps = self._steps(conn, [r.child_id for r, _ in subjects])
            delivered = self._delivered(conn, [r.record_id for r, _ in subjects])
        rows: list[ReportRow] = []
        for row, village in subjects:
            data = json.loads(row.data)
            arrived = delivered.get(row.record_id) or utc_now()
            status = mr.status(row.record_id, steps.get(row.record_id, []), delivered_at=arrived)
            if status.state == mr.CLOSED and not include_closed:
                continue
            filed_at = str(data.get("filed_at") or arrived)
            filed = _parse_utc(filed_at) or _parse_utc(arrived) or now
            hours = max(0.0, (now - filed).total_seconds() / 3600)
            rows.append(
                ReportRow(
                    row.record_id,
                    row.child_id,
                    village,
                    data,
                    status.state,
                    status.state_zh,
                    _office_version(status.folded),
                    filed_at,
                    arrived,
                    hours,
                    status.state == mr.DELIVERED and hours >= ack_hours,
                    status.assignee,
                    status.outcome,
                    _views(status.folded, mr.ACTION_ZH),
                )
            )
        rows.sort(key=lambda r: (not r.immediate_danger, not r.unacknowledged_too_long, r.filed_at))
        return rows

    def report(self, scope: Scope, report_id: str, *, now: datetime | None = None) -> ReportRow:
        found = self.report_inbox(scope, now=now, include_closed=True, report_ids=[report_id])
        if not found:
            raise WorkflowError(NOT_FOUND, "找不到这条报告，或不在您负责的范围内。")
        return found[0]

    def acknowledge(
        self, scope: Scope, report_id: str, *, actor: str, expected_version: int
    ) -> ReportRow:
        self._act(
            scope,
            mr.RECORD_TYPE,
            report_id,
            mr.ACKNOWLEDGE,
            actor=actor,
            expected_version=expected_version,
        )
        return self.report(scope, report_id)

    def assign(
        self,
        scope: Scope,
        report_id: str,
        *,
        actor: str,
        expected_version: int,
        assignee_kind: str,
        assignee: str,
        note: str = "",
    ) -> ReportRow:
        if assignee_kind not in mr.ASSIGNEE_KINDS:
            raise WorkflowError(INVALID, "请选择交办对象的类别。")
        self._act(
            scope,
            mr.RECORD_TYPE,
            report_id,
            mr.ASSIGN,
            actor=actor,
            expected_version=expected_version,
            reason=note,
            details={"assignee_kind": assignee_kind, "assignee": assignee.strip()},
        )
        return self.report(scope, report_id)

    def record_action(
        self, scope: Scope, report_id: str, *, actor: str, expected_version: int, text: str
    ) -> ReportRow:
        self._act(
            scope,
            mr.RECORD_TYPE,
            report_id,
            mr.RECORD_ACTION,
            actor=actor,
            expected_version=expected_version,
            reason=text,
        )
        return self.report(scope, report_id)

    def close_report(
        self, scope: Scope, report_id: str, *, actor: str, expected_version: int, outcome: str
    ) -> ReportRow:
        self._act(
            scope,
            mr.RECORD_TYPE,
            report_id,
            mr.CLOSE,
            actor=actor,
            expected_version=expected_version,
            reason=outcome,
        )
        return self.report(scope, report_id)

    # ----- recognition applications -----------------------------------------------------------

    def applications(
        self,
        scope: Scope,
        *,
        today: date | None = None,
        include_finished: bool = False,
        application_ids: Sequence[str] = (),
    ) -> list[ApplicationRow]:
        """Submitted applications in scope (drafts stay the laptop's business), overdue first,
        then by days left."""
        role_of(scope)
        today = today or china_date(utc_now())
        with self.engine.connect() as conn:
            calendar = self.calendar(conn)
            subjects = self._subjects(conn, scope, ra.RECORD_TYPE, application_ids)
            steps = self._steps(conn, [r.child_id for r, _ in subjects])
        rows: list[ApplicationRow] = []
        for row, village in subjects:
            status = ra.status(row.record_id, steps.get(row.record_id, []), calendar)
            if status.state == ra.DRAFT and not application_ids:
                continue
            if status.state in ra.FINAL and not include_finished:
                continue
            rows.append(
                ApplicationRow(
                    row.record_id,
                    row.child_id,
                    village,
                    json.loads(row.data),
                    status.state,
                    status.state_zh,
                    _office_version(status.folded),
                    status.submitted_on,
                    status.deadline.due if status.deadline else None,
                    bool(status.deadline and status.deadline.approximate),
                    status.working_days_left(today, calendar),
                    status.reason,
                    _views(status.folded, ra.ACTION_ZH),
                )
            )
        rows.sort(
            key=lambda r: (
                r.working_days_left is None,
                r.working_days_left if r.working_days_left is not None else 0,
            )
        )
        return rows

    def application(
        self, scope: Scope, application_id: str, *, today: date | None = None
    ) -> ApplicationRow:
        found = self.applications(
            scope, today=today, include_finished=True, application_ids=[application_id]
        )
        if not found:
            raise WorkflowError(NOT_FOUND, "找不到这份申请，或不在您负责的范围内。")
        return found[0]

    def verify(
        self,
        scope: Scope,
        application_id: str,
        *,
        actor: str,
        expected_version: int,
        outcome: str,
        reason: str = "",
    ) -> ApplicationRow:
        """The town's 查验: ``outcome`` is ``pass``, ``return`` (more material) or ``refuse``."""
        action = {"pass": ra.VERIFY, "return": ra.RETURN, "refuse": ra.REFUSE_TOWN}.get(outcome)
        if action is None:
            raise WorkflowError(INVALID, "请选择查验结果。")
        self._act(
            scope,
            ra.RECORD_TYPE,
            application_id,
            action,
            actor=actor,
            expected_version=expected_version,
            reason=reason,
        )
        return self.application(scope, application_id)

    def decide(
        self,
        scope: Scope,
        application_id: str,
        *,
        actor: str,
        expected_version: int,
        confirm: bool,
        reason: str = "",
    ) -> ApplicationRow:
        """The district's 复核确认 (``confirm=True``) or refusal (a reason is required)."""
        self._act(
            scope,
            ra.RECORD_TYPE,
            application_id,
            ra.CONFIRM if confirm else ra.REFUSE,
            actor=actor,
            expected_version=expected_version,
            reason=reason,
        )
        return self.application(scope, application_id)

    def overview(self, scope: Scope, *, today: date | None = None) -> dict[str, dict[str, int]]:
        """Per town code: open reports, reports unacknowledged past the threshold, applications
        waiting for 查验 and those overdue (the console's overview)."""
        counts: dict[str, dict[str, int]] = {}

        def bump(town: str, key: str) -> None:
            row = counts.setdefault(
                town, {"reports_open": 0, "reports_late": 0, "applications": 0, "overdue": 0}
            )
            row[key] += 1

        for report in self.report_inbox(scope):
            town = town_of(report.village_code) if report.village_code else ""
            bump(town, "reports_open")
            if report.unacknowledged_too_long:
                bump(town, "reports_late")
        for app in self.applications(scope, today=today):
            if app.state == ra.SUBMITTED:
                bump(app.town_code, "applications")
            if app.overdue:
                bump(app.town_code, "overdue")
        return counts

    def overdue_per_town(self, scope: Scope, *, today: date | None = None) -> dict[str, int]:
        """Applications past the town's 查验 deadline, per town code (the overview)."""
        counts: dict[str, int] = {}
        for row in self.applications(scope, today=today):
            if row.overdue:
                counts[row.town_code] = counts.get(row.town_code, 0) + 1
        return counts

    # ----- case conferences ---------------------------------------------------------------------

    def record_conference(self, scope: Scope, data: Mapping[str, Any], *, actor: str) -> str:
        """Record a conference on an escalated case (district users only); returns its id."""
        if role_of(scope) is not Role.DISTRICT:
            raise WorkflowError(Refused.ROLE, REFUSED_ZH[Refused.ROLE])
        record = dict(data)
        case_id = str(record.get("case_id") or "")
        with db.write_transaction(self.engine) as conn:
            case = conn.execute(
                select(_R).where(
                    _R.c.record_id == case_id, _R.c.record_type == "case", _R.c.deleted.is_(False)
                )
            ).first()
            if case is None:
                raise WorkflowError(NOT_FOUND, "找不到这个个案。")
            case_data = json.loads(case.data)
            if not (case_data.get("escalated_on") or case_data.get("mandatory_report")):
                raise WorkflowError(INVALID, "只能为已上报区民政局的个案记录会商。")
            record["child_id"] = case.child_id
            record.setdefault("recorded_by", actor)
            record.setdefault("recorded_at", utc_now())
            problems = cc.conference_problems(record)
            if problems:
                raise WorkflowError(INVALID, "会商记录不完整。", problems)
            return self._write(
                conn,
                cc.RECORD_TYPE,
                record,
                actor.strip()[:200] or "区民政局",
                seen=[case.head_hlc],
            )

    def conferences(
        self, scope: Scope, *, case_id: str | None = None, conference_ids: Sequence[str] = ()
    ) -> list[ConferenceRow]:
        role_of(scope)
        with self.engine.connect() as conn:
            subjects = self._subjects(conn, scope, cc.RECORD_TYPE, conference_ids)
            steps = self._steps(conn, [r.child_id for r, _ in subjects])
        rows = []
        for row, _village in subjects:
            data = json.loads(row.data)
            if case_id is not None and data.get("case_id") != case_id:
                continue
            status = cc.status(row.record_id, data, steps.get(row.record_id, []))
            rows.append(
                ConferenceRow(
                    row.record_id,
                    row.child_id,
                    str(data.get("case_id")),
                    data,
                    status.state,
                    _office_version(status.folded),
                    status.actions,
                    status.next_review,
                    _views(status.folded, cc.ACTION_ZH),
                )
            )
        rows.sort(key=lambda r: str(r.data.get("held_on")), reverse=True)
        return rows

    def conference_step(
        self,
        scope: Scope,
        conference_id: str,
        action: str,
        *,
        actor: str,
        expected_version: int,
        reason: str = "",
        action_id: str | None = None,
        next_review: str | None = None,
    ) -> ConferenceRow:
        """A follow-up on a conference: an action done / progress / cancelled, a review (with
        the next review date) or closing it."""
        details: dict[str, Any] = {}
        if action_id is not None:
            details["action_id"] = action_id
        if next_review is not None:
            details["next_review"] = next_review
        with self.engine.connect() as conn:
            found = self._subjects(conn, scope, cc.RECORD_TYPE, [conference_id])
            if found and action_id is not None:
                known = {str(a.get("id")) for a in json.loads(found[0][0].data).get("actions", [])}
                if action_id not in known:
                    raise WorkflowError(INVALID, "没有这项落实事项。")
        self._act(
            scope,
            cc.RECORD_TYPE,
            conference_id,
            action,
            actor=actor,
            expected_version=expected_version,
            reason=reason,
            details=details,
        )
        rows = self.conferences(scope, conference_ids=[conference_id])
        return rows[0]

    # ----- the district's settings ---------------------------------------------------------

    def _ack_hours(self, conn: Connection) -> float:
        row = conn.execute(
            select(_R.c.data).where(_R.c.record_id == _setting_id("ack_hours"))
        ).first()
        value = json.loads(row.data).get("value") if row else None
        return float(value) if isinstance(value, (int, float)) else DEFAULT_ACK_HOURS

    def ack_hours(self) -> float:
        """Hours after which an unacknowledged report is flagged (default 24)."""
        with self.engine.connect() as conn:
            return self._ack_hours(conn)

    def set_ack_hours(self, scope: Scope, hours: float, *, actor: str) -> None:
        """Set the threshold (district users only), from 1 hour to 30 days."""
        if role_of(scope) is not Role.DISTRICT:
            raise WorkflowError(Refused.ROLE, REFUSED_ZH[Refused.ROLE])
        if not 1 <= hours <= 720:
            raise WorkflowError(INVALID, "请填写1到720之间的小时数。")
        with db.write_transaction(self.engine) as conn:
            self._write(
                conn,
                SETTING_TYPE,
                {"name": "ack_hours", "value": hours},
                actor.strip()[:200] or "区民政局",
                record_id=_setting_id("ack_hours"),
            )

    # ----- the district's calendar years --------------------------------------------------------

    def save_calendar_year(self, scope: Scope, year: YearCalendar, *, actor: str) -> None:
        """Enter (or replace) a year's holidays and 调休 working days (district users only)."""
        if role_of(scope) is not Role.DISTRICT:
            raise WorkflowError(Refused.ROLE, REFUSED_ZH[Refused.ROLE])
        record_id = hashlib.sha256(f"district-calendar-{year.year}".encode()).hexdigest()[:32]
        with db.write_transaction(self.engine) as conn:
            self._write(
                conn,
                CALENDAR_TYPE,
                year.to_data(),
                actor.strip()[:200] or "区民政局",
                record_id=record_id,
            )

    def calendar_years(self) -> list[YearCalendar]:
        with self.engine.connect() as conn:
            calendar = self.calendar(conn)
        return sorted(calendar.extra.values(), key=lambda y: y.year)


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
    moment = _parse_utc(at)
    if moment is None:
        return at
    local = moment.astimezone(UTC) + (datetime(2000, 1, 1, 8) - datetime(2000, 1, 1))
    return local.strftime("%Y-%m-%d %H:%M")
