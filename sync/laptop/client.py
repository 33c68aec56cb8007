"""The HTTP step: talking to the district server. Nothing here touches the vault, so the GUI
runs it on its network worker (docs/architecture.md, Threads)."""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.errors import RevokedError, SyncError
from sync.laptop.backoff import Backoff
from sync.laptop.errors import TransientError
from sync.laptop.state import PendingBatch

DEFAULT_ATTEMPTS = 4  # tries per request: the first and up to three retries

Progress = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


_SSL_CONTEXTS: dict[tuple[str, str], ssl.SSLContext] = {}
_SSL_LOCK = threading.Lock()


def ssl_context() -> ssl.SSLContext:
    """The TLS verification every client of this process uses: httpx's own default
    (``verify=True``: certifi's CA bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set),
    built on first use and then shared. Building one loads the whole CA bundle (~40 ms of CPU),
    which httpx otherwise does again for every client, so for every sync and every probe.
    One context per CA source: an environment that names another bundle gets its own."""
    source = (os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))
    with _SSL_LOCK:
        context = _SSL_CONTEXTS.get(source)
        if context is None:
            context = _SSL_CONTEXTS[source] = httpx.create_ssl_context(verify=True)
        return context


class DistrictClient:
    """Talks to a district server. Errors come back as SyncError with the server's code;
    retryable ones (5xx, 429) as TransientError; ``403 device_revoked`` as RevokedError with
    the signed notice, if the server sent one, in ``notice``."""

    def __init__(self, base_url: str, *, timeout: float = 60.0, client: httpx.Client | None = None):
        self._base = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout, verify=ssl_context())

    def close(self) -> None:
        self._client.close()

    def _check(self, response: httpx.Response) -> bytes:
        if response.status_code == 200:
            return response.content
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"the server answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = str(body.get("error", "error")) if isinstance(body, dict) else "error"
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        if code == "device_revoked":
            error = RevokedError(message or "this device has been revoked", code=code)
            if response.status_code == 403 and isinstance(body, dict):
                error.notice = str(body.get("notice", ""))  # type: ignore[attr-defined]
            raise error
        raise SyncError(message or f"the server answered {response.status_code}", code=code)

    def info(self) -> dict[str, Any]:
        data = json.loads(self._check(self._client.get(f"{self._base}/api/v1/info")))
        return data if isinstance(data, dict) else {}

    def enroll(self, request: bytes) -> bytes:
        return self._check(self._client.post(f"{self._base}/api/v1/enroll", content=request))

    def send_batch(self, batch: bytes) -> bytes:
        return self._check(self._client.post(f"{self._base}/api/v1/batches", content=batch))

    def changes(self, device_id: str, after: str) -> bytes:
        return self._check(
            self._client.get(
                f"{self._base}/api/v1/devices/{device_id}/changes", params={"after": after}
            )
        )


def transport(call: Callable[[], bytes]) -> bytes:
    """One request; a connection that fails is a TransientError."""
    try:
        return call()
    except httpx.TransportError as err:
        raise TransientError(f"no connection to the server ({type(err).__name__})") from None


@dataclass(frozen=True)
class Outgoing:
    """What a send needs, read from the vault beforehand: the address and the kept batches."""

    url: str
    device_id: str
    batches: tuple[tuple[PendingBatch, bytes], ...]


@dataclass(frozen=True)
class Sent:
    """The receipts of the batches sent, in order, and the error that stopped the rest."""

    receipts: tuple[bytes, ...]
    error: BaseException | None = None
    failed: PendingBatch | None = None


@dataclass
class Network:
    """Requests with retries and backoff. Holds no vault: safe on a network thread."""

    client_factory: Callable[[str], DistrictClient]
    attempts: int = DEFAULT_ATTEMPTS
    backoff: Backoff = field(default_factory=Backoff)
    sleep: Callable[[float], None] = time.sleep

    def call(
        self, call: Callable[[], bytes], progress: Progress = no_progress, stage: str = "net"
    ) -> bytes:
        for attempt in range(self.attempts):
            try:
                return transport(call)
            except TransientError:
                if attempt + 1 >= self.attempts:
                    raise
                progress(f"{stage}:retry", attempt + 1, self.attempts)
                self.sleep(self.backoff.delay(attempt))
        raise AssertionError("unreachable")

    def send(
        self,
        client: DistrictClient,
        outgoing: Outgoing,
        progress: Progress = no_progress,
    ) -> Sent:
        """Send every kept batch in order; stop at the first failure (after retries)."""
        receipts: list[bytes] = []
        total = len(outgoing.batches)
        for index, (batch, data) in enumerate(outgoing.batches):
            progress("send", index, total)
            try:
                receipts.append(
                    self.call(lambda d=data: client.send_batch(d), progress, "send")  # type: ignore[misc]
                )
            except (SyncError, OSError) as err:
                return Sent(tuple(receipts), err, batch)
        progress("send", total, total)
        return Sent(tuple(receipts))

    def fetch(
        self,
        client: DistrictClient,
        device_id: str,
        cursor: str,
        progress: Progress = no_progress,
    ) -> bytes:
        """One page of the district's changes after ``cursor``."""
        return self.call(lambda: client.changes(device_id, cursor), progress, "pull")

    def enroll(self, url: str, request: bytes) -> bytes:
        client = self.client_factory(url)
        try:
            return transport(lambda: client.enroll(request))
        finally:
            client.close()


def probe(url: str, timeout: float = 5.0) -> bool:
    """Is the district server reachable? (a cheap GET /api/v1/info)"""
    if not url:
        return False
    try:
        with httpx.Client(timeout=timeout, verify=ssl_context()) as client:
            return client.get(f"{url}/api/v1/info").status_code == 200
    except httpx.HTTPError:
        return False
