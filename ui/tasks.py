"""Background work with results delivered on the GUI thread.

All vault work goes through one serial worker thread (``VaultRunner``): writes stay ordered and
the window never freezes. ``InlineRunner`` runs tasks at once on the calling thread, for tests
(deterministic, like Picard's fake thread pool). Never touch widgets from a task.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

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
    """Lives on the GUI thread; signals emitted from the worker are queued to it."""

    finished = Signal(object, object, object)  # callback, value, is_error


class VaultRunner:
    def __init__(self, default_on_error: OnError) -> None:
        self._relay = _Relay()
        self._relay.finished.connect(self._deliver)
        self._default_on_error = default_on_error
        self._queue: queue.Queue[tuple[Callable[[], Any], OnDone | None, OnError | None] | None]
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="vault-worker", daemon=True)
        self._thread.start()

    def submit(
        self,
        task: Callable[[], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
    ) -> None:
        self._queue.put((task, on_done, on_error))

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            task, on_done, on_error = item
            try:
                value = task()
            except BaseException as err:  # noqa: BLE001 (delivered to the GUI thread)
                self._relay.finished.emit(on_error or self._default_on_error, err, True)
            else:
                if on_done is not None:
                    self._relay.finished.emit(on_done, value, False)

    @staticmethod
    def _deliver(callback: Callable[[Any], None], value: Any, _is_error: bool) -> None:
        callback(value)

    def shutdown(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)


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
