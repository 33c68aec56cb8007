"""The laptop's sync (docs/sync-protocol.md §14, "The laptop side"), made of steps:

========================  =================================================================
:mod:`.state`             bookkeeping in the vault: kept batches, quarantine, history, status
:mod:`.enrollment`        device keys, the pinned district, revocation checks
:mod:`.batches`           the outbox into kept, age-encrypted batches, urgent children first
:mod:`.client`            HTTP with retries and backoff — no vault (the network worker's part)
:mod:`.receipts`          verified receipts: sent, quarantined, kept batch forgotten
:mod:`.pull`              a changes file: receipts, notices, definitions, revisions, cursor
:mod:`.merging`           a pulled revision merged field by field (:mod:`sync.merge`)
:mod:`.conflicts`         the conflicts list the director resolves
:mod:`.usb_files`         batches to a stick, a stick's answers back
========================  =================================================================

:class:`LaptopSync` puts them together for one vault. A network sync is a chain —
:meth:`~LaptopSync.prepare_send` (vault) → :meth:`Network.send` (network) →
:meth:`~LaptopSync.take_receipts` (vault) → :meth:`Network.fetch` (network) →
:meth:`~LaptopSync.take_changes` (vault), repeated while the server has more →
:meth:`~LaptopSync.finish` (vault). The command line runs it in a loop
(:meth:`~LaptopSync.sync_now`); the GUI runs the same steps one by one, vault steps on its
vault worker and network steps on its network worker (``ui/sync_controller.py``).

Nothing here returns sentences: failures are :mod:`sync.errors` / :mod:`sync.laptop.errors`
codes, and what a sync has to tell is :class:`~sync.laptop.messages.SyncMessage` codes; the
words are the caller's (``ui/sync_texts.py``, ``sync/laptop/cli.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from app.services.workflows import WorkflowService
from storage.vault import Vault
from sync.documents import Enrollment, Receipt
from sync.errors import RevokedError
from sync.keys import KeyPair
from sync.laptop import batches as batch_step
from sync.laptop import client as http
from sync.laptop import conflicts as conflict_step
from sync.laptop import enrollment as enroll_step
from sync.laptop import pull as pull_step
from sync.laptop import receipts as receipt_step
from sync.laptop import usb_files
from sync.laptop.backoff import Backoff
from sync.laptop.client import DistrictClient, Network, Outgoing, Progress, Sent
from sync.laptop.conflicts import ConflictEntry
from sync.laptop.errors import NotEnrolledError, TransientError, UnverifiedRevocationError
from sync.laptop.state import (
    CONFLICT_TYPE,
    ENROLL_REQUEST_TYPE,
    PendingBatch,
    QuarantineEntry,
    Status,
    SyncReport,
    SyncState,
)

__all__ = [
    "CONFLICT_TYPE",
    "ENROLL_REQUEST_TYPE",
    "ConflictEntry",
    "LaptopSync",
    "NotEnrolledError",
    "Outgoing",
    "PendingBatch",
    "QuarantineEntry",
    "Sent",
    "Status",
    "SyncReport",
    "TransientError",
    "UnverifiedRevocationError",
]

MAX_PAGES = 1000  # changes pages in one sync


class LaptopSync:
    """One vault's sync. Every method except :meth:`network` and :meth:`probe` given a url
    does vault work: the GUI calls them on its vault worker."""

    def __init__(
        self,
        vault: Vault,
        *,
        author: str = "",
        max_revisions: int = batch_step.DEFAULT_BATCH_REVISIONS,
        max_bytes: int = batch_step.DEFAULT_BATCH_BYTES,
        attempts: int = http.DEFAULT_ATTEMPTS,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        client_factory: Callable[[str], DistrictClient] | None = None,
    ) -> None:
        self.state = SyncState(vault, author)
        self.vault = vault
        self.author = author
        self.max_revisions = max_revisions
        self.max_bytes = max_bytes
        self.attempts = attempts
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.client_factory = client_factory or (lambda url: DistrictClient(url, timeout=60.0))

    def network(self) -> Network:
        """The network steps with this engine's retry settings (touches no vault)."""
        return Network(self.client_factory, self.attempts, self.backoff, self.sleep)

    # ----- state -------------------------------------------------------------------------

    @property
    def outgoing_dir(self) -> Path:
        return self.state.outgoing_dir

    def status(self) -> Status:
        """Reads only."""
        pinned = self.enrollment()
        return self.state.status(
            enrolled=pinned is not None,
            district_id=pinned.district_id if pinned else "",
            villages=pinned.villages if pinned else (),
        )

    def pending_batches(self) -> list[PendingBatch]:
        return self.state.pending_batches()

    def quarantine(self) -> list[QuarantineEntry]:
        return self.state.quarantine()

    def release_quarantine(self, revision_ids: Iterable[str] | None = None) -> int:
        return self.state.release_quarantine(revision_ids)

    def history(self) -> list[dict[str, Any]]:
        return self.state.history()

    def revoked(self) -> dict[str, Any] | None:
        return self.state.revoked()

    def server_url(self) -> str:
        return self.state.server_url()

    def set_server_url(self, url: str) -> None:
        self.state.set_server_url(url)

    def cursor(self) -> str:
        return self.state.cursor()

    # ----- enrollment --------------------------------------------------------------------

    def keys(self) -> KeyPair | None:
        return enroll_step.device_keys(self.state)

    def enrollment(self) -> Enrollment | None:
        return enroll_step.enrollment(self.state)

    def enroll_network(self, server_url: str, code: str, *, label: str = "") -> Enrollment:
        return enroll_step.enroll_network(self.state, self.network(), server_url, code, label=label)

    def enrollment_request_file(self, folder: Path, code: str, *, label: str = "") -> Path:
        return enroll_step.write_request_file(self.state, folder, code, label=label)

    def accept_enrollment_file(self, path: Path) -> Enrollment:
        return enroll_step.accept_answer_file(self.state, path)

    def handle_revoked(self, err: RevokedError) -> bool:
        return enroll_step.handle_revoked(self.state, err)

    # ----- batches, receipts, pulled changes, conflicts ----------------------------------

    def build_pending(self) -> list[PendingBatch]:
        return batch_step.build_pending(
            self.state, max_revisions=self.max_revisions, max_bytes=self.max_bytes
        )

    def batch_bytes(self, batch: PendingBatch) -> bytes:
        return batch_step.batch_bytes(self.state, batch)

    def apply_receipt(self, raw: bytes, report: SyncReport | None = None) -> Receipt | None:
        return receipt_step.apply_receipt(self.state, raw, report)

    def apply_changes(self, data: bytes, report: SyncReport) -> str | None:
        return pull_step.apply_changes(self.state, data, report)

    def conflicts(self, *, include_resolved: bool = False) -> list[ConflictEntry]:
        return conflict_step.conflicts(self.state, include_resolved=include_resolved)

    def resolve_conflict(self, conflict_id: str, choice: str, value: Any = None) -> None:
        conflict_step.resolve_conflict(self.state, conflict_id, choice, value)

    # ----- a network sync, step by step --------------------------------------------------

    def prepare_send(self) -> Outgoing:
        """Vault step: check this laptop may sync (NotEnrolledError, RevokedError), build the
        batches and read what the send needs."""
        enroll_step.require(self.state)
        url = self.server_url()
        if not url:
            raise NotEnrolledError("no district server address is set")
        kept = self.build_pending()
        return Outgoing(url, self.vault.device_id, tuple((b, self.batch_bytes(b)) for b in kept))

    def take_receipts(self, sent: Sent, report: SyncReport) -> str:
        """Vault step: apply the receipts of what was sent; then raise the error that stopped
        the send, if any (a ``sequence_reused`` refusal drops that kept batch first). Returns
        the cursor the pull starts from."""
        for raw in sent.receipts:
            report.batches_sent += 1
            self.apply_receipt(raw, report)
        if sent.error is not None:
            error = sent.error
            if getattr(error, "code", "") == "sequence_reused" and sent.failed is not None:
                batch_step.drop_after_sequence_clash(self.state, sent.failed)
            raise error
        return self.cursor()

    def take_changes(self, data: bytes, report: SyncReport) -> str | None:
        """Vault step: apply one page of changes; the cursor of the next page, or None when
        the pull is over (no more, or this laptop was revoked)."""
        more = self.apply_changes(data, report)
        return None if report.revoked else more

    def finish(self, report: SyncReport) -> SyncReport:
        """Vault step: note a finished network sync (last sync, history) and act on the
        district's decisions it brought (:meth:`apply_decisions`)."""
        if not report.revoked:
            self.apply_decisions(report)
            self.state.record_sync("sync", report)
        return report

    def apply_decisions(self, report: SyncReport) -> SyncReport:
        """Vault step after every pull (network, USB, a response file): a recognition the
        district confirmed becomes the child's 事实无人抚养儿童 category with its date."""
        author = self.author or str(self.vault.profile().get("name") or "")
        changed = WorkflowService(self.vault, author=author).apply_confirmed_recognitions()
        report.recognitions_applied += len(changed)
        return report

    def stopped_by(self, err: RevokedError, report: SyncReport) -> SyncReport:
        """Vault step after a ``device_revoked`` refusal: the report of a revoked laptop if
        the district's signed notice proves it (or syncing had stopped already), else
        UnverifiedRevocationError (nothing changed; tried again later)."""
        if not self.handle_revoked(err):
            raise UnverifiedRevocationError() from None
        report.revoked = True
        return report

    def sync_now(self, progress: Progress = http.no_progress) -> SyncReport:
        """Send every kept and new batch, then pull the district's changes: the chain above in
        one loop on this thread (the command line)."""
        report = SyncReport(via="network")
        try:
            outgoing = self.prepare_send()
            network = self.network()
            client = network.client_factory(outgoing.url)
            try:
                cursor: str | None = self.take_receipts(
                    network.send(client, outgoing, progress), report
                )
                for page in range(MAX_PAGES):
                    if cursor is None:
                        break
                    progress("pull", page, page + 1)
                    data = network.fetch(client, outgoing.device_id, cursor, progress)
                    cursor = self.take_changes(data, report)
            finally:
                client.close()
        except RevokedError as err:
            return self.stopped_by(err, report)
        return self.finish(report)

    def probe(self, timeout: float = 5.0, url: str | None = None) -> bool:
        """Is the district server reachable? Given the ``url`` (read earlier on the vault's
        thread) it does not touch the vault: the GUI probes on its network worker."""
        return http.probe(self.server_url() if url is None else url, timeout)

    # ----- USB ---------------------------------------------------------------------------

    def export_batches(self, folder: Path, progress: Progress = http.no_progress) -> list[Path]:
        return usb_files.export_batches(
            self.state,
            folder,
            max_revisions=self.max_revisions,
            max_bytes=self.max_bytes,
            progress=progress,
        )

    def import_folder(self, folder: Path) -> tuple[SyncReport, list[str]]:
        report, problems = usb_files.import_folder(self.state, folder)
        if not report.revoked:
            self.apply_decisions(report)
        return report, problems
