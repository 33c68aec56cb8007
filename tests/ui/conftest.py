"""GUI tests: offscreen Qt (pytest-qt's session QApplication), a fresh vault per test, and an
inline runner so background tasks run deterministically. A test that asks for ``demo_desk``
gets a copy of a vault filled with the demo caseload once per session (tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from storage.vault import CreatedVault, Vault
from tests.conftest import DIRECTOR, VILLAGE, Filler, VaultCopies
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.tasks import InlineRunner

if TYPE_CHECKING:
    from ui.gui import DeskSession

TODAY = date(2026, 11, 22)


def fixed_today() -> date:
    return TODAY


def _fill_demo(vault: Vault) -> None:
    """40 demo children, as ``demo_desk`` promises (the author is the profile's name, as the
    desk's)."""
    from app.demo_caseload import fill_vault

    fill_vault(vault, children=40, seed=7, village_code=VILLAGE, today=TODAY, author=DIRECTOR)


DEMO: Filler = ("demo-40-seed-7", _fill_demo)


@pytest.fixture
def created(
    vault_dir: Path, vault_copies: VaultCopies, request: pytest.FixtureRequest
) -> Iterator[CreatedVault]:
    """tests/conftest.py's, but already holding the demo caseload when the test uses
    ``demo_desk`` (so it is filled once per session, not per test)."""
    demo = "demo_desk" in request.fixturenames
    created = vault_copies.open(vault_dir, fill=DEMO if demo else None)
    yield created
    created.vault.lock()


def _delete_closed_widgets() -> None:
    """Carry out pending ``deleteLater()`` calls, as the event loop would on its next turn.
    ``processEvents()`` leaves them pending, so windows a test closed would otherwise pile up
    for the rest of the session (thousands of widgets), and every later change of the
    application's font or style sheet would repolish them all (seconds per call)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def end_session(session: DeskSession) -> None:
    """At a test's end, what quitting does (ui.gui.main): the session's windows hidden and
    deleted, then the session (its idle filter on the application with it). A session left
    to the garbage collector kept its main window, seven pages and open editors alive (~600
    widgets each) for tests to come — every change of the text size repolished them all —
    and its filter saw every event of every later test."""
    from PySide6.QtWidgets import QDialog

    for dialog in session.open_dialogs:
        QDialog.done(dialog, QDialog.DialogCode.Rejected)  # no questions, as a lock does
        dialog.deleteLater()
    if session.window is not None:
        session.window.hide()
        session.window.deleteLater()
    session.idle.stop()
    session.deleteLater()
    _delete_closed_widgets()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield
    _delete_closed_widgets()  # before the fixtures' teardown (which may rescale the text)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield
    _delete_closed_widgets()


@pytest.fixture
def runner() -> InlineRunner:
    return InlineRunner()


@pytest.fixture
def desk(vault: Vault, runner: InlineRunner, qapp: object) -> Iterator[DeskServices]:
    yield DeskServices.for_vault(vault, runner, today=fixed_today)


@pytest.fixture
def store(desk: DeskServices) -> CaseloadStore:
    return CaseloadStore(desk.vault, desk.runner)


@pytest.fixture
def demo_desk(desk: DeskServices) -> DeskServices:
    """The desk over a vault holding 40 demo children."""
    if not desk.vault.load("child").revisions:  # a vault that did not come filled
        assert desk.author == DIRECTOR
        _fill_demo(desk.vault)
    return desk
