"""An optional rule for which thread may use an unlocked vault.

The desktop app keeps all vault work on one serial worker (docs/architecture.md, "Threads").
With ``CHILDDESK_STRICT_THREADS=1`` (the end-to-end tests set it) the app installs a check here
and every vault operation from another thread — the Qt main thread, the network worker —
raises ``VaultThreadError`` instead of quietly waiting on the vault's lock. The command line
and the server install none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

_check: Callable[[], None] | None = None


class VaultThreadError(RuntimeError):
    """A bug: the vault was used from a thread that must not touch it."""


def set_vault_thread_check(check: Callable[[], None] | None) -> None:
    global _check
    _check = check


def only_thread(owner: threading.Thread) -> Callable[[], None]:
    """A check that lets only ``owner`` use the vault."""

    def check() -> None:
        current = threading.current_thread()
        if current is not owner:
            raise VaultThreadError(
                f"vault used from thread {current.name!r}; only {owner.name!r} may use it"
            )

    return check


class CheckedLock:
    """The vault's re-entrant lock; entering it runs the installed thread check first."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if _check is not None:
            _check()
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
