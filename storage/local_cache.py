"""Encrypted local caches of derived data (e.g. the caseload index), kept beside the vault in
``cache/<name>.cache`` so that opening a large caseload does not decrypt every record.

A cache is never the truth: it records the vault sequence number it was built from, is brought
up to date from newer revisions, and is simply rebuilt when missing, stale or damaged. Format:
12-byte nonce, then AES-256-GCM of zlib-compressed bytes under the vault subkey ``cache``,
associated data ``childdesk-cache-v1`` 0x1F vault id 0x1F name. Written temp → fsync → replace.
"""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.atomic_file import write_atomic
from storage.crypto import NONCE_BYTES
from storage.vault import Vault

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _aad(vault: Vault, name: str) -> bytes:
    return "\x1f".join(("childdesk-cache-v1", vault.header.vault_id, name)).encode()


def _path_for(vault: Vault, name: str) -> Path:
    if not _NAME_RE.match(name):
        raise ValueError(f"invalid cache name {name!r}")
    return vault.paths.root / "cache" / f"{name}.cache"


def read_cache(vault: Vault, name: str) -> bytes | None:
    """The cached bytes, or None when there is no usable cache (missing or damaged)."""
    path = _path_for(vault, name)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        plain = AESGCM(vault.subkey("cache")).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(vault, name)
        )
        return zlib.decompress(plain)
    except (InvalidTag, ValueError, zlib.error):
        return None


def write_cache(vault: Vault, name: str, data: bytes) -> None:
    path = _path_for(vault, name)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(vault.subkey("cache")).encrypt(nonce, zlib.compress(data, 1), _aad(vault, name))
    write_atomic(path, nonce + sealed)
