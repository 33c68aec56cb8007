"""The child file (一人一档): tabs 基本信息, 监护人, 评估, 走访, 个案, 附件, 历史."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.case import STAGE_LABELS_ZH, Case
from app.domain.child_file import (
    ARCHIVE_REASON_LABELS_ZH,
    FIELD_LABELS_ZH,
    ArchiveReason,
    ChildFile,
    field_text_zh,
)
from app.domain.visit import VISIT_FORM_LABELS_ZH, Visit
from app.services.assessments import FINISHED, Assessment, level_history
from app.services.child_history import TimelineEntry
from app.services.stale import StaleRevisionError, resolve
from app.services.stored import Stored
from storage.records import Revision
from ui.desk_services import DeskServices
from ui.theme import level_word
from ui.views.child_form import ChildForm
from ui.views.guardians_tab import GuardiansTab
from ui.views.level_badge import LevelBadge
from ui.views.messages import confirm, show_error, user_message
from ui.window_fit import client_limit, fit_window

FIELD_NAMES_ZH = FIELD_LABELS_ZH  # (the stored fields as people call them)


@dataclass(frozen=True)
class _Loaded:
    child: Stored[ChildFile] | None
    assessments: list[Stored[Assessment]]
    visits: list[Stored[Visit]]
    cases: list[Stored[Case]]
    attachments: list[Revision]
    history: list[TimelineEntry]
    assessment_labels: dict[str, str]  # record id -> 困境儿童家庭监护能力评估表（第1版）


class ChildFileDialog(QDialog):
    child_saved = Signal(str)  # record id: the caseload should refresh

    def __init__(
        self,
        desk: DeskServices,
        child_id: str | None = None,
        parent: QWidget | None = None,
        draft: dict[str, Any] | None = None,
        draft_base_revision: int | None = None,
    ) -> None:
        """``draft_base_revision``: the revision a restored ``draft`` was typed on (the
        dialog's ``base_revision`` when the draft was taken), so saving it cannot silently
        undo a revision written since."""
        super().__init__(parent)
        self.setObjectName("child_file_dialog")
        self.setWindowTitle(self.tr("儿童档案") if child_id else self.tr("新建儿童档案"))
        self.desk = desk
        self.child_id = child_id
        self.base_revision: int | None = None  # the revision the form was loaded from
        # Set by the session: assessments and cases then open through it (one window per
        # record, whichever list they are opened from); alone (tests), they open modal here.
        self.open_editor: Callable[[str, str, str], None] | None = None
        self.archived = False
        self._dirty = False
        self._level: str | None = None

        self.header = QLabel("")
        self.header.setObjectName("child_header")
        self.header.setProperty("role", "title")
        self.badge = LevelBadge(None)
        self.form = ChildForm(desk.today(), desk.village_code)
        self.guardians = GuardiansTab()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("child_tabs")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        self.tabs.addTab(scroll, self.tr("基本信息"))
        self.tabs.addTab(self.guardians, self.tr("监护人"))
        self.assessments_list = self._list("assessments_list")
        self.level_trend = QLabel("")
        self.level_trend.setObjectName("level_trend")
        self.visits_list = self._list("visits_list")
        self.cases_list = self._list("cases_list")
        self.attachments_list = self._list("attachments_list")
        self.history_list = self._list("history_list")
        self.new_assessment = QPushButton(self.tr("新建评估"))
        self.new_assessment.setObjectName("new_assessment")
        self.correct_assessment = QPushButton(self.tr("更正选中的评估"))
        self.correct_assessment.setObjectName("correct_assessment")
        self.correct_assessment.setToolTip(
            self.tr("已完成的评估不能修改；更正会新建一次评估，带入原来的答案。")
        )
        self.print_assessment = QPushButton(self.tr("打印评估报告"))
        self.print_assessment.setObjectName("print_assessment")
        self.print_blank = QPushButton(self.tr("打印空白评估表"))
        self.print_blank.setObjectName("print_blank_questionnaire")
        self.print_blank.setToolTip(self.tr("不带电脑入户时，可在纸上填写，回来后再录入。"))
        self.new_visit = QPushButton(self.tr("记录走访"))
        self.new_visit.setObjectName("new_visit")
        self.edit_visit = QPushButton(self.tr("修改"))
        self.edit_visit.setObjectName("edit_visit")
        self.edit_visit.setToolTip(self.tr("修改选中的走访记录（也可以双击记录）"))
        self.delete_visit = QPushButton(self.tr("删除"))
        self.delete_visit.setObjectName("delete_visit")
        self.reprint_visit = QPushButton(self.tr("打印"))
        self.reprint_visit.setObjectName("reprint_visit")
        visit_buttons = QWidget()
        visit_row = QHBoxLayout(visit_buttons)
        visit_row.setContentsMargins(0, 0, 0, 0)
        for button in (self.edit_visit, self.delete_visit, self.reprint_visit):
            visit_row.addWidget(button)
        self.new_case = QPushButton(self.tr("新建个案"))
        self.new_case.setObjectName("new_case")
        self.add_attachment = QPushButton(self.tr("添加照片或扫描件"))
        self.add_attachment.setObjectName("add_attachment")
        assessment_buttons = QWidget()
        row = QHBoxLayout(assessment_buttons)
        row.setContentsMargins(0, 0, 0, 0)
        for button in (
            self.new_assessment,
            self.correct_assessment,
            self.print_assessment,
            self.print_blank,
        ):
            row.addWidget(button)
        self.tabs.addTab(
            self._tab(self.assessments_list, extra=assessment_buttons, below=self.level_trend),
            self.tr("评估"),
        )
        self.tabs.addTab(
            self._tab(self.visits_list, self.new_visit, extra=visit_buttons), self.tr("走访")
        )
        self.tabs.addTab(self._tab(self.cases_list, self.new_case), self.tr("个案"))
        self.tabs.addTab(self._tab(self.attachments_list, self.add_attachment), self.tr("附件"))
        self.tabs.addTab(self._tab(self.history_list), self.tr("历史"))

        self.save_button = QPushButton(self.tr("保存"))
        self.save_button.setObjectName("save_child")
        self.save_button.setDefault(True)
        close = QPushButton(self.tr("关闭"))
        close.setObjectName("close_child")
        self.print_button = QPushButton(self.tr("打印档案表"))
        self.print_button.setObjectName("print_child")
        self.archive_button = QPushButton(self.tr("归档…"))
        self.archive_button.setObjectName("archive_child")
        self.archive_button.setToolTip(
            self.tr("迁出、年满18周岁、重复建档、死亡等：档案不再出现在名单和待办中，可以恢复")
        )
        self.archive_button.setVisible(child_id is not None)  # shown once the file is saved
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.status.setWordWrap(True)  # a long message wraps; it never widens the window
        top = QHBoxLayout()
        top.addWidget(self.header)
        top.addWidget(self.badge)
        top.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.archive_button)
        bottom.addWidget(self.print_button)
        bottom.addWidget(self.save_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        fit_window(self, 1000, 720)

        self.save_button.clicked.connect(self.save)
        self.print_button.clicked.connect(self.print_sheet)
        close.clicked.connect(self.close)
        self.form.edited.connect(self._mark_dirty)
        self.guardians.edited.connect(self._mark_dirty)
        self.new_visit.clicked.connect(lambda: self._open_visit(None))
        self.edit_visit.clicked.connect(lambda: self._open_visit(self._selected(self.visits_list)))
        self.delete_visit.clicked.connect(self._delete_visit)
        self.reprint_visit.clicked.connect(self._reprint_visit)
        self.archive_button.clicked.connect(self._archive_or_restore)
        self.visits_list.itemActivated.connect(
            lambda item: self._open_visit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.new_assessment.clicked.connect(self._new_assessment)
        self._finished_ids: set[str] = set()  # the finished assessments in the list
        self.assessments_list.currentItemChanged.connect(self._assessment_selected)
        self.assessments_list.itemActivated.connect(
            lambda item: self._open_assessment(item.data(Qt.ItemDataRole.UserRole))
        )
        self.correct_assessment.clicked.connect(self._correct_assessment)
        self.print_assessment.clicked.connect(self._print_assessment)
        self.print_blank.clicked.connect(self._print_blank)
        self.new_case.clicked.connect(lambda: self._open_case(None))
        self.cases_list.itemActivated.connect(
            lambda item: self._open_case(item.data(Qt.ItemDataRole.UserRole))
        )
        self.add_attachment.clicked.connect(self._add_attachment)
        self.attachments_list.itemActivated.connect(self._view_attachment)
        self._set_saved_tabs_enabled(child_id is not None)
        self._draft = draft
        self._draft_base = draft_base_revision
        self.reload()
        if child_id is None:  # 新建档案: type the name straight away
            self.form.name.setFocus()
            QTimer.singleShot(0, self.form.name, self.form.name.setFocus)

    # ----- layout helpers -------------------------------------------------------------------

    def _list(self, name: str) -> QListWidget:
        widget = QListWidget()
        widget.setObjectName(name)
        widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        widget.setAlternatingRowColors(True)
        return widget

    def _tab(
        self,
        body: QWidget,
        button: QPushButton | None = None,
        extra: QWidget | None = None,
        below: QWidget | None = None,
    ) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        if button is not None:
            row.addWidget(button)
        if extra is not None:
            row.addWidget(extra)
        row.addStretch(1)
        layout.addLayout(row)
        if below is not None:
            layout.addWidget(below)
        layout.addWidget(body, 1)
        return page

    def _set_saved_tabs_enabled(self, enabled: bool) -> None:
        for index in range(2, self.tabs.count()):
            self.tabs.setTabEnabled(index, enabled)

    def _mark_dirty(self) -> None:
        self._dirty = True
        self.status.setText(self.tr("有未保存的修改"))

    # ----- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        child_id = self.child_id
        desk = self.desk

        def load() -> _Loaded:
            if child_id is None:
                return _Loaded(None, [], [], [], [], [], {})
            service = desk.assessments
            assessments = service.list_all(child_id)
            return _Loaded(
                desk.children.get(child_id),
                assessments,
                desk.visits.list_all(child_id),
                desk.cases.list_all(child_id),
                desk.children.attachments(child_id),
                desk.reading.timeline(child_id, desk.definitions.questionnaires()),
                {s.record_id: service.label_for(s.value) for s in assessments},
            )

        desk.runner.submit(load, self._show, lambda err: show_error(self, err))

    def _show(self, loaded: _Loaded) -> None:
        if loaded.child is not None:
            child = loaded.child.value
            header = f"{child.name}　{child.age_on(self.desk.today())}岁"
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

    # ----- saving ---------------------------------------------------------------------------

    def current_value(self) -> ChildFile:
        return replace(self.form.value(), guardians=list(self.guardians.guardians))

    def save(self) -> None:
        child = self.current_value()
        child_id = self.child_id
        base_revision = self.base_revision
        desk = self.desk
        typed = self.form.identity_problems()  # a date not typed in full, ID disagreements
        if typed:
            identity = {"birth_date", "gender", "id_number"}
            others = [p for p in child.problems(desk.today()) if p.field not in identity]
            self.form.show_problems(typed + others)
            self.tabs.setCurrentIndex(0)
            self.status.setText(self.tr("没有保存：请按红字提示修改后再保存"))
            return

        def save() -> Stored[ChildFile]:
            if child_id is None:
                return desk.children.create(child)
            return desk.children.update(child_id, child, base_revision=base_revision)

        self.status.setText(self.tr("正在保存…"))
        desk.runner.submit(save, self._saved, self._save_failed)

    def _saved(self, stored: Stored[ChildFile]) -> None:
        self.child_id = stored.record_id
        self.base_revision = stored.revision
        self._dirty = False
        self.status.setText(self.tr("已保存"))
        self.setWindowTitle(self.tr("儿童档案"))
        self._set_saved_tabs_enabled(True)
        self.form.show_problems(stored.value.problems(self.desk.today()))
        self.form.show_recognition(stored.value)
        self.child_saved.emit(stored.record_id)
        self.reload()

    def _save_failed(self, err: BaseException) -> None:
        if isinstance(err, StaleRevisionError):
            self._resolve_stale(err)
            return
        problems = getattr(err, "problems", None)
        if problems is not None and hasattr(err, "message_zh"):
            self.form.show_problems(problems)
            self.tabs.setCurrentIndex(0)
            self.status.setText(self.tr("没有保存：请按红字提示修改后再保存"))
        else:
            self.status.setText(user_message(err))
            show_error(self, err)

    def _resolve_stale(self, err: StaleRevisionError) -> None:
        """Someone saved this file after it was opened here: show both values per field, the
        person chooses, and the choice is saved on top of the newer revision."""
        from ui.views.stale_dialog import StaleSaveDialog

        self.status.setText(self.tr("没有保存：档案在别处又被保存过"))
        dialog = StaleSaveDialog(
            err,
            what=self.tr("档案"),
            label=lambda name: FIELD_LABELS_ZH.get(name, name),
            text=field_text_zh,
            parent=self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            self.status.setText(self.tr("没有保存：您的修改还在，请核对后再保存"))
            return
        merged = ChildFile.from_json(
            resolve(self.current_value().to_json(), err, dialog.take_theirs())
        )
        self.form.load(merged)
        self.guardians.load(merged.guardians)
        self.base_revision = err.current_revision
        self.save()

    def draft(self) -> dict[str, Any] | None:
        """Unsaved input, to keep encrypted across an auto-lock."""
        return self.current_value().to_json() if self._dirty else None

    def unsaved_draft(self) -> dict[str, Any] | None:
        """The draft with the revision it was typed on (so saving it later cannot silently
        undo a newer save)."""
        data = self.draft()
        if data is None:
            return None
        return {
            "kind": "child",
            "child_id": self.child_id,
            "base_revision": self.base_revision,
            "data": data,
        }

    def discard_changes(self) -> None:
        self._dirty = False

    def reject(self) -> None:
        """Esc: the same question as 关闭 and the title bar's × (unsaved input is never
        dropped without asking)."""
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._dirty:
            answer = QMessageBox.question(
                self,
                self.tr("有未保存的修改"),
                self.tr("档案有修改还没有保存。要保存吗？"),
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save:
                self.save()
                event.ignore()
                return
        event.accept()

    # ----- the other tabs ---------------------------------------------------------------------

    def _open_visit(self, record_id: str | None) -> None:
        from ui.views.visit_dialog import VisitDialog

        child_id = self.child_id
        if child_id is None:
            return

        if record_id == "":  # 修改 with nothing selected
            QMessageBox.information(
                self, self.tr("修改走访记录"), self.tr("请先在列表中选中一条走访记录。")
            )
            return
        visits = self.desk.visits

        def find() -> Stored[Visit] | None:
            return None if record_id is None else visits.get(record_id)

        def open_dialog(stored: Stored[Visit] | None) -> None:
            dialog = VisitDialog(self.desk, child_id, self._level, stored, self)
            dialog.visit_saved.connect(lambda _rid: self._changed())
            dialog.print_requested.connect(self.print_visit)
            dialog.exec()

        self.desk.runner.submit(find, open_dialog, lambda err: show_error(self, err))

    @staticmethod
    def _selected(widget: QListWidget) -> str:
        item = widget.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def _delete_visit(self) -> None:
        item = self.visits_list.currentItem()
        if item is None:
            QMessageBox.information(
                self, self.tr("删除走访记录"), self.tr("请先在列表中选中要删除的走访记录。")
            )
            return
        record_id = str(item.data(Qt.ItemDataRole.UserRole))
        dialog = ReasonDialog(
            self.tr("删除走访记录"),
            self.tr(
                "确定要删除这条走访记录吗？\n{0}\n删除后它不再出现在列表中，但仍保留在历史记录里。"
            ).format(item.text()),
            self.tr("删除的原因（必填）："),
            self.tr("删除"),
            self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        reason = dialog.reason()
        visits = self.desk.visits
        self.desk.runner.submit(
            lambda: visits.delete(record_id, reason=reason),
            lambda _none: self._changed(),
            lambda err: show_error(self, err),
        )

    def _reprint_visit(self) -> None:
        record_id = self._selected(self.visits_list)
        if not record_id:
            QMessageBox.information(
                self, self.tr("打印走访记录"), self.tr("请先在列表中选中要打印的走访记录。")
            )
            return
        self.print_visit(record_id)

    def _archive_or_restore(self) -> None:
        child_id = self.child_id
        if child_id is None:
            return
        if self._dirty:
            QMessageBox.information(
                self,
                self.tr("归档"),
                self.tr("档案有修改还没有保存。请先保存（或关闭时不保存），再归档或恢复。"),
            )
            return
        children = self.desk.children
        if self.archived:
            if not confirm(
                self,
                self.tr("恢复档案"),
                self.tr("恢复后，这份档案重新出现在儿童名单和待办中。确定恢复吗？"),
                self.tr("恢复"),
            ):
                return
            task = lambda: children.restore(child_id)  # noqa: E731
        else:
            dialog = ArchiveDialog(self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            reason, note = dialog.value()
            task = lambda: children.archive(child_id, reason, note=note)  # noqa: E731

        def done(stored: Stored[ChildFile]) -> None:
            self.base_revision = stored.revision
            self.status.setText(
                self.tr("已恢复") if not stored.value.archived else self.tr("已归档")
            )
            self._changed()

        self.desk.runner.submit(task, done, lambda err: show_error(self, err))

    def _open_assessment(self, record_id: str | None) -> None:
        if self.child_id is None:
            return
        if self.open_editor is not None:  # the session: one window per record, non-modal
            self.open_editor("assessment", self.child_id, record_id or "")
            return
        from ui.views.assessment_wizard import AssessmentWizard

        wizard = AssessmentWizard(self.desk, self.child_id, record_id, self)
        wizard.assessment_finished.connect(lambda _rid: self._changed())
        wizard.exec()
        self._changed()

    def _assessment_selected(self, item: QListWidgetItem | None, _previous: object) -> None:
        """更正 and 打印评估报告 are for finished assessments: a draft is continued instead."""
        draft = item is not None and item.data(Qt.ItemDataRole.UserRole) not in self._finished_ids
        self.correct_assessment.setEnabled(not draft)
        self.print_assessment.setEnabled(not draft)

    def _new_assessment(self) -> None:
        """新建评估: when the child has an unfinished assessment, offer to continue it rather
        than start another (drafts would pile up); the vault is asked, not the list shown."""
        if self.child_id is None:
            return
        child_id, service = self.child_id, self.desk.assessments

        def drafts() -> list[Stored[Assessment]]:
            return [s for s in service.list_all(child_id) if s.value.status != FINISHED]

        self.desk.runner.submit(drafts, self._offer_draft, lambda err: show_error(self, err))

    def _offer_draft(self, drafts: list[Stored[Assessment]]) -> None:
        if not drafts:
            self._open_assessment(None)
            return
        newest = max(drafts, key=lambda s: (s.value.started_on, s.hlc))
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("新建评估"),
            self.tr(
                "这个孩子有一份 {0} 开始、还没有填完的评估。\n请接着填写这一份，不必新建。"
            ).format(newest.value.started_on.isoformat()),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("draft_exists")
        go_on = box.addButton(self.tr("继续填写"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(go_on)
        box.exec()
        chosen = box.clickedButton() is go_on
        box.deleteLater()
        if chosen:
            self._open_assessment(newest.record_id)

    def _print_assessment(self) -> None:
        from ui.views.print_preview import preview_pdf

        item = self.assessments_list.currentItem()
        if item is None:
            QMessageBox.information(
                self, self.tr("打印评估报告"), self.tr("请先在列表中选中一次已完成的评估。")
            )
            return
        assessment_id = item.data(Qt.ItemDataRole.UserRole)
        printouts, today = self.desk.printouts, self.desk.today()
        definitions = self.desk.definitions.questionnaires()  # every version known here
        schedule = self.desk.schedule  # the advised visit frequency follows the rules in force
        preview_pdf(
            self.desk.runner,
            lambda: printouts.assessment_report(
                assessment_id, printed_on=today, definitions=definitions, schedule=schedule
            ),
            self.tr("监护能力评估报告"),
            f"评估报告-{today.isoformat()}.pdf",
            self,
        )

    def _print_blank(self) -> None:
        from ui.views.print_preview import preview_pdf

        printouts, today, definition = self.desk.printouts, self.desk.today(), self.desk.definition
        preview_pdf(
            self.desk.runner,
            lambda: printouts.blank_questionnaire(definition, printed_on=today),
            self.tr("空白评估表"),
            "空白评估表.pdf",
            self,
        )

    def _correct_assessment(self) -> None:
        item = self.assessments_list.currentItem()
        if item is None:
            QMessageBox.information(
                self, self.tr("更正评估"), self.tr("请先在列表中选中要更正的已完成评估。")
            )
            return
        finished_id = item.data(Qt.ItemDataRole.UserRole)
        self.desk.runner.submit(
            lambda: self.desk.assessments.start_correction(finished_id),
            lambda stored: self._open_assessment(stored.record_id),
            lambda err: show_error(self, err),
        )

    def _open_case(self, record_id: str | None) -> None:
        if self.child_id is None:
            return
        if self.open_editor is not None:
            self.open_editor("case", self.child_id, record_id or "")
            return
        from ui.views.case_dialog import CaseDialog

        dialog = CaseDialog(self.desk, self.child_id, record_id, self)
        dialog.case_changed.connect(self._changed)
        dialog.exec()
        self._changed()

    def _changed(self) -> None:
        if self.child_id is not None:
            self.child_saved.emit(self.child_id)
        self.reload()

    def print_visit(self, visit_id: str) -> None:
        from ui.views.print_preview import preview_pdf

        printouts, today = self.desk.printouts, self.desk.today()
        preview_pdf(
            self.desk.runner,
            lambda: printouts.visit_record(visit_id, printed_on=today),
            self.tr("入户走访记录表"),
            f"走访记录-{today.isoformat()}.pdf",
            self,
        )

    def print_sheet(self) -> None:
        from ui.views.print_preview import preview_pdf

        child_id = self.child_id
        if child_id is None:
            return
        printouts, today, schedule = self.desk.printouts, self.desk.today(), self.desk.schedule
        preview_pdf(
            self.desk.runner,
            lambda: printouts.child_sheet(child_id, printed_on=today, schedule=schedule),
            self.tr("儿童档案表"),
            f"儿童档案-{today.isoformat()}.pdf",
            self,
        )

    def _add_attachment(self) -> None:
        if self.child_id is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("选择照片或扫描件"),
            "",
            self.tr("图片或PDF (*.jpg *.jpeg *.png *.pdf *.tif *.tiff)"),
        )
        if path:
            self.attach_file(Path(path))

    def attach_file(self, path: Path) -> None:
        child_id = self.child_id
        if child_id is None:
            return
        mime = {
            ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg",
            ".png": "image/png",
            ".pdf": "application/pdf",
        }.get(path.suffix.lower(), "application/octet-stream")

        def add() -> Revision:
            with path.open("rb") as source:  # streamed and encrypted chunk by chunk
                return self.desk.children.add_attachment(
                    child_id, source, filename=path.name, mime=mime
                )

        self.desk.runner.submit(add, lambda _r: self._changed(), lambda err: show_error(self, err))

    def _view_attachment(self, item: QListWidgetItem) -> None:
        attachment_id = item.data(Qt.ItemDataRole.UserRole)

        def read() -> bytes:  # decrypted into memory only, never to a plaintext file
            return self.desk.reading.attachment(attachment_id)

        def show(data: bytes) -> None:
            pixmap = QPixmap()
            if not pixmap.loadFromData(data):
                QMessageBox.information(
                    self, self.tr("附件"), self.tr("这个附件不是图片，暂时不能在这里预览。")
                )
                return
            viewer = QDialog(self)
            viewer.setWindowTitle(item.text())
            label = QLabel()
            label.setPixmap(
                pixmap.scaled(
                    min(900, client_limit(viewer).width() - 24),  # within a small screen
                    min(650, client_limit(viewer).height() - 24),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            QVBoxLayout(viewer).addWidget(label)
            viewer.exec()

        self.desk.runner.submit(read, show, lambda err: show_error(self, err))


class ReasonDialog(QDialog):
    """A confirmation that needs a reason (删除走访记录): the button is enabled once typed."""

    def __init__(
        self, title: str, text: str, prompt: str, ok_text: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reason_dialog")
        self.setWindowTitle(title)
        message = QLabel(text)
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason")
        self.reason_edit.setPlaceholderText(self.tr("如：录错了儿童、重复录入"))
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("reason_ok")
        buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        self.ok.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.reason_edit)
        layout.addWidget(buttons)
        self.reason_edit.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(480)

    def reason(self) -> str:
        return self.reason_edit.text().strip()


class ArchiveDialog(QDialog):
    """归档: a reason (迁出, 年满18周岁, 重复建档, 死亡, 其他 with a note)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("archive_dialog")
        self.setWindowTitle(self.tr("归档档案"))
        explain = QLabel(
            self.tr(
                "归档后，这份档案不再出现在儿童名单和待办中，也不再提醒走访；"
                "档案仍然保存在电脑里，也会同步到区里。"
                "在儿童名单勾选“显示已归档”可以找到它，并可恢复。"
            )
        )
        explain.setWordWrap(True)
        self.reason_box = QComboBox()
        self.reason_box.setObjectName("archive_reason")
        for reason, label in ARCHIVE_REASON_LABELS_ZH.items():
            self.reason_box.addItem(label, reason.value)
        self.note = QLineEdit()
        self.note.setObjectName("archive_note")
        self.note.setPlaceholderText(self.tr("选“其他”时必填；也可补充说明"))
        form = QFormLayout()
        form.addRow(self.tr("归档原因"), self.reason_box)
        form.addRow(self.tr("说明"), self.note)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(self.tr("归档"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("archive_ok")
        buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.reason_box.currentIndexChanged.connect(self._check)
        self.note.textChanged.connect(self._check)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(480)
        self._check()

    def _check(self) -> None:
        other = self.reason_box.currentData() == ArchiveReason.OTHER.value
        self.ok.setEnabled(not other or bool(self.note.text().strip()))

    def value(self) -> tuple[ArchiveReason, str]:
        return ArchiveReason(self.reason_box.currentData()), self.note.text().strip()
