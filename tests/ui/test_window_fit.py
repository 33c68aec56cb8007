"""Every top-level window fits a laptop screen: 1366×768 with a taskbar, and 1280×720 whose
window manager reports no taskbar (room is left for one anyway), at the default and the
largest (特大) text. The frame (title bar included) is inside the usable area, every button is
on screen (inside its window and not clipped, or in a scroll area that is), and dates show
whole in date edits and list columns.

The offscreen platform has one 800×600 screen, so the laptop screens are simulated with
``ui.window_fit.simulated_screen``; each window is made inside it, as the real program makes
it on the real screen, and also fitted again to the other screen."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QWidget,
)

from ui import window_fit
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.theme import TEXT_SCALES, apply_text_scale, register_bundled_fonts
from ui.ui_settings import UiSettings
from ui.window_fit import FRAME_ALLOWANCE, simulated_screen, usable_area

SCREENS = {
    "1366x768 taskbar": (QRect(0, 0, 1366, 768), QRect(0, 0, 1366, 728)),
    "1280x720": (QRect(0, 0, 1280, 720), None),
}
LARGEST = max(TEXT_SCALES.values())
DATE_TEXT = re.compile(r"^(已逾期 )?\d{4}-\d{2}-\d{2}$")


@pytest.fixture(params=[1.0, LARGEST], ids=["default", "largest"])
def text_scale(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[float]:
    family = register_bundled_fonts()
    apply_text_scale(qapp, request.param, family)
    yield request.param
    apply_text_scale(qapp, 1.0, family)


# --- checks ----------------------------------------------------------------------------------


def _outer(window: QWidget) -> QRect:
    """The window with the frame a window manager adds (offscreen windows have none)."""
    frame = FRAME_ALLOWANCE
    return QRect(
        window.pos(),
        window.size().grownBy(frame),
    )


def _clipped(widget: QWidget, window: QWidget) -> str | None:
    """Why ``widget`` cannot be seen whole in ``window`` (None when it can). Inside a scroll
    area, the scroll area itself must be seen: the widget is reached by scrolling."""
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        grand = parent.parentWidget()
        if isinstance(grand, QAbstractScrollArea) and parent is grand.viewport():
            return _clipped(grand, window)
        seen = QRect(parent.mapTo(window, QPoint(0, 0)), parent.size())
        if not seen.contains(rect):
            return f"cut off by {type(parent).__name__} {parent.objectName()!r}"
        parent = grand
    if not window.rect().contains(rect):
        return f"at {rect.getRect()} outside the window {window.size().toTuple()}"
    return None


def _date_problems(window: QWidget) -> list[str]:
    """Dates cut short: in a date edit or date field (a line edit), or in a list column."""
    problems = []
    for edit in window.findChildren(QLineEdit):  # a QDateEdit's text is in its line edit too
        text = edit.text()
        if edit.isVisibleTo(window) and DATE_TEXT.match(text):
            need = edit.fontMetrics().horizontalAdvance(text) + 8  # frame and text margins
            if edit.width() < need:
                problems.append(f"date {text!r} cut short in {edit.parentWidget().objectName()!r}")
    for view in window.findChildren(QAbstractItemView):
        model = view.model()
        if not view.isVisibleTo(window) or model is None or not hasattr(view, "columnWidth"):
            continue
        metrics = view.fontMetrics()
        for column in range(model.columnCount() - 1):  # the last column stretches
            for row in range(min(model.rowCount(), 30)):
                text = model.data(model.index(row, column))
                if isinstance(text, str) and DATE_TEXT.match(text):
                    need = metrics.horizontalAdvance(text) + 8  # the cell's margins
                    if view.columnWidth(column) < need:
                        problems.append(f"{view.objectName()!r} column {column} cuts {text!r}")
                        break
    return problems


def check(window: QWidget, name: str, area: QRect) -> list[str]:
    """Everything wrong with ``window`` as shown now on a screen whose usable area is
    ``area``."""
    if window.windowState() & Qt.WindowState.WindowMaximized:
        # maximised it fills the available area; its normal size must fit too
        window.setWindowState(Qt.WindowState.WindowNoState)
    window.show()
    QApplication.processEvents()
    problems = []
    outer = _outer(window)
    if outer.width() > area.width() or outer.height() > area.height():
        problems.append(f"{name}: {outer.size().toTuple()} with its frame, screen {area.size()}")
    elif window.property("childdesk_preferred_size") is not None and not area.contains(outer):
        problems.append(f"{name}: at {outer.getRect()}, off the screen {area.getRect()}")
    for button in window.findChildren(QPushButton):
        if button.isVisibleTo(window):
            why = _clipped(button, window)
            if why:
                problems.append(f"{name}: button {button.text()!r} {why}")
    problems += [f"{name}: {p}" for p in _date_problems(window)]
    problems += [f"{name}: {p}" for p in _squeezed_texts(window)]
    return problems


def _squeezed_texts(window: QWidget) -> list[str]:
    """Wrapped texts given less height than their lines need at their width (drawn cut at
    the top and bottom: the export dialog's warning at 特大 once)."""
    problems = []
    for label in window.findChildren(QLabel):
        if label.isVisibleTo(window) and label.wordWrap() and label.text():
            need = label.heightForWidth(label.width())
            if label.height() < need:
                problems.append(f"text {label.text()[:16]!r} {label.height()} px of {need}")
    return problems


def walk(
    make: Callable[[], QWidget],
    states: Callable[[QWidget], Iterator[str]] | None = None,
) -> list[str]:
    """Make the window on each simulated screen, and check it in each of its states."""
    problems: list[str] = []
    for screen_name, (geometry, available) in SCREENS.items():
        with simulated_screen(geometry, available):
            area = usable_area()
            window = make()
            try:
                for state in states(window) if states else iter([""]):
                    name = f"{screen_name} {window.objectName()} {state}".strip()
                    problems += check(window, name, area)
            finally:
                window.close()
                window.deleteLater()
                QApplication.processEvents()
    return problems


def tabs(tab_widget: Callable[[QWidget], QTabWidget]) -> Callable[[QWidget], Iterator[str]]:
    def states(window: QWidget) -> Iterator[str]:
        widget = tab_widget(window)
        for index in range(widget.count()):
            widget.setCurrentIndex(index)
            yield widget.tabText(index)

    return states


# --- the windows -----------------------------------------------------------------------------


def test_main_window_and_every_page_fit(
    qtbot, demo_desk: DeskServices, store: CaseloadStore, tmp_path: Path, text_scale: float
) -> None:  # type: ignore[no-untyped-def]
    from ui.gui import build_pages
    from ui.main_window import NAV_ITEMS, MainWindow

    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))

    def make() -> QWidget:
        pages = build_pages(demo_desk, store, settings)
        window = MainWindow(demo_desk, store, pages, demo=True)
        store.changed.connect(pages["儿童档案"].show_caseload)  # type: ignore[attr-defined]
        store.load()
        assert window.windowState() & Qt.WindowState.WindowMaximized, "opens maximised"
        return window

    def pages(window: QWidget) -> Iterator[str]:
        for index, name in enumerate(NAV_ITEMS):
            window.nav.setCurrentRow(index)  # type: ignore[attr-defined]
            yield name

    problems = walk(make, pages)
    assert problems == [], "\n".join(problems)


def test_child_file_fits(qtbot, demo_desk: DeskServices, text_scale: float) -> None:  # type: ignore[no-untyped-def]
    from ui.views.child_file_dialog import ChildFileDialog

    children, _damaged = demo_desk.children.list_all()
    child_id = max(children, key=lambda c: len(c.value.guardians)).record_id
    problems = walk(
        lambda: ChildFileDialog(demo_desk, child_id),
        tabs(lambda w: w.tabs),  # type: ignore[attr-defined]
    )
    problems += walk(lambda: ChildFileDialog(demo_desk, None))  # 新建儿童档案
    assert problems == [], "\n".join(problems)


def test_assessment_fits(qtbot, demo_desk: DeskServices, text_scale: float) -> None:  # type: ignore[no-untyped-def]
    from ui.views.assessment_wizard import demo_assessment_wizard, demo_result_page

    def pages(window: QWidget) -> Iterator[str]:
        for index in range(window.page_list.count()):  # type: ignore[attr-defined]
            window.go_to_page(index)  # type: ignore[attr-defined]
            yield window.page_list.item(index).text()  # type: ignore[attr-defined]

    problems = walk(lambda: demo_assessment_wizard(demo_desk), pages)
    problems += walk(lambda: demo_result_page(demo_desk))
    assert problems == [], "\n".join(problems)


def test_case_dialog_fits(qtbot, demo_desk: DeskServices, text_scale: float) -> None:  # type: ignore[no-untyped-def]
    from ui.views.case_dialog import CaseDialog, demo_case_dialog

    children, _damaged = demo_desk.children.list_all()
    problems = walk(lambda: CaseDialog(demo_desk, children[0].record_id))  # 新建个案
    problems += walk(lambda: demo_case_dialog(demo_desk), tabs(lambda w: w.tabs))  # type: ignore[attr-defined]
    assert problems == [], "\n".join(problems)


def test_visit_and_guardian_dialogs_fit(qtbot, demo_desk: DeskServices, text_scale: float) -> None:  # type: ignore[no-untyped-def]
    from ui.views.guardians_tab import GuardianDialog
    from ui.views.visit_dialog import VisitDialog

    children, _damaged = demo_desk.children.list_all()
    problems = walk(lambda: VisitDialog(demo_desk, children[0].record_id, "red"))
    problems += walk(lambda: GuardianDialog(None))
    assert problems == [], "\n".join(problems)


def test_print_preview_fits(qtbot, demo_desk: DeskServices, text_scale: float) -> None:  # type: ignore[no-untyped-def]
    from app.printing import visit_record_pdf
    from ui.views.print_preview import PdfPreviewDialog

    visit = demo_desk.visits.list_all()[0]
    pdf = visit_record_pdf(demo_desk.vault, visit.record_id, printed_on=date(2026, 11, 22))
    problems = walk(lambda: PdfPreviewDialog(pdf, "入户走访记录表", "visit.pdf"))
    assert problems == [], "\n".join(problems)


def test_help_fits(qtbot, text_scale: float) -> None:  # type: ignore[no-untyped-def]
    from ui.views.help_dialog import HelpDialog

    problems = walk(lambda: HelpDialog())
    assert problems == [], "\n".join(problems)


def test_first_run_unlock_and_recovery_fit(qtbot, tmp_path: Path, text_scale: float) -> None:  # type: ignore[no-untyped-def]
    from storage.unlock_throttle import UnlockThrottle
    from ui.tasks import InlineRunner
    from ui.views.district_recovery import DEMO_PAGES, demo_district_recovery, demo_pending
    from ui.views.first_run import FirstRunWizard
    from ui.views.unlock_dialog import RecoveryDialog, UnlockDialog

    runner = InlineRunner()
    made: list[Path] = []

    def wizard() -> QWidget:
        folder = tmp_path / f"first{len(made)}"
        made.append(folder)
        return FirstRunWizard(folder, runner, kdf_target_ms=0)

    def wizard_pages(window: QWidget) -> Iterator[str]:
        yield "profile"
        window.profile.name.setText("王秀英")  # type: ignore[attr-defined]
        window.profile.village.setText("500119104201")  # type: ignore[attr-defined]
        window.next()  # type: ignore[attr-defined]
        window.password_page.password.setText("门前有棵老槐树2008")  # type: ignore[attr-defined]
        window.password_page.repeat.setText("门前有棵老槐树2008")  # type: ignore[attr-defined]
        yield "password"
        window.next()  # type: ignore[attr-defined]
        yield "recovery code"
        window.recovery_page.written.setChecked(True)  # type: ignore[attr-defined]
        window.next()  # type: ignore[attr-defined]
        yield "district"
        if window.vault is not None:  # type: ignore[attr-defined]
            window.vault.lock()  # type: ignore[attr-defined]

    problems = walk(wizard, wizard_pages)
    vault_dir = made[0]

    def unlock_pending() -> QWidget:
        dialog = UnlockDialog(vault_dir, runner, UnlockThrottle())
        dialog._show_pending(demo_pending())
        return dialog

    problems += walk(lambda: UnlockDialog(vault_dir, runner, UnlockThrottle()))
    problems += walk(unlock_pending)
    problems += walk(lambda: RecoveryDialog(vault_dir, runner))
    for page in DEMO_PAGES:
        problems += walk(lambda page=page: demo_district_recovery(vault_dir, runner, page))  # type: ignore[misc]
    assert problems == [], "\n".join(problems)


def test_children_list_dates_stay_whole_when_the_text_grows(
    qtbot, demo_desk: DeskServices, store: CaseloadStore, qapp: QApplication
) -> None:  # type: ignore[no-untyped-def]
    """设置 → 字体大小 → 特大 while the list is open: its date columns grow with the text."""
    from ui.views.children_page import ChildrenPage

    family = register_bundled_fonts()
    apply_text_scale(qapp, 1.0, family)
    page = ChildrenPage(lambda: demo_desk.schedule, demo_desk.today)
    qtbot.addWidget(page)
    store.changed.connect(page.show_caseload)
    store.load()
    page.resize(1300, 600)
    page.show()
    try:
        assert _date_problems(page) == []
        apply_text_scale(qapp, LARGEST, family)
        qtbot.wait(50)  # the page refits once its children have the new font
        assert _date_problems(page) == []
    finally:
        apply_text_scale(qapp, 1.0, family)


def test_fit_window_clamps_centres_and_leaves_room_for_a_taskbar(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = QWidget()
    qtbot.addWidget(window)
    with simulated_screen(QRect(0, 0, 1366, 768)):  # the window manager reports no taskbar
        size = window_fit.fit_window(window, 1180, 900)
        frame = FRAME_ALLOWANCE
        assert size.height() == 768 - window_fit.TASKBAR_ALLOWANCE - frame.top() - frame.bottom()
        assert size.width() == 1180
        assert window.pos() == QPoint((1366 - 1180 - frame.left() - frame.right()) // 2, 0)
    with simulated_screen(QRect(0, 0, 1366, 768), QRect(0, 0, 1366, 738)):  # a 30 px taskbar
        assert usable_area() == QRect(0, 0, 1366, 738)  # the taskbar it reports is kept free
        window_fit.fit_window(window, 600, 400)
        assert window.size().toTuple() == (600, 400)
        assert not window.windowState() & Qt.WindowState.WindowMaximized
    with simulated_screen(QRect(0, 0, 1920, 1080), QRect(0, 0, 1920, 1000)):
        assert usable_area() == QRect(0, 0, 1920, 1000)  # a tall taskbar is left as it is


def test_activity_transition_and_register_dialogs_fit(
    qtbot, demo_desk: DeskServices, tmp_path: Path, text_scale: float
) -> None:  # type: ignore[no-untyped-def]
    """The windows added with activities, the transition plan and the registers fit too."""
    from ui.views.activities_page import ActivityDialog
    from ui.views.register_import_dialog import RegisterImportDialog
    from ui.views.register_import_export import RegisterExportDialog
    from ui.views.transition_plan_dialog import TransitionPlanDialog

    children, _damaged = demo_desk.children.list_all()
    child = children[0]
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    problems = walk(lambda: ActivityDialog(demo_desk, None))
    problems += walk(lambda: TransitionPlanDialog(demo_desk, child.record_id, child.value.name))
    problems += walk(
        lambda: RegisterImportDialog(demo_desk.registers, demo_desk.runner, settings=settings)
    )
    problems += walk(
        lambda: RegisterExportDialog(
            demo_desk.children,
            demo_desk.runner,
            [c.record_id for c in children],
            settings=UiSettings(settings),
        )
    )
    assert problems == [], "\n".join(problems)
