"""The shared reading and writing under every district workflow (see
:mod:`sync.server.workflows`): the records in a user's scope, their steps, and writing one step
in a write transaction after checking the user's version and the state machine."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select

from app.domain import case_conference as cc
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.domain.workflow import REFUSED_ZH, STEP_TYPE, Folded, Refused, Transition
from app.domain.working_days import Calendar, calendar_from_data
from sync.server import db
from sync.server.console.scope import Scope
from sync.server.store import StoreSession
from sync.server.workflows.common import (
    _MACHINES,
    _R,
    CALENDAR_TYPE,
    DEFAULT_ACK_HOURS,
    NOT_FOUND,
    OUT_OF_SCOPE,
    WorkflowError,
    _hlc_tuple,
    _office_version,
    _setting_id,
    _stale_message,
    role_of,
)
from sync.wire import new_id, utc_now


class WorkflowsBase:
    """The workflows of one district database: what every kind of workflow shares."""

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

    def _ack_hours(self, conn: Connection) -> float:
        row = conn.execute(
            select(_R.c.data).where(_R.c.record_id == _setting_id("ack_hours"))
        ).first()
        value = json.loads(row.data).get("value") if row else None
        return float(value) if isinstance(value, (int, float)) else DEFAULT_ACK_HOURS
