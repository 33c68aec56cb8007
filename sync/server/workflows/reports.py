"""Mandatory reports (强制报告) at the district (see :mod:`sync.server.workflows`): the inbox
per scope and acknowledge, assign, record an action, close."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from app.domain import mandatory_report as mr
from sync.server.console.scope import Scope
from sync.server.workflows.base import WorkflowsBase
from sync.server.workflows.common import (
    INVALID,
    NOT_FOUND,
    ReportRow,
    WorkflowError,
    _office_version,
    _parse_utc,
    _views,
    role_of,
)
from sync.wire import utc_now


class ReportsMixin(WorkflowsBase):
    """Mandatory reports."""

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
