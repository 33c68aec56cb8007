"""The district's own settings (see :mod:`sync.server.workflows`): the inbox's
unacknowledged-too-long threshold and the calendar years the package does not know yet. A
calendar year is also published (kind ``calendar``, name ``working_days``) so every laptop
installs it on its next sync and counts its deadlines with it."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import Connection, select

from app.domain.workflow import REFUSED_ZH, Refused, Role
from app.domain.working_days import YearCalendar
from sync.server import db
from sync.server.console.scope import Scope
from sync.server.corrections import publish_in
from sync.server.workflows.base import WorkflowsBase
from sync.server.workflows.common import (
    CALENDAR_TYPE,
    INVALID,
    SETTING_TYPE,
    WorkflowError,
    _setting_id,
    role_of,
)


class SettingsMixin(WorkflowsBase):
    """The district's settings and calendar years."""

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
            _publish_year(conn, year)

    def calendar_years(self) -> list[YearCalendar]:
        with self.engine.connect() as conn:
            calendar = self.calendar(conn)
        return sorted(calendar.extra.values(), key=lambda y: y.year)


def _publish_year(conn: Connection, year: YearCalendar) -> None:
    """Publish the year to the laptops unless the newest publication of it says the same; a
    changed year is published under the next number (``2027.2``), so a laptop's newest is the
    district's latest word."""
    from app.services.definitions import (
        CALENDAR,
        CALENDAR_NAME,
        calendar_version,
        parse_published,
    )

    body = year.to_data()
    p = db.published.c
    earlier = [
        (row.version, json.loads(row.body))
        for row in conn.execute(
            select(p.version, p.body)
            .where(p.kind == CALENDAR, p.name == CALENDAR_NAME)
            .order_by(p.pub_seq)
        )
    ]
    mine = [(v, b) for v, b in earlier if v.split(".", 1)[0] == str(year.year)]
    if mine and mine[-1][1] == body:
        return
    version = calendar_version(year.year, len(mine) + 1)
    parse_published(CALENDAR, CALENDAR_NAME, version, body)  # the laptops' own check
    publish_in(conn, CALENDAR, CALENDAR_NAME, version, body)
