"""GUI tests: offscreen Qt (pytest-qt's session QApplication), a fresh vault per test, and an
inline runner so background tasks run deterministically."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from storage.vault import Vault
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.tasks import InlineRunner

TODAY = date(2026, 11, 22)


def fixed_today() -> date:
    return TODAY


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
    from app.demo_caseload import fill_vault

    fill_vault(
        desk.vault,
        children=40,
        seed=7,
        village_code="500119104201",
        today=TODAY,
        author=desk.author,
    )
    return desk
