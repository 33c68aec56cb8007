"""Case conferences (个案会商) at the district (see :mod:`sync.server.workflows`): recorded by a
district user on an escalated case, and their follow-ups."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from app.domain import case_conference as cc
from app.domain.workflow import REFUSED_ZH, Refused, Role
from sync.server import db
from sync.server.console.scope import Scope
from sync.server.workflows.base import WorkflowsBase
from sync.server.workflows.common import (
    _R,
    INVALID,
    NOT_FOUND,
    ConferenceRow,
    WorkflowError,
    _office_version,
    _views,
    role_of,
)
from sync.wire import utc_now


class ConferencesMixin(WorkflowsBase):
    """Case conferences."""

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
