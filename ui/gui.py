"""The desktop app's session: first run or unlock, the main window, auto-lock after idle time
(unsaved input kept encrypted as a draft), and the demo mode.

This is the composition root: it builds the services after unlock and hands each screen the
ones it needs.

Why one long file: the composition root and the session's lock/unlock life cycle belong
together; each screen and dialog lives in ui/views/.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from storage.errors import VaultLockedError
from storage.paths import VaultPaths, resolve_data_dir
from storage.unlock_throttle import UnlockThrottle
from storage.vault import Vault
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.draft_keeper import DraftKeeper, take_drafts
from ui.editor_contract import Editor
from ui.main_window import MainWindow
from ui.qt_app import create_application
from ui.tasks import GuiThreadCollector, Runner, VaultRunner, enforce_vault_thread
from ui.theme import apply_text_scale
from ui.ui_settings import UiSettings
from ui.views.children_page import ChildrenPage
from ui.views.first_run import FirstRunWizard
from ui.views.messages import show_error
from ui.views.unlock_dialog import UnlockDialog

if TYPE_CHECKING:
    from ui.views.recognition_application_dialog import RecognitionApplicationDialog

log = logging.getLogger("childdesk.ui")
DEMO_CHILDREN = 200
# The demo vault's password (shown on its unlock window after 锁定): the data is made up and
# the vault is thrown away when the program ends.
DEMO_PASSWORD = "demo-childdesk-2026"  # noqa: S105 (made-up data, shown on screen)
RESTORED_MESSAGE_MS = 15_000  # how long the status bar says drafts were reopened


class IdleWatcher(QObject):
    """Restarts the auto-lock timer on every key press, click or mouse move."""

    _ACTIVITY = (
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
    )

    def __init__(self, timer: QTimer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = timer
        self.last_activity = time.monotonic()  # the garbage collector waits for a quiet moment

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self._ACTIVITY:
            self.last_activity = time.monotonic()
            if self._timer.isActive():
                self._timer.start()
        return False


def build_pages(
    desk: DeskServices, store: CaseloadStore, settings: UiSettings
) -> dict[str, QWidget]:
    """One page per navigation entry; each gets only the services it uses."""
    from ui.views.activities_page import ActivitiesPage
    from ui.views.cases_page import CasesPage
    from ui.views.reports_page import ReportsPage
    from ui.views.settings_page import SettingsPage
    from ui.views.sync_page import SyncPage
    from ui.views.todo_page import TodoPage

    # the schedule in force is asked for each time (a sync can install the district's rules)
    pages: dict[str, QWidget] = {
        "儿童档案": ChildrenPage(lambda: desk.schedule, desk.today),
        "待办": TodoPage(desk, store),
        "个案": CasesPage(desk, store),
        "活动": ActivitiesPage(desk, store),
        "报表": ReportsPage(desk, store),
        "设置": SettingsPage(desk, settings),
    }
    pages["同步"] = SyncPage(desk)
    return pages


class _SavedAsItGoes:
    """The editor contract of a window that writes each step to the vault as it is taken (the
    recognition application): nothing unsaved to keep across a lock."""

    def __init__(self, dialog: RecognitionApplicationDialog) -> None:
        self._dialog = dialog

    def unsaved_draft(self) -> dict[str, Any] | None:
        return None

    def discard_changes(self) -> None:
        pass

    def reload(self) -> None:
        self._dialog.reload()


@dataclass
class _Editor:
    key: tuple[str, str]  # ("child", id), ("case", id), ("assessment", id); "new-…" for new
    dialog: QDialog
    contract: Editor  # the same object as ``dialog``, seen through the session's contract
    keeper: DraftKeeper | None
    child_id: str | None = None  # whose file shows what this editor changes
    restored: bool = False  # reopened with a kept draft (the status bar says so until saved)


class DeskSession(QObject):
    """One desk from unlock to lock or quit. Windows are created and destroyed on the GUI
    thread only; every editor is registered by the record it edits (one window per record)."""

    def __init__(
        self,
        app: QApplication,
        data_dir: Path,
        settings: UiSettings,
        runner: Runner,
        *,
        demo: bool = False,
        today: Any = date.today,
    ) -> None:
        super().__init__()
        self.app = app
        self.data_dir = data_dir
        self.settings = settings
        self.runner = runner
        self.demo = demo
        self.today = today
        self.throttle = UnlockThrottle()
        self.window: MainWindow | None = None
        self.desk: DeskServices | None = None
        self.store: CaseloadStore | None = None
        self._editors: dict[int, _Editor] = {}  # by registration token
        self._tokens = itertools.count(1)
        self._locking = False
        self._restored_until = 0.0  # when the status bar's 上次有…未保存 message ends
        # Quitting is explicit (the main window closed): locking hides every window, and Qt
        # must not take that for the end of the program.
        app.setQuitOnLastWindowClosed(False)
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.timeout.connect(self.lock)
        # a child of the session: deleting the session deletes it, and Qt takes a deleted
        # filter off the application (else every later event still ran through it)
        self._watcher = IdleWatcher(self.idle, self)
        app.installEventFilter(self._watcher)

    def last_activity(self) -> float:
        """When the user last did something (``time.monotonic()``)."""
        return self._watcher.last_activity

    @property
    def open_dialogs(self) -> list[QDialog]:
        return [editor.dialog for editor in self._editors.values()]

    # ----- opening ------------------------------------------------------------------------

    def start(self) -> bool:
        """Show first run or unlock; return False when the user gave up."""
        if VaultPaths(self.data_dir).exists():
            return self.ask_unlock()
        wizard = FirstRunWizard(self.data_dir, self.runner)
        if wizard.exec() != QDialog.DialogCode.Accepted or wizard.vault is None:
            if wizard.vault is not None:
                self.opened(wizard.vault)  # created: carry on even if the last page was skipped
                return True
            return False
        self.opened(wizard.vault)
        return True

    def ask_unlock(self) -> bool:
        dialog = UnlockDialog(self.data_dir, self.runner, self.throttle)
        if self.demo:
            dialog.setWindowTitle(
                dialog.windowTitle() + self.tr("（演示数据的密码：{0}）").format(DEMO_PASSWORD)
            )
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.vault is None:
            return False
        self.opened(dialog.vault)
        return True

    def opened(self, vault: Vault) -> None:
        """Build the services on the vault worker (they read the profile and the installed
        definitions), then the windows here."""
        self.runner.submit(
            lambda: DeskServices.for_vault(vault, self.runner, today=self.today),
            self._show_desk,
            self._open_failed,
        )

    def _open_failed(self, err: BaseException) -> None:
        show_error(None, err, self.tr("档案没有打开"))
        self.app.quit()

    def _show_desk(self, desk: DeskServices) -> None:
        store = CaseloadStore(desk.vault, self.runner)
        pages = build_pages(desk, store, self.settings)
        window = MainWindow(desk, store, pages, demo=self.demo)
        self.desk, self.store, self.window = desk, store, window
        self._wire(window, pages, desk, store)
        store.load()
        window.set_close_guard(self._may_quit)
        window.closed.connect(self._quit)
        self._restore_drafts(desk)
        window.show()
        self.idle.setInterval(self.settings.auto_lock_minutes * 60_000)
        self.idle.start()

    def _may_quit(self) -> bool:
        """Closing the main window asks each editor with unsaved input first."""
        for dialog in self.open_dialogs:
            dialog.raise_()
            if not dialog.close():
                return False
        return True

    def _quit(self) -> None:
        if self.store is not None:
            self.store.save_cache()  # next start opens from the cache
        self.app.quit()

    def _wire(
        self,
        window: MainWindow,
        pages: dict[str, QWidget],
        desk: DeskServices,
        store: CaseloadStore,
    ) -> None:
        from ui.views.cases_page import CasesPage
        from ui.views.reports_page import ReportsPage
        from ui.views.settings_page import SettingsPage
        from ui.views.sync_page import SyncPage
        from ui.views.todo_page import TodoPage

        children = pages["儿童档案"]
        assert isinstance(children, ChildrenPage)
        store.changed.connect(children.show_caseload)
        sync = pages.get("同步")
        if isinstance(sync, SyncPage):  # pulled records, resolved conflicts, new rules
            sync.data_changed.connect(store.refresh)  # definitions already re-read
        children.new_child.connect(lambda: self.open_child(None))
        from ui.views.screening_referrals import open_referrals_window  # 心理状况筛查 (issue 19)

        children.screening_requested.connect(lambda c, a: open_referrals_window(self, c, a))
        from ui.views.register_import_dialog import open_register_export, open_register_import

        def import_register() -> None:  # registered: the lock closes it like an editor
            if not self._bring_up(("register_import", "")):
                dialog = open_register_import(self.window, desk, self.runner, store.refresh)
                self._register(("register_import", ""), dialog, dialog)

        children.import_register.connect(import_register)
        children.export_rows.connect(
            lambda ids: open_register_export(self.window, desk, self.runner, ids)
        )
        window.lock_requested.connect(self.lock)
        # each signal connected once, here, to the page that has it
        for page in pages.values():
            if isinstance(page, ChildrenPage | TodoPage):
                page.open_child.connect(self.open_child)
            if isinstance(page, CasesPage):
                page.open_case.connect(self.open_case)
            if isinstance(page, TodoPage):
                page.open_case.connect(
                    lambda child, case, tab: self.open_case(child, case, tab=tab)
                )
            if isinstance(page, TodoPage):
                page.resume_assessment.connect(self.open_assessment)
                page.open_transition.connect(self.open_transition_plan)
                page.open_report.connect(self.open_report)
                page.new_report.connect(
                    lambda child, name, assessment: self.open_report(
                        child, name, "", assessment_id=assessment
                    )
                )
                page.open_application.connect(self.open_application)
                page.open_referrals.connect(lambda c, _r: open_referrals_window(self, c))
            if isinstance(page, ReportsPage):
                page.print_monthly.connect(self.print_monthly)
            if isinstance(page, SettingsPage):
                page.director_renamed.connect(self._renamed)
                page.text_scale_changed.connect(self.set_text_scale)
                page.auto_lock_changed.connect(self.set_auto_lock)

    def open_transition_plan(
        self,
        child_id: str,
        name: str,
        draft: dict[str, Any] | None = None,
        draft_id: str | None = None,
    ) -> None:
        """转衔计划 of a youth approaching 18 (from the 待办 list): an editor like the others,
        its unsaved input kept across a lock."""
        from ui.views.transition_plan_dialog import TransitionPlanDialog

        if self.desk is None:
            return
        if self._bring_up(("transition_plan", child_id)):
            return
        desk = self.desk
        dialog = TransitionPlanDialog(desk, child_id, name, self.window, draft=draft)
        keeper = DraftKeeper(desk.vault, self.runner, desk.author, dialog.unsaved_draft)
        if draft_id is not None:
            keeper.adopt(draft_id)
        editor = self._register(("transition_plan", child_id), dialog, dialog, keeper)
        editor.child_id = child_id
        dialog.edited.connect(keeper.poke)

        def saved(_stored: object) -> None:
            keeper.clear()
            self._settled(editor)
            if self.store is not None:
                self.store.refresh()

        dialog.saved.connect(saved)
        dialog.open()
        if draft is not None:
            keeper.poke()

    def _renamed(self, name: str) -> None:
        """设置 changed the director's name: the status bar shows it. (Records are signed with
        the name the services were built with, i.e. the new one from the next unlock.)"""
        if self.window is not None and self.desk is not None:
            self.window.show_director(name, self.desk.village_code)

    # ----- editors: one window per record ---------------------------------------------------

    def _editor(self, key: tuple[str, str]) -> _Editor | None:
        return next((e for e in self._editors.values() if e.key == key), None)

    def _bring_up(self, key: tuple[str, str]) -> bool:
        editor = self._editor(key)
        if editor is None:
            return False
        if editor.dialog.isMinimized():
            editor.dialog.showNormal()
        editor.dialog.raise_()
        editor.dialog.activateWindow()
        return True

    def _register(
        self,
        key: tuple[str, str],
        dialog: QDialog,
        contract: Editor,
        keeper: DraftKeeper | None = None,
    ) -> _Editor:
        """However the editor goes (its buttons, Esc, the title bar's ×, a lock), Qt deletes
        it on the GUI thread once closed, and the registry forgets it then. ``contract`` is
        ``dialog`` itself, typed as what the session asks of every editor."""
        token = next(self._tokens)
        editor = _Editor(key, dialog, contract, keeper)
        self._editors[token] = editor
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.destroyed.connect(lambda *_args: self._gone(token))
        return editor

    def _gone(self, token: int) -> None:
        """Closed by the user (saved, or unsaved input thrown away after asking): its draft
        goes too. (A lock empties the registry first and keeps the drafts.) An assessment or
        a case closed: the child's open file shows what changed."""
        editor = self._editors.pop(token, None)
        if editor is None:
            return
        self._settled(editor)
        if editor.keeper is not None:
            editor.keeper.clear()
        if editor.key[0] != "child" and editor.child_id:
            child = self._editor(("child", editor.child_id))
            if child is not None:
                child.contract.reload()

    def _open_from_child(self, kind: str, child_id: str, record_id: str) -> None:
        if kind == "assessment":
            self.open_assessment(child_id, record_id)
        elif kind == "case":
            self.open_case(child_id, record_id)

    def _open_workflow_from_child(
        self, kind: str, child_id: str, name: str, record_id: str
    ) -> None:
        if kind == "report":
            self.open_report(child_id, name, record_id)
        elif kind == "application":
            self.open_application(child_id, name, record_id)

    def open_report(
        self,
        child_id: str,
        name: str,
        report_id: str,
        *,
        case_id: str = "",
        assessment_id: str = "",
        draft: dict[str, Any] | None = None,
        draft_id: str | None = None,
    ) -> None:
        """强制报告: a new one (``report_id`` "", from the child's file, a case or an
        assessment), or a filed one; its unsaved input is kept across an auto-lock."""
        from ui.views.mandatory_report_dialog import MandatoryReportDialog

        if self.desk is None:
            return
        if report_id and self._bring_up(("report", report_id)):
            return
        desk = self.desk
        dialog = MandatoryReportDialog(
            desk,
            child_id,
            name,
            case_id=case_id or None,
            assessment_id=assessment_id or None,
            report_id=report_id or None,
            parent=self.window,
            draft=draft,
        )
        keeper = DraftKeeper(desk.vault, self.runner, desk.author, dialog.unsaved_draft)
        if draft_id is not None:
            keeper.adopt(draft_id)
        editor = self._register(
            ("report", report_id or f"new-{id(dialog)}"), dialog, dialog, keeper
        )
        editor.child_id = child_id
        dialog.edited.connect(keeper.poke)

        def saved() -> None:
            if dialog.report_id is not None:
                editor.key = ("report", dialog.report_id)  # a new report got its id
            if dialog.unsaved_draft() is None:
                keeper.clear()
                self._settled(editor)
            if self.store is not None:
                self.store.refresh()
            self._reload_child(child_id)

        dialog.saved.connect(saved)
        dialog.show()
        if draft is not None:
            keeper.poke()

    def open_application(self, child_id: str, name: str, application_id: str) -> None:
        """事实无人抚养儿童认定申请: a new one (``application_id`` "") or one made before. Its
        input is written to the vault as it goes (nothing to keep across a lock)."""
        from ui.views.recognition_application_dialog import RecognitionApplicationDialog

        if self.desk is None:
            return
        if application_id and self._bring_up(("application", application_id)):
            return
        dialog = RecognitionApplicationDialog(
            self.desk, child_id, name, application_id=application_id or None, parent=self.window
        )
        editor = self._register(
            ("application", application_id or f"new-{id(dialog)}"),
            dialog,
            _SavedAsItGoes(dialog),
        )
        editor.child_id = child_id

        def saved() -> None:
            if dialog.application_id is not None:
                editor.key = ("application", dialog.application_id)
            if self.store is not None:
                self.store.refresh()
            self._reload_child(child_id)

        dialog.saved.connect(saved)
        dialog.show()

    def _reload_child(self, child_id: str) -> None:
        """The child's open file shows what a report or application changed."""
        child = self._editor(("child", child_id))
        if child is not None:
            child.contract.reload()

    def open_child(
        self,
        child_id: str | None,
        draft: dict[str, Any] | None = None,
        draft_id: str | None = None,
        draft_base: int | None = None,
        visit_draft: dict[str, Any] | None = None,
    ) -> None:
        """A child's file (``None``: a new one); ``draft``: its form's input kept across a
        lock, ``visit_draft``: a visit typed in its 走访记录 window then, reopened over it."""
        from ui.views.child_file_dialog import ChildFileDialog

        if self.desk is None or self.store is None:
            return
        if child_id and self._bring_up(("child", child_id)):
            return
        desk = self.desk
        dialog = ChildFileDialog(
            desk, child_id, self.window, draft=draft, draft_base_revision=draft_base
        )

        keeper = DraftKeeper(desk.vault, self.runner, desk.author, dialog.unsaved_draft)
        if draft_id is not None:
            keeper.adopt(draft_id)
        editor = self._register(("child", child_id or f"new-{id(dialog)}"), dialog, dialog, keeper)
        dialog.open_editor = self._open_from_child
        dialog.open_workflow = self._open_workflow_from_child
        dialog.form.edited.connect(keeper.poke)
        dialog.guardians.edited.connect(keeper.poke)

        def keep() -> None:
            """A visit typed, saved or closed over the file: the draft follows (a lock keeps
            its own, final one)."""
            if self._locking:
                return
            if dialog.unsaved_draft() is None:
                keeper.clear()
                self._settled(editor)
            else:
                keeper.poke()

        dialog.visit_draft_changed = keep

        def saved(record_id: str) -> None:
            editor.key = ("child", record_id)  # a new file got its id
            keep()  # the file saved, or a visit (the file's own unsaved edits are kept)
            if self.store is not None:
                self.store.refresh()

        dialog.child_saved.connect(saved)
        dialog.show()
        if visit_draft is not None:
            dialog.restore_visit(visit_draft)
        if draft is not None or visit_draft is not None:
            keeper.poke()  # keep the restored input until it is saved or thrown away

    def open_case(
        self,
        child_id: str,
        case_id: str,
        draft: dict[str, Any] | None = None,
        draft_id: str | None = None,
        *,
        tab: str = "",
    ) -> None:
        """``tab``: the tab to open on (CaseDialog's ``tab``), e.g. 帮扶方案 from a 待办 line
        about an overdue 措施."""
        from ui.views.case_dialog import CaseDialog

        if self.desk is None:
            return
        if case_id and self._bring_up(("case", case_id)):
            return
        desk = self.desk
        dialog = CaseDialog(desk, child_id, case_id or None, self.window, draft=draft, tab=tab)
        keeper = DraftKeeper(desk.vault, self.runner, desk.author, dialog.unsaved_draft)
        if draft_id is not None:
            keeper.adopt(draft_id)
        editor = self._register(("case", case_id or f"new-{id(dialog)}"), dialog, dialog, keeper)
        editor.child_id = child_id
        dialog.edited.connect(keeper.poke)

        def changed() -> None:
            if dialog.record_id is not None:
                editor.key = ("case", dialog.record_id)  # a new case got its id
            if dialog.unsaved_draft() is None:
                keeper.clear()  # saved: nothing left to keep
                self._settled(editor)
            if self.store is not None:
                self.store.refresh()

        dialog.case_changed.connect(changed)
        dialog.show()

    def open_assessment(self, child_id: str, assessment_id: str) -> None:
        from ui.views.assessment_wizard import AssessmentWizard

        if self.desk is None:
            return
        if assessment_id and self._bring_up(("assessment", assessment_id)):
            return
        wizard = AssessmentWizard(self.desk, child_id, assessment_id or None, self.window)
        wizard.open_report = self.open_report  # 填写强制报告 from the result: kept across a lock
        wizard.assessment_finished.connect(lambda _r: self.store.refresh() if self.store else None)
        self._register(
            ("assessment", assessment_id or f"new-{id(wizard)}"), wizard, wizard
        ).child_id = child_id
        wizard.show()

    def print_monthly(self, month: str) -> None:
        from app.printing import monthly_report_pdf
        from app.services.monthly_report import ReportMonth
        from ui.views.print_preview import preview_pdf

        if self.desk is None:
            return
        vault, today, schedule = self.desk.vault, self.desk.today(), self.desk.schedule
        preview_pdf(
            self.runner,
            lambda: monthly_report_pdf(
                vault, ReportMonth.parse(month), today=today, schedule=schedule
            ),
            "月度工作报表",
            f"月度工作报表-{month}.pdf",
            self.window,
        )

    # ----- settings -------------------------------------------------------------------------

    def set_text_scale(self, scale: float) -> None:
        self.settings.text_scale = scale
        family = str(self.app.property("childdesk_font_family") or "") or None
        apply_text_scale(self.app, scale, family)

    def set_auto_lock(self, minutes: int) -> None:
        self.settings.auto_lock_minutes = minutes
        self.idle.setInterval(minutes * 60_000)
        self.idle.start()

    # ----- locking ---------------------------------------------------------------------------

    def lock(self) -> None:
        """Drop decrypted data: keep unsaved input as encrypted drafts, close every window
        (without questions: nothing is lost), lock the vault, ask for the password again."""
        if self.desk is None or self._locking:
            return
        self._locking = True
        self.idle.stop()
        desk, store = self.desk, self.store
        writes = []
        for editor in self._editors.values():
            payload = editor.contract.unsaved_draft()
            if editor.keeper is not None and payload is not None:
                writes.append(editor.keeper.final_write(payload))
            editor.contract.discard_changes()  # kept as a draft: closing asks nothing
        if store is not None:
            store.save_cache()
        self._close_all_windows()

        vault = desk.vault

        def save_and_lock() -> None:
            for write in writes:
                write()
            vault.lock()

        self.runner.submit(save_and_lock, None, lambda err: show_error(None, err))
        self.window = self.desk = self.store = None
        QTimer.singleShot(0, self._after_lock)

    def _close_all_windows(self) -> None:
        """Every window of this desk, message boxes and nested dialogs included, ended without
        asking; modal ones with done() so their event loops unwind before they go."""
        self._editors.clear()
        for widget in QApplication.topLevelWidgets():
            if not widget.isVisible() and not isinstance(widget, MainWindow):
                continue
            if isinstance(widget, QDialog):
                QDialog.done(widget, QDialog.DialogCode.Rejected)
            else:
                widget.hide()
            widget.deleteLater()

    def _after_lock(self) -> None:
        self._locking = False
        if not self.ask_unlock():
            self.app.quit()

    def _restore_drafts(self, desk: DeskServices) -> None:
        """Input not saved when the program last stopped (lock, crash, power cut) is offered
        back: each editor reopens with it, and says so."""

        def reopen(drafts: list[tuple[str, dict[str, Any]]]) -> None:
            reopened = 0
            before = set(self._editors)
            for record_id, draft in drafts:
                data, visit = draft.get("data"), draft.get("visit")
                if draft.get("kind") == "child" and (
                    isinstance(data, dict) or isinstance(visit, dict)
                ):
                    self.open_child(
                        draft.get("child_id"),
                        draft=data if isinstance(data, dict) else None,
                        draft_id=record_id,
                        draft_base=draft.get("base_revision"),
                        visit_draft=visit if isinstance(visit, dict) else None,
                    )
                    reopened += 1
                elif draft.get("kind") == "mandatory_report" and isinstance(
                    draft.get("child_id"), str
                ):
                    self.open_report(
                        draft["child_id"],
                        str(draft.get("child_name") or ""),
                        str(draft.get("report_id") or ""),
                        case_id=str(draft.get("case_id") or ""),
                        assessment_id=str(draft.get("assessment_id") or ""),
                        draft=draft,
                        draft_id=record_id,
                    )
                    reopened += 1
                elif draft.get("kind") == "case" and isinstance(draft.get("child_id"), str):
                    self.open_case(
                        draft["child_id"],
                        str(draft.get("case_id") or ""),
                        draft=draft,
                        draft_id=record_id,
                    )
                    reopened += 1
                elif draft.get("kind") == "transition_plan" and isinstance(
                    draft.get("child_id"), str
                ):
                    self.open_transition_plan(
                        draft["child_id"],
                        str(draft.get("child_name") or ""),
                        draft=draft,
                        draft_id=record_id,
                    )
                    reopened += 1
            if reopened and self.window is not None:
                for token in set(self._editors) - before:
                    self._editors[token].restored = True
                self._restored_until = time.monotonic() + RESTORED_MESSAGE_MS / 1000
                self._say_restored()

        self.runner.submit(
            lambda: take_drafts(desk.vault), reopen, lambda err: show_error(self.window, err)
        )

    def _say_restored(self) -> None:
        """The status bar says how many reopened editors still hold kept input (for what is
        left of its time); nothing once each is saved or closed."""
        if self.window is None or not shiboken6.isValid(self.window):
            return  # locked, or the program ending (the main window went first)
        bar = self.window.statusBar()
        left = sum(1 for e in self._editors.values() if e.restored)
        remaining = int((self._restored_until - time.monotonic()) * 1000)
        if left and remaining > 0:
            bar.showMessage(
                self.tr("上次有 {0} 处未保存的内容，已重新打开，请检查后保存。").format(left),
                remaining,
            )
        elif bar.currentMessage().startswith(self.tr("上次有")):
            bar.clearMessage()

    def _settled(self, editor: _Editor) -> None:
        """A reopened editor saved its kept input (or was closed): the status bar no longer
        asks to check it."""
        if editor.restored:
            editor.restored = False
            self._say_restored()


def _demo_vault(folder: Path) -> Vault:
    """Vault work: runs on the worker while the window says 正在准备演示数据."""
    from app.demo_caseload import fill_vault

    vault = Vault.create(
        folder, DEMO_PASSWORD, director_name="演示主任", village_code="500119104201"
    ).vault
    fill_vault(
        vault,
        children=DEMO_CHILDREN,
        seed=2026,
        village_code="500119104201",
        today=date.today(),
        author="演示主任",
        programme=True,  # activities, transition plans, a typical case (issue 19)
    )
    return vault


def _start_demo(session: DeskSession, folder: Path) -> QWidget:
    """The demo vault is made on the vault worker; a small window shows meanwhile."""
    from PySide6.QtWidgets import QLabel

    waiting = QLabel(session.tr("正在准备演示数据（{0} 名虚构儿童）…").format(DEMO_CHILDREN))
    waiting.setWindowTitle(session.tr("儿童主任工作台（演示数据）"))
    waiting.setObjectName("demo_waiting")
    waiting.setMargin(40)
    waiting.show()

    def ready(vault: Vault) -> None:
        waiting.close()
        session.opened(vault)

    def failed(err: BaseException) -> None:
        waiting.close()
        show_error(None, err, session.tr("演示数据没有准备好"))
        session.app.quit()

    session.runner.submit(lambda: _demo_vault(folder), ready, failed)
    return waiting


def _background_error(err: BaseException) -> None:
    """Failures no screen asked to hear about. A locked vault is expected after a lock (a
    page's refresh that was still queued): nothing to say."""
    if not isinstance(err, VaultLockedError):
        show_error(None, err)


def run_gui(args: argparse.Namespace) -> int:
    settings = UiSettings()
    app = create_application(settings)
    collector = GuiThreadCollector()  # Qt objects are freed on the GUI thread only
    runner = VaultRunner(default_on_error=_background_error)
    if os.environ.get("CHILDDESK_STRICT_THREADS") == "1":
        enforce_vault_thread(runner)
    session: DeskSession | None = None
    try:
        if args.demo:
            with tempfile.TemporaryDirectory(prefix="childdesk-demo-") as tmp:
                session = DeskSession(app, Path(tmp) / "vault", settings, runner, demo=True)
                collector.set_quiet_since(session.last_activity)
                waiting = _start_demo(session, Path(tmp) / "vault")
                code = app.exec()
                del waiting
                _lock_on_worker(session, runner)
                runner.shutdown()  # before the folder goes
                return code
        session = DeskSession(app, resolve_data_dir(args.data_dir), settings, runner)
        collector.set_quiet_since(session.last_activity)
        if not session.start():
            return 0
        code = app.exec()
        _lock_on_worker(session, runner)
        return code
    finally:
        runner.shutdown()
        # An orderly end: every window and the session deleted here, while the application
        # still exists, rather than by the interpreter's exit in whatever order it picks.
        _delete_windows()
        if session is not None:
            session.deleteLater()
            del session
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        collector.stop()


def _delete_windows() -> None:
    for widget in QApplication.topLevelWidgets():
        widget.hide()
        widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _lock_on_worker(session: DeskSession, runner: VaultRunner) -> None:
    """Quitting: the vault is locked by its own worker, after everything queued before."""
    if session.desk is not None:
        runner.submit(session.desk.vault.lock)
