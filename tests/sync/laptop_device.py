"""The district tests' view of a laptop: thin calls into the laptop's real steps
(``sync/laptop/``) with a vault — enrollment, the real batch builder (batches kept in
``<vault>/sync-outgoing/`` until a receipt names them), the real receipts step — plus a reader
that decrypts and verifies a changes file without merging it, so a test can look at what the
district sent."""

from __future__ import annotations

from dataclasses import dataclass

from storage.vault import Vault
from sync.documents import Changes, Enrollment, Receipt, read_changes
from sync.keys import KeyPair
from sync.laptop import batches, enrollment, receipts
from sync.laptop.client import DistrictClient as DistrictClient
from sync.laptop.state import SyncState


def enrollment_request(vault: Vault, code: str, *, label: str = "", author: str = "") -> bytes:
    return enrollment.enrollment_request(SyncState(vault, author), code, label=label)


def accept_enrollment(
    vault: Vault, answer: bytes, *, request: bytes, author: str = ""
) -> Enrollment:
    return enrollment.accept_enrollment(SyncState(vault, author), answer, request=request)


def device_keys(vault: Vault) -> KeyPair | None:
    return enrollment.device_keys(SyncState(vault))


@dataclass(frozen=True)
class BuiltBatch:
    batch_id: str
    sequence: int
    data: bytes  # the age file, as kept in sync-outgoing
    revisions: tuple[tuple[str, str], ...]  # (record_id, hlc)
    blobs: int


def build_batches(vault: Vault, *, max_revisions: int = 500) -> list[BuiltBatch]:
    """Every kept batch after the laptop's builder has run, oldest first."""
    state = SyncState(vault)
    return [
        BuiltBatch(b.batch_id, b.sequence, batches.batch_bytes(state, b), b.revisions, b.blobs)
        for b in batches.build_pending(state, max_revisions=max_revisions)
    ]


def forget_batch(vault: Vault, built: BuiltBatch) -> None:
    """What the laptop does when the district answers ``sequence_reused`` (a vault restored
    from a backup): the kept batch is dropped, its revisions go in a new batch."""
    state = SyncState(vault)
    for kept in state.pending_batches():
        if kept.batch_id == built.batch_id:
            batches.drop_after_sequence_clash(state, kept)


def apply_receipt(vault: Vault, raw: bytes) -> Receipt:
    receipt = receipts.apply_receipt(SyncState(vault), raw)
    assert receipt is not None, "a receipt for another device"
    return receipt


def read_response(vault: Vault, data: bytes, keys: KeyPair, pinned: Enrollment) -> Changes:
    """Decrypt and verify a changes file and apply the receipts it carries (the laptop's
    receipts step); its revisions are returned, not merged."""
    changes = read_changes(data, keys, pinned.district, device_id=vault.device_id)
    for receipt in changes.receipts:
        receipts.apply_receipt(SyncState(vault), receipt.raw)
    return changes
