"""Running the HTTP server in several processes (``childdesk-district serve --workers N``).

Decrypting, verifying and parsing batches is pure CPU work that one Python process does on one
core; several processes share one listening socket (pre-fork, as gunicorn does) and the database
serialises their writes (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock). The operator's
passphrase is asked once, in the parent: the workers inherit the decrypted keys by ``fork``, so
no secret travels on a command line, in the environment or through a file. Each worker opens its
own database connections. A worker that dies is replaced; if workers keep dying, the server
stops with an error so the service manager can report it. Workers die with the parent, even
when it is killed with SIGKILL (Linux: PR_SET_PDEATHSIG; elsewhere a thread watches the parent),
so no orphan keeps the port.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

log = logging.getLogger("childdesk.district.workers")

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
RESTART_WINDOW_S = 60
MAX_RESTARTS = 5


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def can_fork() -> bool:
    return hasattr(os, "fork")


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything else starts (OSError if the address is in
    use or not ours: the caller reports it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Make this (worker) process get SIGTERM when ``parent`` ends, however it ends."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before prctl
                os.kill(os.getpid(), signal.SIGTERM)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(
    make_app: Callable[[], Any],
    *,
    workers: int,
    sock: socket.socket,
    **uvicorn_options: Any,
) -> int:
    """Serve on ``sock`` until SIGTERM/SIGINT; returns the exit code. ``make_app`` runs in each
    worker."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    if workers <= 1 or not can_fork():
        try:
            config = uvicorn.Config(make_app(), host=host, port=port, **uvicorn_options)
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            sock.close()
        return 0
    parent = os.getpid()
    children: dict[int, float] = {}  # pid → start time
    restarts: list[float] = []
    stopping = False

    def start_worker() -> None:
        # Signals wait until the worker has dropped the parent's handler (which it inherits).
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                for sig in STOP_SIGNALS:
                    signal.signal(sig, signal.SIG_DFL)  # uvicorn installs its own handlers
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
                die_with_parent(parent)
                config = uvicorn.Config(make_app(), host=host, port=port, **uvicorn_options)
                uvicorn.Server(config).run(sockets=[sock])
            except BaseException as err:  # noqa: BLE001 - a worker must never return to the parent's code
                log.error("worker failed: %s", type(err).__name__)
                code = 1
            finally:
                os._exit(code)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        children[pid] = time.monotonic()

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            _signal(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        for _ in range(workers):
            start_worker()
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            if pid not in children:
                continue
            del children[pid]
            if stopping:
                continue
            now = time.monotonic()
            restarts[:] = [t for t in restarts if now - t < RESTART_WINDOW_S] + [now]
            log.error("a worker stopped (status %d)", status)
            if len(restarts) > MAX_RESTARTS:
                log.error("workers keep stopping; shutting the server down")
                stop(signal.SIGTERM, None)
                _wait_all(children)
                return 1
            start_worker()
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _wait_all(children: dict[int, float]) -> None:
    while children:
        try:
            pid, _status = os.wait()
        except ChildProcessError:
            return
        children.pop(pid, None)
