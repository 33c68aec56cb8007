"""Who brings the console's query tables up to the records (query_tables.catch_up), now that
ingest only marks the children it touched as pending (``q_pending``):

- the server, in the background (:class:`BackgroundCatchUp`, one thread per server process):
  once ingest has been idle for ``idle_s`` (no batch in hand or stored by this process and no
  child marked by any for that long), and even under
  continuous load once the oldest pending mark is older than ``max_lag_s`` — so the console
  never falls far behind; it also looks every ``poll_s`` for marks another process left (a
  correction from the command line, a server killed after its commit and started again);
- every console page before it reads (``web.CatchUpFirst`` calls :func:`catch_up_for_reading`;
  read-your-writes: a page never
  shows tables behind the records), applying at most ``inline_children`` children itself; when
  more are pending the page says so (``数据更新中：另有 N 名儿童的变更正在汇总``) and the background
  catch-up goes on;
- ``childdesk-district reindex`` (a rebuild) leaves nothing pending.

Settings (environment of ``serve``): ``CHILDDESK_CATCH_UP_IDLE_S`` (default 2 s),
``CHILDDESK_CATCH_UP_MAX_LAG_S`` (30 s), ``CHILDDESK_CONSOLE_CATCH_UP_CHILDREN`` (2,000).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from pathlib import Path

from sqlalchemy import Engine, event

from sync.server.console import query_tables

log = logging.getLogger("childdesk.district.console")

IDLE_S = 2.0
GROUP = 1000  # children per background transaction: ingest waits at most one group
MAX_LAG_S = 30.0
POLL_S = 5.0
INLINE_CHILDREN = 2000
PENDING_STATE = "pending_children"  # request.state: children still pending after the catch-up


def _setting(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        log.warning("%s is not a number; using %s", name, default)
        return default
    return value if value >= 0 else default


def inline_children() -> int:
    return int(_setting("CHILDDESK_CONSOLE_CATCH_UP_CHILDREN", INLINE_CHILDREN))


def catch_up_for_reading(engine: Engine, limit: int | None = None) -> int:
    """Before a console page reads the query tables: apply what is pending, at most ``limit``
    children (default :func:`inline_children`); returns how many are still pending."""
    with engine.connect() as conn:
        if not query_tables.pending_count(conn):  # the usual case: one count, no lock
            return 0
    return query_tables.catch_up(engine, inline_children() if limit is None else limit).remaining


class BackgroundCatchUp:
    """A daemon thread applying pending children off the ingest's critical path (see the
    module's docstring). ``written()`` is called after every stored group."""

    def __init__(
        self,
        engine: Engine,
        *,
        idle_s: float | None = None,
        max_lag_s: float | None = None,
        poll_s: float = POLL_S,
    ) -> None:
        self.engine = weakref.ref(engine)  # the thread ends when the engine is gone
        self.idle_s = _setting("CHILDDESK_CATCH_UP_IDLE_S", IDLE_S) if idle_s is None else idle_s
        self.max_lag_s = (
            _setting("CHILDDESK_CATCH_UP_MAX_LAG_S", MAX_LAG_S) if max_lag_s is None else max_lag_s
        )
        self.poll_s = poll_s
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self.database = Path(database) if database and database != ":memory:" else None
        self.last_write = time.monotonic()
        self.next_look = self.last_write  # when to look at the marks while ingest goes on
        self.in_hand = 0  # batches this process is ingesting now
        self.guard = threading.Lock()
        self.applied = 0  # children applied by this thread (tests, logs)
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="console-catch-up", daemon=True)
        # an engine disposed of is a server shut down (or a test's district torn down): stop
        # rather than look at a database someone else may use next
        event.listen(engine, "engine_disposed", self._disposed)
        self.thread.start()

    def _disposed(self, _engine: Engine) -> None:
        self.stop()

    def receiving(self, step: int) -> None:
        """A batch entered (+1) or left (−1) this process's ingest — decrypted and checked
        before it waits for the writer: not idle while any is in hand."""
        with self.guard:
            self.in_hand += step
        self.last_write = time.monotonic()

    def written(self) -> None:
        """Ingest stored a group: the idle time starts again, and there is work."""
        self.last_write = time.monotonic()
        self.wake.set()

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                wait = self._step()
            except Exception as err:  # noqa: BLE001 - retried later; the pages catch up too
                log.warning("console catch-up failed: %s", type(err).__name__)
                wait = self.poll_s
            if wait is None:
                return
            if wait > 0:
                self.wake.wait(wait)
                self.wake.clear()

    def _step(self) -> float | None:
        """One look (and catch-up when due); returns how long to wait before the next, or
        None when the engine or its database file is gone."""
        engine = self.engine()
        if engine is None or (self.database is not None and not self.database.exists()):
            return None
        moment = time.monotonic()
        written_ago = 0.0 if self.in_hand else moment - self.last_write
        if written_ago < self.idle_s and moment < self.next_look:
            # this process is ingesting: no look at the database until it may be idle, or
            # until the lag bound is due a look (every poll_s)
            self.stopped.wait(min(self.idle_s - written_ago, self.next_look - moment) + 0.05)
            return 0
        self.next_look = moment + self.poll_s
        with engine.connect() as conn:
            span = query_tables.pending_span(conn)
        if span is None:
            return self.poll_s
        # idle: no group stored by this process, nor a mark made by any (the other server
        # processes ingest too), for idle_s
        now = time.time()
        written_ago = 0.0 if self.in_hand else time.monotonic() - self.last_write
        idle_for = min(written_ago, now - span[1] / 1000)
        lag = now - span[0] / 1000
        if idle_for < self.idle_s and lag < self.max_lag_s:
            # not woken by each group stored meanwhile: looked at again when it may be due
            self.stopped.wait(min(self.idle_s - idle_for, self.max_lag_s - lag) + 0.05)
            return 0
        started, began = self.last_write, now * 1000
        if idle_for >= self.idle_s:
            # stops between groups when ingest starts again here or in another process (and
            # comes back when idle)
            def busy() -> bool:
                if self.last_write != started or self.in_hand:
                    return True
                with engine.connect() as conn:
                    span = query_tables.pending_span(conn)
                return span is not None and span[1] > began

            result = query_tables.catch_up(engine, group=GROUP, should_stop=busy)
        else:  # behind by more than the bound: catch up under load too
            result = query_tables.catch_up(engine, group=GROUP)
        self.applied += result.applied
        return 0 if result.remaining and result.applied else self.poll_s
