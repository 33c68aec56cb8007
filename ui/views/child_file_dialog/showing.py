"""Loading the child file on the vault worker and showing it: the form, the level, the lists of
assessments, visits, cases, attachments and history."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
)

from app.domain.case import STAGE_LABELS_ZH
from app.domain.child_file import (
    ChildFile,
)
from app.domain.visit import VISIT_FORM_LABELS_ZH
from app.services.assessments import FINISHED, level_history
from app.services.child_history import TimelineEntry
from ui.theme import level_word
from ui.views.child_file_dialog.base import ChildFileBase, Loaded
from ui.views.child_file_dialog.workflows_tab import load as load_workflows
from ui.views.messages import show_error


class ShowingPart(ChildFileBase):
    # ----- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        child_id = self.child_id
        desk = self.desk

        def load() -> Loaded:
            if child_id is None:
                return Loaded(None, [], [], [], [], [], {})
            service = desk.assessments
            assessments = service.list_all(child_id)
            child = desk.children.get(child_id)
            confirmed = child.value.recognition_confirmed_on
            rows = load_workflows(
                desk.workflows,
                child_id,
                desk.today(),
                confirmed.isoformat() if confirmed else None,
            )
            return Loaded(
                child,
                assessments,
                desk.visits.list_all(child_id),
                desk.cases.list_all(child_id),
                desk.children.attachments(child_id),
                desk.reading.timeline(child_id, desk.definitions.questionnaires()),
                {s.record_id: service.label_for(s.value) for s in assessments},
                rows,
            )

        desk.runner.submit(load, self._show, lambda err: show_error(self, err))

    def _show(self, loaded: Loaded) -> None:
        if loaded.child is not None:
            child = loaded.child.value
            self.child_name = child.name
            header = f"{child.name}　{child.age_on(self.desk.today())}岁"
            if child.recognition_confirmed_on is not None:
                header += self.tr("　事实无人抚养儿童（{0} 认定）").format(
                    child.recognition_confirmed_on.isoformat()
                )
            if child.archive is not None:
                header += self.tr("　（已归档：{0}）").format(child.archive.text_zh())
            self.header.setText(header)
            self.archived = child.archived
            self.archive_button.setText(self.tr("恢复档案") if child.archived else self.tr("归档…"))
            self.archive_button.setVisible(True)
            if not self._dirty or self.base_revision is None:
                # unsaved edits are never overwritten by a reload (e.g. after a visit is saved);
                # their save is checked against the revision they were made on
                self.form.load(child)
                self.guardians.load(child.guardians)
                self.base_revision = loaded.child.revision
        if self._draft is not None:  # unsaved input kept across an auto-lock
            restored = ChildFile.from_json(self._draft)
            self.form.load(restored)
            self.guardians.load(restored.guardians)
            self._draft = None
            if self._draft_base is not None:
                self.base_revision = self._draft_base
            self._mark_dirty()
            self.status.setText(
                self.tr("已恢复上次没有保存的内容（锁定、断电或程序意外关闭前），请检查后保存")
            )
        if loaded.workflows is not None:
            self.workflows_tab.show_rows(loaded.workflows)
        self._finished_ids = {s.record_id for s in loaded.assessments if s.value.status == FINISHED}
        history = level_history(loaded.assessments)
        self._level = history[-1].level if history else None
        self.badge.set_level(self._level)
        self.level_trend.setText(
            self.tr("等级变化：")
            + " → ".join(f"{h.on:%Y-%m} {level_word(h.level)}" for h in history)
            if history
            else self.tr("还没有完成的评估")
        )
        self._fill(
            self.assessments_list,
            [
                (
                    s.record_id,
                    f"{(s.value.finished_on or s.value.started_on).isoformat()}　"
                    + (
                        f"{level_word(s.value.level)}　已完成"
                        if s.value.status == FINISHED
                        else "草稿（未完成，双击继续）"
                    )
                    + f"　{loaded.assessment_labels.get(s.record_id, '')}",
                )
                for s in reversed(loaded.assessments)
            ],
        )
        self._fill(
            self.visits_list,
            [
                (
                    s.record_id,
                    f"{s.value.on.isoformat()}　{VISIT_FORM_LABELS_ZH[s.value.form]}　"
                    f"见到：{'、'.join(s.value.met) or '—'}　问题：{s.value.problems or '无'}",
                )
                for s in loaded.visits
            ],
        )
        self._fill(
            self.cases_list,
            [
                (
                    s.record_id,
                    f"{s.value.opened_on.isoformat()}　{STAGE_LABELS_ZH[s.value.stage]}　{s.value.summary}"
                    + ("　【强制报告】" if s.value.mandatory_report else ""),
                )
                for s in loaded.cases
            ],
        )
        self._fill(
            self.attachments_list,
            [
                (r.record_id, f"{r.data['filename']}　{r.data['size'] // 1024} KB")
                for r in loaded.attachments
            ],
        )
        self._fill(
            self.history_list,
            [(h.record_id, self._history_text(h)) for h in loaded.history],
        )

    @staticmethod
    def _history_text(entry: TimelineEntry) -> str:
        when = datetime.fromtimestamp(entry.changed_at_ms / 1000, tz=UTC).astimezone()
        return f"{when:%Y-%m-%d %H:%M}　{entry.author}　{entry.text_zh}"

    @staticmethod
    def _fill(widget: QListWidget, rows: list[tuple[str, str]]) -> None:
        widget.clear()
        for key, text in rows:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            widget.addItem(item)
