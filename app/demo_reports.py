"""The demo's mandatory reports (强制报告): filed for the demo assessments whose rules demand one,
as a real director would have, so the demo's 待办 shows a few urgent lines rather than one per
such assessment (53 in the 200-child demo).

Each report is filed through :class:`~app.services.workflows.WorkflowService` on the day of its
assessment (or a day or two later), then treated as synced: its first revision is marked as
named by a receipt (已送达) and the district's steps arrive the way a sync stores them
(:func:`storage.sync_store.store_pulled`, under the district's clock and device, never sent
back) — 签收 by the town's supervisor, 交办 and a recorded action, and 办结 for all but the
newest few. So the demo shows reports in every state.

Left as they are, so the screen still shows what it does: the newest assessments that demand a
report (an urgent 应填写强制报告 line each; ``UNREPORTED``), one report filed but not synced yet
(urgent: 尚未送达; ``UNSENT``), and every screening that found self-harm (app/demo_screening.py:
its 待办 line and its referral's stay urgent). Deterministic with its own random stream.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain import mandatory_report as mr
from app.domain.referral import SCREENING_TYPE
from app.domain.workflow import STEP_TYPE, Role, Transition
from app.services.workflows import WorkflowService
from storage import outbox
from storage.hlc import HlcTimestamp
from storage.sync_store import Pulled, new_record_id, store_pulled
from storage.vault import Vault

UNREPORTED = 2  # the newest assessments demanding a report keep their urgent 待办 line
UNSENT = 1  # then this many reports stay filed and not synced (待送达)
IN_PROGRESS = 2  # after the newest delivered one (已签收), this many are 处理中; older 已办结
DEMO_RECEIPT = "demo-receipt"  # the receipt id marking a demo report as delivered
DISTRICT_DEVICE = "d15d15d15d15d15d"  # the fictional district server's device (steps' clocks)
TOWN_ACTOR = "罗云镇儿童督导员"
_CHINA = ZoneInfo("Asia/Shanghai")
_ASSIGNEES = (
    ("town", "罗云镇社会事务办"),
    ("rescue_center", "区未成年人救助保护中心"),
    ("department", "区妇联"),
)
_ACTIONS = (
    "已入户核实，约谈监护人，落实临时照料人。",
    "已联系学校和村委会，共同落实看护措施。",
    "已安排社工每周回访，评估家庭监护情况。",
)
_OUTCOMES = (
    "核实属实，已落实委托照护，纳入重点关注对象定期回访。",
    "经核实已整改，监护人签订监护责任承诺书，转入常规走访。",
    "已申请临时救助并结对爱心妈妈，儿童生活照料有保障。",
)


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    """A China-time moment on ``day``, in UTC."""
    return datetime.combine(day, time(hour, minute), _CHINA).astimezone(UTC)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pull_step(
    vault: Vault, report_id: str, child_id: str, moment: datetime, step: Transition
) -> None:
    """Store a district step the way a sync does (its clock, the district's device)."""
    stamp = HlcTimestamp(int(moment.timestamp() * 1000), 0, DISTRICT_DEVICE).encode()
    data = Transition(
        step.action, step.actor, step.role, _utc_text(moment), step.reason, step.details
    ).to_data(report_id, mr.RECORD_TYPE, child_id)
    pulled = Pulled(new_record_id(), STEP_TYPE, stamp, DISTRICT_DEVICE, step.actor, False, data)
    store_pulled(vault, pulled, None, author=step.actor)


def file_demo_reports(
    vault: Vault, *, seed: int, today: date, author: str, now: datetime | None = None
) -> dict[str, int]:
    """File the reports (see the module); returns the counts: ``reports`` filed, of which
    ``reports_closed`` 已办结."""
    rng = random.Random(seed * 6151 + 17)
    latest = now or datetime.now(UTC)
    moment = [latest]
    flows = WorkflowService(vault, author=author, today=lambda: today, now=lambda: moment[0])
    due: list[tuple[str, str, str]] = []  # (done on, assessment id, child id)
    for record_id in flows.assessments_needing_report():
        record = vault.get(record_id)
        if record.record_type == SCREENING_TYPE:
            continue  # self-harm screenings keep their urgent line
        data = record.data
        result = data.get("result")
        done = str(
            data.get("finished_on")
            or (result.get("assessed_on") if isinstance(result, dict) else "")
            or ""
        )
        if done:
            due.append((done[:10], record_id, str(data.get("child_id", ""))))
    due.sort()
    to_file = due[: max(0, len(due) - UNREPORTED)]
    filed = closed = 0
    for index, (done, assessment_id, child_id) in enumerate(to_file):
        day = min(today, date.fromisoformat(done) + timedelta(days=rng.choice((0, 0, 1, 2))))
        moment[0] = min(latest, _moment(day, rng.randint(9, 17), rng.randrange(60)))
        draft = flows.report_draft(assessment_id=assessment_id)
        report_id = flows.file_report(
            child_id,
            source=str(draft["source"]),
            source_id=assessment_id,
            seen=str(draft["seen"]) or "评估结果要求强制报告。",
            seen_at=done,
            at_risk="儿童本人",
            immediate_danger=False,
            told={"police": rng.random() < 0.3, "school": rng.random() < 0.5, "hospital": False},
            concern=str(draft["concern"]),
        )
        filed += 1
        if index >= len(to_file) - UNSENT:
            continue  # the newest stays 待送达 (urgent until the next sync)
        head = vault.get(report_id)
        outbox.mark_sent(vault, [(report_id, head.meta.hlc)], DEMO_RECEIPT)
        newer = len(to_file) - UNSENT - 1 - index  # delivered reports filed after this one
        closed += _district_steps(vault, rng, report_id, child_id, day, newer, latest)
    return {"reports": filed, "reports_closed": closed}


def _district_steps(
    vault: Vault,
    rng: random.Random,
    report_id: str,
    child_id: str,
    filed_on: date,
    newer: int,
    latest: datetime,
) -> int:
    """The district's steps on a delivered report: the newest (``newer`` 0) 已签收, the next
    ``IN_PROGRESS`` 处理中 (交办, an action recorded), older ones 已办结. Returns 1 when closed."""
    steps: list[tuple[int, Transition]] = [
        (1, Transition(mr.ACKNOWLEDGE, TOWN_ACTOR, Role.TOWN, ""))
    ]  # (days after filing, step)
    if newer >= 1:
        kind, assignee = rng.choice(_ASSIGNEES)
        details = {"assignee_kind": kind, "assignee": assignee}
        steps.append((2, Transition(mr.ASSIGN, TOWN_ACTOR, Role.TOWN, "", details=details)))
        steps.append(
            (7, Transition(mr.RECORD_ACTION, TOWN_ACTOR, Role.TOWN, "", rng.choice(_ACTIONS)))
        )
    closing = newer > IN_PROGRESS
    if closing:
        reason = rng.choice(_OUTCOMES)
        steps.append(
            (rng.randint(20, 40), Transition(mr.CLOSE, "区民政局", Role.DISTRICT, "", reason))
        )
    for index, (days, step) in enumerate(steps):
        # never after now: a recent report's steps are all today, a minute apart, in order
        last = latest - timedelta(minutes=len(steps) - index)
        moment = min(last, _moment(filed_on + timedelta(days=days), rng.randint(9, 17)))
        _pull_step(vault, report_id, child_id, moment, step)
    return 1 if closing else 0
