"""The laptop's side of the cross-level workflows (issue 17): file a mandatory report (强制报告),
create and submit a recognition application (事实无人抚养儿童认定) from the recognition helper's
reasoning, withdraw it, follow up a case conference's actions — and read every status for the
child's file and 待办 (which also lists the open referrals of psychological screening, issue 19).

Records and steps go into the vault like any record and travel in the next sync (reports ahead
of everything else: sync/laptop/batches.py). Decisions written at the district arrive as
``workflow_step`` records on a later sync (network or USB); the statuses are folded from the
steps with the same state machines the district uses (app/domain/workflow.py), so both ends
show the same state. Each transition is checked here before it is written; an impossible one
raises :class:`~app.domain.workflow.TransitionRefused` with a reason code.

Why one long file: it is one class, :class:`WorkflowService`, over one vault; reports,
applications and conferences are read through the same step folding (``_steps``/``_of``) and
written through the same checked ``_step``, and the 待办 list spans all three kinds, so a split
by kind would leave each part calling into the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, BinaryIO

from app.domain import case_conference as cc
from app.domain import mandatory_report as mr
from app.domain import recognition_application as ra
from app.domain.categories import ChildCategory
from app.domain.child_file import ChildFile
from app.domain.child_recognition import recognize
from app.domain.problems import DomainValidationError, FieldProblem
from app.domain.recognition import ALTERNATIVE_LABELS_ZH
from app.domain.referral import REFERRAL_TYPE, SCREENING_TYPE, Referral, ReferralStatus
from app.domain.workflow import (
    STEP_TYPE,
    Machine,
    Refused,
    Role,
    Transition,
    TransitionRefused,
)
from app.domain.working_days import Calendar, calendar_from_data, china_date
from storage import definitions_store
from storage.errors import RecordNotFoundError
from storage.vault import Vault

Today = Callable[[], date]
Now = Callable[[], datetime]

# Receipt ids that do not mean "the district holds it" (storage/outbox.py, storage/sync_store.py).
_NOT_SENT = (None, "local-only", "pulled")
_MATERIAL = re.compile(r"材料：([^）)]+)")


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


ASSESSMENT_KIND = "assessment"  # a TodoItem asking for a report an assessment's rules demand
REFERRAL_KIND = REFERRAL_TYPE  # a TodoItem following up an open referral (转介, issue 19)


@dataclass(frozen=True)
class TodoItem:
    """One line of 待办 from a workflow."""

    kind: str  # assessment / mandatory_report / recognition_application / case_conference /
    # referral
    child_id: str
    record_id: str
    text_zh: str
    urgent: bool = False
    short_zh: str = ""  # a few words for a list's status column
    case_id: str = ""  # a conference's case (its actions are carried out there)


CALENDAR_KIND = "calendar"


def installed_calendar(vault: Vault) -> Calendar:
    """The package's calendar with the district's published years installed in the vault."""
    entries = [d.body for d in definitions_store.installed(vault, CALENDAR_KIND)]
    return calendar_from_data(entries)  # oldest first: a later one replaces a year


def _result_source(record_type: str) -> str:
    """A report's source for a questionnaire result stored as ``record_type``."""
    return "screening" if record_type == SCREENING_TYPE else "assessment"


def _problems(messages: list[str]) -> DomainValidationError:
    return DomainValidationError([FieldProblem("workflow", m, m) for m in messages])


class WorkflowService:
    """Workflows of one vault (laptop). ``author`` is the director's name."""

    def __init__(
        self,
        vault: Vault,
        *,
        author: str,
        today: Today = date.today,
        now: Now = lambda: datetime.now(UTC),
        calendar: Calendar | None = None,
    ) -> None:
        self._vault = vault
        self._author = author
        self._today = today
        self._now = now
        # The package's calendar plus any year the district published as a definition of kind
        # "calendar" (name "working_days", body YearCalendar.to_data(); the newest per year).
        # The console's clock is the authoritative one.
        self._calendar = calendar or installed_calendar(vault)

    # ----- reading ------------------------------------------------------------------------

    def _steps(self, subject_id: str | None = None) -> dict[str, list[Transition]]:
        """Steps by ``<subject id>|<child id>``: a step counts only for the subject and child it
        names (the district loads a subject's steps through its child: the same set)."""
        by_subject: dict[str, list[Transition]] = {}
        for r in self._vault.load(STEP_TYPE).revisions:
            subject = str(r.data.get("subject_id", ""))
            if subject_id is not None and subject != subject_id:
                continue
            try:
                step = Transition.from_data(r.data, step_id=r.record_id, order=r.meta.hlc)
            except ValueError:
                continue
            key = f"{subject}|{r.data.get('child_id', '')}"
            by_subject.setdefault(key, []).append(step)
        return by_subject

    def _of(
        self, steps: dict[str, list[Transition]], record_id: str, data: Mapping[str, Any]
    ) -> list[Transition]:
        return steps.get(f"{record_id}|{data.get('child_id', '')}", [])

    def _delivered(self, record_id: str) -> bool:
        """True once a verified receipt named the record's first revision, or when the record
        came from the district."""
        with self._vault.session() as log:
            row = log.row(
                "SELECT receipt_id FROM revisions WHERE record_id = ? ORDER BY revision LIMIT 1",
                (record_id,),
            )
        return row is not None and row[0] not in _NOT_SENT

    def report_status(self, report_id: str) -> mr.ReportStatus:
        steps = self._of(self._steps(report_id), report_id, self._vault.get(report_id).data)
        return mr.status(report_id, steps, delivered_at="" if self._delivered(report_id) else None)

    def application_status(self, application_id: str) -> ra.ApplicationStatus:
        data = self._vault.get(application_id).data
        steps = self._of(self._steps(application_id), application_id, data)
        return ra.status(application_id, steps, self._calendar)

    def days_left(self, status: ra.ApplicationStatus, today: date | None = None) -> int | None:
        """Working days until the town's 查验 deadline (negative: overdue) by this laptop's
        calendar, while the application waits for the town; else None."""
        return status.working_days_left(today or self._today(), self._calendar)

    def conference_status(self, conference_id: str) -> cc.ConferenceStatus:
        data = self._vault.get(conference_id).data
        steps = self._of(self._steps(conference_id), conference_id, data)
        return cc.status(conference_id, data, steps)

    def reports(self, child_id: str | None = None) -> list[tuple[dict[str, Any], mr.ReportStatus]]:
        """(data, status) of every report, of one child when given, newest first."""
        steps = self._steps()
        found = []
        for r in self._vault.load(mr.RECORD_TYPE).revisions:
            if child_id is not None and r.data.get("child_id") != child_id:
                continue
            delivered = "" if self._delivered(r.record_id) else None
            found.append(
                (
                    r.data,
                    mr.status(
                        r.record_id, self._of(steps, r.record_id, r.data), delivered_at=delivered
                    ),
                )
            )
        found.sort(key=lambda x: str(x[0].get("filed_at", "")), reverse=True)
        return found

    def applications(
        self, child_id: str | None = None
    ) -> list[tuple[dict[str, Any], ra.ApplicationStatus]]:
        steps = self._steps()
        found = [
            (r.data, ra.status(r.record_id, self._of(steps, r.record_id, r.data), self._calendar))
            for r in self._vault.load(ra.RECORD_TYPE).revisions
            if child_id is None or r.data.get("child_id") == child_id
        ]
        found.sort(key=lambda x: str(x[0].get("created_at", "")), reverse=True)
        return found

    def conferences(
        self, child_id: str | None = None
    ) -> list[tuple[dict[str, Any], cc.ConferenceStatus]]:
        steps = self._steps()
        found = [
            (r.data, cc.status(r.record_id, r.data, self._of(steps, r.record_id, r.data)))
            for r in self._vault.load(cc.RECORD_TYPE).revisions
            if child_id is None or r.data.get("child_id") == child_id
        ]
        found.sort(key=lambda x: str(x[0].get("held_on", "")), reverse=True)
        return found

    def todo(self) -> list[TodoItem]:
        """What the workflows ask of the director (for 待办), urgent first."""
        items: list[TodoItem] = []
        today = self._today()
        # one line per child: the newest assessment (or screening) that asks for a report
        by_child: dict[str, list[tuple[str, str, str]]] = {}
        unreported = self.assessments_needing_report()
        for assessment_id in unreported:
            record = self._vault.get(assessment_id)
            data = record.data
            raw = data.get("result")
            result: dict[str, Any] = raw if isinstance(raw, dict) else {}
            done = str(data.get("finished_on") or data.get("on") or result.get("assessed_on") or "")
            by_child.setdefault(str(data.get("child_id", "")), []).append(
                (done, assessment_id, record.record_type)
            )
        for child, found in by_child.items():
            found.sort()
            more = f"（共 {len(found)} 次评估或筛查要求报告）" if len(found) > 1 else ""
            what = "心理状况筛查" if found[-1][2] == SCREENING_TYPE else "评估"
            items.append(
                TodoItem(
                    ASSESSMENT_KIND,
                    child,
                    found[-1][1],
                    f"{what}结果要求强制报告：请尽快填写强制报告。{more}",
                    urgent=True,
                    short_zh="应填写强制报告",
                )
            )
        for data, report in self.reports():
            child = str(data.get("child_id", ""))
            if report.state == mr.FILED:
                items.append(
                    TodoItem(
                        mr.RECORD_TYPE,
                        child,
                        report.report_id,
                        "强制报告尚未送达区民政局：请尽快同步；情况紧急请直接电话报告。",
                        urgent=True,
                        short_zh=f"强制报告{report.state_zh}",
                    )
                )
            elif report.state != mr.CLOSED:
                items.append(
                    TodoItem(
                        mr.RECORD_TYPE,
                        child,
                        report.report_id,
                        f"强制报告{report.state_zh}"
                        + (f"（{report.assignee}）" if report.assignee else "")
                        + "：区里办结前可以补充情况。",
                        short_zh=f"强制报告{report.state_zh}",
                    )
                )
        for data, app in self.applications():
            child = str(data.get("child_id", ""))
            if app.state == ra.DRAFT:
                text = "认定申请尚未提交：请监护人签字后确认提交。"
            elif app.state == ra.RETURNED:
                text = f"认定申请被退回，需要补充材料：{app.reason or ''}"
            elif app.state == ra.REFUSED:
                alternatives = "、".join(ALTERNATIVE_LABELS_ZH.values())
                text = f"认定申请未通过：{app.reason or ''}。可考虑{alternatives}。"
            elif app.state == ra.SUBMITTED and app.deadline is not None:
                left = app.working_days_left(today, self._calendar)
                approx = "（按周一至周五估算）" if app.deadline.approximate else ""
                text = f"认定申请待乡镇查验，期限{app.deadline.due.isoformat()}{approx}" + (
                    f"，已超期{-left}个工作日" if left is not None and left < 0 else ""
                )
            else:
                continue
            items.append(
                TodoItem(
                    ra.RECORD_TYPE,
                    child,
                    app.application_id,
                    text,
                    urgent=app.state == ra.RETURNED,
                    short_zh=f"认定申请{app.state_zh}",
                )
            )
        for data, conference in self.conferences():
            if conference.state != cc.RECORDED:
                continue
            for action in conference.actions:
                if action.state == "open":
                    items.append(
                        TodoItem(
                            cc.RECORD_TYPE,
                            str(data.get("child_id", "")),
                            conference.conference_id,
                            f"个案会商事项：{action.what}（{action.who}，{action.due}前）",
                            urgent=action.overdue(today),
                            short_zh="会商事项已过期" if action.overdue(today) else "会商事项",
                            case_id=str(data.get("case_id", "")),
                        )
                    )
        items += self._referral_items(today, set(unreported))
        items.sort(key=lambda i: not i.urgent)
        return items

    def _referral_items(self, today: date, unreported: set[str]) -> list[TodoItem]:
        """One line per open referral (建议转介 not referred yet, or referred and no evaluation
        recorded), longest open first, saying for how long; urgent while the screening that
        made it found self-harm and no report answers it (``unreported``)."""
        found: list[tuple[date, str, TodoItem]] = []
        for r in self._vault.load(REFERRAL_TYPE).revisions:
            try:
                referral = Referral.from_json(r.data)
            except (KeyError, ValueError):
                continue
            if not referral.is_open:
                continue
            days = max(0, (today - referral.made_on).days)
            made = f"{referral.made_on.isoformat()} 登记转介，已 {days} 天"
            if referral.status == ReferralStatus.PENDING:
                short = f"待转介（{days} 天）"
                text = (
                    f"心理状况筛查建议转介：{made}，还没有转介到专业机构。请联系机构并登记"
                    "转介去向；监护人不同意的，请填写未转介原因。"
                )
            else:
                on = referral.referred_on.isoformat() if referral.referred_on else ""
                short = f"已转介待评估（{days} 天）"
                text = (
                    f"心理状况筛查建议转介：{made}；{on} 已转介到{referral.referred_to}，"
                    "还没有登记评估结果。请向机构了解评估情况并登记。"
                )
            urgent = bool(referral.screening_id) and referral.screening_id in unreported
            if urgent:
                short = f"自伤风险未报告（{days} 天）"
                text = "筛查发现自伤风险，尚未填写强制报告：请先填写强制报告。" + text
            item = TodoItem(REFERRAL_KIND, referral.child_id, r.record_id, text, urgent, short)
            found.append((referral.made_on, r.record_id, item))
        found.sort(key=lambda x: (x[0], x[1]))
        return [item for _made, _id, item in found]

    # ----- writing ------------------------------------------------------------------------

    def _child(self, child_id: str) -> ChildFile:
        return ChildFile.from_json(self._vault.get(child_id).data)

    def _step(
        self,
        machine: Machine,
        state: str,
        subject_type: str,
        subject_id: str,
        child_id: str,
        action: str,
        *,
        reason: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> Transition:
        transition = Transition(
            action,
            self._author,
            Role.DIRECTOR,
            _utc_text(self._now()),
            reason.strip(),
            dict(details or {}),
        )
        machine.check(state, transition)  # raises TransitionRefused
        self._vault.put(
            STEP_TYPE, transition.to_data(subject_id, subject_type, child_id), author=self._author
        )
        return transition

    def _put_valid(self, record_type: str, data: dict[str, Any], problems: list[str]) -> str:
        """A new record of ``record_type``, unless its rules found ``problems`` (raised)."""
        if problems:
            raise _problems(problems)
        return self._vault.put(record_type, data, author=self._author).record_id

    def file_report(
        self,
        child_id: str,
        *,
        source: str,
        seen: str,
        seen_at: str,
        at_risk: str,
        immediate_danger: bool,
        told: Mapping[str, bool],
        concern: str,
        source_id: str | None = None,
    ) -> str:
        """File a mandatory report; returns its id. ``source``: ``case``, ``assessment``,
        ``screening`` or ``child_file`` (with ``source_id`` the case, assessment or screening).
        A report filed from a result whose record is a screening is labelled ``screening``
        (心理状况筛查) whichever of the two words the form used."""
        child = self._child(child_id)
        linked = None
        if source in mr.LINKED_SOURCES and source_id:
            try:
                linked = self._vault.get(source_id)
            except RecordNotFoundError as err:
                raise _problems(["找不到报告所依据的记录。"]) from err
            if linked.data.get("child_id") != child_id:
                raise _problems(["报告所依据的记录不是这个儿童的。"])
            if source in mr.RESULT_SOURCES:
                source = _result_source(linked.record_type)
        data: dict[str, Any] = {
            "child_id": child_id,
            "village_code": child.village_code or None,
            "source": source,
            "source_id": source_id,
            "seen": seen.strip(),
            "seen_at": seen_at.strip(),
            "at_risk": at_risk.strip(),
            "immediate_danger": immediate_danger,
            "told": {k: bool(told.get(k, False)) for k in mr.TOLD},
            "concern": concern,
            "filed_at": _utc_text(self._now()),
            "filed_by": self._author,
        }
        return self._put_valid(mr.RECORD_TYPE, data, mr.report_problems(data))

    def report_draft(
        self, *, assessment_id: str | None = None, case_id: str | None = None
    ) -> dict[str, Any]:
        """What the report form starts with when filed from an assessment or a screening (its
        fired rules that demand a report, as what was seen; the concern guessed from their
        words; ``source`` says which of the two) or a case."""
        source_id = assessment_id or case_id
        if source_id is None:
            raise ValueError("an assessment or a case is needed")
        record = self._vault.get(source_id)
        draft: dict[str, Any] = {
            "child_id": str(record.data.get("child_id", "")),
            "source": _result_source(record.record_type) if assessment_id else "case",
            "source_id": source_id,
            "seen": "",
            "concern": "other",
            "immediate_danger": None,
            "told": dict.fromkeys(mr.TOLD, False),
        }
        if assessment_id:
            result = record.data.get("result")
            fired = result.get("fired_rules", []) if isinstance(result, dict) else []
            reasons = [
                str(r.get("reason", ""))
                for r in fired
                if isinstance(r, dict) and r.get("mandatory_report")
            ]
            draft["seen"] = "；".join(x for x in reasons if x)
            draft["seen_at"] = (
                str(result.get("assessed_on", "")) if isinstance(result, dict) else ""
            )
        else:
            draft["seen"] = str(
                record.data.get("escalation_notes") or record.data.get("summary") or ""
            )
        text = draft["seen"]
        for concern, word in (("abuse", "侵害"), ("absence", "缺失"), ("improper", "不当")):
            if word in text:
                draft["concern"] = concern
                break
        return draft

    def assessments_needing_report(self) -> list[str]:
        """Assessments whose rules demand a report (强制报告) and that no report names yet,
        nor covers: a report on the same child filed (China date) on or after the day the
        assessment was done, from the child's file or a case, answers it too."""
        reports = self._vault.load(mr.RECORD_TYPE).revisions
        named = {
            str(r.data.get("source_id"))
            for r in reports
            if r.data.get("source") in mr.RESULT_SOURCES
        }
        latest: dict[str, str] = {}  # child id -> the last day a report was filed
        for r in reports:
            filed = str(r.data.get("filed_at") or "")
            if filed:
                child = str(r.data.get("child_id", ""))
                latest[child] = max(latest.get(child, ""), china_date(filed).isoformat())
        found = []
        screenings = self._vault.load("screening").revisions  # 心理状况筛查: self-harm (issue 19)
        for r in [*self._vault.load("assessment").revisions, *screenings]:
            result = r.data.get("result")
            if (
                not isinstance(result, dict)
                or not result.get("mandatory_report")
                or r.record_id in named
            ):
                continue
            done = str(
                r.data.get("finished_on") or r.data.get("on") or result.get("assessed_on") or ""
            )
            reported = latest.get(str(r.data.get("child_id", "")), "")
            if done and reported and reported >= done[:10]:
                continue
            found.append(r.record_id)
        return found

    def add_report_info(self, report_id: str, text: str) -> None:
        report = self._vault.get(report_id)
        status = self.report_status(report_id)
        self._step(
            mr.MACHINE,
            status.state,
            mr.RECORD_TYPE,
            report_id,
            str(report.data["child_id"]),
            mr.ADD_INFO,
            reason=text,
        )

    def create_application(self, child_id: str) -> str:
        """A draft application from the recognition helper's reasoning on the child's file:
        the parents' situations and facts, the helper's outcome and reasons, and the materials
        its reasons name. Returns its id."""
        child = self._child(child_id)
        result = recognize(child, self._today())
        facts: dict[str, Any] = {}
        for guardian in child.guardians:
            relation = str(guardian.relation)
            if relation in ("father", "mother"):
                facts[relation] = {
                    "situations": sorted(str(s) for s in guardian.situations),
                    "facts": dict(guardian.facts),
                }
        reasons = [m.zh for m in result.reasons]
        materials: list[str] = []
        for text in reasons:
            for found in _MATERIAL.findall(text):
                for item in re.split("[、，,]", found):
                    if item.strip() and item.strip() not in materials:
                        materials.append(item.strip())
        data = {
            "child_id": child_id,
            "village_code": child.village_code or None,
            "facts": facts,
            "helper_outcome": str(result.outcome),
            "helper_rule": str(result.rule) if result.rule else None,
            "helper_summary": result.summary.zh,
            "helper_reasons": reasons,
            "materials": materials,
            "created_at": _utc_text(self._now()),
            "created_by": self._author,
        }
        return self._put_valid(ra.RECORD_TYPE, data, ra.application_problems(data))

    def attach_material(
        self, application_id: str, source: BinaryIO, *, filename: str, mime: str
    ) -> str:
        """A material file (a police report of 失联, a court judgement, a detention notice…)
        kept encrypted as an attachment owned by the application; it travels with it."""
        self._vault.get(application_id)  # must exist
        return self._vault.add_attachment(
            source, owner_id=application_id, filename=filename, mime=mime, author=self._author
        ).record_id

    def submit_application(self, application_id: str, *, guardian_signed: bool) -> None:
        """Submit (or submit again after a return): the director confirms the guardian signed
        the paper 申请表."""
        self._vault.get(application_id)  # an unknown application: RecordNotFoundError first
        if not guardian_signed:
            raise TransitionRefused(Refused.DETAIL_MISSING, "请先确认监护人已在申请表上签字。")
        self._application_step(application_id, ra.SUBMIT, details={"guardian_signed": True})

    def withdraw_application(self, application_id: str, reason: str = "") -> None:
        self._application_step(application_id, ra.WITHDRAW, reason=reason)

    def _application_step(
        self,
        application_id: str,
        action: str,
        *,
        reason: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        record = self._vault.get(application_id)
        self._step(
            ra.MACHINE,
            self.application_status(application_id).state,
            ra.RECORD_TYPE,
            application_id,
            str(record.data["child_id"]),
            action,
            reason=reason,
            details=details,
        )

    def conference_follow_up(
        self, conference_id: str, action_id: str, text: str, *, done: bool
    ) -> None:
        """Report progress on a conference action, or that it is done."""
        record = self._vault.get(conference_id)
        status = self.conference_status(conference_id)
        action = next((a for a in status.actions if a.action_id == action_id), None)
        if action is None:
            raise TransitionRefused(Refused.DETAIL_MISSING, "没有这项落实事项。")
        if action.state != "open":
            raise TransitionRefused(Refused.CLOSED, "这项事项已完成或已取消。")
        self._step(
            cc.MACHINE,
            status.state,
            cc.RECORD_TYPE,
            conference_id,
            str(record.data["child_id"]),
            cc.ACTION_DONE if done else cc.ACTION_PROGRESS,
            reason=text,
            details={"action_id": action_id},
        )

    def apply_confirmed_recognitions(self) -> list[str]:
        """Children whose application the district confirmed get the 事实无人抚养儿童 category
        and the confirmation date (``recognition_confirmed_on``, from which the monthly-visit
        rule counts) in their file; returns the children changed. Run after every sync (network
        or USB: sync/laptop/engine.py); a file already saying so is not rewritten."""
        confirmed: dict[str, str] = {}  # child id -> newest confirmation date
        for data, app in self.applications():
            on = app.confirmed_on
            if app.state != ra.CONFIRMED or on is None:
                continue
            child_id = str(data.get("child_id", ""))
            confirmed[child_id] = max(on, confirmed.get(child_id, ""))
        changed: list[str] = []
        for child_id, on in sorted(confirmed.items()):
            try:
                record = self._vault.get(child_id)
            except RecordNotFoundError:
                continue  # transferred out of this village meanwhile
            categories = list(record.data.get("categories") or [])
            category = ChildCategory.DE_FACTO_UNSUPPORTED.value
            if category in categories and record.data.get("recognition_confirmed_on") == on:
                continue
            if category not in categories:
                categories.append(category)
            self._vault.put(
                "child",
                {**record.data, "categories": categories, "recognition_confirmed_on": on},
                author=self._author,
                record_id=child_id,
            )
            changed.append(child_id)
        return changed
