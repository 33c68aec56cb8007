"""Encrypted attachments: streamed, authenticated per chunk, content-hashed."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from storage.attachments import CHUNK_BYTES, MAGIC, SALT_BYTES, SEALED_CHUNK_BYTES
from storage.errors import AttachmentDamagedError
from storage.vault import Vault
from tests.conftest import DIRECTOR


def _blob_path(vault: Vault, attachment_id: str) -> Path:
    return vault.paths.attachment_blob(vault.get(attachment_id).data["blob_id"])


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES]
)
def test_roundtrip_at_chunk_boundaries(vault: Vault, size: int) -> None:
    payload = os.urandom(size)
    rec = vault.add_attachment(
        io.BytesIO(payload), owner_id="c", filename="x.jpg", mime="image/jpeg", author=DIRECTOR
    )
    assert rec.data["size"] == size
    assert rec.data["sha256"] == hashlib.sha256(payload).hexdigest()
    assert b"".join(vault.read_attachment(rec.record_id)) == payload
    blob = _blob_path(vault, rec.record_id)
    chunks = max(1, -(-size // CHUNK_BYTES))
    assert blob.stat().st_size == len(MAGIC) + SALT_BYTES + size + 16 * chunks


def test_large_scan_is_streamed_not_held_in_memory(vault: Vault, tmp_path: Path) -> None:
    scan = tmp_path / "残疾证扫描.tiff"
    with scan.open("wb") as fh:
        for _ in range(50):
            fh.write(os.urandom(1024 * 1024))  # 50 MB
    tracemalloc.start()
    with scan.open("rb") as src:
        rec = vault.add_attachment(
            src, owner_id="c", filename=scan.name, mime="image/tiff", author=DIRECTOR
        )
    digest = hashlib.sha256()
    for chunk in vault.read_attachment(rec.record_id):
        digest.update(chunk)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert digest.hexdigest() == hashlib.sha256(scan.read_bytes()).hexdigest()
    assert peak < 4 * 1024 * 1024  # a few chunks, never the 50 MB file


def _tamper(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    ["flip_first_chunk", "flip_last_chunk", "truncate_chunk", "drop_last_chunk", "append", "swap"],
)
def test_any_damage_is_detected(vault: Vault, damage: str) -> None:
    rec = vault.add_attachment(
        io.BytesIO(os.urandom(3 * CHUNK_BYTES + 100)),
        owner_id="c",
        filename="x",
        mime="image/png",
        author=DIRECTOR,
    )
    blob = _blob_path(vault, rec.record_id)
    head = len(MAGIC) + SALT_BYTES
    data = blob.read_bytes()
    if damage == "flip_first_chunk":
        _tamper(blob, head + 10)
    elif damage == "flip_last_chunk":
        _tamper(blob, len(data) - 5)
    elif damage == "truncate_chunk":
        blob.write_bytes(data[:-50])
    elif damage == "drop_last_chunk":
        blob.write_bytes(data[: head + 3 * SEALED_CHUNK_BYTES])
    elif damage == "append":
        blob.write_bytes(data + b"extra")
    elif damage == "swap":
        c0 = data[head : head + SEALED_CHUNK_BYTES]
        c1 = data[head + SEALED_CHUNK_BYTES : head + 2 * SEALED_CHUNK_BYTES]
        blob.write_bytes(data[:head] + c1 + c0 + data[head + 2 * SEALED_CHUNK_BYTES :])
    with pytest.raises(AttachmentDamagedError):
        b"".join(vault.read_attachment(rec.record_id))


def test_missing_blob_is_reported(vault: Vault) -> None:
    rec = vault.add_attachment(
        io.BytesIO(b"scan"), owner_id="c", filename="x", mime="image/png", author=DIRECTOR
    )
    _blob_path(vault, rec.record_id).unlink()
    with pytest.raises(AttachmentDamagedError, match="missing"):
        b"".join(vault.read_attachment(rec.record_id))


def test_blob_cannot_be_passed_off_as_another_attachment(vault: Vault) -> None:
    a = vault.add_attachment(
        io.BytesIO(b"A" * 1000), owner_id="c", filename="a", mime="x/y", author=DIRECTOR
    )
    b = vault.add_attachment(
        io.BytesIO(b"B" * 1000), owner_id="c", filename="b", mime="x/y", author=DIRECTOR
    )
    _blob_path(vault, a.record_id).write_bytes(_blob_path(vault, b.record_id).read_bytes())
    with pytest.raises(AttachmentDamagedError):
        b"".join(vault.read_attachment(a.record_id))
