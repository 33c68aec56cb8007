"""A sync page's network worker ends with the page: at each lock the main window (and its sync
page) is deleted, and each unlock builds a new one — before, every unlock left one more idle
"network-worker" thread behind for the rest of the program's life."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QWidget

from ui.desk_services import DeskServices
from ui.sync_controller import SyncController


def _network_workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "network-worker" and t.is_alive()]


def test_the_network_worker_ends_when_its_window_is_deleted(desk: DeskServices) -> None:
    before = len(_network_workers())
    window = QWidget()
    controller = SyncController(desk.laptop_sync(), desk.runner, parent=window)
    worker = controller.net.thread  # type: ignore[attr-defined]
    assert worker.is_alive() and len(_network_workers()) == before + 1
    del controller
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    deadline = time.monotonic() + 5
    while worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not worker.is_alive(), "the network worker outlived its window"
    assert len(_network_workers()) == before


def test_a_controller_given_a_runner_leaves_it_running(desk: DeskServices) -> None:
    from ui.tasks import VaultRunner

    runner = VaultRunner(lambda err: None, name="borrowed-worker")
    try:
        window = QWidget()
        SyncController(desk.laptop_sync(), desk.runner, net=runner, parent=window)
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        time.sleep(0.1)
        assert runner.thread.is_alive()  # not the controller's to end
    finally:
        runner.shutdown()
