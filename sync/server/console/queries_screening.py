"""心理筛查's figures for a user's scope (a town or the district) and a period (seed 000 四: 813
children in difficulty screened, 16 referred for evaluation): per village and in total, the
children screened, flagged (建议关注 or 建议转介), referred to a professional body and evaluated
by it, plus the referrals still open (not referred yet, or waiting for the evaluation) today.

Counted by :func:`app.domain.referral.screening_figures`, the laptop's own function, over the
merged ``screening`` and ``referral`` records, read directly from the district's records table
(their child's village from the children query table). Scope is enforced in the statement: only
records linked to a child whose village is in scope. A partner (roster) user sees nothing.

Plain Python, no web imports. No names: a screening is sensitive, the page shows counts."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from app.domain.referral import (
    REFERRAL_TYPE,
    SCREENING_TYPE,
    Referral,
    ReferralStatus,
    ScreeningFigures,
    screening_figures,
)
from sync.server import db
from sync.server.console.queries import C, scoped
from sync.server.console.query_tables import q_children
from sync.server.console.scope import Scope

R = db.records.c


@dataclass(frozen=True)
class VillageScreening:
    village_code: str
    figures: ScreeningFigures
    waiting_referral: int  # referrals made and not yet referred (待转介)
    waiting_evaluation: int  # referred, not yet evaluated (已转介，待评估)


@dataclass(frozen=True)
class ConsoleScreening:
    start: date
    end: date
    total: ScreeningFigures
    waiting_referral: int
    waiting_evaluation: int
    by_village: list[VillageScreening]
    damaged: int  # records that could not be read (not counted)


def _load(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _open_counts(referrals: list[dict[str, Any]]) -> tuple[int, int]:
    waiting_referral = waiting_evaluation = 0
    for data in referrals:
        try:
            status = Referral.from_json(data).status
        except (KeyError, TypeError, ValueError):
            continue
        if status == ReferralStatus.PENDING:
            waiting_referral += 1
        elif status == ReferralStatus.REFERRED:
            waiting_evaluation += 1
    return waiting_referral, waiting_evaluation


def console_screening(conn: Connection, scope: Scope, start: date, end: date) -> ConsoleScreening:
    """The period's screening figures for ``scope`` (``start`` and ``end`` included)."""
    if end < start:
        start, end = end, start
    screenings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    referrals: dict[str, list[dict[str, Any]]] = defaultdict(list)
    damaged = 0
    if scope.role != "partner":
        statement = (
            select(R.record_type, R.data, C.village_code)
            .select_from(db.records.join(q_children, C.child_id == R.child_id))
            .where(
                R.record_type.in_((SCREENING_TYPE, REFERRAL_TYPE)),
                R.deleted.is_(False),
                scoped(scope, C.village_code),
            )
        )
        for row in conn.execute(statement):
            data = _load(row.data)
            if data is None:
                damaged += 1
                continue
            village = str(row.village_code or "")
            (screenings if row.record_type == SCREENING_TYPE else referrals)[village].append(data)
    villages = sorted(set(screenings) | set(referrals))
    by_village = []
    for village in villages:
        figures = screening_figures(screenings[village], referrals[village], start, end)
        waiting = _open_counts(referrals[village])
        by_village.append(VillageScreening(village, figures, *waiting))
    every_screening = [d for v in villages for d in screenings[v]]
    every_referral = [d for v in villages for d in referrals[v]]
    total = screening_figures(every_screening, every_referral, start, end)
    waiting_total = _open_counts(every_referral)
    return ConsoleScreening(
        start=start,
        end=end,
        total=total,
        waiting_referral=waiting_total[0],
        waiting_evaluation=waiting_total[1],
        by_village=by_village,
        damaged=damaged,
    )
