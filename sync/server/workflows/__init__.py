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

The code is split by kind of workflow: common.py (codes, rows, helpers), base.py (the shared
reading and the one way a step is written), reports.py, applications.py, conferences.py and
settings.py; :class:`Workflows` combines them and adds the overview that spans kinds.
"""

from __future__ import annotations

from datetime import date

from app.domain import recognition_application as ra
from sync.server.console.scope import Scope, town_of
from sync.server.workflows.applications import ApplicationsMixin
from sync.server.workflows.base import WorkflowsBase
from sync.server.workflows.common import (
    CALENDAR_TYPE,
    DEFAULT_ACK_HOURS,
    INVALID,
    NOT_FOUND,
    OUT_OF_SCOPE,
    SETTING_TYPE,
    ApplicationRow,
    ConferenceRow,
    ReportRow,
    StepView,
    WorkflowError,
    _local_time,
    role_of,
)
from sync.server.workflows.conferences import ConferencesMixin
from sync.server.workflows.reports import ReportsMixin
from sync.server.workflows.settings import SettingsMixin

__all__ = [
    "CALENDAR_TYPE",
    "DEFAULT_ACK_HOURS",
    "INVALID",
    "NOT_FOUND",
    "OUT_OF_SCOPE",
    "SETTING_TYPE",
    "ApplicationRow",
    "ConferenceRow",
    "ReportRow",
    "StepView",
    "WorkflowError",
    "Workflows",
    "WorkflowsBase",
    "_local_time",
    "role_of",
]


class Workflows(ReportsMixin, ApplicationsMixin, ConferencesMixin, SettingsMixin):
    """The workflows of one district database."""

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
