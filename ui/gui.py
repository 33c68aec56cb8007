"""The desktop app's session: first run or unlock, the main window, auto-lock after idle time
(unsaved input kept encrypted as a draft), and the demo mode.

This is the composition root: it builds the services after unlock and hands each screen the
ones it needs.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from storage.paths import VaultPaths, resolve_data_dir
from storage.unlock_throttle import UnlockThrottle
from storage.vault import Vault
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.main_window import MainWindow
from ui.qt_app import create_application
from ui.tasks import Runner, VaultRunner
from ui.theme import apply_text_scale
from ui.ui_settings import UiSettings
from ui.views.children_page import ChildrenPage
from ui.views.first_run import FirstRunWizard
from ui.views.messages import show_error
from ui.views.unlock_dialog import UnlockDialog

log = logging.getLogger("childdesk.ui")
DRAFT_TYPE = "ui_draft"
DEMO_CHILDREN = 200


class IdleWatcher(QObject):
    """Restarts the auto-lock timer on every key press, click or mouse move."""

    _ACTIVITY = (
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
    )

    def __init__(self, timer: QTimer) -> None:
        super().__init__()
        self._timer = timer

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self._ACTIVITY and self._timer.isActive():
            self._timer.start()
        return False


def build_pages(
    desk: DeskServices, store: CaseloadStore, settings: UiSettings
) -> dict[str, QWidget]:
    """One page per navigation entry; each gets only the services it uses."""
    from ui.views.sync_page import SyncPage

    # the schedule in force is asked for each time (a sync can install the district's rules)
    pages: dict[str, QWidget] = {"儿童档案": ChildrenPage(lambda: desk.schedule, desk.today)}
    try:
        from ui.views.cases_page import CasesPage
        from ui.views.reports_page import ReportsPage
        from ui.views.settings_page import SettingsPage
        from ui.views.todo_page import TodoPage

        pages["待办"] = TodoPage(desk, store)
        pages["个案"] = CasesPage(desk, store)
        pages["报表"] = ReportsPage(desk, store)
        pages["设置"] = SettingsPage(desk, settings)
    except ImportError:  # pages still being built: keep the window usable
        from PySide6.QtWidgets import QLabel

        for name in ("待办", "个案", "报表", "设置"):
            pages.setdefault(name, QLabel(name))
    pages["同步"] = SyncPage(desk)
    return pages


class DeskSession(QObject):
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
        self.open_dialogs: list[Any] = []
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.timeout.connect(self.lock)
        self._watcher = IdleWatcher(self.idle)
        app.installEventFilter(self._watcher)

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
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.vault is None:
            return False
        self.opened(dialog.vault)
        return True

    def opened(self, vault: Vault) -> None:
        desk = DeskServices.for_vault(vault, self.runner, today=self.today)
        store = CaseloadStore(vault, self.runner)
        pages = build_pages(desk, store, self.settings)
        window = MainWindow(desk, store, pages, demo=self.demo)
        self.desk, self.store, self.window = desk, store, window
        self._wire(window, pages, desk, store)
        store.load()
        self.app.aboutToQuit.connect(store.save_cache)  # next start opens from the cache
        self._restore_drafts(desk)
        window.show()
        self.idle.setInterval(self.settings.auto_lock_minutes * 60_000)
        self.idle.start()

    def _wire(
        self,
        window: MainWindow,
        pages: dict[str, QWidget],
        desk: DeskServices,
        store: CaseloadStore,
    ) -> None:
        from ui.views.sync_page import SyncPage

        children = pages["儿童档案"]
        assert isinstance(children, ChildrenPage)
        store.changed.connect(children.show_caseload)
        sync = pages.get("同步")
        if isinstance(sync, SyncPage):  # pulled records, resolved conflicts, new rules
            sync.data_changed.connect(store.refresh)
        children.open_child.connect(self.open_child)
        children.new_child.connect(lambda: self.open_child(None))
        window.lock_requested.connect(self.lock)
        for page in pages.values():
            if hasattr(page, "open_child"):
                page.open_child.connect(self.open_child)
            if hasattr(page, "open_case"):
                page.open_case.connect(self.open_case)
            if hasattr(page, "text_scale_changed"):
                page.text_scale_changed.connect(self.set_text_scale)
            if hasattr(page, "auto_lock_changed"):
                page.auto_lock_changed.connect(self.set_auto_lock)
            if hasattr(page, "resume_assessment"):
                page.resume_assessment.connect(self.open_assessment)
            if hasattr(page, "print_monthly"):
                page.print_monthly.connect(self.print_monthly)

    def open_child(self, child_id: str | None, draft: dict[str, Any] | None = None) -> None:
        from ui.views.child_file_dialog import ChildFileDialog

        if self.desk is None or self.store is None:
            return
        dialog = ChildFileDialog(self.desk, child_id, self.window, draft=draft)
        dialog.child_saved.connect(lambda _cid: self.store.refresh() if self.store else None)
        self.open_dialogs.append(dialog)
        dialog.finished.connect(lambda _r: self._forget(dialog))
        dialog.show()

    def open_case(self, child_id: str, case_id: str) -> None:
        from ui.views.case_dialog import CaseDialog

        if self.desk is None:
            return
        dialog = CaseDialog(self.desk, child_id, case_id or None, self.window)
        dialog.case_changed.connect(lambda: self.store.refresh() if self.store else None)
        self.open_dialogs.append(dialog)
        dialog.finished.connect(lambda _r: self._forget(dialog))
        dialog.show()

    def open_assessment(self, child_id: str, assessment_id: str) -> None:
        from ui.views.assessment_wizard import AssessmentWizard

        if self.desk is None:
            return
        wizard = AssessmentWizard(self.desk, child_id, assessment_id or None, self.window)
        wizard.assessment_finished.connect(lambda _r: self.store.refresh() if self.store else None)
        self.open_dialogs.append(wizard)
        wizard.finished.connect(lambda _r: self._forget(wizard))
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

    def _forget(self, dialog: Any) -> None:
        if dialog in self.open_dialogs:
            self.open_dialogs.remove(dialog)

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
        """Drop decrypted data: keep unsaved input as encrypted drafts, close every window,
        lock the vault, ask for the password again."""
        if self.desk is None:
            return
        desk = self.desk
        drafts = []
        for dialog in list(self.open_dialogs):
            draft = dialog.draft() if hasattr(dialog, "draft") else None
            if draft is not None:
                drafts.append({"kind": "child", "child_id": dialog.child_id, "data": draft})
            if hasattr(dialog, "discard_changes"):
                dialog.discard_changes()
            dialog.close()
        self.open_dialogs.clear()
        if self.store is not None:
            self.store.save_cache()

        def save_and_lock() -> None:
            for draft in drafts:
                desk.vault.put(DRAFT_TYPE, draft, author=desk.author)
            desk.vault.lock()

        self.runner.submit(save_and_lock, on_error=lambda err: show_error(None, err))
        if self.window is not None:
            self.window.set_close_guard(lambda: True)
            self.window.close()
            self.window.deleteLater()
        self.window = self.desk = self.store = None
        self.idle.stop()
        QTimer.singleShot(0, self._after_lock)

    def _after_lock(self) -> None:
        if not self.ask_unlock():
            self.app.quit()

    def _restore_drafts(self, desk: DeskServices) -> None:
        def take() -> list[dict[str, Any]]:
            found = desk.vault.load(DRAFT_TYPE).revisions
            for revision in found:
                desk.vault.delete(revision.record_id, author=desk.author)
            return [r.data for r in found]

        def reopen(drafts: list[dict[str, Any]]) -> None:
            for draft in drafts:
                if draft.get("kind") == "child":
                    self.open_child(draft.get("child_id"), draft=draft["data"])

        self.runner.submit(take, reopen, lambda err: show_error(self.window, err))


def _demo_vault(folder: Path) -> Vault:
    from app.demo_caseload import fill_vault

    password = secrets.token_urlsafe(24)  # never shown: the demo vault is thrown away
    vault = Vault.create(
        folder, password, director_name="演示主任", village_code="500119104201"
    ).vault
    fill_vault(
        vault,
        children=DEMO_CHILDREN,
        seed=2026,
        village_code="500119104201",
        today=date.today(),
        author="演示主任",
    )
    return vault


def run_gui(args: argparse.Namespace) -> int:
    settings = UiSettings()
    app = create_application(settings)
    runner = VaultRunner(default_on_error=lambda err: show_error(None, err))
    try:
        if args.demo:
            with tempfile.TemporaryDirectory(prefix="childdesk-demo-") as tmp:
                session = DeskSession(app, Path(tmp) / "vault", settings, runner, demo=True)
                session.opened(_demo_vault(Path(tmp) / "vault"))
                code = app.exec()
                if session.desk is not None:
                    session.desk.vault.lock()
                return code
        session = DeskSession(app, resolve_data_dir(args.data_dir), settings, runner)
        if not session.start():
            return 0
        return app.exec()
    finally:
        runner.shutdown()
