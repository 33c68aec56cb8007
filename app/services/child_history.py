"""历史: what happened to a child's file, newest first — changes to the file itself (建立, 修改,
归档, 恢复), its visits (记录, 修改, 删除 with the reason), its assessments (开始, 完成,
更正), its psychological screenings (开始, 完成 with the result 未见异常/建议关注/建议转介,
更正) and the steps of its referrals (登记, 转介, 评估, 未转介), and the activities the child
attended (活动). Each entry names who and when; texts are in plain Chinese for the screen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.domain import child_file, visit
from app.domain.activity import ACTIVITY_TYPE
from app.domain.child_file import ARCHIVE_REASON_LABELS_ZH, ArchiveReason
from app.domain.labels_zh import LEVEL_WORDS_ZH
from app.domain.referral import REFERRAL_TYPE, SCREENING_LEVEL_WORDS_ZH, SCREENING_TYPE
from app.questionnaire import Definition
from app.questionnaire.naming import definition_label
from app.services.activities import activity_timeline_text
from app.services.assessments import ASSESSMENT_TYPE, FINISHED
from app.services.visits import VISIT_TYPE
from storage.hlc import HlcTimestamp
from storage.records import Revision
from storage.vault import Vault

CHILD = "child"
VISIT = "visit"
ASSESSMENT = "assessment"
ACTIVITY = "activity"
SCREENING = SCREENING_TYPE
REFERRAL = REFERRAL_TYPE

# A referral's fields as the 历史 names them when they change outside the steps it lists.
REFERRAL_FIELDS_ZH = {
    "made_on": "登记日期",
    "referred_to": "转介机构",
    "referred_on": "转介日期",
    "evaluated": "是否已评估",
    "evaluated_on": "评估日期",
    "outcome": "评估结果",
    "declined_reason": "未转介原因",
    "notes": "备注",
}


@dataclass(frozen=True)
class TimelineEntry:
    changed_at_ms: int
    author: str
    kind: str  # CHILD, VISIT, ASSESSMENT, SCREENING, REFERRAL or ACTIVITY
    record_id: str
    text_zh: str
    hlc: str = ""  # orders entries written in the same millisecond


def _entry(revision: Revision, kind: str, text: str) -> TimelineEntry:
    return TimelineEntry(
        HlcTimestamp.decode(revision.meta.hlc).wall_ms,
        revision.author,
        kind,
        revision.record_id,
        text,
        revision.meta.hlc,
    )


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    keys = list(after) + sorted(k for k in before if k not in after)
    return [k for k in keys if before.get(k) != after.get(k)]


def _child_entries(revisions: list[Revision]) -> list[TimelineEntry]:
    entries = []
    previous: dict[str, Any] = {}
    for revision in revisions:
        data = revision.data
        if revision.deleted:
            text = "删除了档案"
        elif revision.revision == 1 or not previous:
            text = "建立了档案"
        else:
            changed = _changed(previous, data)
            parts = []
            if "archive" in changed:
                changed.remove("archive")
                archive = data.get("archive")
                if archive:
                    reason = ARCHIVE_REASON_LABELS_ZH.get(ArchiveReason(archive["reason"]), "")
                    note = f"：{archive['note']}" if archive.get("note") else ""
                    parts.append(f"归档了档案（原因：{reason}{note}）")
                else:
                    parts.append("恢复了档案（取消归档）")
            if changed:
                names = "、".join(child_file.FIELD_LABELS_ZH.get(k, k) for k in changed)
                parts.append(f"修改了 {names}")
            text = "；".join(parts) or "保存了档案（内容没有变化）"
        entries.append(_entry(revision, CHILD, text))
        previous = {} if revision.deleted else data
    return entries


def _visit_entries(revisions: list[Revision]) -> list[TimelineEntry]:
    entries = []
    previous: dict[str, Any] = {}
    for revision in revisions:
        data = revision.data
        on = data.get("on") or previous.get("on") or ""
        if revision.deleted:
            reason = data.get("deletion_reason", "")
            text = f"删除了 {on} 的走访记录" + (f"（原因：{reason}）" if reason else "")
        elif not previous:
            form = visit.field_text_zh("form", data.get("form"))
            text = f"记录了 {on} 的走访（{form}）"
        else:
            names = "、".join(visit.FIELD_LABELS_ZH.get(k, k) for k in _changed(previous, data))
            text = f"修改了 {on} 的走访记录" + (f"：{names}" if names else "")
        entries.append(_entry(revision, VISIT, text))
        previous = {} if revision.deleted else data
    return entries


def _assessment_entries(
    revisions: list[Revision], definitions: Iterable[Definition]
) -> list[TimelineEntry]:
    entries = []
    previous: dict[str, Any] = {}
    definitions = list(definitions)
    for revision in revisions:
        data = revision.data
        if revision.deleted:
            entries.append(_entry(revision, ASSESSMENT, "删除了一份评估"))
            previous = {}
            continue
        label = definition_label(
            str(data.get("definition_id", "")), str(data.get("definition_version", "")), definitions
        )
        finished = data.get("status") == FINISHED
        level = LEVEL_WORDS_ZH.get(str((data.get("result") or {}).get("level")), "—")
        correction = "更正" if data.get("corrects") else ""
        if finished and previous.get("status") != FINISHED:
            on = data.get("finished_on") or ""
            entries.append(
                _entry(
                    revision, ASSESSMENT, f"完成了{correction}评估（{label}，{on}），等级：{level}"
                )
            )
        elif not previous:
            started = data.get("started_on", "")
            text = (
                f"开始更正一份评估（{label}）"
                if correction
                else f"开始了评估（{label}，{started}）"
            )
            entries.append(_entry(revision, ASSESSMENT, text))
        # answers saved as the director goes are not listed one by one
        previous = data
    return entries


def _screening_entries(revisions: list[Revision]) -> list[TimelineEntry]:
    """心理状况筛查: started, finished with its result, corrected (like assessments)."""
    entries = []
    previous: dict[str, Any] = {}
    for revision in revisions:
        data = revision.data
        if revision.deleted:
            entries.append(_entry(revision, SCREENING, "删除了一次心理状况筛查"))
            previous = {}
            continue
        correction = "更正" if data.get("corrects") else ""
        if data.get("status") == FINISHED and previous.get("status") != FINISHED:
            raw = data.get("result")
            level = str(raw.get("level") or "") if isinstance(raw, dict) else ""
            word = SCREENING_LEVEL_WORDS_ZH.get(level, "—")
            on = data.get("finished_on") or ""
            text = f"完成了{correction}心理状况筛查（{on}），结果：{word}"
            if isinstance(raw, dict) and raw.get("mandatory_report"):
                text += "，发现自伤风险，要求强制报告"
            entries.append(_entry(revision, SCREENING, text))
        elif not previous:
            text = (
                "开始更正一次心理状况筛查"
                if correction
                else f"开始了心理状况筛查（{data.get('started_on', '')}）"
            )
            entries.append(_entry(revision, SCREENING, text))
        previous = data
    return entries


def _referral_steps(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What a revision of a referral did: referred, evaluated, declined, other changes."""
    steps = []
    changed = [k for k in _changed(before, after) if k in REFERRAL_FIELDS_ZH]
    if after.get("referred_on") and (
        after.get("referred_on") != before.get("referred_on")
        or after.get("referred_to") != before.get("referred_to")
    ):
        steps.append(f"转介到{after.get('referred_to') or '—'}（{after['referred_on']}）")
        changed = [k for k in changed if k not in ("referred_on", "referred_to")]
    if after.get("evaluated") and (
        not before.get("evaluated")
        or after.get("evaluated_on") != before.get("evaluated_on")
        or after.get("outcome") != before.get("outcome")
    ):
        outcome = str(after.get("outcome") or "").strip()
        steps.append(
            f"专业机构已评估（{after.get('evaluated_on') or '—'}）"
            + (f"，结果：{outcome}" if outcome else "")
        )
        changed = [k for k in changed if k not in ("evaluated", "evaluated_on", "outcome")]
    declined = str(after.get("declined_reason") or "").strip()
    if declined and declined != str(before.get("declined_reason") or "").strip():
        steps.append(f"未转介（原因：{declined}）")
        changed = [k for k in changed if k != "declined_reason"]
    if changed and before:
        steps.append("修改了 " + "、".join(REFERRAL_FIELDS_ZH[k] for k in changed))
    return steps


def _referral_entries(revisions: list[Revision]) -> list[TimelineEntry]:
    """A referral's steps: 登记 (by a 建议转介 screening or by hand), 转介, 评估, 未转介."""
    entries = []
    previous: dict[str, Any] = {}
    for revision in revisions:
        data = revision.data
        if revision.deleted:
            entries.append(_entry(revision, REFERRAL, "删除了一条转介记录"))
            previous = {}
            continue
        steps = _referral_steps(previous, data)
        if not previous:
            why = "心理状况筛查建议转介，" if data.get("screening_id") else ""
            steps.insert(0, f"登记了转介（{why}{data.get('made_on', '')}）")
        if steps:
            entries.append(_entry(revision, REFERRAL, "转介：" + "；".join(steps)))
        previous = data
    return entries


def child_timeline(
    vault: Vault, child_id: str, definitions: Iterable[Definition] = ()
) -> list[TimelineEntry]:
    """Everything recorded about one child's file, newest first."""
    entries = _child_entries(vault.history(child_id))
    definitions = list(definitions)
    readers = {
        VISIT_TYPE: _visit_entries,
        ASSESSMENT_TYPE: lambda h: _assessment_entries(h, definitions),
        SCREENING_TYPE: _screening_entries,
        REFERRAL_TYPE: _referral_entries,
    }
    for record_type, read in readers.items():
        for head in vault.load(record_type, include_deleted=True).revisions:
            if head.data.get("child_id") != child_id and not head.deleted:
                continue
            history = vault.history(head.record_id)
            if not any(r.data.get("child_id") == child_id for r in history):
                continue
            entries += read(history)
    for head in vault.load(ACTIVITY_TYPE).revisions:  # activities the child attended (活动)
        if child_id in head.data.get("attended", []):
            entries.append(_entry(head, ACTIVITY, activity_timeline_text(head)))
    entries.sort(key=lambda e: (e.changed_at_ms, e.hlc), reverse=True)
    return entries
