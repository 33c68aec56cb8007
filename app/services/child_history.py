"""历史: what happened to a child's file, newest first — changes to the file itself (建立, 修改,
归档, 恢复), its visits (记录, 修改, 删除 with the reason), its assessments (开始, 完成,
更正) and the activities the child attended (活动). Each entry names who and when; texts are
in plain Chinese for the screen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.domain import child_file, visit
from app.domain.child_file import ARCHIVE_REASON_LABELS_ZH, ArchiveReason
from app.domain.labels_zh import LEVEL_WORDS_ZH
from app.questionnaire import Definition
from app.questionnaire.naming import definition_label
from app.services.activities import ACTIVITY_TYPE, activity_timeline_text
from app.services.assessments import ASSESSMENT_TYPE, FINISHED
from app.services.visits import VISIT_TYPE
from storage.hlc import HlcTimestamp
from storage.records import Revision
from storage.vault import Vault

CHILD = "child"
VISIT = "visit"
ASSESSMENT = "assessment"
ACTIVITY = "activity"


@dataclass(frozen=True)
class TimelineEntry:
    changed_at_ms: int
    author: str
    kind: str  # CHILD, VISIT, ASSESSMENT or ACTIVITY
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


def child_timeline(
    vault: Vault, child_id: str, definitions: Iterable[Definition] = ()
) -> list[TimelineEntry]:
    """Everything recorded about one child's file, newest first."""
    entries = _child_entries(vault.history(child_id))
    for record_type in (VISIT_TYPE, ASSESSMENT_TYPE):
        for head in vault.load(record_type, include_deleted=True).revisions:
            if head.data.get("child_id") != child_id and not head.deleted:
                continue
            history = vault.history(head.record_id)
            if not any(r.data.get("child_id") == child_id for r in history):
                continue
            if record_type == VISIT_TYPE:
                entries += _visit_entries(history)
            else:
                entries += _assessment_entries(history, definitions)
    for head in vault.load(ACTIVITY_TYPE).revisions:  # activities the child attended (活动)
        if child_id in head.data.get("attended", []):
            entries.append(_entry(head, ACTIVITY, activity_timeline_text(head)))
    entries.sort(key=lambda e: (e.changed_at_ms, e.hlc), reverse=True)
    return entries
