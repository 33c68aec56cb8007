"""The threading contract of docs/architecture.md, with the real threaded runner: Qt objects are
released on the GUI thread only, and in strict mode the vault refuses every other thread."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

import pytest
from PySide6.QtCore import QObject

from storage.thread_check import VaultThreadError, set_vault_thread_check
from storage.vault import Vault
from tests.conftest import VaultCopies
from ui.tasks import GuiThreadCollector, VaultRunner, enforce_vault_thread


class _Window(QObject):
    """Stands for a dialog: its bound methods are a task's callbacks."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[object] = []

    def loaded(self, value: object) -> None:
        self.results.append(value)


def test_the_last_reference_to_a_closed_window_is_dropped_on_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A dialog closed while its save is queued: the GUI side lets go once the result is
    delivered, and the worker holds the last references (the task's closure, the bound
    callbacks) until it takes the next task. Those must come back to the GUI thread to be
    released — the assessment wizard's 保存并关闭 crash. (The runner before this fix freed them
    on 'vault-worker'.)"""
    runner = VaultRunner(default_on_error=lambda err: None)
    freed_on: list[str] = []
    delivered: list[object] = []
    try:
        window = _Window()
        window.results = delivered
        weakref.finalize(window, lambda: freed_on.append(threading.current_thread().name))
        gate = threading.Event()
        runner.submit(lambda w=window: gate.wait(5) and len(w.results), window.loaded)
        del window  # the dialog is closed and forgotten while its task runs
        gate.set()
        qtbot.waitUntil(lambda: delivered != [], timeout=5000)  # its result came back
        done: list[bool] = []
        runner.submit(lambda: None, lambda _v: done.append(True))  # the worker moves on
        qtbot.waitUntil(lambda: done == [True], timeout=5000)
        qtbot.waitUntil(lambda: freed_on != [], timeout=5000)
        assert freed_on == [threading.main_thread().name]
    finally:
        runner.shutdown()


def test_a_failed_tasks_references_also_come_back(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = VaultRunner(default_on_error=lambda err: None)
    freed_on: list[str] = []
    errors: list[str] = []
    try:
        window = _Window()
        weakref.finalize(window, lambda: freed_on.append(threading.current_thread().name))

        def fail(w: _Window = window) -> None:
            raise ValueError(f"bad {id(w)}")  # the traceback's frames hold the window too

        runner.submit(fail, window.loaded, lambda err: errors.append(type(err).__name__))
        del window, fail
        qtbot.waitUntil(lambda: errors == ["ValueError"], timeout=5000)
        done: list[bool] = []
        runner.submit(lambda: None, lambda _v: done.append(True))
        qtbot.waitUntil(lambda: done == [True], timeout=5000)
        qtbot.waitUntil(lambda: freed_on != [], timeout=5000)
        assert freed_on == [threading.main_thread().name]
    finally:
        runner.shutdown()


def test_results_for_a_deleted_window_are_dropped(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = VaultRunner(default_on_error=lambda err: None)
    try:
        window = _Window()
        gate = threading.Event()
        runner.submit(lambda: gate.wait(5), window.loaded)
        window.deleteLater()
        qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(window), timeout=5000)
        gate.set()
        done: list[bool] = []
        runner.submit(lambda: None, lambda _v: done.append(True))
        qtbot.waitUntil(lambda: done == [True], timeout=5000)  # no RuntimeError on the way
    finally:
        runner.shutdown()


def test_cyclic_garbage_is_collected_on_the_gui_thread_only(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Python's collector runs on whichever thread allocates; a cycle holding a Qt object freed
    by the vault worker's allocations would destroy it there. The desktop app collects on a GUI
    timer instead."""
    collector = GuiThreadCollector(interval_ms=20)
    freed_on: list[str] = []
    try:
        assert not gc.isenabled()
        window = _Window()
        window.cycle = window  # type: ignore[attr-defined]
        weakref.finalize(window, lambda: freed_on.append(threading.current_thread().name))
        del window

        def allocate() -> None:  # what decrypting a caseload does to the allocation counts
            junk = [[i] for i in range(200_000)]
            del junk

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert freed_on == []  # the worker's allocations collected nothing
        qtbot.waitUntil(lambda: freed_on != [], timeout=5000)
        assert freed_on == [threading.main_thread().name]
    finally:
        collector.stop()
    assert gc.isenabled()


def test_strict_mode_refuses_the_vault_outside_its_worker(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, vault_copies: VaultCopies
) -> None:
    vault: Vault = vault_copies.open(tmp_path / "v").vault
    record = vault.put("child", {"name": "甲"}, author="王").record_id
    runner = VaultRunner(default_on_error=lambda err: None)
    net = VaultRunner(default_on_error=lambda err: None, name="network-worker")
    try:
        enforce_vault_thread(runner)
        with pytest.raises(VaultThreadError):
            vault.get(record)  # the Qt main thread
        refused: list[BaseException] = []
        net.submit(lambda: vault.get(record), None, refused.append)
        qtbot.waitUntil(lambda: refused != [], timeout=5000)
        assert isinstance(refused[0], VaultThreadError)
        read: list[str] = []
        runner.submit(lambda: vault.get(record).data["name"], read.append)
        qtbot.waitUntil(lambda: read == ["甲"], timeout=5000)
        runner.submit(vault.lock)
    finally:
        set_vault_thread_check(None)
        runner.shutdown()
        net.shutdown()
