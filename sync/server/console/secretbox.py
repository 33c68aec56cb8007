"""TOTP secrets sealed at rest: AES-256-GCM under a key the database does not hold.

The key is derived (HKDF-SHA256) from the district's Ed25519 signing key, which the server keeps
in ``district-keys.json`` encrypted under the operator passphrase and holds in memory while it
serves. A copy of the database alone (a backup, a stolen disk image) therefore gives no second
factor away. Stored form: ``v1:`` + base64url(12-byte nonce ‖ ciphertext ‖ tag); the row it
belongs to (``user:<id>``) is bound as associated data, so a sealed secret moved to another
account does not open. Plain base32 secrets written before this (``migrate_plain``) are sealed
when the server starts.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, select, update

from sync.keys import KeyPair
from sync.server import db
from sync.server.console import tables as t

SEALED_PREFIX = "v1:"
_INFO = b"childdesk console totp secrets v1"


class SealedSecretError(Exception):
    """A stored secret that does not open with this server's key (or is damaged)."""


def key_from(keys: KeyPair) -> bytes:
    """The 32-byte sealing key derived from the district's signing key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        keys.signing.private_bytes_raw()
    )


def aad_for(user_id: int) -> bytes:
    return f"user:{user_id}".encode()


def is_sealed(stored: str | None) -> bool:
    return bool(stored) and str(stored).startswith(SEALED_PREFIX)


def seal(key: bytes, secret: str, user_id: int) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, secret.encode("ascii"), aad_for(user_id))
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_sealed(key: bytes, stored: str, user_id: int) -> str:
    """The base32 secret of a sealed value (:class:`SealedSecretError` if it does not open)."""
    if not is_sealed(stored):
        raise SealedSecretError("not a sealed secret")
    try:
        raw = base64.urlsafe_b64decode(stored[len(SEALED_PREFIX) :].encode("ascii"))
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], aad_for(user_id))
    except (ValueError, InvalidTag):
        raise SealedSecretError("the secret does not open with this server's key") from None
    return plain.decode("ascii")


def migrate_plain(engine: Engine, key: bytes) -> int:
    """Seal every TOTP secret still stored as plain base32 (written by an earlier version),
    and drop plain secrets of enrolments under way; returns the number of accounts sealed."""
    u, s = t.users, t.sessions
    with db.write_transaction(engine) as conn:
        rows = conn.execute(
            select(u.c.user_id, u.c.totp_secret).where(u.c.totp_secret.is_not(None))
        ).all()
        count = 0
        for row in rows:
            if row.totp_secret and not is_sealed(row.totp_secret):
                conn.execute(
                    update(u)
                    .where(u.c.user_id == row.user_id)
                    .values(totp_secret=seal(key, row.totp_secret, int(row.user_id)))
                )
                count += 1
        conn.execute(
            update(s)
            .where(s.c.pending_totp.is_not(None), s.c.pending_totp.not_like(f"{SEALED_PREFIX}%"))
            .values(pending_totp=None)
        )
    return count
