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
from sync.errors import NotForUsError, RevokedError, SyncError
from sync.laptop.backoff import Backoff
from sync.laptop.engine import (
    LaptopSync,
    NotEnrolledError,
    PendingBatch,
    Status,
    SyncReport,
    TransientError,
    UnverifiedRevocationError,
)
from ui.tasks import Runner, VaultRunner

log = logging.getLogger("childdesk.ui.sync")

PROBE_INTERVAL_MS = 60_000

REASONS_ZH = {
    "out_of_scope": "这条记录所属的村不在本机负责的范围内",
    "unknown_child": "区里还没有这名儿童的档案（请先同步儿童档案）",
    "malformed": "记录内容不完整或格式不对",
    "foreign_device": "记录来自另一台电脑",
    "unknown_record_type": "区服务器不接收这种记录",
    "type_mismatch": "区里同一编号的记录是另一种类型",
    "unknown_record": "区里没有要删除的这条记录",
    "conflicting_duplicate": "区里已有同一编号但内容不同的记录",
    "blob_mismatch": "附件文件与记录不符",
}


# Refusals the director can fix on this laptop (not a matter for the district), with what to do.
REASONS_SELF_ZH = {
    # the revision's clock is more than 24 hours ahead of the server's (docs/sync-protocol.md §4a)
    "clock_skew": "电脑日期不对：请把电脑的日期和时间改正后再同步",
}


def reason_zh(code: str) -> str:
    if code in REASONS_SELF_ZH:
        return REASONS_SELF_ZH[code] + "。"
    return REASONS_ZH.get(code, "区服务器没有接收") + "。请联系区民政局核对。"


def sync_error_zh(err: BaseException) -> str:
    """Plain Chinese, with what to do next."""
    if isinstance(err, UnverifiedRevocationError):
        return (
            "服务器说这台电脑已被停用，但没有区民政局签名的通知，所以本机照常使用、稍后再试。"
            "如果一直这样，请联系区民政局核实。资料都还在这台电脑上。"
        )
    if isinstance(err, TransientError):
        return (
            "连不上区里的服务器（可能没有网络，或服务器暂时不可用）。"
            "资料都还在这台电脑上，一个也不会丢，联网后会自动再试。"
        )
    if isinstance(err, RevokedError):
        return (
            "区民政局已停止这台电脑的同步。请联系区民政局儿童工作负责人。"
            "本机的资料不受影响，可以继续使用。"
        )
    if isinstance(err, NotEnrolledError):
        return "这台电脑还没有在区服务器注册。请填写服务器地址和注册码，或用U盘注册。"
    if isinstance(err, SyncError):
        if err.code in ("code_invalid", "already_enrolled"):
            return "注册码无效、已经用过或已过期。请向区民政局要一个新的注册码。"
        if err.code == "too_many_attempts":
            return "注册尝试次数太多，请过十分钟再试。"
        if isinstance(err, NotForUsError) or err.code in ("bad_signature", "tampered"):
            return (
                "文件不完整或已损坏（可能U盘在写入时被拔出），没有导入。请在区里重新导出后再导入。"
            )
        return "区服务器没有接受这次同步。资料都还在这台电脑上。请稍后再试，仍不行请联系区民政局。"
    if isinstance(err, OSError):
        return "无法读写所选的文件夹或U盘。请检查U盘是否插好、是否写保护，然后重试。"
    from ui.views.messages import user_message

    return user_message(err)


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
        self.net: Runner = net or VaultRunner(self._fail, name="network-worker")
        self._owns_net = net is None
        self.busy = False
        self.status: Status | None = None
        self.backoff = Backoff()
        self._report = SyncReport()
        self._url = ""
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
            def checked(verified: bool) -> None:
                self._stop(err if verified else UnverifiedRevocationError())

            self.runner.submit(lambda: self.engine.handle_revoked(err), checked, self._stop)
            return
        self._stop(err)

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

    def sync_now(self) -> None:
        if self.busy:
            return
        self._set_busy(True, "正在准备要发送的资料…")
        self._report = SyncReport()

        def prepare() -> tuple[str, list[tuple[PendingBatch, bytes]]]:
            url = self.engine.require_enrolled()
            batches = self.engine.build_pending()
            return url, [(b, self.engine.batch_bytes(b)) for b in batches]

        self.runner.submit(prepare, self._send, self._fail)

    def _send(self, prepared: tuple[str, list[tuple[PendingBatch, bytes]]]) -> None:
        url, batches = prepared
        self._url = url
        self.progress.emit(f"正在发送（共 {len(batches)} 批）…", 0, max(len(batches), 1))

        def send() -> tuple[list[bytes], BaseException | None, PendingBatch | None]:
            client = self.engine.client_factory(url)
            receipts: list[bytes] = []
            try:
                for batch, data in batches:
                    try:
                        receipts.append(
                            self.engine.network_call(lambda d=data: client.send_batch(d))  # type: ignore[misc]
                        )
                    except (SyncError, OSError) as err:
                        return receipts, err, batch
            finally:
                client.close()
            return receipts, None, None

        self.net.submit(send, self._receipts, self._fail)

    def _receipts(
        self, sent: tuple[list[bytes], BaseException | None, PendingBatch | None]
    ) -> None:
        receipts, error, failed = sent
        report = self._report

        def apply() -> str:
            for raw in receipts:
                self.engine.apply_receipt(raw, report)
                report.batches_sent += 1
            if error is not None:
                if isinstance(error, SyncError) and error.code == "sequence_reused" and failed:
                    self.engine.rebuild_after_sequence_clash(failed)
                raise error
            return self.engine.cursor()

        self.runner.submit(apply, self._pull, self._fail)

    def _pull(self, cursor: str) -> None:
        self.progress.emit("正在接收区里的更新…", 1, 2)
        device_id = self.engine.vault.device_id
        url = self._url

        def fetch() -> bytes:
            client = self.engine.client_factory(url)
            try:
                return self.engine.network_call(lambda: client.changes(device_id, cursor))
            finally:
                client.close()

        self.net.submit(fetch, self._apply_changes, self._fail)

    def _apply_changes(self, data: bytes) -> None:
        report = self._report

        def apply() -> str:
            more = self.engine.apply_changes(data, report)
            return self.engine.cursor() if more and not report.revoked else ""

        def next_step(cursor: str) -> None:
            if cursor:
                self._pull(cursor)
            else:
                self._finish()

        self.runner.submit(apply, next_step, self._fail)

    def _finish(self) -> None:
        report = self._report

        def record() -> SyncReport:
            if not report.revoked:
                self.engine.record_sync(report)
            return report

        def done(result: SyncReport) -> None:
            self.backoff.reset()
            self._set_busy(False)
            self.progress.emit("同步完成", 1, 1)
            message = sync_error_zh(RevokedError("revoked")) if result.revoked else ""
            self.finished.emit(result, message)
            self.refresh()
            self._timer.start(self._interval)

        self.runner.submit(record, done, self._fail)

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
