"""Recognition applications (事实无人抚养儿童认定) at the district (see
:mod:`sync.server.workflows`): the list with the town's working-day clock, the town's 查验 and
the district's 复核确认."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from app.domain import recognition_application as ra
from app.domain.working_days import china_date
from sync.server.console.scope import Scope
from sync.server.workflows.base import WorkflowsBase
from sync.server.workflows.common import (
    INVALID,
    NOT_FOUND,
    ApplicationRow,
    WorkflowError,
    _office_version,
    _views,
    role_of,
)
from sync.wire import utc_now


class ApplicationsMixin(WorkflowsBase):
    """Recognition applications."""

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
