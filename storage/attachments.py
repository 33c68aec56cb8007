"""Encrypted attachment blobs (photos, scanned 残疾证/低保证), streamed in 64 KiB chunks.

Layout of a blob file, after the age STREAM construction:
  magic ``CDATT\\x00\\x01\\n`` (8 bytes) | file salt (32 bytes) | chunk* where each chunk is
  AES-256-GCM(plaintext[≤64 KiB]) with a 16-byte tag, nonce = 11-byte big-endian chunk counter
  followed by 0x01 on the final chunk and 0x00 on the others. The chunk key is
  HKDF-SHA256(attachment key, salt=file salt, info="childdesk-attachment-v1" 0x00 blob id).
Reordered, dropped, truncated or extended chunks all fail authentication. Memory use is one
chunk, whatever the file size.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.crypto import hkdf
from storage.errors import AttachmentDamagedError

MAGIC = b"CDATT\x00\x01\n"
SALT_BYTES = 32
CHUNK_BYTES = 64 * 1024
TAG_BYTES = 16
SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES


@dataclass(frozen=True)
class BlobInfo:
    size: int
    sha256: str


def _chunk_nonce(counter: int, final: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def _blob_cipher(attachment_key: bytes, salt: bytes, blob_id: str) -> AESGCM:
    info = b"childdesk-attachment-v1\x00" + blob_id.encode()
    return AESGCM(hkdf(attachment_key, info, salt=salt))


def encrypt_stream(src: BinaryIO, dst: BinaryIO, attachment_key: bytes, blob_id: str) -> BlobInfo:
    salt = os.urandom(SALT_BYTES)
    aead = _blob_cipher(attachment_key, salt, blob_id)
    digest = hashlib.sha256()
    dst.write(MAGIC + salt)
    size = 0
    counter = 0
    current = src.read(CHUNK_BYTES)
    while True:
        following = src.read(CHUNK_BYTES) if len(current) == CHUNK_BYTES else b""
        final = not following
        digest.update(current)
        size += len(current)
        dst.write(aead.encrypt(_chunk_nonce(counter, final), current, None))
        if final:
            break
        counter += 1
        current = following
    return BlobInfo(size, digest.hexdigest())


def decrypt_stream(src: BinaryIO, attachment_key: bytes, blob_id: str) -> Iterator[bytes]:
    """Yield authenticated plaintext chunks; raise AttachmentDamagedError on any damage."""
    head = src.read(len(MAGIC) + SALT_BYTES)
    if len(head) != len(MAGIC) + SALT_BYTES or not head.startswith(MAGIC):
        raise AttachmentDamagedError(f"attachment {blob_id}: not an attachment blob")
    aead = _blob_cipher(attachment_key, head[len(MAGIC) :], blob_id)
    counter = 0
    current = src.read(SEALED_CHUNK_BYTES)
    while True:
        following = src.read(SEALED_CHUNK_BYTES) if len(current) == SEALED_CHUNK_BYTES else b""
        final = not following
        try:
            plaintext = aead.decrypt(_chunk_nonce(counter, final), current, None)
        except InvalidTag:
            raise AttachmentDamagedError(
                f"attachment {blob_id}: chunk {counter} is damaged or the file is truncated"
            ) from None
        yield plaintext
        if final:
            return
        counter += 1
        current = following


def checked_stream(
    src: BinaryIO, attachment_key: bytes, blob_id: str, expected: BlobInfo
) -> Iterator[bytes]:
    """Like :func:`decrypt_stream`, and after the last chunk compare size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    for chunk in decrypt_stream(src, attachment_key, blob_id):
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    if size != expected.size or digest.hexdigest() != expected.sha256:
        raise AttachmentDamagedError(f"attachment {blob_id}: content hash does not match")


def missing_blob(blob_id: str) -> AttachmentDamagedError:
    return AttachmentDamagedError(f"attachment {blob_id}: the encrypted file is missing")
