"""Render every screen, with demo data, to PNG files (offscreen) — one file per screen with a
stable name, at the default text size and at the largest.

    python -m ui.screenshots --out DIR
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from app.demo_caseload import fill_vault
from storage.vault import Vault
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.gui import build_pages
from ui.main_window import MainWindow
from ui.qt_app import create_application
from ui.tasks import InlineRunner
from ui.theme import apply_text_scale
from ui.ui_settings import UiSettings

TODAY = date(2026, 11, 22)
PASSWORD = "screenshot-demo-phrase"  # noqa: S105 (a throwaway demo vault)


def _today() -> date:
    return TODAY


def _save(widget: QWidget, out: Path, name: str, size: tuple[int, int] | None = None) -> Path:
    if size:
        widget.resize(*size)
    widget.show()
    QApplication.processEvents()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    return path


def render_all(out: Path, tmp: Path, scale_suffix: str = "") -> list[Path]:
    from storage.unlock_throttle import UnlockThrottle
    from ui.views.child_file_dialog import ChildFileDialog
    from ui.views.district_recovery import DEMO_PAGES, demo_district_recovery, demo_pending
    from ui.views.first_run import FirstRunWizard
    from ui.views.unlock_dialog import RecoveryDialog, UnlockDialog
    from ui.views.visit_dialog import VisitDialog

    runner = InlineRunner()
    saved: list[Path] = []
    s = scale_suffix

    wizard = FirstRunWizard(tmp / f"first{s}", runner, kdf_target_ms=0)
    wizard.profile.name.setText("王秀英")
    wizard.profile.village.setText("500119104201")
    saved.append(_save(wizard, out, f"01_first_run_profile{s}"))
    wizard.next()
    wizard.password_page.password.setText("门前有棵老槐树2008")
    wizard.password_page.repeat.setText("门前有棵老槐树2008")
    saved.append(_save(wizard, out, f"02_first_run_password{s}"))
    wizard.next()
    saved.append(_save(wizard, out, f"03_first_run_recovery_code{s}"))
    if wizard.vault is not None:
        wizard.vault.lock()
    wizard.close()

    from sync.keys import KeyPair
    from sync.server import db
    from sync.server.district import District

    wizard = FirstRunWizard(tmp / f"enroll{s}", runner, kdf_target_ms=0)
    wizard.show()
    wizard.profile.name.setText("王秀英")
    wizard.profile.village.setText("500119104201")
    wizard.next()
    wizard.password_page.password.setText("门前有棵老槐树2008")
    wizard.password_page.repeat.setText("门前有棵老槐树2008")
    wizard.next()
    wizard.recovery_page.written.setChecked(True)
    wizard.next()
    form = wizard.district_page.form
    saved.append(_save(wizard, out, f"03b_first_run_district{s}"))
    form.server_field.setText("http://127.0.0.1:9")  # nothing listens: the unreachable message
    form.code_field.setText("K7QM-3XPA-K7QM-3XPA-K7QM")
    form.enroll_network()
    saved.append(_save(wizard, out, f"03c_first_run_district_error{s}"))
    keys = KeyPair.generate()
    district_engine = db.make_engine(f"sqlite:///{tmp / f'district{s}.db'}")
    db.migrate(district_engine)
    district = District(district_engine, keys.public, keys)
    stick = tmp / f"stick{s}"
    stick.mkdir()
    form.server_field.clear()
    form.drives.set_folder(stick)
    form.code_field.setText(district.create_enroll_code(["500119104201", "500119104202"], 3600))
    form.write_request()
    saved.append(_save(wizard, out, f"03d_first_run_district_usb_requested{s}"))
    request = next(stick.glob("*.cdenroll"))
    answer = stick / f"{request.stem}.cdenrolled"
    answer.write_bytes(district.enroll(request.read_bytes(), source="usb"))
    form.load_response(answer)
    saved.append(_save(wizard, out, f"03e_first_run_district_enrolled{s}"))
    district_engine.dispose()
    if wizard.vault is not None:
        wizard.vault.lock()
    wizard.close()

    unlock = UnlockDialog(tmp / f"first{s}", runner, UnlockThrottle())
    saved.append(_save(unlock, out, f"04_unlock{s}"))
    unlock.close()

    unlock = UnlockDialog(tmp / f"first{s}", runner, UnlockThrottle())
    unlock._show_pending(demo_pending())  # a recovery request waiting for the district
    saved.append(_save(unlock, out, f"04b_unlock_recovery_pending{s}"))
    unlock.close()
    forgot = RecoveryDialog(tmp / f"first{s}", runner)
    saved.append(_save(forgot, out, f"04c_recovery_code{s}"))
    forgot.close()
    for page in DEMO_PAGES:  # district-escrow recovery, page by page, with sample content
        dialog = demo_district_recovery(tmp / f"first{s}", runner, page)
        saved.append(_save(dialog, out, f"04d_district_recovery_{page}{s}"))
        dialog.close()

    vault = Vault.create(
        tmp / f"demo{s}",
        PASSWORD,
        director_name="王秀英",
        village_code="500119104201",
        kdf_target_ms=0,
    ).vault
    fill_vault(
        vault, children=60, seed=2026, village_code="500119104201", today=TODAY, author="王秀英"
    )
    desk = DeskServices.for_vault(vault, runner, today=_today)
    store = CaseloadStore(vault, runner)
    settings = UiSettings(QSettings(str(tmp / f"settings{s}.ini"), QSettings.Format.IniFormat))
    pages = build_pages(desk, store, settings)
    window = MainWindow(desk, store, pages, demo=True)
    children_page = pages["儿童档案"]
    store.changed.connect(children_page.show_caseload)  # type: ignore[attr-defined]
    store.load()
    shots = ("children", "todo", "cases", "activities", "sync", "reports", "settings")
    for index, name in enumerate(shots):  # in the order of ui/main_window.py NAV_ITEMS
        window.nav.setCurrentRow(index)
        saved.append(_save(window, out, f"{5 + index:02d}_main_{name}{s}", (1180, 760)))
    window.nav.setCurrentRow(0)

    caseload = store.caseload
    assert caseload is not None
    busy = max(
        caseload.summaries.values(),
        key=lambda c: (c.level == "red", c.open_case_stage is not None, c.last_visit or TODAY),
    )
    child_file = ChildFileDialog(desk, busy.child_id, window)
    for index, name in enumerate(
        ("basic", "guardians", "assessments", "visits", "cases", "attachments", "history")
    ):
        child_file.tabs.setCurrentIndex(index)
        saved.append(_save(child_file, out, f"{11 + index:02d}_child_{name}{s}", (1000, 720)))
    child_file.close()

    visit = VisitDialog(desk, busy.child_id, busy.level)
    saved.append(_save(visit, out, f"18_visit_record{s}"))
    visit.close()

    extra: list[tuple[str, Callable[[DeskServices], QWidget]]] = []
    try:
        from ui.views import assessment_wizard, case_dialog

        extra = [
            ("19_assessment_wizard", assessment_wizard.demo_assessment_wizard),
            ("20_assessment_result", assessment_wizard.demo_result_page),
            ("21_case", case_dialog.demo_case_dialog),
        ]
    except (ImportError, AttributeError) as err:
        print(f"(skipped assessment and case screens: {err})", file=sys.stderr)
    for name, factory in extra:
        widget = factory(desk)
        saved.append(_save(widget, out, f"{name}{s}", (960, 720)))
        widget.close()
    window.close()
    vault.lock()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render every screen to PNG (offscreen).")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    settings = UiSettings(QSettings(str(args.out / ".screenshots.ini"), QSettings.Format.IniFormat))
    app = create_application(settings)
    family = str(app.property("childdesk_font_family") or "") or None
    with tempfile.TemporaryDirectory(prefix="childdesk-shots-") as tmp:
        apply_text_scale(app, 1.0, family)
        saved = render_all(args.out, Path(tmp))
        apply_text_scale(app, 1.5, family)
        saved += render_all(args.out, Path(tmp), scale_suffix="_large_text")
    for path in saved:
        print(path)
    sys.stdout.flush()
    # Every PNG is written. Skip interpreter teardown: PySide6 can abort while garbage-collecting
    # the many short-lived screens of both passes in arbitrary order (seen as "shared QObject
    # was deleted directly"); the app itself never tears down this way.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
