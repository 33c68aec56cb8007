"""Drives the laptop's sync engine from the GUI without freezing it.

Vault work (building batches, applying receipts and changes, conflicts, USB files) runs on the
desk's serial vault runner; network requests run on a worker of their own and never touch the
vault. The steps are chained through callbacks delivered on the GUI thread.

Sync starts by itself: a probe on a timer (``GET /api/v1/info``), sooner when
``QNetworkInformation`` reports that the machine came online; failures back off exponentially
with jitter. And on demand (立即同步).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from storage.errors import VaultLockedError
from sync.errors import RevokedError
from sync.laptop.backoff import Backoff
from sync.laptop.client import Outgoing, Sent
from sync.laptop.engine import MAX_PAGES, LaptopSync
from sync.laptop.errors import TransientError
from sync.laptop.state import Status, SyncReport
from ui.sync_texts import reason_zh as reason_zh
from ui.sync_texts import sync_error_zh as sync_error_zh
from ui.tasks import Runner, VaultRunner

log = logging.getLogger("childdesk.ui.sync")

PROBE_INTERVAL_MS = 60_000


class SyncController(QObject):
    status_changed = Signal(object)  # Status
    progress = Signal(str, int, int)  # what is happening, done, total
    busy_changed = Signal(bool)
    finished = Signal(object, str)  # SyncReport | None, message ("" when all went well)

    def __init__(
        self,
        engine: LaptopSync,
        runner: Runner,
        *,
        net: Runner | None = None,
        probe_interval_ms: int = PROBE_INTERVAL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.runner = runner
        self._owns_net = net is None
        if net is None:
            owned = VaultRunner(self._fail, name="network-worker")
            # Deleted with its window (the sync page goes with the main window at each lock):
            # its thread ends too, not one idle thread more per unlock.
            self.destroyed.connect(owned.stop_soon)
            net = owned
        self.net: Runner = net
        self.busy = False
        self.status: Status | None = None
        self.backoff = Backoff()
        self._report = SyncReport()
        self._url = ""
        self._device_id = ""
        self._pages = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.probe)
        self._interval = probe_interval_ms
        self._network_info: Any = None

    # ----- lifecycle ---------------------------------------------------------------------

    def start_auto(self) -> None:
        """Probe now and then on a timer; react to the platform's reachability news."""
        self._watch_network()
        self._timer.start(1000)

    def stop(self) -> None:
        self._timer.stop()
        if self._owns_net:
            self.net.shutdown()

    def _watch_network(self) -> None:
        try:
            from PySide6.QtNetwork import QNetworkInformation

            if QNetworkInformation.loadDefaultBackend():
                info = QNetworkInformation.instance()
                if info is not None:
                    info.reachabilityChanged.connect(self._reachability)
                    self._network_info = info
        except (ImportError, AttributeError, RuntimeError):
            log.info("no network information backend; probing on a timer only")

    def _reachability(self, *_args: object) -> None:
        if not self.busy:
            self._timer.start(500)

    # ----- status ------------------------------------------------------------------------

    def refresh(self, then: Callable[[Status], None] | None = None) -> None:
        def done(status: Status) -> None:
            self.status = status
            self._url = status.server_url
            self.status_changed.emit(status)
            if then is not None:
                then(status)

        self.runner.submit(self.engine.status, done, self._quiet)

    def _quiet(self, err: BaseException) -> None:
        """Background reads that fail (the vault was locked meanwhile): no message, no loop."""
        if isinstance(err, VaultLockedError):
            self._timer.stop()
        else:
            log.warning("sync page read failed (%s)", type(err).__name__)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.busy_changed.emit(busy)
        if text:
            self.progress.emit(text, 0, 0)

    def _fail(self, err: BaseException) -> None:
        if isinstance(err, VaultLockedError):
            self._timer.stop()
            self._set_busy(False)
            return
        if isinstance(err, RevokedError):
            # Only the district's signed notice stops syncing; an unsigned claim is retried.
            report = self._report
            self.runner.submit(
                lambda: self.engine.stopped_by(err, report), self._stopped_revoked, self._stop
            )
            return
        self._stop(err)

    def _stopped_revoked(self, _report: SyncReport) -> None:
        self._stop(RevokedError("revoked"))

    def _stop(self, err: BaseException) -> None:
        if isinstance(err, TransientError):
            delay = self.backoff.next_delay()
            self._timer.start(int(min(delay, 900) * 1000))
        else:
            log.info("sync stopped: %s", getattr(err, "code", type(err).__name__))
        self._set_busy(False)
        self.finished.emit(None, sync_error_zh(err))
        self.refresh()

    # ----- automatic sync ----------------------------------------------------------------

    def probe(self) -> None:
        """Is the server reachable? If so, sync; otherwise try again later."""
        if self.busy:
            self._timer.start(self._interval)
            return

        def decide(status: Status) -> None:
            if not status.enrolled or status.revoked or not status.server_url:
                self._timer.start(self._interval)
                return
            url, engine = status.server_url, self.engine
            self.net.submit(
                lambda: engine.probe(url=url), self._probed, lambda _e: self._probed(False)
            )

        self.refresh(decide)

    def _probed(self, reachable: bool) -> None:
        if reachable:
            self.sync_now()
        else:
            self._timer.start(int(min(self.backoff.next_delay(), self._interval / 1000) * 1000))

    # ----- a network sync, step by step --------------------------------------------------
    # The engine's chain (sync/laptop/engine.py): its vault steps on the vault runner, its
    # network steps on the network worker, each started here when the previous one's result
    # arrives on the GUI thread.

    def sync_now(self) -> None:
        if self.busy:
            return
        self._set_busy(True, "正在准备要发送的资料…")
        self._report = SyncReport()
        self._pages = 0
        self.runner.submit(self.engine.prepare_send, self._send, self._fail)

    def _send(self, outgoing: Outgoing) -> None:
        self._url = outgoing.url
        self._device_id = outgoing.device_id
        count = len(outgoing.batches)
        self.progress.emit(f"正在发送（共 {count} 批）…", 0, max(count, 1))
        network = self.engine.network()

        def send() -> Sent:
            client = network.client_factory(outgoing.url)
            try:
                return network.send(client, outgoing)
            finally:
                client.close()

        self.net.submit(send, self._receipts, self._fail)

    def _receipts(self, sent: Sent) -> None:
        report = self._report
        self.runner.submit(lambda: self.engine.take_receipts(sent, report), self._pull, self._fail)

    def _pull(self, cursor: str) -> None:
        self.progress.emit("正在接收区里的更新…", 1, 2)
        self._pages += 1
        network, url, device_id = self.engine.network(), self._url, self._device_id

        def fetch() -> bytes:
            client = network.client_factory(url)
            try:
                return network.fetch(client, device_id, cursor)
            finally:
                client.close()

        self.net.submit(fetch, self._apply_changes, self._fail)

    def _apply_changes(self, data: bytes) -> None:
        report = self._report

        def next_step(cursor: str | None) -> None:
            if cursor is not None and self._pages < MAX_PAGES:
                self._pull(cursor)
            else:
                self._finish()

        self.runner.submit(lambda: self.engine.take_changes(data, report), next_step, self._fail)

    def _finish(self) -> None:
        report = self._report

        def done(result: SyncReport) -> None:
            self.backoff.reset()
            self._set_busy(False)
            self.progress.emit("同步完成", 1, 1)
            message = sync_error_zh(RevokedError("revoked")) if result.revoked else ""
            self.finished.emit(result, message)
            self.refresh()
            self._timer.start(self._interval)

        self.runner.submit(lambda: self.engine.finish(report), done, self._fail)

    # ----- everything else is vault work -------------------------------------------------

    def _vault_task(
        self, text: str, task: Callable[[], Any], done: Callable[[Any], None] | None = None
    ) -> None:
        if self.busy:
            return
        self._set_busy(True, text)

        def finished(value: Any) -> None:
            self._set_busy(False)
            if done is not None:
                done(value)
            self.refresh()

        self.runner.submit(task, finished, self._fail)

    def export_to(self, folder: Path, done: Callable[[list[Path]], None]) -> None:
        self._vault_task("正在写入U盘…", lambda: self.engine.export_batches(Path(folder)), done)

    def import_from(
        self, folder: Path, done: Callable[[tuple[SyncReport, list[str]]], None]
    ) -> None:
        self._vault_task("正在从U盘导入…", lambda: self.engine.import_folder(Path(folder)), done)

    def enroll_network(self, url: str, code: str, label: str, done: Callable[[Any], None]) -> None:
        """Enrollment is one request: its network part is short, so it runs with the vault
        work (keys are generated and stored in the same step)."""
        self._vault_task(
            "正在注册…", lambda: self.engine.enroll_network(url, code, label=label), done
        )

    def write_enroll_request(
        self, folder: Path, code: str, label: str, done: Callable[[Any], None]
    ) -> None:
        self._vault_task(
            "正在写入注册申请…",
            lambda: self.engine.enrollment_request_file(Path(folder), code, label=label),
            done,
        )

    def resolve(self, conflict_id: str, choice: str, value: Any = None) -> None:
        self._vault_task(
            "正在保存…", lambda: self.engine.resolve_conflict(conflict_id, choice, value)
        )

    def release_quarantine(self) -> None:
        self._vault_task("正在保存…", self.engine.release_quarantine)

    def load_lists(self, done: Callable[[dict[str, Any]], None]) -> None:
        """Quarantine, open conflicts (with child names) and history, for the page."""

        def load() -> dict[str, Any]:
            names: dict[str, str] = {}
            for child in self.engine.vault.load("child").revisions:
                names[child.record_id] = str(child.data.get("name", ""))
            return {
                "quarantine": self.engine.quarantine(),
                "conflicts": self.engine.conflicts(),
                "history": self.engine.history(),
                "names": names,
            }

        self.runner.submit(load, done, self._quiet)
