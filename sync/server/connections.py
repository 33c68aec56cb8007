"""Connection limits of the HTTP server (docs/district-server.md, "Connections").

uvicorn's HTTP/1.1 protocol (h11) counts every open connection against ``limit_concurrency``
and answers 503 once it is reached, however idle those connections are, and a connection that
never finishes its request headers is never closed. :class:`GuardedH11Protocol` adds:

- a header timeout: a connection must deliver a request's complete headers within
  ``header_timeout`` seconds of connecting or of its previous response (a slowloris client
  that trickles header lines is closed);
- a body timeout: a request body that stops arriving for ``body_timeout`` seconds is dropped;
- a per-source cap: at most ``per_source`` open connections from one address (connections from
  a trusted reverse proxy are exempt: the proxy enforces its own limits);
- idle connections give way: when ``max_connections`` connections are open, a new one makes
  the connection idle the longest (waiting for headers, or kept alive between requests) close,
  so idle sockets never make a real request get 503. Only when every connection is busy with a
  request does uvicorn answer 503.

The limits are per worker process (the kernel spreads connections over the workers).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("childdesk.district.connections")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(addresses: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks ("127.0.0.1", "10.0.0.0/8", "::1"); ValueError for anything else."""
    return tuple(ipaddress.ip_network(a.strip(), strict=False) for a in addresses)


def in_networks(host: str, networks: Iterable[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host.strip())
    except ValueError:
        return False
    return any(address in net for net in networks)


@dataclass(frozen=True)
class ConnectionSettings:
    max_connections: int = 1000
    per_source: int = 32
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    keep_alive_timeout: int = 5
    trusted_proxies: tuple[Network, ...] = field(default_factory=tuple)

    def uvicorn_options(self) -> dict[str, Any]:
        """The options every server of the district runs with (``serve`` and the tests)."""
        return {
            "http": guarded_protocol(self),
            "limit_concurrency": self.max_connections,
            "timeout_keep_alive": self.keep_alive_timeout,
            # Who the client is comes from the app (sync/server/app.py), which trusts
            # X-Forwarded-For only from the configured proxies; uvicorn's own handling
            # would trust 127.0.0.1 by default.
            "proxy_headers": False,
            "h11_max_incomplete_event_size": 16 * 1024,  # request line and headers
            "timeout_graceful_shutdown": 20,
        }


class _Guard:
    """The state shared by the connections of one worker process."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self.per_source: dict[str, int] = {}
        self.waiting: OrderedDict[int, GuardedH11Protocol] = OrderedDict()  # oldest first


class GuardedH11Protocol(H11Protocol):
    guard: _Guard

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._source: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._seen_cycle: object = None
        self._evicted = False

    # --- connection ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        guard = self.guard
        host = self.client[0] if self.client else ""
        if not in_networks(host, guard.settings.trusted_proxies):
            count = guard.per_source.get(host, 0)
            if count >= guard.settings.per_source:
                log.warning("too many connections from one source; connection closed")
                self._evicted = True
                self.connections.discard(self)
                transport.abort()
                return
            guard.per_source[host] = count + 1
            self._source = host
        # Make room: the connections idle the longest give way to the new one.
        limit = guard.settings.max_connections
        while len(self.connections) >= limit and guard.waiting:
            _key, victim = guard.waiting.popitem(last=False)
            victim._evict()
        self._wait_for_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        if self._source is not None:
            left = self.guard.per_source.get(self._source, 1) - 1
            if left > 0:
                self.guard.per_source[self._source] = left
            else:
                self.guard.per_source.pop(self._source, None)
            self._source = None
        super().connection_lost(exc)

    def _evict(self) -> None:
        self._evicted = True
        self._cancel_timer()
        self.connections.discard(self)  # counted out now; connection_lost follows
        if not self.transport.is_closing():
            self.transport.close()

    # --- timers -------------------------------------------------------------------------

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _wait_for_request(self) -> None:
        """Idle: waiting for the next request's headers, for at most the header timeout."""
        self._cancel_timer()
        if self._evicted or self.transport.is_closing():
            return
        self.guard.waiting[id(self)] = self
        self.guard.waiting.move_to_end(id(self))
        self._timer = self.loop.call_later(self.guard.settings.header_timeout, self._timed_out)

    def _stop_waiting(self) -> None:
        self._cancel_timer()
        self.guard.waiting.pop(id(self), None)

    def _body_timer(self) -> None:
        self._cancel_timer()
        self._timer = self.loop.call_later(self.guard.settings.body_timeout, self._timed_out)

    def _timed_out(self) -> None:
        self._timer = None
        self.guard.waiting.pop(id(self), None)
        if not self.transport.is_closing():
            self.transport.close()  # the app sees a disconnect if a request was under way

    def _after_events(self) -> None:
        cycle = self.cycle
        if cycle is not None and cycle is not self._seen_cycle:  # a request has begun
            self._seen_cycle = cycle
            self._stop_waiting()
        if cycle is not None and not cycle.response_complete:
            if cycle.more_body:
                self._body_timer()  # the body is still arriving
            else:
                self._cancel_timer()  # the app is working on it

    # --- h11 hooks ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._evicted:
            self._after_events()

    def on_response_complete(self) -> None:
        finished = self.cycle
        super().on_response_complete()
        if self._evicted or self.transport.is_closing():
            return
        if self.cycle is not finished:  # a pipelined request started
            self._after_events()
        else:
            self._wait_for_request()


def guarded_protocol(settings: ConnectionSettings) -> type[GuardedH11Protocol]:
    """A protocol class with its own guard state (one per worker process)."""

    class DistrictH11Protocol(GuardedH11Protocol):
        guard = _Guard(settings)

    return DistrictH11Protocol
