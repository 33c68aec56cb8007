"""Background work with results delivered on the GUI thread.

All vault work goes through one serial worker thread (``VaultRunner``): writes stay ordered and
the window never freezes. ``InlineRunner`` runs tasks at once on the calling thread, for tests
(deterministic, like Picard's fake thread pool). Never touch widgets from a task.

The lifetime rule (docs/architecture.md, "Threads"): a Qt object's Python wrapper must be
released on the GUI thread. A task is usually a closure over a dialog and its callbacks are the
dialog's bound methods, so once the dialog is closed the worker may hold the *last* reference.
Two things would then free it on the worker, where Qt objects must not be destroyed:
- the worker dropping its reference to the finished task: so the worker hands the task and
  both callbacks back to the GUI thread, under a lock, keeping no reference of its own;
- Python's cyclic garbage collector, which runs on whichever thread happens to allocate: so
  the desktop app turns automatic collection off and collects on the GUI thread on a timer
  (``GuiThreadCollector``, as Anki does).
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from storage.thread_check import only_thread, set_vault_thread_check

log = logging.getLogger("childdesk.ui")

OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]


class Runner(Protocol):
    def submit(
        self,
        task: Callable[[], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
    ) -> None: ...

    def shutdown(self) -> None: ...


class _Relay(QObject):
    """Lives on the GUI thread; the worker's 'something finished' is queued to it."""

    ready = Signal()


class VaultRunner:
    """One worker thread running tasks in order. ``name`` names the thread (the vault's
    worker is ``vault-worker``; the network worker has its own runner and name)."""

    def __init__(self, default_on_error: OnError, name: str = "vault-worker") -> None:
        self._relay = _Relay()
        self._relay.ready.connect(self._deliver)
        self._default_on_error = default_on_error
        self._queue: queue.Queue[list[Any] | None] = queue.Queue()
        # finished tasks waiting for the GUI thread: ([task, callbacks], (callback, value))
        self._done: deque[tuple[list[Any], tuple[Any, Any]]] = deque()
        self._done_lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread.start()

    def submit(
        self,
        task: Callable[[], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
    ) -> None:
        # a list, not a tuple: the worker empties it when it hands the references over
        self._queue.put([task, on_done, on_error])

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self._run(item)
            self._relay.ready.emit()

    def _run(self, item: list[Any]) -> None:
        try:
            value = item[0]()
        except BaseException as err:  # noqa: BLE001 (delivered to the GUI thread)
            outcome: tuple[Any, Any] = (item[2] or self._default_on_error, err)
        else:
            outcome = (item[1], value)
        # Hand everything over under the lock, so the GUI thread cannot take and release the
        # entry before this worker has dropped its own references.
        with self._done_lock:
            self._done.append((list(item), outcome))
            item.clear()
            del outcome
            value = None

    def _deliver(self) -> None:
        while True:
            with self._done_lock:
                if not self._done:
                    return
                entry = self._done.popleft()
            _item, (callback, value) = entry
            del entry
            if callback is not None and _receiver_alive(callback):
                callback(value)

    def stop_soon(self) -> None:
        """End the thread after the task it is running (if any), without waiting for it: for
        an owner being deleted on the GUI thread, which must not block on the network."""
        self._queue.put(None)

    def shutdown(self) -> None:
        if self.thread.is_alive():
            self._queue.put(None)
            self.thread.join(timeout=10)
        with self._done_lock:  # what finished last: released here, on the GUI thread, unheard
            finished = list(self._done)
            self._done.clear()
        del finished


def _receiver_alive(callback: Callable[[Any], None]) -> bool:
    """A result for a window that has been deleted meanwhile is dropped, not delivered."""
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


class InlineRunner:
    """Runs each task immediately on the caller's thread (tests)."""

    def __init__(self, default_on_error: OnError | None = None) -> None:
        self._default_on_error = default_on_error

    def submit(
        self,
        task: Callable[[], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
    ) -> None:
        try:
            value = task()
        except BaseException as err:
            handler = on_error or self._default_on_error
            if handler is None:
                raise
            handler(err)
            return
        if on_done is not None:
            on_done(value)

    def shutdown(self) -> None:
        pass


class GuiThreadCollector(QObject):
    """Python's cyclic garbage collection, only ever on the GUI thread.

    Automatic collection is turned off; a timer collects the young generation every tick (well
    under a millisecond), the middle one every tenth, and the old one when the interpreter
    would have (after ten middle collections) — but only in a quiet moment, two seconds after
    the last key press or click, since with 10,000 children in memory a full collection takes
    ~180 ms here (bench/gui.py `gc_full_ms`)."""

    QUIET_S = 2.0

    def __init__(self, interval_ms: int = 1000) -> None:
        super().__init__()
        self._old_threshold = gc.get_threshold()[2] if len(gc.get_threshold()) > 2 else 10
        self._ticks = 0
        self._last_activity: Callable[[], float] = lambda: 0.0
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(interval_ms)

    def set_quiet_since(self, last_activity: Callable[[], float]) -> None:
        """When the user last did something (``time.monotonic()``)."""
        self._last_activity = last_activity

    def collect_due(self) -> None:
        self._ticks += 1
        if self._ticks % 10:
            gc.collect(0)
            return
        quiet = time.monotonic() - self._last_activity() >= self.QUIET_S
        if gc.get_count()[2] >= self._old_threshold and quiet:
            gc.collect(2)
        else:
            gc.collect(1)

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()
        gc.enable()


def enforce_vault_thread(runner: VaultRunner) -> None:
    """Strict mode: any vault call from a thread other than the runner's raises."""
    set_vault_thread_check(only_thread(runner.thread))
