"""The USB files step: kept batches written to a stick (each read back and compared), and a
stick's receipts, this device's response and its enrollment answer read from it; files for
other devices are not opened (docs/sync-protocol.md §14, USB). Vault work."""

from __future__ import annotations

from pathlib import Path

from sync.errors import SyncError
from sync.laptop import batches as batch_step
from sync.laptop.client import Progress, no_progress
from sync.laptop.enrollment import accept_answer_file, enrollment
from sync.laptop.pull import apply_changes
from sync.laptop.receipts import apply_receipt
from sync.laptop.state import SyncReport, SyncState
from sync.laptop.usb import write_verified


def export_batches(
    state: SyncState,
    folder: Path,
    *,
    max_revisions: int = batch_step.DEFAULT_BATCH_REVISIONS,
    max_bytes: int = batch_step.DEFAULT_BATCH_BYTES,
    progress: Progress = no_progress,
) -> list[Path]:
    """Write every kept batch (building new ones first) to ``folder`` atomically, each read
    back and compared; returns the files. Only age-encrypted batch files are written."""
    kept = batch_step.build_pending(state, max_revisions=max_revisions, max_bytes=max_bytes)
    written = []
    for index, batch in enumerate(kept):
        progress("export", index, len(kept))
        data = batch_step.batch_bytes(state, batch)
        target = Path(folder) / batch.file
        try:
            if target.read_bytes() == data:
                written.append(target)
                continue
        except OSError:
            pass
        write_verified(target, data)
        written.append(target)
    if written:
        state.log_event({"kind": "export", "via": "usb", "batches": len(written)})
    progress("export", len(kept), len(kept))
    return written


def import_folder(state: SyncState, folder: Path) -> tuple[SyncReport, list[str]]:
    """Read receipts, this device's response and its enrollment answer from ``folder``.
    Returns the report and the names of files that could not be used (damaged, truncated)
    with the reason code."""
    folder = Path(folder)
    report = SyncReport(via="usb")
    problems: list[str] = []
    own = state.vault.device_id
    enrolled_file = folder / f"{own}.cdenrolled"
    if enrollment(state) is None and enrolled_file.exists():
        try:
            accept_answer_file(state, enrolled_file)
        except SyncError as err:
            problems.append(f"{enrolled_file.name}: {err.code}")
    if enrollment(state) is None:
        return report, problems
    wanted = {b.batch_id for b in state.pending_batches()}
    for path in sorted(folder.glob("*.cdreceipt")):
        if path.stem not in wanted:
            continue
        try:
            apply_receipt(state, path.read_bytes(), report)
        except (SyncError, OSError) as err:
            problems.append(f"{path.name}: {getattr(err, 'code', 'unreadable')}")
    response = folder / f"{own}.cdresponse"
    if response.exists():
        try:
            apply_changes(state, response.read_bytes(), report)
        except (SyncError, OSError) as err:
            problems.append(f"{response.name}: {getattr(err, 'code', 'unreadable')}")
    if report.receipts or report.pulled or report.revoked or report.definitions_installed:
        state.record_sync("import", report)
    return report, problems
